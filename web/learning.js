// The seam between the page's personal examples and learning in the worker. The page side is
// ready; the Python side (pycnn/adapt.py, and the requests below in pycnn/page_api.py) is
// what turns the Learn button on: the worker's "info" reply lists the requests it answers,
// and learning is offered only when it lists both of these.
//
// The requests this module sends (through RecognizerClient.request, so worker.js needs no
// change):
//
//   {type: "learn_begin", id, examples: <the examples file, web/examples-file.js: {format,
//     version, examples: [{label, strokes, pad_side, created}]}>, data: null}
//     -> reply {steps: number of learn_step calls planned, classes_added: [label, ...],
//               examples: how many it will learn from}
//   {type: "learn_step", id, data: null}: one short slice of fine-tuning, so a recognition
//     sent meanwhile waits at most one slice
//     -> reply {step, steps, loss, seconds_left: estimate | null, done: bool}
//
// After the last step (`done`), recognitions use the personal model.

import { examplesFileText } from "./examples-file.js";

export const LEARN_REQUESTS = ["learn_begin", "learn_step"];

/** Whether the worker that sent `info` (the "info" reply) can learn. */
export function canLearn(info) {
  const requests = info && Array.isArray(info.requests) ? info.requests : [];
  return LEARN_REQUESTS.every((name) => requests.includes(name));
}

/** Fine-tune the worker's model on `examples` (records with label, strokes, pad_side,
 * created). onProgress({step, steps, loss, secondsLeft}) after every slice; `signal` (an
 * AbortSignal) stops between slices. Resolves to {classesAdded, steps}. */
export async function learnFromExamples(recognizer, examples, { onProgress = () => {}, signal } = {}) {
  const file = JSON.parse(examplesFileText(examples));
  const begun = (await recognizer.request("learn_begin", { examples: file })).reply;
  let step = { step: 0, steps: begun.steps, done: begun.steps === 0 };
  while (!step.done) {
    if (signal && signal.aborted) throw new DOMException("Learning was stopped.", "AbortError");
    step = (await recognizer.request("learn_step")).reply;
    onProgress({ step: step.step, steps: step.steps, loss: step.loss, secondsLeft: step.seconds_left });
  }
  return { classesAdded: begun.classes_added || [], steps: begun.steps };
}
