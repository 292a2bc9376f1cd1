"""Layers, containers and losses (``import minidl.nn as nn``)."""

from . import functional, init
from .conv import Conv2d, ConvTranspose2d
from .layers import (
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    Dropout,
    Flatten,
    Identity,
    Linear,
    ModuleList,
    MSELoss,
    ReLU,
    Sequential,
    Sigmoid,
    Tanh,
)
from .metric import TripletMarginLoss
from .module import Module, Parameter
from .norm import BatchNorm2d
from .pooling import AvgPool2d, MaxPool2d, MaxUnpool2d, Upsample
