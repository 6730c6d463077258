import { describe, expect, it } from 'vitest';
import { batchCacheKey, cacheKey } from '../../core/cache-key.ts';
import { packScores, unpackScores } from '../../core/packed-scores.ts';
import { packRows, ResultStore } from '../../core/result-store.ts';
import { ResultView } from '../../core/result-view.ts';
import { scoresFromArray } from '../../core/labels.ts';
import { CSV_COLUMNS, toCsvRow, toJsonLine, type ScoredDocument } from '../../core/results.ts';

const doc: ScoredDocument = {
  id: 'a,"b"', source: 'x.jsonl', line: 3, flagged: true, model: 'm@1',
  scores: scoresFromArray([0.9, 0.8, 0.1, 0.1, 0.1, 0.1, 0.05]),
  passages: [{ start: 0, end: 10, scores: scoresFromArray([0.2, 0, 0, 0, 0, 0, 0]) }, { start: 8, end: 30, scores: scoresFromArray([0.9, 0.8, 0.1, 0.1, 0.1, 0.1, 0.05]) }],
};

describe('result rows', () => {
  it('writes the CLI/JSONL shape', () => {
    const o = JSON.parse(toJsonLine(doc));
    expect(Object.keys(o)).toEqual(['id', 'source', 'line', 'scores', 'flagged', 'passages', 'model']);
    expect(o.passages[1]).toEqual({ start: 8, end: 30, scores: expect.objectContaining({ misalignment: 0.9 }) });
  });
  it('escapes CSV cells and reports the top passage offsets', () => {
    const row = toCsvRow(doc);
    expect(row.startsWith('"a,""b""",x.jsonl,3,0.9,0.8,')).toBe(true);
    const cells = row.split(',');
    expect(cells.length).toBe(CSV_COLUMNS.length + 1); // the id cell holds one comma
    expect(row).toContain(',true,8,30,m@1,');
  });
  it('writes errors with their code', () => {
    expect(JSON.parse(toJsonLine({ id: 'x:2', source: 'x', line: 2, code: 'malformed-json', error: 'Line 2 ...' }))).toEqual({ id: 'x:2', source: 'x', line: 2, code: 'malformed-json', error: 'Line 2 ...' });
  });
});

describe('cacheKey', () => {
  it('is the SHA-256 of the text plus the model id and version', async () => {
    expect(await cacheKey('abc', 'm@1')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad:m@1');
  });
  it('changes with the model version, so a new model never serves old scores', async () => {
    expect(await cacheKey('abc', 'm@2')).not.toBe(await cacheKey('abc', 'm@1'));
    expect(await cacheKey('abd', 'm@1')).not.toBe(await cacheKey('abc', 'm@1'));
  });
});

describe('batchCacheKey', () => {
  it('depends on every document, their order, and the model', async () => {
    const k = await batchCacheKey(['ab', 'c'], 'm@1');
    expect(k).toMatch(/^batch:2:[0-9a-f]{64}$/);
    expect(await batchCacheKey(['ab', 'c'], 'm@1')).toBe(k);
    expect(await batchCacheKey(['a', 'bc'], 'm@1')).not.toBe(k);
    expect(await batchCacheKey(['ab\n2:c'], 'm@1')).not.toBe(await batchCacheKey(['ab', 'c'], 'm@1'));
    expect(await batchCacheKey(['c', 'ab'], 'm@1')).not.toBe(k);
    expect(await batchCacheKey(['ab', 'c'], 'm@2')).not.toBe(k);
    expect(k).not.toBe(await cacheKey('ab', 'm@1'));
  });
});

describe('packed batch scores', () => {
  const other = { ...doc, flagged: false, passages: [doc.passages[0]!] };
  it('round-trips every score and offset exactly', () => {
    const stored = [doc, other].map(({ scores, flagged, passages, model }) => ({ scores, flagged, passages, model }));
    const packed = packScores(stored);
    expect(packed.length).toBe(2 * (2 + 7) + 3 * (2 + 7));
    expect(unpackScores(packed, 2, 'm@1')).toEqual(stored);
  });
  it('refuses a record that does not hold the stated number of documents', () => {
    const packed = packScores([doc]);
    expect(() => unpackScores(packed, 2, 'm@1')).toThrow(/Corrupt cache record/);
    expect(() => unpackScores(packed.subarray(0, packed.length - 1), 1, 'm@1')).toThrow(/Corrupt cache record/);
  });
});

describe('ResultView', () => {
  const row = (id: string, misalignment: number, extra: { cached?: boolean } = {}) =>
    ({ ...doc, id, scores: scoresFromArray([misalignment, 0, 0, 0, 0, 0, 0]), ...extra });
  const rng = (() => { let s = 7; return () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648); })();

  it('shows the same rows as a stable sort of everything, however the rows arrive in batches', () => {
    // Scores on a coarse grid so that many rows tie: ties must keep arrival order.
    const rows = Array.from({ length: 1000 }, (_, i) => row(`d${i}`, Math.round(rng() * 20) / 20));
    const view = new ResultView('misalignment', true, 50);
    for (let i = 0; i < rows.length;) { const n = 1 + Math.floor(rng() * 130); view.add(packRows(rows.slice(i, i + n))); i += n; }
    const expected = rows.slice().sort((a, b) => b.scores.misalignment - a.scores.misalignment).slice(0, 50);
    expect(view.visible.map((r) => r.id)).toEqual(expected.map((r) => r.id));
    expect(view.first(7).map((r) => r.id)).toEqual(expected.slice(0, 7).map((r) => r.id));
    expect(view.size).toBe(1000);
    expect(view.hidden).toBe(950);
    view.setOrder('id', false);
    expect(view.visible[0]!.id).toBe('d0');
    expect(view.visible[1]!.id).toBe('d1');
    view.setLimit(2000);
    expect(view.hidden).toBe(0);
  });

  it('counts failures, cache hits and flags, and puts failures last when sorting by score', () => {
    const view = new ResultView();
    view.add(packRows([row('a', 0.9, { cached: true }), { id: 'bad', source: 'x', code: 'malformed-json', error: '...' }, row('b', 0.2)]));
    expect([view.failed, view.cached, view.flaggedAt(0.5), view.flaggedAt(0.1)]).toEqual([1, 1, 1, 2]);
    expect(view.visible.map((r) => r.id)).toEqual(['a', 'b', 'bad']);
    expect([...view.chunks(2)].map((c) => c.map((r) => r.id))).toEqual([['a', 'bad'], ['b']]);
    view.clear();
    expect([view.size, view.failed, view.cached, view.visible.length]).toEqual([0, 0, 0, 0]);
  });
});

