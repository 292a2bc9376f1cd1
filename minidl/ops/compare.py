"""Comparisons: elementwise (bool tensors, no gradient) and whole-tensor (Python bools)."""

from __future__ import annotations

from typing import Any

from .. import backend
from ..tensor import Tensor


def _pair(op: str, input: Any, other: Any) -> tuple[Any, Any]:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(input).__name__}")
    other = other.data if isinstance(other, Tensor) else other
    return input.data, other


def _elementwise(name: str, method: str) -> Any:
    def compare(input: Tensor, other: Any) -> Tensor:
        a, b = _pair(name, input, other)
        return Tensor(getattr(a, method)(b))

    compare.__name__ = compare.__qualname__ = name
    compare.__doc__ = f"Elementwise ``{name}`` as a bool tensor.  Reference: ``torch.{name}``."
    return compare


eq = _elementwise("eq", "__eq__")
ne = _elementwise("ne", "__ne__")
lt = _elementwise("lt", "__lt__")
le = _elementwise("le", "__le__")
gt = _elementwise("gt", "__gt__")
ge = _elementwise("ge", "__ge__")
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def isclose(
    input: Tensor, other: Any, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False
) -> Tensor:
    """|input - other| <= atol + rtol·|other|, elementwise.  Reference: ``torch.isclose``."""
    a, b = _pair("isclose", input, other)
    return Tensor(backend.array_module(a).isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(
    input: Tensor, other: Any, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False
) -> bool:
    """Whether every value is `isclose`.  Reference: ``torch.allclose``."""
    return bool(isclose(input, other, rtol, atol, equal_nan).data.all())


def equal(input: Tensor, other: Tensor) -> bool:
    """Same shape and same values.  Reference: ``torch.equal``."""
    a, b = _pair("equal", input, other)
    return a.shape == getattr(b, "shape", ()) and bool((a == b).all())
