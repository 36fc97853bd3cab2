// The worker protocol's client (web/recognizer-client.js) in Chromium, against a stand-in
// worker that speaks the protocol of web/worker.js without Pyodide: it answers a recognition
// with the first pixel's value as the label, so each answer says which drawing it is for, and
// a re-read of the latest recognition with the set's name as the label.
const { test, expect, checkHygieneOfEachTest } = require("./helpers");

checkHygieneOfEachTest(test);

const STAND_IN_WORKER = `
let recognitions = 0;
let latest = null; // the id of the latest recognition, the only one a re-read can read
postMessage({ type: "progress", step: 1, steps: 1, label: "Loading", loaded: 5, total: 10 });
postMessage({ type: "ready" });
self.onmessage = ({ data: message }) => {
  const { type, id, data } = message;
  const reply = (reply, payload = null) =>
    postMessage({ type: "reply", id, reply, data: payload, ms: 1 }, payload ? [payload] : []);
  if (type === "info") {
    reply({ labels: ["a", "b"], network: { layers: [] }, filters: { index: 0, shape: [2] } },
      new Float32Array([0.5, -2]).buffer);
  } else if (type === "recognise") {
    recognitions++;
    latest = id;
    const first = new Uint8Array(data)[0];
    if (first === 255) {
      postMessage({ type: "error", id, message: "ValueError: no", detail: "Traceback: ValueError: no" });
    } else {
      reply({ empty: false, top5: [[String(first), 1]], set: message.set, lookalikes: null,
        input_shape: [1], width: message.width, recognitions }, new Float32Array([first / 10]).buffer);
    }
  } else if (type === "reread") {
    const top5 = message.recognition === latest ? [[message.set, 1]] : null;
    reply({ top5, set: message.set, lookalikes: null });
  } else if (type === "check_set") {
    reply({ set: message.set, size: message.set.length, error: message.set ? null : "it is empty" });
  } else if (type === "inspect") {
    if (message.recognition % 2) reply({ layout: null });
    else reply({ layout: [{ index: 0, name: "X", shape: [2], offset: 0 }] }, new Float32Array([1, 2]).buffer);
  }
};
`;

const FAILING_WORKER = `
postMessage({ type: "error", id: null, message: "NumPy did not load", detail: "the whole story" });
`;

/** A blank page of the site's origin (so the module imports), without the page's CSP (so a
 * blob: worker may start), that runs `body(RecognizerClient, workerUrl)` and returns its value. */
async function withClient(page, workerSource, body) {
  await page.route("**/client-test.html", (route) =>
    route.fulfill({ contentType: "text/html", body: "<!doctype html><title>client</title>" }));
  await page.goto("./client-test.html");
  return page.evaluate(async ([source, bodyText]) => {
    const { RecognizerClient } = await import("./recognizer-client.js");
    const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
    return new Function("RecognizerClient", "url", `return (${bodyText})(RecognizerClient, url);`)(
      RecognizerClient, url);
  }, [workerSource, body.toString()]);
}

test("the latest drawing wins: superseded recognitions resolve to null, unsent ones are never sent", async ({ page }) => {
  const out = await withClient(page, STAND_IN_WORKER, async (RecognizerClient, url) => {
    const client = new RecognizerClient(url);
    const progress = [];
    client.addEventListener("progress", (event) => progress.push(event.detail));
    const pixels = (value) => new Uint8ClampedArray([value, 0, 0, 0]);
    // Asked for before the worker is ready: only the last one waits, then goes.
    const early = [client.recognise(pixels(1), 1, 1), client.recognise(pixels(2), 1, 1)];
    const info = await client.ready;
    const beforeReady = await Promise.all(early);
    // One in the worker, one waiting; a third replaces the waiting one.
    const calls = [1, 2, 3].map((v) => client.recognise(pixels(10 + v), 7, 1));
    const busy = !client.idle;
    const raced = await Promise.all(calls);
    // discard() drops what is under way; a later drawing is read as usual.
    const dropped = client.recognise(pixels(20), 1, 1);
    client.discard();
    const afterDiscard = await dropped;
    const last = await client.recognise(pixels(30), 1, 1);
    return {
      progress, info: { ...info, filters: { ...info.filters, values: Array.from(info.filters.values) } },
      beforeReady: beforeReady.map((r) => r && r.top5[0][0]),
      busy, raced: raced.map((r) => r && { label: r.top5[0][0], width: r.width, seen: r.recognitions }),
      afterDiscard, last: { ...last, input: Array.from(last.input) }, idle: client.idle,
    };
  });
  expect(out.progress).toEqual([{ step: 1, steps: 1, label: "Loading", loaded: 5, total: 10 }]);
  expect(out.info).toEqual({ labels: ["a", "b"], network: { layers: [] },
    filters: { index: 0, shape: [2], values: [0.5, -2] } });
  expect(out.beforeReady).toEqual([null, "2"]);
  expect(out.busy).toBe(true);
  // 11 was in the worker when 12 and 13 came: stale. 12 was replaced before it went.
  // The worker read 2 (before ready), 11 and 13 only: three recognitions.
  expect(out.raced).toEqual([null, null, { label: "13", width: 7, seen: 3 }]);
  expect(out.afterDiscard).toBeNull();
  expect(out.last.top5).toEqual([["30", 1]]);
  expect(out.last.input[0]).toBeCloseTo(3, 5);
  expect(typeof out.last.id).toBe("number");
  expect(out.idle).toBe(true);
});