describe('ResultStore', () => {
  const trimmed = { id: 'b', source: 'big.jsonl', line: 7, flagged: false, model: 'm@1', cached: true,
    scores: scoresFromArray([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]), passages: [{ start: 5, end: 900, scores: scoresFromArray([0.11, 0.21, 0.31, 0.41, 0.51, 0.61, 0.71]) }] };
  const failed = { id: 'c', source: 'big.jsonl', line: 8, code: 'malformed-json', error: 'Line 8: not JSON' };
  const pasted = { id: 'p', source: 'pasted-1.txt', flagged: false, model: 'm@2', scores: scoresFromArray([1e-9, 0, 0, 0, 0, 0, 1 / 3]), passages: [] };

  it('gives every kind of row back exactly as it was added, scores bit for bit', () => {
    const store = new ResultStore();
    const rows = [{ ...doc, text: 'the text of a small scan', cached: false }, trimmed, failed, pasted, doc];
    expect(store.add(packRows(rows.slice(0, 2)))).toBe(0);
    expect(store.add(packRows(rows.slice(2)))).toBe(2);
    expect(store.size).toBe(5);
    rows.forEach((r, i) => expect(store.get(i)).toEqual(r));
    expect(store.get(3).line).toBeUndefined();
    expect(JSON.parse(toJsonLine(store.get(1)))).toEqual(JSON.parse(toJsonLine(trimmed)));
    expect([store.isFailed(2), store.isCached(1), store.isCached(0), store.score(2, 'misalignment'), store.score(1, 'hostility')]).toEqual([true, true, false, undefined, 0.6]);
  });

  it('keeps text and every passage only for flagged documents when packing a large scan', () => {
    const store = new ResultStore();
    const unflagged = { ...doc, flagged: false, text: 'an ordinary document' };
    store.add(packRows([{ ...doc, text: 'a flagged document' }, unflagged], { detailForAll: false }));
    expect(store.get(0)).toEqual({ ...doc, text: 'a flagged document' });
    const { text: _text, ...trimmedRow } = unflagged;
    expect(store.get(1)).toEqual({ ...trimmedRow, passages: [doc.passages[1]] });
  });

  it('grows chunk by chunk, batches straddling chunks intact, and starts empty after clear()', () => {
    const store = new ResultStore();
    // 40,000 rows in batches of 1,000: past two chunk boundaries (16,384 rows), each inside a batch.
    const n = 40_000;
    for (let i = 0; i < n; i += 1000) store.add(packRows(Array.from({ length: 1000 }, (_, j) => ({ ...trimmed, id: `d${i + j}`, line: i + j + 1, scores: scoresFromArray([(i + j) / n, 0, 0, 0, 0, 0, 0]) }))));
    expect(store.size).toBe(n);
    for (let i = 0; i < n; i++) {
      if (store.id(i) !== `d${i}` || store.score(i, 'misalignment') !== i / n) throw new Error(`row ${i} came back wrong`);
    }
    for (const i of [16_383, 16_384, 32_767, 32_768, n - 1]) expect(store.get(i)).toEqual({ ...trimmed, id: `d${i}`, line: i + 1, scores: scoresFromArray([i / n, 0, 0, 0, 0, 0, 0]) });
    store.clear();
    expect(store.size).toBe(0);
    store.add(packRows([failed]));
    expect(store.get(0)).toEqual(failed);
  });
});
