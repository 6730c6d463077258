import { documentsInBatchKey } from '../core/cache-key.ts';
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import { packScores, unpackScores, type StoredScores } from '../core/packed-scores.ts';

/**
 * What is cached for one document text under one model: its scores packed by packScores() (one
 * block for IndexedDB to clone, not an object per passage), not where the text came from.
 */
export interface CachedDocument {
  /** cacheKey(): SHA-256 of the text + model id@version. */
  key: string;
  model: string;
  packed: Float64Array;
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
  results: { key: string; value: CachedDocument };
  batches: { key: string; value: CachedBatch };
}

const DB_NAME = 'misalignment-scanner';
const DB_VERSION = 3;

/** Documents looked up first when a batch is not found whole (see findMany). */
const PROBE_SIZE = 8;

/**
 * The cache could not be opened or used. The scanner then goes on without it (scores are the same,
 * only not kept); the message says why and what to do.
 */
export class CacheUnavailableError extends Error {
  override name = 'CacheUnavailableError';
}

/** What the cache holds. */
export interface CacheStatus {
  /** Documents cached one by one (scans up to 32 MB). */
  documents: number;
  /** Whole batches (every scan; the only kind for larger ones) and the documents in them. */
  batches: number;
  documentsInBatches: number;
}

/** The only module that talks to IndexedDB. */
export class ScoreCache {
  private constructor(private readonly db: IDBPDatabase<ScanCacheSchema>) {}

  /**
   * Opens (and if needed upgrades) the cache. `ready` settles when the database is open; `blocked`
   * resolves if the upgrade has to wait for a tab of an older version that holds the database open
   * (builds before version 3 never close their connection), so callers need not wait for it.
   */
  static open(): { ready: Promise<ScoreCache>; blocked: Promise<void> } {
    let onBlocked = () => {};
    const blocked = new Promise<void>((resolve) => { onBlocked = resolve; });
    const ready = openDB<ScanCacheSchema>(DB_NAME, DB_VERSION, {
      upgrade(db, oldVersion) {
        // Version 3 packs each document's scores; version 1-2 records (objects) are dropped, not converted.
        if (oldVersion >= 1 && oldVersion < 3) db.deleteObjectStore('results');
        if (oldVersion < 3) db.createObjectStore('results', { keyPath: 'key' });
        if (oldVersion < 2) db.createObjectStore('batches', { keyPath: 'key' });
      },
      blocked: () => onBlocked(),
      // A newer version of the app (another tab) wants to upgrade: let it. Later uses of this
      // connection then fail, and the scanner goes on without the cache.
      blocking(_current, _blocked, event) { (event.target as IDBDatabase).close(); },
    }).then((db) => new ScoreCache(db), (e: unknown) => { throw new CacheUnavailableError(`it could not be opened (${(e as Error).message})`); });
    return { ready, blocked };
  }

  /** Looks up many keys in one transaction; undefined where absent or unreadable. */
  async getMany(keys: readonly string[]): Promise<(StoredScores | undefined)[]> {
    const tx = this.db.transaction('results', 'readonly');
    const found = await Promise.all(keys.map((k) => tx.store.get(k)));
    await tx.done;
    return found.map((record) => {
      if (!record) return undefined;
      try {
        return unpackScores(record.packed, 1, record.model)[0];
      } catch {
        return undefined;
      }
    });
  }

  /**
   * Like getMany, but asks for every key only when a sample of up to PROBE_SIZE keys, spread over
   * the list, finds something. Each key is an IndexedDB round trip (~150 µs here); a batch of a new
   * file finds nothing, and on a 64 MB shard these misses took a quarter of the tab's time. The
   * price: a batch whose sample misses but which holds some cached documents scores them again
   * (the same scores; only not counted as from cache).
   */
  async findMany(keys: readonly string[]): Promise<(StoredScores | undefined)[]> {
    if (keys.length <= PROBE_SIZE) return this.getMany(keys);
    const step = keys.length / PROBE_SIZE;
    const sample = Array.from({ length: PROBE_SIZE }, (_, i) => keys[Math.floor(i * step)]!);
    const probed = await this.getMany(sample);
    return probed.some(Boolean) ? this.getMany(keys) : keys.map(() => undefined);
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
   * Stores many documents' scores in one transaction (one commit per batch, not per document), and
   * the whole batch once more as one record, so that a re-scan of the same file needs one lookup per batch.
   */
  async putMany(entries: readonly { key: string; scores: StoredScores }[], batch?: { key: string; entries: readonly StoredScores[] }): Promise<void> {
    if (entries.length === 0 && !batch) return;
    // Relaxed: the commit does not wait for the disk (a cache may lose its last writes in a crash).
    const tx = this.db.transaction(['results', 'batches'], 'readwrite', { durability: 'relaxed' });
    const results = tx.objectStore('results');
    const storedAt = Date.now();
    const writes: Promise<unknown>[] = entries.map(({ key, scores }) => results.put({ key, model: scores.model, packed: packScores([scores]), storedAt }));
    if (batch) {
      // Every entry of a batch comes from the model named in its key.
      const record: CachedBatch = { key: batch.key, model: batch.entries[0]?.model ?? '', count: batch.entries.length, packed: packScores(batch.entries), storedAt };
      writes.push(tx.objectStore('batches').put(record));
    }
    await Promise.all([...writes, tx.done]);
  }

  /** What the cache holds; the batches' sizes are read from their keys, not their records. */
  async status(): Promise<CacheStatus> {
    const [documents, batchKeys] = await Promise.all([this.db.count('results'), this.db.getAllKeys('batches')]);
    const documentsInBatches = batchKeys.reduce((n, key) => n + documentsInBatchKey(key), 0);
    return { documents, batches: batchKeys.length, documentsInBatches };
  }

  async clear(): Promise<void> {
    const tx = this.db.transaction(['results', 'batches'], 'readwrite');
    await Promise.all([tx.objectStore('results').clear(), tx.objectStore('batches').clear(), tx.done]);
  }
}
