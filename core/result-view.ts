import type { Label } from './labels.ts';
import { ResultStore, type ResultRow, type RowBatch } from './result-store.ts';

export type SortKey = Label | 'id' | 'source';

/**
 * All results of a session (in a ResultStore) and the first `limit` of them in the chosen order
 * (what the table shows). A shard brings a million rows in batches of a hundred: re-sorting
 * everything for every batch made the page, not the model, the limit of a re-scan from cache
 * (1,200 docs/s at 8,000 rows). New batches are merged into the visible top instead, and a full sort
 * happens only when the order or the limit changes. Ties keep arrival order, exactly as a stable
 * sort of all rows would.
 */
export class ResultView {
  private readonly store = new ResultStore();
  /** Indices into the store of the visible rows, in order. */
  private top: number[] = [];
  private counts = { failed: 0, cached: 0 };
  private changes = 0;

  constructor(private sortKey: SortKey = 'misalignment', private descending = true, private limit = 500) {}

  /** The visible rows, as objects (at most `limit` of them). */
  get visible(): ResultRow[] { return this.first(this.limit); }
  /** The first `n` visible rows, as objects. */
  first(n: number): ResultRow[] { return this.top.slice(0, n).map((i) => this.store.get(i)); }
  /** How many rows the view shows at most. */
  get shown(): number { return this.limit; }
  get order(): { key: SortKey; descending: boolean } { return { key: this.sortKey, descending: this.descending }; }
  get size(): number { return this.store.size; }
  get failed(): number { return this.counts.failed; }
  get cached(): number { return this.counts.cached; }
  /**
   * Counts changes to the visible rows: a page redraws its table only when this moved (late in a
   * big scan few batches reach the top rows, and a redraw of 500 rows left megabytes of garbage).
   */
  get version(): number { return this.changes; }
  /** Rows beyond the visible ones. */
  get hidden(): number { return this.store.size - this.top.length; }

  /** Every row in arrival order, `chunk` objects at a time (exports: never all rows as objects at once). */
  *chunks(chunk = 10_000): Generator<ResultRow[]> {
    for (let from = 0; from < this.store.size; from += chunk) {
      const rows: ResultRow[] = [];
      for (let i = from; i < Math.min(from + chunk, this.store.size); i++) rows.push(this.store.get(i));
      yield rows;
    }
  }

  add(batch: RowBatch): void {
    const first = this.store.add(batch);
    const incoming: number[] = [];
    for (let i = first; i < first + batch.count; i++) {
      incoming.push(i);
      if (this.store.isFailed(i)) this.counts.failed++;
      if (this.store.isCached(i)) this.counts.cached++;
    }
    incoming.sort(this.compare);
    const merged: number[] = [];
    let i = 0; let j = 0; let taken = 0;
    while (merged.length < this.limit && (i < this.top.length || j < incoming.length)) {
      // `<= 0`: on a tie the row that arrived earlier (already on top) comes first.
      if (j >= incoming.length || (i < this.top.length && this.compare(this.top[i]!, incoming[j]!) <= 0)) merged.push(this.top[i++]!);
      else { merged.push(incoming[j++]!); taken++; }
    }
    this.top = merged;
    if (taken > 0) this.changes++;
  }

  setOrder(key: SortKey, descending: boolean): void {
    this.sortKey = key;
    this.descending = descending;
    this.resort();
  }

  setLimit(limit: number): void {
    this.limit = limit;
    this.resort();
  }

  clear(): void {
    this.store.clear();
    this.top = [];
    this.counts = { failed: 0, cached: 0 };
    this.changes++;
  }

  /** Scored rows whose misalignment score reaches the threshold (the slider moves, so counted on demand). */
  flaggedAt(threshold: number): number {
    let n = 0;
    for (let i = 0; i < this.store.size; i++) if ((this.store.score(i, 'misalignment') ?? -1) >= threshold) n++;
    return n;
  }

  private resort(): void {
    // Array.prototype.sort is stable, and indices are in arrival order: ties keep it.
    this.top = Array.from({ length: this.store.size }, (_, i) => i).sort(this.compare).slice(0, this.limit);
    this.changes++;
  }

  private readonly compare = (a: number, b: number): number => {
    const x = this.value(a); const y = this.value(b);
    const dir = this.descending ? -1 : 1;
    return x < y ? -dir : x > y ? dir : 0;
  };

  private value(i: number): number | string {
    if (this.sortKey === 'id') return this.store.id(i);
    if (this.sortKey === 'source') return this.store.source(i);
    // Failed rows sort below every score.
    return this.store.score(i, this.sortKey) ?? -1;
  }
}
