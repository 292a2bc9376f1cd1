"""minidl: a from-scratch, educational deep-learning library.

import minidl as md, minidl.nn as nn, minidl.nn.functional as F
"""

# first, before NumPy loads OpenBLAS: it sets how long idle BLAS threads spin
from . import blas_threads as _blas_threads  # noqa: F401, I001

import numpy as _np

from . import (
    backend,
    config,
    cuda,
    freed_memory,
    geometry,
    higher_order,  # noqa: F401, E402 - create_graph=True: sets autograd.differentiable_backward
    kernels,
    ops,
)
from .autograd import Function, enable_grad, is_anomaly_enabled, is_grad_enabled, no_grad
from .creation import (
    arange,
    as_tensor,
    bernoulli,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    is_tensor,
    linspace,
    multinomial,
    normal,
    numel,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    zeros,
    zeros_like,
)
from .dlpack import from_dlpack
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .ops import *  # noqa: F403  (PyTorch's torch.X functions: md.sum, md.cat, md.where, ...)
from .random import manual_seed
from .serialization import load, save
from .tensor import Tensor, bool_, float32, float64, int64, tensor

# PyTorch's dtype names
float16 = half = _np.float16
float = _np.float32  # noqa: A001
double = _np.float64
int32 = _np.int32
int = long = _np.int64  # noqa: A001
uint8 = _np.uint8
bool = _np.bool_  # noqa: A001

__version__ = "0.1.0"

# Sub-packages that pull in more (SciPy, scikit-image, matplotlib) load on first use, so
# `import minidl` stays quick and `md.data`, `md.models`, ... still work as attributes.
_LAZY = (
    "data",
    "lab",
    "lessons",
    "linalg",
    "metrics",
    "models",
    "nn",
    "optim",
    "train",
    "viz",
    "boxes",
    "demos",
)


def _kernels_check(op: str, impl: object = "cpu", **options: object) -> object:
    """`minidl.lab.check` (the lab sits above the ops, so it loads on first use)."""
    import importlib

    return importlib.import_module(".lab", __name__).check(op, impl, **options)


_kernels_check.__doc__ = (_kernels_check.__doc__ or "") + "\n\n" + "See md.lab.check."
kernels.check = _kernels_check  # md.kernels.check: where a student looks for it


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'minidl' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_LAZY))
