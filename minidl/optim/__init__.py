"""Optimisers and learning-rate schedules (``import minidl.optim as optim``)."""

from . import lr_scheduler
from .adam import Adam
from .lr_scheduler import CosineAnnealingLR, StepLR
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["SGD", "Adam", "CosineAnnealingLR", "Optimizer", "StepLR", "lr_scheduler"]
