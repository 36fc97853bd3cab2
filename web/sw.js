/* Service worker: keeps a copy of the whole built site so a reload without a network still
 * draws and recognises. build.py replaces the build id below with a digest of every other
 * file, so a new build installs a fresh cache and the old one is deleted. The list of files
 * comes from files.json, the same list the build wrote. */
"use strict";

const CACHE = "pycnn-__PYCNN_BUILD_ID__";

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const response = await fetch("files.json", { cache: "no-cache" });
      if (!response.ok) throw new Error(`files.json: HTTP ${response.status}`);
      const manifest = await response.json();
      const cache = await caches.open(CACHE);
      await cache.addAll(["./", "files.json", ...manifest.files.map((f) => f.path)]);
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith("pycnn-") && name !== CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      const hit = await cache.match(request, { ignoreSearch: true });
      if (hit) return hit;
      if (request.mode === "navigate") {
        try {
          return await fetch(request);
        } catch (error) {
          const page = await cache.match("./");
          if (page) return page;
          throw error;
        }
      }
      return fetch(request);
    })(),
  );
});
