"""The network math: layers (sequence.py: for words), losses, optimisers, the Sequential model
and model files."""

from .layers import Conv2D, Dense, Dropout, Flatten, Layer, MaxPool2D, ReLU, Softmax, classify
from .losses import SoftmaxCrossEntropy
from .model import Sequential
from .optim import SGD, Adam, CosineSchedule, StepSchedule
from .sequence import Collapse, Conv1D, MaxPoolHeight, TimeDense, pad_batch
from .serialize import ModelFileError, load_model, save_model

__all__ = [
    "Adam", "Collapse", "Conv1D", "Conv2D", "CosineSchedule", "Dense", "Dropout", "Flatten",
    "Layer", "MaxPool2D", "MaxPoolHeight", "ModelFileError", "ReLU", "SGD", "Sequential",
    "Softmax", "SoftmaxCrossEntropy", "StepSchedule", "TimeDense", "classify", "load_model",
    "pad_batch", "save_model",
]
