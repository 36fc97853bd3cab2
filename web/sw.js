/* Service worker: keeps a copy of the whole built site so a reload without a network still
 * draws and recognises. build.py replaces the build id below with a digest of every other
 * file, so a new build installs a fresh cache and the old one is deleted. The list of files
 * comes from files.json, the same list the build wrote.
 *
 * The page registers it once the recognizer is ready. By then the worker (web/worker.js) has
 * put what it downloaded into this same cache, so installing only adds what is missing: a
 * first visit downloads each large file once. Responses are served as they are stored (not
 * copies), so Chromium can keep the compiled WebAssembly with the cached pyodide.asm.wasm.
 *
 * Word mode's files (files.json's "words": the word model, the word list, the word modules)
 * are left out of the install, so a visitor who never writes a word never downloads them:
 * the worker fetches them on the first word request and puts them into this same cache, from
 * where they are served offline. A new build's install carries them over from the previous
 * build's cache when they are unchanged (same SHA-256), and downloads the changed ones, but
 * only for a visitor whose cache held them: Word mode stays offline across updates. */
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
      const words = new Set(manifest.words || []);
      const wanted = ["./", "files.json", ...manifest.files.map((f) => f.path).filter((path) => !words.has(path))];
      wanted.push(...(await carryWords(cache, manifest, held)));
      await cache.addAll(wanted.filter((path) => !held.has(new URL(path, self.location.href).href)));
      await self.skipWaiting();
    })(),
  );
});

/** Copy Word mode's files that the previous build's cache holds and that are unchanged into
 * `cache` (adding their URLs to `held`); the paths of those that changed, to download. */
async function carryWords(cache, manifest, held) {
  const digests = new Map(manifest.files.map((f) => [f.path, f.sha256]));
  const changed = [];
  for (const name of await caches.keys()) {
    if (!name.startsWith("pycnn-") || name === CACHE) continue;
    const old = await caches.open(name);
    const listed = await old.match("files.json");
    if (!listed) continue;
    const before = new Map(((await listed.json()).files || []).map((f) => [f.path, f.sha256]));
    for (const path of manifest.words || []) {
      const url = new URL(path, self.location.href).href;
      const response = held.has(url) ? null : await old.match(url);
      if (!response) continue;
      if (before.get(path) === digests.get(path)) {
        await cache.put(url, response);
        held.add(url);
      } else {
        changed.push(path);
      }
    }
  }
  return [...new Set(changed)];
}

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
