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
// Word mode (the first call fetches the word model and the word list: "wordsprogress" events):
//   recognizer.addEventListener("wordsprogress", (event) => show(event.detail)); // {loaded, total}
//   const { characters, lexicon_words } = await recognizer.loadWords();
//   const word = await recognizer.readWord(pixels, width, height, "all"); // null: superseded
//   const again = await recognizer.rereadWord(word.id, "lower");          // null: gone
//   await recognizer.setPersonalWords([["Zorblat", 2]]);                  // {personal: 1}
//   const layers = await recognizer.inspectWord(word.id);                 // null: gone
//
// A set is a pycnn.read.charsets name ("all", "digits", "upper", "lower", "letters", "symbols",
// "alnum") or the characters themselves. `reread` reads the drawing the worker read last
// under another set from the scores it kept, without running the network again.
//
// Latest drawing wins: at most one recognition is in the worker and one waits; a newer call
// replaces the waiting one, and a result is only delivered if no newer call (and no
// `discard()`) came after it. Every other result resolves to null, so a stale answer is
// never shown as the current one, and a fast writer never builds a queue. Words follow the
// same rule on their own (`readWord`, `discardWord()`): a word and a character never
// supersede each other.
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
    // The same for words: {waiting, inFlight, generation}, bumped by readWord and discardWord.
    this.words = { waiting: null, inFlight: false, generation: 0 };
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
      this.sendWaitingWord();
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

  /** True when no word reading is waiting or in the worker. */
  get wordIdle() {
    return !this.words.inFlight && !this.words.waiting;
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

  // --- Word mode ------------------------------------------------------------------------
  /** Load the word reader: the first call has the worker fetch the word model, the word list
   * and the word modules (progress: "wordsprogress" events, detail {loaded, total} bytes);
   * later calls cost nothing. Resolves to {characters: [...], lexicon_words, columns_per_frame,
   * personal}; rejects with a sentence when the files cannot be fetched (a later call tries
   * again). The word requests below load it themselves if needed. */
  async loadWords() {
    return (await this.request("words_load")).reply;
  }

  /** Read the word pad's RGBA pixels (a Uint8ClampedArray or Uint8Array whose buffer is
   * handed to the worker) within character set `set`. Resolves to {id, empty, too_long,
   * message: a sentence when too_long | null, raw, spans, words: [[word, score], ...] (best
   * first, at most 3), kinds, word_spans, frames, frame_confidence, columns_per_frame, unsure,
   * set, pad: {x0, dx} | null (frame t lies over pad pixels x0 + t*dx to x0 + (t+1)*dx),
   * input_shape: [32, W] | null, input: Float32Array | null, ms}, or to null when a newer
   * readWord (or discardWord) replaced it. docs/worker-protocol.md has every field. */
  readWord(pixels, width, height, set = "all") {
    if (this.failure) return Promise.reject(this.failure);
    const lane = this.words;
    lane.generation++;
    if (lane.waiting) lane.waiting.resolve(null);
    return new Promise((resolve, reject) => {
      lane.waiting = { pixels, width, height, set, resolve, reject };
      this.sendWaitingWord();
    });
  }

  /** Word reading `id` decoded again within set `set` from the frames the worker kept: no
   * second pass. Resolves to {id, ...the fields of readWord but input, ms}, or to null when
   * `id` is no longer the latest word read with ink or a newer readWord came meanwhile. */
  async rereadWord(id, set) {
    const generation = this.words.generation;
    const { reply, ms } = await this.request("words_reread", { recognition: id, set });
    return reply.words && generation === this.words.generation ? { id, ...reply, ms } : null;
  }

  /** Replace the personal words, [[word, count], ...] (at most 10,000; a word is 1 to 64
   * printable characters without spaces, a count a whole number from 1): the reader prefers
   * them from the next reading on. Resolves to {personal: how many}; a bad list rejects
   * with a sentence and changes nothing. */
  async setPersonalWords(list) {
    return (await this.request("words_personal", { words: list })).reply;
  }

  /** Every layer's output for word reading `id`, then its per-frame probabilities (blank
   * first) within `set`: {layout: [{index, name, shape, offset}], values: Float32Array}, or
   * null if `id` is no longer the latest word read with ink. */
  async inspectWord(id, set = "all") {
    const { reply, data } = await this.request("words_inspect", { recognition: id, set });
    return reply.layout && { layout: reply.layout, values: new Float32Array(data) };
  }

  /** The word pad changed in a way no readWord will follow: the word reading waiting or in
   * the worker is stale (resolves to null). */
  discardWord() {
    const lane = this.words;
    lane.generation++;
    if (lane.waiting) lane.waiting.resolve(null);
    lane.waiting = null;
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

  sendWaitingWord() {
    const lane = this.words;
    if (!this.loaded || lane.inFlight || !lane.waiting) return;
    const { pixels, width, height, set, resolve, reject } = lane.waiting;
    const generation = lane.generation;
    lane.waiting = null;
    lane.inFlight = true;
    const done = () => {
      lane.inFlight = false;
      this.sendWaitingWord();
      return generation === lane.generation; // false: a newer reading came meanwhile
    };
    this.request("words_read", { width, height, set }, pixels.buffer).then(
      ({ id, reply, data, ms }) => resolve(done() ? { id, ...reply, input: data && new Float32Array(data), ms } : null),
      (error) => (done() ? reject(error) : resolve(null)),
    );
  }

  onMessage(message) {
    if (message.type === "progress") {
      const { type, ...detail } = message; // {step, steps, label, loaded, total}
      this.dispatchEvent(new CustomEvent("progress", { detail }));
    } else if (message.type === "words_progress") {
      this.dispatchEvent(new CustomEvent("wordsprogress", { detail: { loaded: message.loaded, total: message.total } }));
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
    if (this.words.waiting) this.words.waiting.reject(error);
    this.words.waiting = null;
    if (this.loaded) this.dispatchEvent(new CustomEvent("error", { detail: error }));
  }
}
