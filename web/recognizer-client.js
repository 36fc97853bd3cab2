// The page's side of the worker protocol (the worker is web/worker.js, the Python it calls
// pycnn/page/api.py). One object starts the worker and turns its messages into promises:
//
//   const recognizer = new RecognizerClient(new URL("./worker.js", import.meta.url));
//   recognizer.addEventListener("progress", (event) => show(event.detail));
//   const { labels, network, filters, sets } = await recognizer.ready;
//   recognizer.kept.then(registerServiceWorker);  // the worker's downloads are in the cache
//   const result = await recognizer.recognise(pixels, width, height, "digits"); // null: superseded
//   const again = await recognizer.reread(result.id, "upper");  // same drawing, another set
//   const layers = await recognizer.inspect(result.id, "upper");                // null: gone
//   const { error } = await recognizer.checkSet("0123456789ABCDEF");  // error: a sentence | null
//
// A set is a pycnn.read.charsets name ("all", "digits", "upper", "lower", "letters", "symbols",
// "alnum") or the characters themselves. `reread` reads the drawing the worker read last
// under another set from the scores it kept, without running the network again.
//
// Latest drawing wins: at most one recognition is in the worker and one waits; a newer call
// replaces the waiting one, and a result is only delivered if no newer call (and no
// `discard()`) came after it. Every other result resolves to null, so a stale answer is
// never shown as the current one, and a fast writer never builds a queue.
//
// Adding a request type: a method here that calls `this.request(type, fields, data)` and
// decodes its reply, and the Python side in pycnn/page/api.py. The worker needs no change.

export class RecognizerError extends Error {
  constructor(message, detail) {
    super(message);
    this.name = "RecognizerError";
    this.detail = detail || message;
  }
}

export class RecognizerClient extends EventTarget {
  constructor(workerUrl) {
    super();
    this.worker = new Worker(workerUrl);
    this.nextId = 1;
    this.replies = new Map(); // request id -> {resolve, reject}
    this.waiting = null; // the recognition not sent yet: {pixels, width, height, set, resolve, reject}
    this.inFlight = false;
    this.generation = 0; // bumped by every recognise() and discard(): older answers are stale
    this.loaded = false; // the worker has loaded and the model's description has arrived
    this.failure = null; // set once the worker could not start or died: every call fails
    const started = new Promise((resolve, reject) => {
      this.onStarted = resolve; // the worker said "ready"
      this.onStartFailed = reject;
    });
    // {labels, network, filters: {index, shape, values: Float32Array} | null,
    //  sets: {name: {set, size, error}}}
    this.ready = started.then(() => this.request("info")).then(({ reply, data }) => {
      this.loaded = true;
      this.sendWaiting();
      const { filters } = reply;
      return { ...reply, filters: filters && { ...filters, values: new Float32Array(data) } };
    });
    this.ready.catch(() => {}); // callers see the rejection; no unhandled-rejection warning
    // Resolves once the worker has put what it downloaded into the offline cache: the time to
    // register the service worker, whose install then downloads only what is missing.
    this.kept = new Promise((resolve) => {
      this.onKept = resolve;
    });
    this.worker.addEventListener("message", (event) => this.onMessage(event.data));
    this.worker.addEventListener("error", (event) => {
      event.preventDefault();
      this.fail(new RecognizerError(event.message || "its script failed to load"));
    });
  }

  /** True when no recognition is waiting or in the worker. */
  get idle() {
    return !this.inFlight && !this.waiting;
  }

  /** Read RGBA canvas pixels (a Uint8ClampedArray or Uint8Array whose buffer is handed to
   * the worker) within character set `set`. Resolves to {id, empty, top5: [[label, p], ...],
   * set, lookalikes: {labels, sets} | null, input: Float32Array(784) | null, ms}, or to null
   * when a newer drawing replaced this one. */
  recognise(pixels, width, height, set = "all") {
    if (this.failure) return Promise.reject(this.failure);
    this.generation++;
    if (this.waiting) this.waiting.resolve(null);
    return new Promise((resolve, reject) => {
      this.waiting = { pixels, width, height, set, resolve, reject };
      this.sendWaiting();
    });
  }

