import { LABELS, scoresFromArray, type Label } from './labels.ts';
import { topPassage, type DocumentResult, type PassageScores } from './results.ts';

/** A result as the page holds it: the text and all passages come along only where the page shows them. */
export type ResultRow = DocumentResult & { text?: string; cached?: boolean };

const K = LABELS.length;
const LABEL_INDEX = Object.fromEntries(LABELS.map((l, i) => [l, i])) as Record<Label, number>;
// HAS_CACHED: the row had a `cached` field at all (CACHED is its value), so rows come back as they went in.
const FAILED = 1; const FLAGGED = 2; const CACHED = 4; const HAS_TOP = 8; const HAS_CACHED = 16;
/** Numbers per row: flags, the document's scores, the top passage's start, end and scores. */
const W = 1 + K + 2 + K;
const SCORES = 1; const TOP = 1 + K;

/**
 * Rows in columns, as the worker sends them to the page. Half a million rows cloned as objects (scores
 * and passages as records) left the page so much garbage that the tab peaked at 1.5 GB on a 1 GB shard;
 * a batch is now a few typed arrays (transferred, not copied) and the ids. Text and the full passage
 * list travel only for rows that carry them (small scans, flagged documents).
 */
export interface RowBatch {
  count: number;
  ids: string[];
  /** The batch's distinct sources and models; `sourceOf` and `modelOf` index into it. */
  names: string[];
  sourceOf: Int32Array;
  /** -1 for a failed row. */
  modelOf: Int32Array;
  /** 1-based line or row number; 0 where the format has none. */
  lines: Int32Array;
  /** W numbers per row (see W). */
  numbers: Float64Array;
  details: { index: number; text?: string; passages: PassageScores[] }[];
  failures: { index: number; code: string; error: string }[];
}

/** The typed arrays of a batch, to transfer instead of copy. */
export const batchBuffers = (b: RowBatch): ArrayBuffer[] => [b.sourceOf.buffer, b.modelOf.buffer, b.lines.buffer, b.numbers.buffer] as ArrayBuffer[];

/**
 * Packs rows for the page. Without `detailForAll` (large scans) only flagged documents keep their
 * text and every passage; the others keep their top passage: a shard of a million documents must
 * not be held in the tab twice.
 */
export function packRows(rows: readonly ResultRow[], { detailForAll = true } = {}): RowBatch {
  const n = rows.length;
  const batch: RowBatch = { count: n, ids: [], names: [], sourceOf: new Int32Array(n), modelOf: new Int32Array(n), lines: new Int32Array(n), numbers: new Float64Array(n * W), details: [], failures: [] };
  const nameIndex = new Map<string, number>();
  const intern = (name: string) => {
    let i = nameIndex.get(name);
    if (i === undefined) { i = batch.names.length; batch.names.push(name); nameIndex.set(name, i); }
    return i;
  };
  const x = batch.numbers;
  rows.forEach((row, i) => {
    const at = i * W;
    batch.ids.push(row.id);
    batch.sourceOf[i] = intern(row.source);
    batch.lines[i] = row.line ?? 0;
    let flags = (row.cached ? CACHED : 0) | (row.cached === undefined ? 0 : HAS_CACHED);
    if ('error' in row) {
      x[at] = flags | FAILED;
      batch.modelOf[i] = -1;
      batch.failures.push({ index: i, code: row.code, error: row.error });
      return;
    }
    if (row.flagged) flags |= FLAGGED;
    batch.modelOf[i] = intern(row.model);
    for (let k = 0; k < K; k++) x[at + SCORES + k] = row.scores[LABELS[k]!];
    const keepDetail = (detailForAll || row.flagged) && (row.text !== undefined || row.passages.length > 1);
    if (!keepDetail) {
      const p = topPassage(row);
      if (p) {
        flags |= HAS_TOP;
        x[at + TOP] = p.start; x[at + TOP + 1] = p.end;
        for (let k = 0; k < K; k++) x[at + TOP + 2 + k] = p.scores[LABELS[k]!];
      }
    } else {
      batch.details.push(row.text === undefined ? { index: i, passages: row.passages } : { index: i, text: row.text, passages: row.passages });
    }
    x[at] = flags;
  });
  return batch;
}

/** Rows per chunk of a column (a power of two). */
const CHUNK_BITS = 14;
const CHUNK_ROWS = 1 << CHUNK_BITS;

/**
 * A column of `width` numbers per row, in fixed chunks of CHUNK_ROWS rows: it grows a chunk at a
 * time and is never copied. (Grown by doubling, the numbers of a 1 GB shard's 526,000 rows sat in an
 * array for 1,048,576 rows, 143 MB, and while it grew the old 71 MB array was alive beside it.)
 */
class Column<T extends Float64Array | Int32Array> {
  private readonly chunks: T[] = [];
  constructor(private readonly make: (n: number) => T, private readonly width: number) {}

