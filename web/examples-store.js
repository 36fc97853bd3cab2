// Where personal examples live: IndexedDB, on this device only (nothing is ever sent
// anywhere). When the browser gives the page no IndexedDB (some private modes, blocked
// storage), the same store keeps them in memory for the visit and says so (`persistent`).
//
//   const store = await openExamplesStore();
//   store.persistent          // false: nothing will be kept after this visit (store.reason says why)
//   const id = await store.add(example);        // {label, strokes, pad_side, created, input, source}
//   await store.addAll(examples);               // one transaction: all of them or none
//   (await store.list())                        // every record, oldest first, each with its id
//   await store.delete(id); await store.clear();
//   await store.putModel({name: "mine", bytes, labels, saved}); await store.getModel("mine");
//
// A write the device has no room for (QuotaExceededError) rejects with a StoreError whose
// sentence says so; the transaction is aborted, so nothing that was stored is lost, and the
// caller still holds the example it tried to add.

const DB_NAME = "pycnn";
const DB_VERSION = 1;
const STORE = "examples";
// The personal model's file (pycnn/page/api.py's model_export bytes), under the name "mine":
// made with the database so that keeping the model later needs no upgrade of it.
const MODELS = "models";

export class StoreError extends Error {
  constructor(message, { quota = false } = {}) {
    super(message);
    this.name = "StoreError";
    this.quota = quota;
  }
}

function isQuota(error) {
  return !!error && (error.name === "QuotaExceededError" || error.code === 22);
}

function storeError(error, doing) {
  if (isQuota(error)) {
    return new StoreError(`This device has no room left for ${doing}: nothing was changed. ` +
      "Delete some examples, or free space in the browser's storage, and try again.", { quota: true });
  }
  return new StoreError(`The examples could not be saved (${(error && error.message) || "unknown error"}); nothing was changed.`);
}

/** A request's result as a promise (Your words, web/personal-words.js, uses it too). */
export function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** A transaction's end as a promise: resolves on commit, rejects on abort or error. */
export function committed(transaction) {
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    transaction.onabort = () => reject(transaction.error || new DOMException("aborted", "AbortError"));
    transaction.onerror = (event) => event.preventDefault(); // reported once, by onabort
  });
}

class IndexedDbStore {
  constructor(db) {
    this.db = db;
    this.persistent = true;
    this.reason = null;
  }

  async list() {
    const transaction = this.db.transaction(STORE, "readonly");
    return done(transaction.objectStore(STORE).getAll());
  }

  async add(example) {
    return (await this.addAll([example]))[0];
  }

  async addAll(examples, doing = "these examples") {
    let transaction;
    try {
      transaction = this.db.transaction(STORE, "readwrite");
    } catch (error) {
      throw storeError(error, doing);
    }
    const ending = committed(transaction);
    ending.catch(() => {}); // awaited below, or dropped for the error that aborted it
    const objects = transaction.objectStore(STORE);
    const ids = [];
    try {
      for (const example of examples) {
        const { id, ...record } = example;
        objects.add(record).onsuccess = (event) => ids.push(event.target.result);
      }
    } catch (error) {
      // A record the browser refuses at once (it could not be cloned, no room): none is kept.
      transaction.abort();
      throw storeError(error, examples.length === 1 ? "this example" : doing);
    }
    try {
      await ending;
    } catch (error) {
      throw storeError(error, examples.length === 1 ? "this example" : doing);
    }
    return ids;
  }

  async delete(id) {
    const transaction = this.db.transaction(STORE, "readwrite");
    transaction.objectStore(STORE).delete(id);
    await committed(transaction);
  }

  async clear() {
    const transaction = this.db.transaction(STORE, "readwrite");
    transaction.objectStore(STORE).clear();
    await committed(transaction);
  }

  /** The kept model called `name` ({name, bytes: ArrayBuffer, labels, saved}), or null. */
  async getModel(name) {
    const record = await done(this.db.transaction(MODELS, "readonly").objectStore(MODELS).get(name));
    return record || null;
  }

  async putModel(record) {
    const transaction = this.db.transaction(MODELS, "readwrite");
    const ending = committed(transaction);
    try {
      transaction.objectStore(MODELS).put(record);
      await ending;
    } catch (error) {
      ending.catch(() => {});
      throw storeError(error, "your model");
    }
  }

  async deleteModel(name) {
    const transaction = this.db.transaction(MODELS, "readwrite");
    transaction.objectStore(MODELS).delete(name);
    await committed(transaction);
  }
}

/** The same interface in memory: kept for this visit only. */
class MemoryStore {
  constructor(reason) {
    this.records = new Map();
    this.models = new Map();
    this.nextId = 1;
    this.persistent = false;
    this.reason = reason;
  }

  async list() {
    return [...this.records.values()].map((record) => ({ ...record }));
  }

  async add(example) {
    return (await this.addAll([example]))[0];
  }

  async addAll(examples) {
    return examples.map((example) => {
      const id = this.nextId++;
      this.records.set(id, { ...example, id });
      return id;
    });
  }

  async delete(id) {
    this.records.delete(id);
  }

  async clear() {
    this.records.clear();
  }

  async getModel(name) {
    return this.models.get(name) || null;
  }

  async putModel(record) {
    this.models.set(record.name, record);
  }

  async deleteModel(name) {
    this.models.delete(name);
  }
}

function openDatabase() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, DB_VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains(STORE)) {
        db.createObjectStore(STORE, { keyPath: "id", autoIncrement: true });
      }
      if (!db.objectStoreNames.contains(MODELS)) db.createObjectStore(MODELS, { keyPath: "name" });
    };
    request.onsuccess = () => {
      const db = request.result;
      db.onversionchange = () => db.close(); // a newer page in another tab needs the upgrade
      resolve(db);
    };
    request.onerror = () => reject(request.error);
    request.onblocked = () => reject(new Error("another tab holds an older copy of the page's storage open"));
  });
}

/** The examples store: IndexedDB when the browser allows it, otherwise memory for the visit. */
export async function openExamplesStore() {
  try {
    if (typeof indexedDB === "undefined" || !indexedDB) throw new Error("this browser has no IndexedDB");
    const db = await openDatabase();
    // A test of the store itself: some private modes open a database and then refuse writes.
    await done(db.transaction(STORE, "readonly").objectStore(STORE).count());
    return new IndexedDbStore(db);
  } catch (error) {
    return new MemoryStore((error && error.message) || String(error));
  }
}
