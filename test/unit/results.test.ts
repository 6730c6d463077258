import { describe, expect, it } from 'vitest';
import { cacheKey } from '../../core/cache-key.ts';
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
