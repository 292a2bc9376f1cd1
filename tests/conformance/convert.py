"""PyTorch sample values to minidl values, keeping track of the tensors that need gradients.

A SampleInput holds torch tensors anywhere in its input, args and kwargs (cat's list of
tensors, max_unpool2d's index tensor, cross_entropy's class weights). `Converter` copies each
tensor into a minidl tensor of the same dtype and values (float64 stays float64, integer and
bool tensors keep their dtype) that requires grad exactly where torch's does, and converts
torch's dtypes, devices and sizes (and the one layer a sample passes as an argument,
``PairwiseDistance``) to minidl's. Everything else (Python numbers, strings, slices, memory
formats) is passed through unchanged: minidl sees what a PyTorch
user would type, and an argument it cannot take shows up as its error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

import minidl as md

DTYPES = {
    torch.float64: np.float64,
    torch.float32: np.float32,
    torch.float16: np.float16,
    torch.int64: np.int64,
    torch.int32: np.int32,
    torch.int16: np.int16,
    torch.int8: np.int8,
    torch.uint8: np.uint8,
    torch.bool: np.bool_,
}


@dataclass
class Leaf:
    """A tensor that requires grad in torch, and its minidl copy; ``path`` names it."""

    path: str
    theirs: torch.Tensor
    ours: Any  # md.Tensor


@dataclass
class Converter:
    """Converts values; the same torch tensor (by identity) always maps to one minidl tensor,
    so an input used twice accumulates both gradients in both libraries. ``tensors`` lists
    every converted pair (to check in-place updates such as batch_norm's running stats),
    ``leaves`` those that require grad."""

    tensors: list[Leaf] = field(default_factory=list)
    leaves: list[Leaf] = field(default_factory=list)
    _seen: dict[int, Any] = field(default_factory=dict)

    def __call__(self, value: Any, path: str) -> Any:
        if isinstance(value, torch.Tensor):
            return self._tensor(value, path)
        if isinstance(value, torch.dtype):
            return DTYPES.get(value, value)
        if isinstance(value, torch.device):
            return str(value)
        if isinstance(value, torch.Size):
            return tuple(value)
        if isinstance(value, torch.nn.PairwiseDistance):  # a distance_function argument
            return md.nn.PairwiseDistance(p=value.norm, eps=value.eps, keepdim=value.keepdim)
        if isinstance(value, list):
            return [self(v, f"{path}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, tuple) and not hasattr(value, "_fields"):
            return tuple(self(v, f"{path}[{i}]") for i, v in enumerate(value))
        if isinstance(value, dict):
            return {k: self(v, f"{path}[{k!r}]") for k, v in value.items()}
        return value

    def _tensor(self, value: torch.Tensor, path: str) -> Any:
        if id(value) in self._seen:
            return self._seen[id(value)]
        array = value.detach().cpu().resolve_conj().resolve_neg().numpy().copy()
        ours = md.tensor(array, requires_grad=value.requires_grad)
        self._seen[id(value)] = ours
        self.tensors.append(Leaf(path, value, ours))
        if value.requires_grad:
            self.leaves.append(self.tensors[-1])
        return ours

    def add_leaf(self, path: str, theirs: torch.Tensor, ours: Any) -> None:
        """A pair made elsewhere (a module's parameter and its copy) whose gradients count."""
        self.leaves.append(Leaf(path, theirs, ours))


def describe(value: Any) -> str:
    """A one-line picture of a sample argument: tensors as ``T(2, 3)f64``."""
    if isinstance(value, torch.Tensor):
        dtype = str(value.dtype).removeprefix("torch.")
        short = {"float64": "f64", "float32": "f32", "int64": "i64", "bool": "bool"}
        return f"T{tuple(value.shape)}{short.get(dtype, dtype)}"
    if isinstance(value, list):
        return "[" + ", ".join(describe(v) for v in value) + "]"
    if isinstance(value, tuple):
        return "(" + ", ".join(describe(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={describe(v)}" for k, v in value.items()) + "}"
    if isinstance(value, torch.dtype):
        return str(value)
    return repr(value)
