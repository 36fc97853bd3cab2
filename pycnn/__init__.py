"""pycnn: a convolutional neural network written from scratch in NumPy.

The subpackages show the architecture:
    pycnn.nn          the network math (layers, model, optimisers, model files)
    pycnn.preprocess  the one preprocessing function, shared by training and the page
    pycnn.data        UNIPEN strokes, canvas-like rendering, augmentation (training side)
    pycnn.train / pycnn.evaluate / pycnn.predict   command-line tools
Everything the page imports runs on Python 3.8 with NumPy 1.17 (Pyodide 0.17.1).
"""

__version__ = "0.1.0"
