"""Learning someone's handwriting: fine-tuning a trained model on their own examples.

    pycnn.learn.examples    the personal examples file: its schema, its limits, each refusal
                            with its own sentence, reading and writing it
    pycnn.learn.render      examples -> network inputs, drawn as the page drew them or augmented
    pycnn.learn.head        the dense head after the frozen trunk; growing the output layer by
                            imprinting a column per new label; calibrated prototypes (a
                            taught class's column fitted to win near its examples only)
    pycnn.learn.rehearsal   the rehearsal set: reading it, choosing from it evenly per class
    pycnn.learn.adaptation  `Adaptation`, the learning in slices with its feature cache, and
                            the recipe: prototypes for new labels, a head fine-tune for old
    pycnn.learn.errors      `AdaptError`, the one-sentence refusal they share

The page's worker runs `Adaptation` through `pycnn.page.api` and fetches this folder only
when learning starts; `python -m pycnn.adapt` is its command line. Everything here runs on
Python 3.8 with NumPy 1.17.5 (Pyodide 0.17.1).
"""
