"""The OpInfo rows: which ops of ``op_db`` minidl exports, and how a sample calls them.

A row is one way a PyTorch user calls an op, resolved by PyTorch's own name:

- ``sum``: the function, ``torch.X`` -> ``md.X`` and ``torch.nn.functional.X`` ->
  ``md.nn.functional.X`` (``op_db`` spells these ``nn.functional.X``). When minidl lacks the
  name, the OpInfo's aliases are tried (``cat`` -> ``md.concat``, ``softmax`` ->
  ``md.nn.functional.softmax``). A variant (``max.reduction_with_dim``, ``max.binary``)
  calls the same function with its own samples.
- ``Tensor.sum``: the method, ``x.X(...)`` (or the property ``x.T``), when torch.Tensor and
  md.Tensor both have it.

So a function or method someone adds to minidl becomes a row by itself. Both libraries are
called the same way, by that public name: ``torch.X(input, *args, **kwargs)`` against
``md.X(...)``, not OpInfo's ``op`` (a lambda for some ops: one pins the random seed, one
clones before ``zero_``, two reorder the arguments). `CALLS` holds the reorderings, applied
to both sides. Samples: PyTorch's
``op.sample_inputs("cpu", torch.float64, requires_grad=...)``, generated under a seed per op,
at most `MAX_SAMPLES` per op (evenly spaced through PyTorch's order; max_pool2d has 1440).
"""

from __future__ import annotations

import functools
import types
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch.testing._internal.common_methods_invocations import op_db

import minidl as md

from .compare import TieRule
from .convert import Converter, describe
from .harness import Case, Outcome, run

MAX_SAMPLES = 40

# OpInfo name -> how a sample's (input, *args, **kwargs) calls the function, for the OpInfos
# whose op is a lambda that reorders them (the method rows take them as they come). Used for
# torch's function and minidl's alike.
CALLS: dict[str, Callable[..., Any]] = {
    "where": lambda fn, x, condition, other, **kw: fn(condition, x, other, **kw),
    "nn.functional.embedding": lambda fn, weight, idx, **kw: fn(idx, weight, **kw),
    "einsum": lambda fn, tensors, equation, **kw: fn(equation, *tensors, **kw),
}


@dataclass(frozen=True)
class OpRow:
    key: str  # "max.reduction_with_dim", "Tensor.sum"
    target: str  # what minidl runs: "md.max", "md.Tensor.sum", "md.nn.functional.softmax"
    op: Any  # the OpInfo
    method: bool


def full_name(op: Any) -> str:
    return f"{op.name}.{op.variant_test_name}" if op.variant_test_name else op.name


