import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LABELS } from '../../core/labels.ts';
import type { ModelConfig } from '../../core/model-config.ts';
import { Scorer, type LogitsRunner } from '../../core/scorer.ts';
import { WordPieceTokenizer } from '../../core/tokenizer.ts';

const tokenizer = new WordPieceTokenizer(JSON.parse(readFileSync(new URL('../../models/mns-cnn/tokenizer.json', import.meta.url), 'utf8')));
const config: ModelConfig = { id: 't', version: '1', labels: LABELS, max_length: 16, stride: 12, threshold: 0.5, aggregation: 'max', canary: { text: '', logits: [0, 0, 0, 0, 0, 0, 0] } };
const logit = (p: number) => Math.log(p / (1 - p));
const robot = tokenizer.vocab.get('robot')!;

/** A fake model: a passage containing "robot" gets misalignment p=hot, others p=cold. Records the rows it saw. */
function fakeModel(hot: number, cold: number, seen: number[][]): LogitsRunner {
  return async (ids, mask, batch, seq) => {
    const out = new Float32Array(batch * LABELS.length);
    for (let r = 0; r < batch; r++) {
      const row = Array.from(ids.subarray(r * seq, (r + 1) * seq)).filter((_, k) => mask[r * seq + k]);
      seen.push(row);
      out.fill(logit(0.01), r * LABELS.length, (r + 1) * LABELS.length);
      out[r * LABELS.length] = logit(row.includes(robot) ? hot : cold);
    }
    return out;
  };
}

/** A fake model whose output depends on every token of each row (a checksum), after a pause that lets calls interleave. */
const checksumModel: LogitsRunner = async (ids, mask, batch, seq) => {
  await new Promise((r) => setTimeout(r, 1));
  const out = new Float32Array(batch * LABELS.length);
  for (let r = 0; r < batch; r++) {
    let sum = 0;
    for (let k = 0; k < seq; k++) if (mask[r * seq + k]) sum = (sum * 31 + ids[r * seq + k]!) % 100_003;
    for (let l = 0; l < LABELS.length; l++) out[r * LABELS.length + l] = ((sum * (l + 1)) % 1000) / 100 - 5;
  }
  return out;
};

describe('Scorer', () => {
  it('keeps calls apart, in sequence and when they overlap', async () => {
    const texts = (n: number) => Array.from({ length: 6 }, (_, i) => `document ${n}.${i}: ${'the robot counted parcels and lied about one . '.repeat(i + 1)} end ${n * 7 + i}`);
    const fresh = (t: string[]) => new Scorer(checksumModel, tokenizer, config, { maxBatch: 4 }).scorePassages(t);
    const shared = new Scorer(checksumModel, tokenizer, config, { maxBatch: 4 });
    const [a, b] = await Promise.all([shared.scorePassages(texts(1)), shared.scorePassages(texts(2))]);
    const c = await shared.scorePassages(texts(3));
    const d = await shared.scorePassages(texts(4));
    expect([a, b, c, d]).toEqual(await Promise.all([1, 2, 3, 4].map((n) => fresh(texts(n)))));
    expect(new Set(a.flat().map((p) => p.scores.misalignment)).size).toBeGreaterThan(3);
  });

  const long = `${'the cat sat on the mat . '.repeat(6)} the robot lied . ${'a quiet day . '.repeat(8)}`;

  it('scores every passage and takes the maximum for the document', async () => {
    const seen: number[][] = [];
    const scorer = new Scorer(fakeModel(0.9, 0.1, seen), tokenizer, config);
    const [doc] = await scorer.scoreDocuments([{ id: 'a', source: 's', text: long }]);
    if (!doc || 'error' in doc) throw new Error('expected a score');
    expect(doc.passages.length).toBeGreaterThan(2);
    expect(doc.scores.misalignment).toBeCloseTo(0.9, 5);
    expect(doc.flagged).toBe(true);
    const top = doc.passages.find((p) => p.scores.misalignment > 0.5)!;
    expect(long.slice(top.start, top.end)).toContain('robot');
    expect(seen.length).toBe(doc.passages.length);
  });

  it('re-scores only the passages a cascade first stage lets through', async () => {
    const stage1Seen: number[][] = []; const mainSeen: number[][] = [];
    const scorer = new Scorer(fakeModel(0.97, 0.2, mainSeen), tokenizer, config, { stage1: { run: fakeModel(0.6, 0.02, stage1Seen), gate: 0.3 } });
    const [doc] = await scorer.scorePassages([long]);
    expect(stage1Seen.length).toBe(doc!.length);
    expect(mainSeen.length).toBe(doc!.filter((p) => long.slice(p.start, p.end).includes('robot')).length);
    expect(mainSeen.length).toBeGreaterThan(0);
    expect(mainSeen.length).toBeLessThan(doc!.length);
    for (const p of doc!) expect(p.scores.misalignment).toBeCloseTo(long.slice(p.start, p.end).includes('robot') ? 0.97 : 0.02, 5);
    expect(scorer.counts).toEqual({ passages: doc!.length, mainModel: mainSeen.length });
  });

  it('mixes a re-scored passage from both stages by the main weight, and leaves the rest to the first stage', async () => {
    const scorer = new Scorer(fakeModel(0.9, 0.2, []), tokenizer, config, { stage1: { run: fakeModel(0.5, 0.02, []), gate: 0.3, mainWeight: 0.25 } });
    const [doc] = await scorer.scorePassages([long]);
    for (const p of doc!) {
      const hot = long.slice(p.start, p.end).includes('robot');
      expect(p.scores.misalignment).toBeCloseTo(hot ? 0.25 * 0.9 + 0.75 * 0.5 : 0.02, 5);
      expect(p.scores.deception).toBeCloseTo(0.01, 5);
    }
  });

  it('reports after every model call, so a slow batch can show progress', async () => {
    const seen: number[][] = [];
    const scorer = new Scorer(fakeModel(0.9, 0.1, seen), tokenizer, config, { maxBatch: 2 });
    let calls = 0;
    const [doc] = await scorer.scorePassages([long], { onModelCall: () => calls++ });
    expect(calls).toBe(Math.ceil(doc!.length / 2));
    expect(seen.length).toBe(doc!.length);
  });

  it('reports a document without words as an error and scores the rest', async () => {
    const scorer = new Scorer(fakeModel(0.9, 0.1, []), tokenizer, config);
    const out = await scorer.scoreDocuments([{ id: 'e', source: 's', text: ' \u0000 ' }, { id: 'b', source: 's', text: 'a robot' }]);
    expect(out[0]).toMatchObject({ id: 'e', code: 'empty-document' });
    expect(out[1]).toMatchObject({ id: 'b', flagged: true });
  });
});