  /** The chunk that holds `row`, allocated on first use. */
  chunk(row: number): T {
    const c = row >>> CHUNK_BITS;
    while (this.chunks.length <= c) this.chunks.push(this.make(CHUNK_ROWS * this.width));
    return this.chunks[c]!;
  }

  /** Where `row` starts in its chunk. */
  offset(row: number): number { return (row & (CHUNK_ROWS - 1)) * this.width; }

  get(row: number, k = 0): number { return this.chunks[row >>> CHUNK_BITS]![this.offset(row) + k]!; }

  set(row: number, value: number): void { this.chunk(row)[this.offset(row)] = value; }

  /** Copies whole rows in, the first of them at row `first`. */
  setRows(values: Float64Array | Int32Array, first: number): void {
    const rows = values.length / this.width;
    for (let done = 0; done < rows;) {
      const row = first + done;
      const n = Math.min(rows - done, CHUNK_ROWS - (row & (CHUNK_ROWS - 1)));
      this.chunk(row).set(values.subarray(done * this.width, (done + n) * this.width), this.offset(row));
      done += n;
    }
  }
}

const emptyColumns = () => ({
  lines: new Column((n) => new Int32Array(n), 1),
  sourceOf: new Column((n) => new Int32Array(n), 1),
  modelOf: new Column((n) => new Int32Array(n), 1),
  numbers: new Column((n) => new Float64Array(n), W),
});

/**
 * Every result of a session, in the columns of RowBatch: ~150 bytes a row and its id, where rows as
 * objects took ~1.9 KB. Rows come back as ResultRow objects on demand: the visible ones, and one
 * export chunk at a time.
 */
export class ResultStore {
  private count = 0;
  private ids: string[] = [];
  private columns = emptyColumns();
  private names: string[] = [];
  private nameIndex = new Map<string, number>();
  private details = new Map<number, { text?: string; passages: PassageScores[] }>();
  private failures = new Map<number, { code: string; error: string }>();

  get size(): number { return this.count; }

  private intern(name: string): number {
    let i = this.nameIndex.get(name);
    if (i === undefined) { i = this.names.length; this.names.push(name); this.nameIndex.set(name, i); }
    return i;
  }

  /** Appends a batch; returns the index of its first row. */
  add(batch: RowBatch): number {
    const first = this.count;
    this.count += batch.count;
    const { lines, sourceOf, modelOf, numbers } = this.columns;
    const names = batch.names.map((name) => this.intern(name));
    for (let i = 0; i < batch.count; i++) {
      this.ids.push(batch.ids[i]!);
      sourceOf.set(first + i, names[batch.sourceOf[i]!]!);
      modelOf.set(first + i, batch.modelOf[i]! < 0 ? -1 : names[batch.modelOf[i]!]!);
    }
    lines.setRows(batch.lines, first);
    numbers.setRows(batch.numbers, first);
    for (const { index, ...detail } of batch.details) this.details.set(first + index, detail);
    for (const { index, ...failure } of batch.failures) this.failures.set(first + index, failure);
    return first;
  }

  private flags(i: number): number { return this.columns.numbers.get(i); }
  isFailed(i: number): boolean { return (this.flags(i) & FAILED) !== 0; }
  isCached(i: number): boolean { return (this.flags(i) & CACHED) !== 0; }
  id(i: number): string { return this.ids[i]!; }
  source(i: number): string { return this.names[this.columns.sourceOf.get(i)]!; }
  /** A label's score; undefined for a failed row. */
  score(i: number, label: Label): number | undefined { return this.isFailed(i) ? undefined : this.columns.numbers.get(i, SCORES + LABEL_INDEX[label]); }

  /** The row as an object, as it was added. */
  get(i: number): ResultRow {
    const id = this.ids[i]!; const source = this.source(i); const line = this.columns.lines.get(i) || undefined;
    const flags = this.flags(i);
    const cached = flags & HAS_CACHED ? { cached: (flags & CACHED) !== 0 } : {};
    const failure = this.failures.get(i);
    if (failure) return { id, source, line, ...failure, ...cached };
    const x = this.columns.numbers.chunk(i); const at = this.columns.numbers.offset(i);
    const detail = this.details.get(i);
    const passages = detail ? detail.passages
      : flags & HAS_TOP ? [{ start: x[at + TOP]!, end: x[at + TOP + 1]!, scores: scoresFromArray(x, at + TOP + 2) }] : [];
    const row: ResultRow = { id, source, line, scores: scoresFromArray(x, at + SCORES), flagged: (flags & FLAGGED) !== 0, passages, model: this.names[this.columns.modelOf.get(i)]!, ...cached };
    if (detail?.text !== undefined) row.text = detail.text;
    return row;
  }

  /** Forgets every row and gives the columns' memory back. */
  clear(): void {
    this.count = 0;
    this.ids = [];
    this.columns = emptyColumns();
    this.names = [];
    this.nameIndex = new Map();
    this.details = new Map();
    this.failures = new Map();
  }
}
