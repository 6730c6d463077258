import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { Scores } from '../core/labels.ts';
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

interface ScanCacheSchema extends DBSchema {
  results: { key: string; value: CachedScores };
}

const DB_NAME = 'misalignment-scanner';
const DB_VERSION = 1;

/** The only module that talks to IndexedDB. */
export class ScoreCache {
  private constructor(private readonly db: IDBPDatabase<ScanCacheSchema>) {}

  static async open(): Promise<ScoreCache> {
    const db = await openDB<ScanCacheSchema>(DB_NAME, DB_VERSION, {
      upgrade(db, oldVersion) {
        if (oldVersion < 1) db.createObjectStore('results', { keyPath: 'key' });
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

  /** Stores many results in one transaction (one commit per batch, not per document). */
  async putMany(entries: readonly CachedScores[]): Promise<void> {
    if (entries.length === 0) return;
    const tx = this.db.transaction('results', 'readwrite');
    await Promise.all([...entries.map((e) => tx.store.put(e)), tx.done]);
  }

  count(): Promise<number> {
    return this.db.count('results');
  }

  clear(): Promise<void> {
    return this.db.clear('results');
  }
}
