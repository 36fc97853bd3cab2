"""The network math: layers, losses, optimisers, the Sequential model and model files."""

from .layers import Conv2D, Dense, Dropout, Flatten, Layer, MaxPool2D, ReLU, Softmax, classify
from .losses import SoftmaxCrossEntropy
from .model import Sequential
from .optim import SGD, Adam, CosineSchedule, StepSchedule
from .serialize import ModelFileError, load_model, save_model

__all__ = [
    "Adam", "Conv2D", "CosineSchedule", "Dense", "Dropout", "Flatten", "Layer", "MaxPool2D",
    "ModelFileError", "ReLU", "SGD", "Sequential", "Softmax", "SoftmaxCrossEntropy",
    "StepSchedule", "classify", "load_model", "save_model",
]