  /** Recognition `id` read again within set `set`, from the scores the worker kept: no
   * second pass. Resolves to {id, top5, set, lookalikes, ms}, or to null when `id` is no
   * longer the latest recognition with ink or the drawing changed meanwhile. */
  async reread(id, set) {
    const generation = this.generation;
    const { reply, ms } = await this.request("reread", { recognition: id, set });
    return reply.top5 && generation === this.generation ? { id, ...reply, ms } : null;
  }

  /** Whether this model can read set `set`: {set, size, error: a sentence | null}. */
  async checkSet(set) {
    return (await this.request("check_set", { set })).reply;
  }

  /** The drawing changed in a way no recognition will follow (a new stroke began, or the
   * pad was cleared): whatever is waiting or in the worker is stale. */
  discard() {
    this.generation++;
    if (this.waiting) this.waiting.resolve(null);
    this.waiting = null;
  }

  /** Every layer's output for recognition `id`, the probabilities read within `set`:
   * {layout: [{index, name, shape, offset}], values: Float32Array, inSet: [bool per label]},
   * or null if `id` is no longer the latest recognition with ink. */
  async inspect(id, set = "all") {
    const { reply, data } = await this.request("inspect", { recognition: id, set });
    return reply.layout && { layout: reply.layout, values: new Float32Array(data), inSet: reply.in_set };
  }

  /** Send one request of `type` (a request in pycnn/page/api.py) with `fields` (anything
   * JSON can carry, but not the names type, id or data) and one ArrayBuffer `data`, which is
   * transferred. Resolves to the worker's reply message {id, reply, data, ms}. */
  request(type, fields = {}, data = null) {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.replies.set(id, { resolve, reject });
      this.worker.postMessage({ type, id, ...fields, data }, data ? [data] : []);
    });
  }

  // -------------------------------------------------------------------------------------
  sendWaiting() {
    if (!this.loaded || this.inFlight || !this.waiting) return;
    const { pixels, width, height, set, resolve, reject } = this.waiting;
    const generation = this.generation;
    this.waiting = null;
    this.inFlight = true;
    const done = () => {
      this.inFlight = false;
      this.sendWaiting();
      return generation === this.generation; // false: a newer drawing came meanwhile
    };
    this.request("recognise", { width, height, set }, pixels.buffer).then(
      ({ id, reply, data, ms }) => resolve(done() ? { id, ...reply, input: data && new Float32Array(data), ms } : null),
      (error) => (done() ? reject(error) : resolve(null)),
    );
  }

  onMessage(message) {
    if (message.type === "progress") {
      const { type, ...detail } = message; // {step, steps, label, loaded, total}
      this.dispatchEvent(new CustomEvent("progress", { detail }));
    } else if (message.type === "ready") {
      this.startup = message.startup; // when each start-up phase ended, for bench/
      this.onStarted();
    } else if (message.type === "kept") {
      this.onKept();
    } else if (message.type === "reply" || message.type === "error") {
      const pending = this.replies.get(message.id);
      if (message.id === null) {
        this.fail(new RecognizerError(message.message, message.detail));
      } else if (pending) {
        this.replies.delete(message.id);
        if (message.type === "reply") pending.resolve(message);
        else pending.reject(new RecognizerError(message.message, message.detail));
      }
    }
  }

  /** The worker could not start or died: every promise that waits on it fails. */
  fail(error) {
    this.failure = error;
    this.onStartFailed(error);
    for (const { reject } of this.replies.values()) reject(error);
    this.replies.clear();
    if (this.waiting) this.waiting.reject(error);
    this.waiting = null;
    if (this.loaded) this.dispatchEvent(new CustomEvent("error", { detail: error }));
  }
}
