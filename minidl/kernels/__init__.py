"""Hot loops on plain arrays, no autograd: reference (NumPy), cpu (Numba), gpu (numba-cuda).

One folder per kernel family (``pool/``, ``im2col/``, ...), holding ``reference.py``,
``cpu.py``, ``gpu.py`` and the lab's ``spec.py``; ``print(md.kernels.table())`` lists them,
``print(md.kernels.algorithms.table())`` shows how conv2d picks among them. ``minidl/kernels/
README.md`` has the signatures and the measurements.

``md.kernels.check`` (the lab: is my kernel right, how fast) is `minidl.lab.check`: the lab
sits above the ops, so it is attached here by ``minidl/__init__.py``, not imported.
"""

from . import algorithms
from .registry import IMPLS, KERNELS, Kernel, get, reload, resolve, shipped, use
from .table import table

__all__ = [
    "IMPLS",
    "KERNELS",
    "Kernel",
    "algorithms",
    "get",
    "reload",
    "resolve",
    "shipped",
    "table",
    "use",
]
