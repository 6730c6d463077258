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
 * The cache key of one batch of documents, in order, from their cacheKey()s: a re-scan of the same
 * file reads the whole batch's scores with one lookup instead of one per document (IndexedDB gets
 * cost ~90 µs each, which alone capped re-scans near 10,000 documents per second).
 */
export async function batchCacheKey(keys: readonly string[]): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(keys.join('\n')));
  return `batch:${keys.length}:${hex(digest)}`;
}
