// The benchmark's web text must be text no model was trained on: the split is fixed and disjoint.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadWebDocuments } from '../../training/web-text.ts';

const shared = join(new URL('../..', import.meta.url).pathname, '../shared/data');

describe('web-text split', () => {
  it('gives training and the benchmark disjoint documents, about one in four to the benchmark, the same every time', () => {
    const train = loadWebDocuments(shared, 'train');
    const bench = loadWebDocuments(shared, 'bench');
    // Disjoint by content, not only by name; and every document named once.
    const trainTexts = new Set(train.map((d) => d.text));
    expect(bench.some((d) => trainTexts.has(d.text))).toBe(false);
    const ids = [...train, ...bench].map((d) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
    const share = bench.length / (bench.length + train.length);
    expect(share).toBeGreaterThan(0.18);
    expect(share).toBeLessThan(0.32);
    for (const source of ['ud_english_ewt', 'wikitext2']) expect(bench.some((d) => d.source === source)).toBe(true);
    expect(loadWebDocuments(shared, 'bench').map((d) => d.id)).toEqual(bench.map((d) => d.id));
  });
});
