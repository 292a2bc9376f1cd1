"""Optimisers and learning-rate schedules (``import minidl.optim as optim``)."""

from . import lr_scheduler
from .adam import Adam
from .lbfgs import LBFGS
from .lr_scheduler import CosineAnnealingLR, StepLR
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["SGD", "Adam", "LBFGS", "CosineAnnealingLR", "Optimizer", "StepLR", "lr_scheduler"]
