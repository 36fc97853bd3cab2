/* Service worker: keeps a copy of the whole built site so a reload without a network still
 * draws and recognises. build.py replaces the build id below with a digest of every other
 * file, so a new build installs a fresh cache and the old one is deleted. The list of files
 * comes from files.json, the same list the build wrote.
 *
 * The page registers it once the recognizer is ready. By then the worker (web/worker.js) has
 * put what it downloaded into this same cache, so installing only adds what is missing: a
 * first visit downloads each large file once. Responses are served as they are stored (not
 * copies), so Chromium can keep the compiled WebAssembly with the cached pyodide.asm.wasm. */
"use strict";

const CACHE = "pycnn-__PYCNN_BUILD_ID__";

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const response = await fetch("files.json", { cache: "no-cache" });
      if (!response.ok) throw new Error(`files.json: HTTP ${response.status}`);
      const manifest = await response.json();
      const cache = await caches.open(CACHE);
      const held = new Set((await cache.keys()).map((request) => request.url));
      const wanted = ["./", "files.json", ...manifest.files.map((f) => f.path)];
      await cache.addAll(wanted.filter((path) => !held.has(new URL(path, self.location.href).href)));
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