test("errors reject the request they belong to, and inspect decodes float32 layers", async ({ page }) => {
  const out = await withClient(page, STAND_IN_WORKER, async (RecognizerClient, url) => {
    const client = new RecognizerClient(url);
    await client.ready;
    const pixels = (value) => new Uint8ClampedArray([value, 0, 0, 0]);
    let error = null;
    try {
      await client.recognise(pixels(255), 1, 1);
    } catch (e) {
      error = { name: e.name, message: e.message, detail: e.detail };
    }
    // An error for a drawing already replaced is not news: it resolves to null.
    const staleError = client.recognise(pixels(255), 1, 1);
    const next = client.recognise(pixels(4), 1, 1);
    const results = [await staleError, (await next).top5];
    const layers = await client.inspect(2);
    const gone = await client.inspect(3);
    return { error, results, layers: { layout: layers.layout, values: Array.from(layers.values) }, gone };
  });
  expect(out.error).toEqual({ name: "RecognizerError", message: "ValueError: no",
    detail: "Traceback: ValueError: no" });
  expect(out.results).toEqual([null, [["4", 1]]]);
  expect(out.layers).toEqual({ layout: [{ index: 0, name: "X", shape: [2], offset: 0 }], values: [1, 2] });
  expect(out.gone).toBeNull();
});

test("reread reads the latest drawing within another set; a changed drawing makes it null", async ({ page }) => {
  const out = await withClient(page, STAND_IN_WORKER, async (RecognizerClient, url) => {
    const client = new RecognizerClient(url);
    await client.ready;
    const pixels = (value) => new Uint8ClampedArray([value, 0, 0, 0]);
    const first = await client.recognise(pixels(1), 1, 1, "digits");
    const again = await client.reread(first.id, "upper");
    // A new stroke began while the re-read was in the worker: its answer is stale.
    const racing = client.reread(first.id, "lower");
    client.discard();
    const raced = await racing;
    // A newer recognition in the worker: the first can't be re-read any more.
    const second = await client.recognise(pixels(2), 1, 1);
    const old = await client.reread(first.id, "upper");
    const checks = [await client.checkSet("0123"), await client.checkSet("")];
    return { first: first.set, again, id: first.id, raced, second: second.set, old, checks };
  });
  expect(out.first).toBe("digits");
  expect(out.again).toEqual({ id: out.id, top5: [["upper", 1]], set: "upper", lookalikes: null, ms: 1 });
  expect(out.raced).toBeNull();
  expect(out.second).toBe("all"); // the set a recognition is read within unless told
  expect(out.old).toBeNull();
  expect(out.checks).toEqual([{ set: "0123", size: 4, error: null }, { set: "", size: 0, error: "it is empty" }]);
});

test("a worker that cannot start rejects ready and every later call", async ({ page }) => {
  const out = await withClient(page, FAILING_WORKER, async (RecognizerClient, url) => {
    const client = new RecognizerClient(url);
    const waiting = client.recognise(new Uint8ClampedArray(4), 1, 1);
    const outcome = (promise) => promise.then(() => "resolved", (e) => e.message);
    return {
      ready: await outcome(client.ready),
      waiting: await outcome(waiting),
      later: await outcome(client.recognise(new Uint8ClampedArray(4), 1, 1)),
      inspect: await outcome(client.inspect(1)),
    };
  });
  expect(out).toEqual({ ready: "NumPy did not load", waiting: "NumPy did not load",
    later: "NumPy did not load", inspect: "NumPy did not load" });
});
