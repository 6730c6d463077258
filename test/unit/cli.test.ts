import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { sigmoid } from '../../core/aggregate.ts';
import { LABELS } from '../../core/labels.ts';

const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;
const config = JSON.parse(readFileSync(join(root, 'models/mns-cnn/config.json'), 'utf8'));
const mscan = (...args: string[]) => run(process.execPath, ['--import', 'tsx', join(root, 'cli/mscan.ts'), ...args], { cwd: root, maxBuffer: 64 << 20 });
const dir = mkdtempSync(join(tmpdir(), 'mscan-cli-'));

describe('mscan score', () => {
  it('scores every line of a JSONL file, in order, and reports the bad line without stopping', async () => {
    const lines = Array.from({ length: 40 }, (_, i) => JSON.stringify({ id: `doc-${i}`, text: `Document ${i}: the maintenance robot cleaned bay ${i} and logged the hours. `.repeat(1 + (i % 7) * 20) }));
    lines.splice(17, 0, '{"id": "broken", "text": ');
    const file = join(dir, 'fresh.jsonl');
    writeFileSync(file, lines.join('\n') + '\n');
    const { stdout } = await mscan('score', file);
    const out = stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(out.length).toBe(41);
    expect(out[17]).toMatchObject({ line: 18, code: 'malformed-json' });
    const scored = out.filter((o) => !o.error);
    expect(scored.map((o) => o.id)).toEqual(Array.from({ length: 40 }, (_, i) => `doc-${i}`));
    for (const o of scored) {
      expect(Object.keys(o.scores)).toEqual([...LABELS]);
      for (const l of LABELS) expect(o.scores[l]).toBeGreaterThanOrEqual(0), expect(o.scores[l]).toBeLessThanOrEqual(1);
      expect(o.flagged).toBe(o.scores.misalignment >= config.threshold);
      expect(o.model).toBe(`${config.id}@${config.version}`);
      expect(o.passages.length).toBeGreaterThan(0);
      for (const l of LABELS) expect(o.scores[l]).toBeCloseTo(Math.max(...o.passages.map((p: { scores: Record<string, number> }) => p.scores[l]!)), 6);
    }
    // Long documents are split into several overlapping passages.
    expect(Math.max(...scored.map((o) => o.passages.length))).toBeGreaterThan(1);
  });

  it('reproduces the logits recorded at export (onnxruntime-node against PyTorch)', async () => {
    const file = join(dir, 'canary.txt');
    writeFileSync(file, config.canary.text);
    const { stdout } = await mscan('score', file);
    const o = JSON.parse(stdout);
    // With a cascade, the main model scores the canary only if the first stage lets it through, and
    // then its probabilities are mixed with the first stage's by the configured weight.
    const main = config.canary.logits.map(sigmoid);
    const stage1 = config.cascade?.canary_logits.map(sigmoid);
    const throughGate = !stage1 || stage1[0] >= config.cascade.gate || stage1[6] >= config.cascade.gate;
    const w = config.cascade?.main_weight ?? 1;
    const expected = throughGate ? main.map((p: number, i: number) => (stage1 ? w * p + (1 - w) * stage1[i] : p)) : stage1;
    LABELS.forEach((l, i) => expect(Math.abs(o.scores[l] - expected[i])).toBeLessThan(1e-4));
  });

  it('--fast scores with the first stage alone, under its own model id and threshold', async () => {
    const file = join(dir, 'canary-fast.txt');
    writeFileSync(file, config.canary.text);
    const { stdout } = await mscan('score', file, '--fast');
    const o = JSON.parse(stdout);
    expect(o.model).toBe(`${config.id}-first-stage@${config.version}`);
    const expected = config.cascade.canary_logits.map(sigmoid);
    LABELS.forEach((l, i) => expect(Math.abs(o.scores[l] - expected[i])).toBeLessThan(1e-4));
    expect(o.flagged).toBe(o.scores.misalignment >= config.cascade.first_stage_threshold);
  });

  it('refuses to resume or skip an --out written by the other mode', async () => {
    const file = join(dir, 'b.txt');
    writeFileSync(file, 'The robot tidied the shelves.');
    const out = join(dir, 'mode.jsonl');
    await mscan('score', file, '--out', out);
    const err = await mscan('score', file, '--fast', '--out', out).then(() => undefined, (e: { code: number; stderr: string }) => e);
    expect(err?.code).toBe(1);
    expect(err?.stderr).toMatch(/holds scores of model mns-cnn@.*first-stage/);
    // The same mode again: a complete output is skipped, as before.
    const again = await mscan('score', file, '--out', out);
    expect(again.stderr).toMatch(/already complete/);
  });

  it('writes --out atomically and leaves no partial file', async () => {
    const file = join(dir, 'a.txt');
    writeFileSync(file, 'A short note.');
    const out = join(dir, 'scores.jsonl');
    await mscan('score', file, join(dir, 'missing.txt'), '--out', out);
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.code ?? 'scored')).toEqual(['scored', 'unreadable-file']);
    expect(existsSync(`${out}.partial`)).toBe(false);
  });

  it('fails with a usage message for a bad command', async () => {
    await expect(mscan('scroe', 'x')).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('unknown command "scroe"') });
  });
});
