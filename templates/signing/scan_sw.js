{% autoescape off %}// The offline verifier's service worker: keeps the page, its scripts and the latest trust list, so
// the page opens and checks codes with no network. Page and list: from the network when there is
// one (and kept), else from the cache. Scripts and styles (named by content in production): from
// the cache first.
"use strict";
const URLS = {{ urls }};
const CACHE = {{ cache_name }};
const PREFIX = {{ cache_prefix }};
const FRESH_FIRST = new Set([URLS.page, URLS.trust_list]);

// The page and the list one after the other (each asks the database; a small server is not made to
// answer both at once for one visitor), then the static files together.
self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.add(URLS.page).then(() => cache.add(URLS.trust_list)).then(() => cache.addAll(URLS.assets)))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith(PREFIX) && n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim())
  );
});

async function freshFirst(request, path) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(path, response.clone());
    return response;
  } catch (error) {
    const kept = await cache.match(path);
    if (kept) return kept;
    throw error;
  }
}

async function keptFirst(request) {
  const kept = await caches.match(request, { cacheName: CACHE });
  return kept || fetch(request);
}

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (FRESH_FIRST.has(url.pathname)) {
    event.respondWith(freshFirst(event.request, url.pathname));
  } else if (URLS.assets.includes(url.pathname)) {
    event.respondWith(keptFirst(event.request));
  }
});
{% endautoescape %}
