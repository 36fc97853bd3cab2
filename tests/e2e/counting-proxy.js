// A local HTTP proxy in front of the site that counts what the browser really downloads: every
// request that reaches it came from the network (not from the HTTP cache or the service
// worker's cache), with the bytes of its body. Used by tests/e2e/first-visit.spec.js and
// bench/page_timings.js. Being on another port, it is also another origin: a page opened
// through it starts with no service worker, no cache storage and no HTTP cache entries.
"use strict";

const http = require("node:http");

/** Forward every request to `upstream` (a base URL such as http://127.0.0.1:8000/); resolves
 * to {url, requests, close()}, where requests is a list of {path, status, bytes}. */
function startCountingProxy(upstream) {
  const target = new URL(upstream);
  const requests = [];
  const server = http.createServer((request, response) => {
    const forward = http.request({
      host: target.hostname,
      port: target.port,
      path: request.url,
      method: request.method,
      headers: { ...request.headers, host: target.host },
    }, (answer) => {
      const entry = { path: new URL(request.url, target).pathname, status: answer.statusCode, bytes: 0 };
      requests.push(entry);
      response.writeHead(answer.statusCode, answer.headers);
      answer.on("data", (chunk) => {
        entry.bytes += chunk.length;
      });
      answer.pipe(response);
    });
    forward.on("error", () => response.destroy());
    request.pipe(forward);
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      resolve({
        url: `http://127.0.0.1:${server.address().port}${target.pathname}`,
        requests,
        close: () => new Promise((done) => {
          server.closeAllConnections();
          server.close(done);
        }),
      });
    });
  });
}

/** Requests per path: {path: {count, bytes}}, and the total bytes. */
function tally(requests) {
  const byPath = {};
  let total = 0;
  for (const { path, bytes } of requests) {
    const entry = (byPath[path] ||= { count: 0, bytes: 0 });
    entry.count++;
    entry.bytes += bytes;
    total += bytes;
  }
  return { byPath, total };
}

module.exports = { startCountingProxy, tally };
