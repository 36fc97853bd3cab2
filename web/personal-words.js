// Your words: the words Word mode was corrected to with "Not right?", each with how often,
// kept in IndexedDB on this device only (never sent anywhere) and handed to the word reader
// (setPersonalWords), which then prefers them. A database of its own ("pycnn-words"), so the
// examples' database (web/examples-store.js) needs no upgrade for it.
//
//   const words = await openPersonalWords();
//   words.persistent            // false: kept for this visit only (words.reason says why)
//   words.setAside              // records found unreadable at opening, moved aside (a count)
//   words.list()                // [[word, count], ...], by word
//   await words.add("zorp")     // its new count
//   await words.remove("zorp"); await words.merge([[word, count], ...]);
//   words.addEventListener("change", ...)   // after add, remove or merge: tell the reader
//
// Storage is read as hostile: a record that is not a word this page would have kept (another
// version's, or damaged) is moved to the "set_aside" store, not deleted, and not used; the
// rest keep working.

import { LIMITS, wordProblem } from "./examples-file.js";
import { committed, done } from "./examples-store.js";

const DB_NAME = "pycnn-words";
const DB_VERSION = 1;
const WORDS = "words"; // {word, count}, keyed by word
const ASIDE = "set_aside"; // {record, reason, when}: what could not be read, kept for a person

export class WordStoreError extends Error {
  constructor(message) {
    super(message);
    this.name = "WordStoreError";
  }
}

function saveError(error) {
  const quota = error && (error.name === "QuotaExceededError" || error.code === 22);
  return new WordStoreError(quota
    ? "This device has no room left for your words: nothing was changed."
    : `Your words could not be saved (${(error && error.message) || "unknown error"}); nothing was changed.`);
}

/** Why a stored record can't be used (a sentence), or null. */
function recordProblem(record) {
  if (record === null || typeof record !== "object") return "it is not a record";
  const problem = wordProblem(record.word);
  if (problem) return problem;
  if (!Number.isInteger(record.count) || record.count < 1 || record.count > LIMITS.wordCount) {
    return "its count is not a whole number from 1 to " + LIMITS.wordCount;
  }
  return null;
}

class PersonalWords extends EventTarget {
  constructor(db, reason = null) {
    super();
    this.db = db; // null: memory only
    this.persistent = db !== null;
    this.reason = reason;
    this.counts = new Map();
    this.setAside = 0;
  }

  list() {
    return [...this.counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  get size() {
    return this.counts.size;
  }

  /** Read every record; move the unusable ones aside. */
  async load() {
    if (!this.db) return;
    const records = await done(this.db.transaction(WORDS, "readonly").objectStore(WORDS).getAll());
    const bad = [];
    for (const record of records) {
      const problem = recordProblem(record);
      if (problem || this.counts.size >= LIMITS.words) {
        bad.push({ record, reason: problem || "more words than the page keeps" });
      } else {
        this.counts.set(record.word, record.count);
      }
    }
    if (!bad.length) return;
    const transaction = this.db.transaction([WORDS, ASIDE], "readwrite");
    const ending = committed(transaction);
    const when = new Date().toISOString();
    for (const { record, reason } of bad) {
      // The record's own key: a damaged record may have lost its word.
      transaction.objectStore(ASIDE).add({ record, reason, when });
    }
    const keys = await done(transaction.objectStore(WORDS).getAllKeys());
    for (const key of keys) {
      if (!this.counts.has(key)) transaction.objectStore(WORDS).delete(key);
    }
    await ending;
    this.setAside = bad.length;
  }

  async put(entries) {
    if (!this.db) return;
    let transaction;
    try {
      transaction = this.db.transaction(WORDS, "readwrite");
      const ending = committed(transaction);
      ending.catch(() => {});
      const store = transaction.objectStore(WORDS);
      for (const [word, count] of entries) store.put({ word, count });
      await ending;
    } catch (error) {
      if (transaction) try { transaction.abort(); } catch { /* already over */ }
      throw saveError(error);
    }
  }

  /** One more use of `word` (checked by the caller with wordProblem): its new count. */
  async add(word) {
    const problem = wordProblem(word);
    if (problem) throw new WordStoreError(problem);
    if (!this.counts.has(word) && this.counts.size >= LIMITS.words) {
      throw new WordStoreError(`You have ${LIMITS.words} words, the most the page keeps: delete some first.`);
    }
    const count = Math.min(LIMITS.wordCount, (this.counts.get(word) || 0) + 1);
    await this.put([[word, count]]);
    this.counts.set(word, count);
    this.dispatchEvent(new Event("change"));
    return count;
  }

  async remove(word) {
    if (this.db) {
      const transaction = this.db.transaction(WORDS, "readwrite");
      transaction.objectStore(WORDS).delete(word);
      await committed(transaction);
    }
    this.counts.delete(word);
    this.dispatchEvent(new Event("change"));
  }

  /** Words from an import, checked by examples-file.js's checkWords: each keeps the larger
   * count, so importing a file exported here changes nothing. One transaction: all or none.
   * Returns how many words are new. */
  async merge(entries) {
    const problem = this.mergeProblem(entries);
    if (problem) throw new WordStoreError(problem);
    const changed = entries.filter(([word, count]) => (this.counts.get(word) || 0) < count);
    const fresh = changed.filter(([word]) => !this.counts.has(word)).length;
    await this.put(changed);
    for (const [word, count] of changed) this.counts.set(word, count);
    if (changed.length) this.dispatchEvent(new Event("change"));
    return fresh;
  }

  /** Why merging `entries` would be refused (a sentence), or null: asked before an import
   * stores anything, so a file is taken whole or not at all. */
  mergeProblem(entries) {
    const fresh = entries.filter(([word]) => !this.counts.has(word)).length;
    if (this.counts.size + fresh <= LIMITS.words) return null;
    return `With these ${fresh} new words you would have ${this.counts.size + fresh}, ` +
      `more than the ${LIMITS.words} the page keeps: nothing was imported.`;
  }
}

function openDatabase() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, DB_VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains(WORDS)) db.createObjectStore(WORDS, { keyPath: "word" });
      if (!db.objectStoreNames.contains(ASIDE)) db.createObjectStore(ASIDE, { autoIncrement: true });
    };
    request.onsuccess = () => {
      const db = request.result;
      db.onversionchange = () => db.close();
      resolve(db);
    };
    request.onerror = () => reject(request.error);
    request.onblocked = () => reject(new Error("another tab holds an older copy of the page's storage open"));
  });
}

let opened = null;

/** Your words, opened once per page: IndexedDB when the browser allows it, else memory for
 * the visit. Never rejects: a database that can't be opened or read gives a memory store
 * whose `reason` says why. */
export function openPersonalWords() {
  if (!opened) {
    opened = (async () => {
      let db = null;
      try {
        if (typeof indexedDB === "undefined" || !indexedDB) throw new Error("this browser has no IndexedDB");
        db = await openDatabase();
        const words = new PersonalWords(db);
        await words.load();
        return words;
      } catch (error) {
        if (db) db.close();
        return new PersonalWords(null, (error && error.message) || String(error));
      }
    })();
  }
  return opened;
}
