import type { Label } from './labels.ts';
import { isFailed, type DocumentResult } from './results.ts';

export type SortKey = Label | 'id' | 'source';

/**
 * All results of a session and the first `limit` of them in the chosen order (what the table shows).
 * A shard brings a million rows in batches of a hundred: re-sorting everything for every batch made
 * the page, not the model, the limit of a re-scan from cache (1,200 docs/s at 8,000 rows). New
 * batches are merged into the visible top instead, and a full sort happens only when the order or
 * the limit changes. Ties keep arrival order, exactly as a stable sort of all rows would.
 */
export class ResultView<Row extends DocumentResult & { cached?: boolean }> {
  private rows: Row[] = [];
  private top: Row[] = [];
  private counts = { failed: 0, cached: 0 };

  constructor(private sortKey: SortKey = 'misalignment', private descending = true, private limit = 500) {}

  get all(): readonly Row[] { return this.rows; }
  get visible(): readonly Row[] { return this.top; }
  /** How many rows the view shows at most. */
  get shown(): number { return this.limit; }
  get order(): { key: SortKey; descending: boolean } { return { key: this.sortKey, descending: this.descending }; }
  get size(): number { return this.rows.length; }
  get failed(): number { return this.counts.failed; }
  get cached(): number { return this.counts.cached; }
  /** Rows beyond the visible ones. */
  get hidden(): number { return this.rows.length - this.top.length; }

  add(batch: readonly Row[]): void {
    for (const r of batch) {
      this.rows.push(r);
      if (isFailed(r)) this.counts.failed++;
      if (r.cached) this.counts.cached++;
    }
    const incoming = batch.slice().sort(this.compare);
    const merged: Row[] = [];
    let i = 0; let j = 0;
    while (merged.length < this.limit && (i < this.top.length || j < incoming.length)) {
      // `<= 0`: on a tie the row that arrived earlier (already on top) comes first.
      if (j >= incoming.length || (i < this.top.length && this.compare(this.top[i]!, incoming[j]!) <= 0)) merged.push(this.top[i++]!);
      else merged.push(incoming[j++]!);
    }
    this.top = merged;
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
    this.rows = [];
    this.top = [];
    this.counts = { failed: 0, cached: 0 };
  }

  /** Scored rows whose misalignment score reaches the threshold (the slider moves, so counted on demand). */
  flaggedAt(threshold: number): number {
    let n = 0;
    for (const r of this.rows) if (!isFailed(r) && r.scores.misalignment >= threshold) n++;
    return n;
  }

  private resort(): void {
    this.top = this.rows.slice().sort(this.compare).slice(0, this.limit);
  }

  private readonly compare = (a: Row, b: Row): number => {
    const x = this.value(a); const y = this.value(b);
    const dir = this.descending ? -1 : 1;
    return x < y ? -dir : x > y ? dir : 0;
  };

  private value(r: Row): number | string {
    if (this.sortKey === 'id' || this.sortKey === 'source') return r[this.sortKey];
    // Failed rows sort below every score.
    return isFailed(r) ? -1 : r.scores[this.sortKey];
  }
}
