const hex = (buf: ArrayBuffer) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');

/**
 * The cache key of a document's scores: SHA-256 of its text plus the model's id@version, so a new
 * model (its version is a hash of its files) never serves scores from an old one.
 */
export async function cacheKey(text: string, model: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return `${hex(digest)}:${model}`;
}

/**
 * The cache key of one batch of documents, in order, under one model: a re-scan of the same file
 * reads the whole batch's scores with one lookup instead of one per document (IndexedDB gets cost
 * ~90 µs each, which alone capped re-scans near 10,000 documents per second). One digest over all
 * the texts (each behind its length, so boundaries count), not one per document: per-document
 * digests cost ~45 µs each, and a re-scan whose batch is found needs no per-document key at all.
 */
export async function batchCacheKey(texts: readonly string[], model: string): Promise<string> {
  const framed = [model, ...texts.map((t) => `${t.length}:${t}`)].join('\n');
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(framed));
  return `batch:${texts.length}:${hex(digest)}`;
}

/** How many documents the batch under a batchCacheKey() holds (0 for any other key). */
export const documentsInBatchKey = (key: string): number => (key.startsWith('batch:') ? Number(key.split(':')[1]) || 0 : 0);
