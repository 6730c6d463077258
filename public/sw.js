// @ts-check
// Offline support: after one visit the app, both ONNX Runtime builds and the models are served from
// this cache. Hashed build assets never change, so they are cache-first; the page itself is
// network-first so a new build is picked up when the server is reachable.
const CACHE = 'mscan-v1';

/**
 * Keeps every file of the current build (listed in precache.json by the build) and then drops files
 * of earlier builds. The page asks for it once its model has loaded (a message), not at install: on a
 * first visit, downloading the model here while the worker downloads it too made the worker's
 * fetch fail (measured). It runs on every visit because this file does not change between builds,
 * so a new build brings no new install event. Order matters for a new deployment: the new build's
 * files first, then its page, and only when all of them are stored the old files go, so the cached
 * page and the cached files always belong to one build. Best effort: if anything is missing, the old
 * build stays as it was and the next visit tries again.
 */
async function syncBuildFilesOnce() {
  const cache = await caches.open(CACHE);
  /** @type {string[]} */
  let files;
  /** @type {Response} */
  let page;
  try {
    const [list, fresh] = await Promise.all([fetch('/precache.json', { cache: 'no-store' }), fetch('/', { cache: 'no-store' })]);
    if (!list.ok || !fresh.ok) return;
    files = await list.json();
    page = fresh;
  } catch {
    return;
  }
  const cached = await cache.keys();
  const have = new Set(cached.map((r) => new URL(r.url).pathname));
  const missing = files.filter((f) => !have.has(f));
  const results = await Promise.allSettled(missing.map((f) => cache.add(f)));
  // A large download that failed while the page was fetching the same file gets one more, lone try.
  let complete = true;
  for (const [i, r] of results.entries()) {
    if (r.status === 'rejected') complete = await cache.add(/** @type {string} */ (missing[i])).then(() => complete, () => false);
  }
  if (!complete) return;
  await cache.put('/', page);
  const wanted = new Set(['/', ...files]);
  await Promise.all(cached.filter((r) => !wanted.has(new URL(r.url).pathname)).map((r) => cache.delete(r)));
}

/** @type {Promise<void> | undefined} */
let syncing;
/** One sync at a time: two concurrent cache.add() calls for the same file can leave neither stored. */
function syncBuildFiles() {
  syncing ??= syncBuildFilesOnce().finally(() => { syncing = undefined; });
  return syncing;
}

self.addEventListener('install', (event) => {
  // @ts-ignore - ExtendableEvent in a service worker
  // Best effort: a failed download must not fail the install (the page then stays online-only
  // until the next visit completes it).
  event.waitUntil(caches.open(CACHE).then((c) => c.add('/')).catch(() => undefined).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  // @ts-ignore
  event.waitUntil(self.clients.claim());
});

self.addEventListener('message', (event) => {
  // @ts-ignore - ExtendableMessageEvent
  if (event.data === 'cache-build-files') event.waitUntil(syncBuildFiles());
});

self.addEventListener('fetch', (event) => {
  // @ts-ignore - FetchEvent
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  const isPage = request.mode === 'navigate';
  // @ts-ignore
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    if (isPage) {
      try {
        // Not stored here: the cached page is replaced only together with its build's files (above).
        return await fetch(request);
      } catch {
        return (await cache.match('/')) ?? Response.error();
      }
    }
    // ignoreVary: files stored by syncBuildFiles were fetched without the Origin header that a
    // module script's request carries, and the server answers with "Vary: Origin".
    const hit = await cache.match(request, { ignoreVary: true });
    if (hit) return hit;
    const fresh = await fetch(request);
    if (fresh.ok) await cache.put(request, fresh.clone());
    return fresh;
  })());
});
