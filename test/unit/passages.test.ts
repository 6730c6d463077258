import { describe, expect, it } from 'vitest';
import { aggregateMax } from '../../core/aggregate.ts';
import { LABELS, scoresFromArray } from '../../core/labels.ts';
import { topPassage, type ScoredDocument } from '../../core/results.ts';
import { splitPassages } from '../../core/passages.ts';
import type { Encoding } from '../../core/tokenizer.ts';

const encoding = (n: number): Encoding => ({
  ids: Int32Array.from({ length: n }, (_, i) => i + 2),
  starts: Int32Array.from({ length: n }, (_, i) => i * 5),
  ends: Int32Array.from({ length: n }, (_, i) => i * 5 + 4),
});

describe('splitPassages', () => {
  it('keeps a short document in one passage', () => {
    expect(splitPassages(encoding(10), 256, 224)).toEqual([{ tokenStart: 0, tokenEnd: 10, start: 0, end: 49 }]);
  });

  it('covers every token with overlapping windows and ends on the last token', () => {
    const ps = splitPassages(encoding(1000), 256, 224);
    expect(ps.map((p) => p.tokenStart)).toEqual([0, 224, 448, 672, 896]);
    expect(ps.at(-1)!.tokenEnd).toBe(1000);
    for (let i = 1; i < ps.length; i++) expect(ps[i]!.tokenStart).toBeLessThan(ps[i - 1]!.tokenEnd);
    expect(ps.every((p) => p.tokenEnd - p.tokenStart <= 256)).toBe(true);
    expect(ps[1]!.start).toBe(224 * 5);
  });

  it('gives no passage for no tokens', () => {
    expect(splitPassages(encoding(0), 256, 224)).toEqual([]);
  });
});

describe('aggregation', () => {
  const p = (m: number, a = 0) => scoresFromArray([m, m / 2, 0, 0, 0, 0, a]);
  it('takes each label’s maximum over passages, so one scheming passage flags a long document', () => {
    const doc = aggregateMax([p(0.1), p(0.9), p(0.2, 0.7)]);
    expect(doc.misalignment).toBe(0.9);
    expect(doc.deception).toBe(0.45);
    expect(doc.aligned).toBe(0.7);
    expect(Object.keys(doc)).toEqual([...LABELS]);
  });
  it('names the passage that drove the score', () => {
    const doc = (scores: ReturnType<typeof p>[]): ScoredDocument => ({ id: 'd', source: 's', scores: aggregateMax(scores), flagged: true, model: 'm', passages: scores.map((s, i) => ({ start: i * 10, end: i * 10 + 9, scores: s })) });
    expect(topPassage(doc([p(0.1), p(0.9), p(0.2)]))?.start).toBe(10);
    expect(topPassage(doc([]))).toBeUndefined();
  });
});
