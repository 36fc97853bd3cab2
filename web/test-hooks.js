// What the end-to-end tests (tests/e2e) and the page benchmarks (bench/) read from the page,
// as window.pycnnTest. web/app.js installs it only when a test set window.pycnnTestHooks
// before the page loaded (tests/e2e/helpers.js does, with Playwright's addInitScript), so a
// visitor's page keeps none of it: the copy of every recognition's pixels alone is 1.25 MB a
// stroke on a 560×560 pad.

/** Base64 of a byte array, in chunks small enough for String.fromCharCode's arguments. */
function toBase64(bytes) {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}

/** recognizer: the RecognizerClient; inside: the InsideView; pad: the canvas; settled,
 * strokeCount, padInfo, readAs: the app's own answers to those questions. Returns the
 * recorder the app calls: sending(pixels, width, height), shown(result, strokeEndedAt),
 * insideRendered(id, activations). */
export function installTestHooks({ recognizer, inside, pad, settled, strokeCount, padInfo, readAs }) {
  let lastSent = null; // {width, height, pixels}: a copy, as the client hands the buffer on
  let lastResult = null;
  let shownActivations = null; // {id, layout, values} of the open panel
  let info = null; // {labels, network}
  let readyAt = null;
  let lastPointerType = null;
  let inspectRequests = 0;
  let rereadRequests = 0;
  let recognitionsSent = 0;
  const latencies = []; // {id, dom, painted, inside, insideOpen, strokeEndedAt}
  // Main-thread long tasks (> 50 ms), and when strokes were being drawn: a long task during
  // a stroke is a stutter under the pen.
  const longTasks = []; // {start, duration}
  const strokeWindows = []; // {start, end}
  if (typeof PerformanceObserver === "function" &&
      (PerformanceObserver.supportedEntryTypes || []).includes("longtask")) {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) longTasks.push({ start: entry.startTime, duration: entry.duration });
    }).observe({ type: "longtask", buffered: true });
  }
  pad.addEventListener("pointerdown", () => strokeWindows.push({ start: performance.now(), end: null }));
  const endWindow = () => {
    const open = strokeWindows[strokeWindows.length - 1];
    if (open && open.end === null) open.end = performance.now();
  };
  pad.addEventListener("pointerup", endWindow);
  pad.addEventListener("pointercancel", endWindow);
  const progressLog = [];

  recognizer.addEventListener("progress", (event) => progressLog.push(event.detail));
  recognizer.ready.then((ready) => {
    readyAt = performance.now();
    info = ready;
  }, () => {});
  pad.addEventListener("pointerdown", (event) => {
    lastPointerType = event.pointerType;
  });
  const inspect = recognizer.inspect.bind(recognizer);
  recognizer.inspect = (...args) => {
    inspectRequests++;
    return inspect(...args);
  };
  const reread = recognizer.reread.bind(recognizer);
  recognizer.reread = (...args) => {
    rereadRequests++;
    return reread(...args);
  };

  window.pycnnTest = {
    // The exact pixels of the last recognition sent, for CPython to read the same drawing.
    lastPixels: () =>
      lastSent && { width: lastSent.width, height: lastSent.height, base64: toBase64(lastSent.pixels) },
    lastResult: () => lastResult && { ms: lastResult.ms, unsure: lastResult.unsure, top5: lastResult.top5 },
    // Stroke end -> answer in the DOM, -> the frame that paints it, -> the open panel drawn.
    latencies: () => latencies.map(({ id, dom, painted, inside: drawn, insideOpen }) =>
      ({ id, dom, painted, inside: drawn, insideOpen })),
    // The Look inside panel: the float32 output of trace entry `index` (default: the first
    // convolution) for the drawing it shows, whether that is the drawing on the pad, and how
    // often it asked the worker for layers.
    lastActivations: (index) => {
      if (!shownActivations) return null;
      const layer = index ?? info.network.layers.find((l) => l.name === "Conv2D").index;
      const { id, layout, values } = shownActivations;
      const entry = layout.find((e) => e.index === layer);
      const size = entry.shape.reduce((a, b) => a * b, 1);
      const floats = values.slice(entry.offset, entry.offset + size);
      return { id, name: entry.name, shape: entry.shape, base64: toBase64(new Uint8Array(floats.buffer)) };
    },
    insideCurrent: () => inside.isCurrent(),
    // Long tasks that overlapped a stroke, and the longest task seen at all (ms).
    longTasksWhileDrawing: () => longTasks.filter((task) => strokeWindows.some((w) =>
      task.start < (w.end ?? Infinity) && task.start + task.duration > w.start)),
    longestTask: () => longTasks.reduce((most, task) => Math.max(most, task.duration), 0),
    longTaskSupported: () => (PerformanceObserver.supportedEntryTypes || []).includes("longtask"),
    strokesDrawn: () => strokeWindows.length,
    strokeWindows: () => strokeWindows.map((w) => ({ ...w })),
    inspectRequests: () => inspectRequests,
    // How often the network ran on a drawing, and how often an answer was read again
    // within another set from the kept scores (no network).
    recognitionsSent: () => recognitionsSent,
    rereadRequests: () => rereadRequests,
    readAs,
    labels: () => info && info.labels,
    progressLog: () => progressLog.slice(),
    readyAt: () => readyAt,
    // The worker's start-up phases, [[name, ms since this page's timeOrigin], ...], the page's
    // own first (the worker's script requested), and the resources the page fetched.
    startup: () => {
      const { timeOrigin, marks } = recognizer.startup || { timeOrigin: 0, marks: [] };
      const shift = timeOrigin - performance.timeOrigin;
      return marks.map(([name, ms]) => [name, ms + shift]).concat([["ready", readyAt]]);
    },
    lastPointerType: () => lastPointerType,
    settled,
    strokeCount,
    padInfo,
  };

  return {
    sending(pixels, width, height) {
      recognitionsSent++;
      lastSent = { width, height, pixels: pixels.slice() };
    },
    shown(result, strokeEndedAt) {
      lastResult = result;
      if (strokeEndedAt === null) return;
      const entry = {
        id: result.id,
        dom: performance.now() - strokeEndedAt,
        painted: null, // in the next frame, which paints the answer
        inside: null, // when the open Look inside panel has drawn this recognition
        insideOpen: inside.open,
        strokeEndedAt,
      };
      latencies.push(entry);
      requestAnimationFrame(() => {
        entry.painted = performance.now() - strokeEndedAt;
      });
    },
    insideRendered(id, activations) {
      shownActivations = { id, ...activations };
      const entry = latencies.find((e) => e.id === id);
      if (entry && entry.inside === null) entry.inside = performance.now() - entry.strokeEndedAt;
    },
  };
}
