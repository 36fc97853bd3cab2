"""pycnn: a convolutional neural network written from scratch in NumPy.

The folders show the architecture:
    pycnn.nn        the network math: layers, losses, the model, optimisers, model files
    pycnn.data      UNIPEN strokes, the writer split, canvas-like rendering, augmentation
    pycnn.read      reading: the one preprocessing function, character sets, look-alikes,
                    the recognizer (canvas pixels in, top 5 out)
    pycnn.page      the page's one Python API, called by its Web Worker
    pycnn.learn     learning a person's handwriting: their examples file, new symbols, the fine-tune
    pycnn.measure   accuracy reports and their pictures
The modules at the top are the command-line tools (`python -m pycnn.train`, `prior`,
`calibrate`, `derive_lookalikes`, `evaluate`, `predict`, `adapt`), with `cli` their shared
errors, exit codes and progress bar.
Everything the page imports runs on Python 3.8 with NumPy 1.17 (Pyodide 0.17.1).
"""

__version__ = "0.1.0"
