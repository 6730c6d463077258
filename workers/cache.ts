import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { Scores } from '../core/labels.ts';
import { packScores, unpackScores, type StoredScores } from '../core/packed-scores.ts';
import type { PassageScores } from '../core/results.ts';

/** What is cached for one document text under one model: everything but where the text came from. */
export interface CachedScores {
  /** cacheKey(): SHA-256 of the text + model id@version. */
  key: string;
  scores: Scores;
  flagged: boolean;
  passages: PassageScores[];
  model: string;
  storedAt: number;
}

/** The scores of a whole batch of documents, in order, under batchCacheKey(), packed by packScores(). */
export interface CachedBatch {
  key: string;
  model: string;
  count: number;
  packed: Float64Array;
  storedAt: number;
}

interface ScanCacheSchema extends DBSchema {
  results: { key: string; value: CachedScores };
  batches: { key: string; value: CachedBatch };
}

const DB_NAME = 'misalignment-scanner';
const DB_VERSION = 2;

/** The only module that talks to IndexedDB. */
export class ScoreCache {
  private constructor(private readonly db: IDBPDatabase<ScanCacheSchema>) {}

  static async open(): Promise<ScoreCache> {
    const db = await openDB<ScanCacheSchema>(DB_NAME, DB_VERSION, {
      upgrade(db, oldVersion) {
        if (oldVersion < 1) db.createObjectStore('results', { keyPath: 'key' });
        if (oldVersion < 2) db.createObjectStore('batches', { keyPath: 'key' });
      },
    });
    return new ScoreCache(db);
  }

  /** Looks up many keys in one transaction; undefined where absent. */
  async getMany(keys: readonly string[]): Promise<(CachedScores | undefined)[]> {
    const tx = this.db.transaction('results', 'readonly');
    const found = await Promise.all(keys.map((k) => tx.store.get(k)));
    await tx.done;
    return found;
  }

  /**
   * The whole batch stored under `batchKey`, if this exact batch was scored before. A record that
   * does not unpack is treated as absent: the per-document cache or the model answers instead.
   */
  async getBatch(batchKey: string): Promise<StoredScores[] | undefined> {
    const batch = await this.db.get('batches', batchKey);
    if (!batch) return undefined;
    try {
      return unpackScores(batch.packed, batch.count, batch.model);
    } catch {
      return undefined;
    }
  }

  /**
   * Stores many results in one transaction (one commit per batch, not per document), and the whole
   * batch once more as one record, so that a re-scan of the same file needs one lookup per batch.
   */
  async putMany(entries: readonly CachedScores[], batch?: { key: string; entries: readonly StoredScores[] }): Promise<void> {
    if (entries.length === 0 && !batch) return;
    const tx = this.db.transaction(['results', 'batches'], 'readwrite');
    const results = tx.objectStore('results');
    const writes: Promise<unknown>[] = entries.map((e) => results.put(e));
    if (batch) {
      // Every entry of a batch comes from the model named in its key.
      const record: CachedBatch = { key: batch.key, model: batch.entries[0]?.model ?? '', count: batch.entries.length, packed: packScores(batch.entries), storedAt: Date.now() };
      writes.push(tx.objectStore('batches').put(record));
    }
    await Promise.all([...writes, tx.done]);
  }

  /** Documents with cached scores. */
  count(): Promise<number> {
    return this.db.count('results');
  }

  async clear(): Promise<void> {
    const tx = this.db.transaction(['results', 'batches'], 'readwrite');
    await Promise.all([tx.objectStore('results').clear(), tx.objectStore('batches').clear(), tx.done]);
  }
}
