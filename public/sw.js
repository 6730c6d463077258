// @ts-check
// Offline support: after one visit the app, the ONNX runtime and the model are served from this
// cache. Hashed build assets never change, so they are cache-first; the page itself is
// network-first so a new build is picked up when the server is reachable.
const CACHE = 'mscan-v1';

self.addEventListener('install', (event) => {
  // @ts-ignore - ExtendableEvent in a service worker
  event.waitUntil(caches.open(CACHE).then((c) => c.add('/')).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  // @ts-ignore
  event.waitUntil(self.clients.claim());
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
        const fresh = await fetch(request);
        if (fresh.ok) await cache.put('/', fresh.clone());
        return fresh;
      } catch {
        return (await cache.match('/')) ?? Response.error();
      }
    }
    const hit = await cache.match(request);
    if (hit) return hit;
    const fresh = await fetch(request);
    if (fresh.ok) await cache.put(request, fresh.clone());
    return fresh;
  })());
});
