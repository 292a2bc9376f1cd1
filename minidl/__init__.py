"""minidl: a from-scratch, educational deep-learning library.

import minidl as md, minidl.nn as nn, minidl.nn.functional as F
"""

from . import backend, cuda, kernels, ops
from .autograd import Function, enable_grad, is_grad_enabled, no_grad
from .gradcheck import GradcheckError, gradcheck
from .ops import (
    abs,
    argmax,
    clamp,
    concat,
    exp,
    log,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    pad,
    permute,
    reshape,
    sqrt,
    stack,
    sum,
    tanh,
    transpose,
    where,
)
from .random import manual_seed
from .serialization import load, save
from .tensor import (
    Tensor,
    arange,
    bool_,
    float32,
    float64,
    from_numpy,
    int64,
    ones,
    ones_like,
    rand,
    randn,
    tensor,
    zeros,
    zeros_like,
)

__version__ = "0.1.0"

# Sub-packages that pull in more (SciPy, scikit-image, matplotlib) load on first use, so
# `import minidl` stays quick and `md.data`, `md.models`, ... still work as attributes.
_LAZY = ("data", "lab", "metrics", "models", "nn", "optim", "train", "viz", "boxes", "demos")


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'minidl' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_LAZY))