def _lookup(root: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        try:
            root = getattr(root, part)
        except AttributeError:
            return None
    return root


def _function(dotted: str) -> Any:
    """minidl's function by PyTorch's dotted name, or None (modules and classes are not)."""
    fn = _lookup(md, dotted)
    ok = callable(fn) and not isinstance(fn, (types.ModuleType, type))
    return fn if ok and callable(_lookup(torch, dotted)) else None


def _has_method(cls: type, name: str) -> bool:
    """Defined by ``cls`` or a base other than ``object`` (so ``__ror__`` is not inherited)."""
    return any(name in klass.__dict__ for klass in cls.__mro__ if klass is not object)


def _resolve(op: Any) -> list[OpRow]:
    rows = []
    for dotted in [op.name, *(a.name for a in op.aliases)]:
        if _function(dotted) is not None:
            rows.append(OpRow(full_name(op), f"md.{dotted}", op, method=False))
            break
    if _has_method(torch.Tensor, op.name) and _has_method(md.Tensor, op.name):
        rows.append(OpRow(f"Tensor.{full_name(op)}", f"md.Tensor.{op.name}", op, method=True))
    return rows


def _tested(op: Any) -> bool:
    return torch.float64 in op.supported_dtypes("cpu")


@functools.cache
def rows() -> tuple[OpRow, ...]:
    """Every row minidl exports, in op_db's order."""
    return tuple(row for op in op_db if _tested(op) for row in _resolve(op))


def row(key: str) -> OpRow:
    return next(r for r in rows() if r.key == key)


def not_exported() -> list[str]:
    """OpInfo names (variants folded) minidl exports neither as function nor as method."""
    have = {r.op.name for r in rows()}
    return sorted({op.name for op in op_db if op.name not in have and _tested(op)})


def methods_missing() -> list[str]:
    """``Tensor.X`` that torch has and minidl lacks, for ops minidl has as a function."""
    have = {r.op.name for r in rows() if r.method}
    return sorted(
        {
            f"Tensor.{r.op.name}"
            for r in rows()
            if not r.method and r.op.name not in have and _has_method(torch.Tensor, r.op.name)
        }
    )


@functools.cache
def samples(name: str) -> tuple[Any, ...]:
    """At most MAX_SAMPLES of the OpInfo's samples, the same on every run."""
    op = next(op for op in op_db if full_name(op) == name)
    torch.manual_seed(zlib.crc32(name.encode()))
    return evenly_spaced(
        list(op.sample_inputs("cpu", torch.float64, requires_grad=op.supports_autograd))
    )


def evenly_spaced(every: list) -> tuple:
    """All of ``every``, or MAX_SAMPLES of it spread evenly from its first to its last."""
    n, cap = len(every), MAX_SAMPLES
    if n <= cap:
        return tuple(every)
    return tuple(every[round(i * (n - 1) / (cap - 1))] for i in range(cap))


@functools.cache
def results(key: str) -> tuple[Outcome, ...]:
    """The verdict on each sample of one row."""
    r = row(key)
    return tuple(run(_case(r, i, s), seed=i) for i, s in enumerate(samples(full_name(r.op))))


def _case(r: OpRow, i: int, s: Any) -> Case:
    conv = Converter()
    x = conv(s.input, "input")
    args = tuple(conv(list(s.args), "args"))
    kwargs = conv(dict(s.kwargs), "kwargs")
    if r.method:  # x.X(*args, **kwargs), or the property x.X (a tensor is not callable)

        def method(t: Any, *a: Any, **k: Any) -> Any:
            attr = getattr(t, r.op.name)
            return attr(*a, **k) if callable(attr) else attr

        theirs_fn = ours_fn = method
    else:  # torch's and minidl's function of that name, not OpInfo's op (module docstring)
        dotted = r.target.removeprefix("md.")
        theirs_fn, ours_fn = _lookup(torch, dotted), _lookup(md, dotted)
    plain = lambda f, *a, **k: f(*a, **k)  # noqa: E731
    call = plain if r.method else CALLS.get(r.op.name, plain)

    text = f"#{i} input={describe(s.input)} args={describe(tuple(s.args))}"
    text += f" kwargs={describe(s.kwargs)}"
    return Case(
        sample=text,
        theirs=lambda: call(theirs_fn, s.input, *s.args, **s.kwargs),
        ours=lambda: call(ours_fn, x, *args, **kwargs),
        converter=conv,
        names=_names(r),
        state=lambda: [(t.path, t.theirs, t.ours) for t in conv.tensors],
        tie=_extreme_tie(s) if r.op.name in ("max", "min", "argmax", "argmin") else None,
    )


def _names(r: OpRow) -> tuple[str, ...]:
    """Words with which an error message names the op."""
    words = {r.op.name.split(".")[-1], r.target.split(".")[-1]}
    words |= {a.name.split(".")[-1] for a in r.op.aliases}
    # "__radd__" may be refused as "radd" or "add"
    dunders = {w.strip("_") for w in words if w.startswith("__")}
    words |= dunders | {w.removeprefix("r") for w in dunders}
    return tuple(sorted(w for w in words if w))


def _extreme_tie(s: Any) -> TieRule:
    """Accept another index of an equal value (a tie) for argmax/argmin and max/min(dim)."""

    def tie(path: str, theirs: np.ndarray, ours: np.ndarray) -> bool:
        x = s.input.detach()
        dim = s.kwargs.get("dim", s.args[0] if s.args else None)
        keepdim = s.kwargs.get("keepdim", s.args[1] if len(s.args) > 1 else False)
        t, o = torch.from_numpy(theirs), torch.from_numpy(ours)
        try:
            if dim is None:
                return torch.equal(x.reshape(-1)[t], x.reshape(-1)[o])
            if not keepdim and x.ndim:
                t, o = t.unsqueeze(dim), o.unsqueeze(dim)
            return torch.equal(torch.take_along_dim(x, t, dim), torch.take_along_dim(x, o, dim))
        except (IndexError, RuntimeError, TypeError):
            return False

    return tie
