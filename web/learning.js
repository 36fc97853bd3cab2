// The seam between the page's personal examples and learning in the worker. The
// page side is ready; what turns the Learn button on is the worker saying it can learn: its
// "info" reply lists the requests it answers (`requests`), and learning is offered only
// when that list holds every one of LEARN_REQUESTS. (An "info" without `requests`, as
// today's, means no learning: the page never guesses from a failed request.)
//
// The requests (pycnn/page/api.py; sent through RecognizerClient.request, so worker.js
// needs no change):
//
//   {type: "learn_begin", id, data: the examples file (web/examples-file.js, the format
//     pycnn.learn.examples reads) as UTF-8 JSON bytes}
//     -> {steps_total, classes_added, labels_added, held_back, examples, from}
//   {type: "learn_step", id, max_ms}: about max_ms of work, so a recognition sent meanwhile
//     waits at most one slice
//     -> {step, steps_total, loss, seconds_left, done, labels}: once done, the learnt model
//        is the one in use and `labels` are its labels (null before)
//   {type: "learn_cancel", id} -> {cancelled}
//
// The personal model (web/model-switch.js): after `done` it is kept with model_export ({which:
// "mine"} -> its .npz bytes) and the store's putModel({name: "mine", bytes, labels, saved,
// use}); on start, getModel("mine") and model_load (data: the bytes), falling back to the
// shipped model with a notice when it is refused; model_use {which: "mine" | "original"} and
// model_forget for the switch and its reset. After any of these the labels may have changed
// (a new symbol): `modelInfo` asks the worker again, for Read as, the picker and Look inside.
//
// Learning always starts from the original model with every example (`from: "original"`):
// the personal model is the shipped one taught all of your examples, so learning twice does
// not teach the same examples twice over.

import { examplesFileText } from "./examples-file.js";

export const LEARN_REQUESTS = ["learn_begin", "learn_step", "learn_cancel"];
const SLICE_MS = 100; // the worker's work per learn_step; a stroke being drawn holds the next one (turn)

/** Whether the worker that sent `info` (the "info" reply) can learn. */
export function canLearn(info) {
  const requests = info && Array.isArray(info.requests) ? info.requests : [];
  return LEARN_REQUESTS.every((name) => requests.includes(name));
}

/** Fine-tune the worker's model on `examples` (records with label, strokes, pad_side,
 * created). onBegin(reply of learn_begin); onProgress({step, steps, loss, secondsLeft, ms})
 * after every slice (ms: the worker's time on it); `signal` (an AbortSignal) cancels between
 * slices; `turn()`, awaited before every slice, lets the pad go first: the page holds the
 * next slice while a stroke is being drawn or a recognition is under way, so a stroke's
 * answer waits for no slice at all unless the stroke was shorter than one. Resolves to
 * {begun: learn_begin's reply, labels: the learnt model's labels}. */
export async function learnFromExamples(recognizer, examples, { onBegin = () => {}, onProgress = () => {}, signal, turn = null } = {}) {
  const bytes = new TextEncoder().encode(examplesFileText(examples));
  const begun = (await recognizer.request("learn_begin", { from: "original" }, bytes.buffer)).reply;
  onBegin(begun);
  for (;;) {
    if (signal && signal.aborted) {
      await recognizer.request("learn_cancel");
      throw new DOMException("Learning was stopped.", "AbortError");
    }
    if (turn) await turn();
    if (signal && signal.aborted) continue; // stopped while the pad went first
    const { reply: step, ms } = await recognizer.request("learn_step", { max_ms: SLICE_MS });
    onProgress({ step: step.step, steps: step.steps_total, loss: step.loss, secondsLeft: step.seconds_left, ms });
    if (step.done) return { begun, labels: step.labels };
  }
}

/** The model in use, as the worker describes it now: the "info" reply ({labels, network,
 * filters: {index, shape, values: Float32Array} | null, sets, requests, in_use}). */
export async function modelInfo(recognizer) {
  const { reply, data } = await recognizer.request("info");
  const { filters } = reply;
  return { ...reply, filters: filters && { ...filters, values: new Float32Array(data) } };
}

/** A worker's error as a sentence for people: without Python's exception class
 * ("ModelFileError: this model file ..." -> "This model file ..."), ending with a full stop. */
export function sentence(error) {
  let text = String((error && error.message) || error).replace(/^([\w.]+(Error|Exception)): /, "").trim();
  text = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(text) ? text : `${text}.`;
}
