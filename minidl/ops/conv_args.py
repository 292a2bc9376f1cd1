"""The argument checks of conv2d and conv_transpose2d: the weight, bias and groups fit the
input (PyTorch's conditions). The window arguments are checked by ``minidl/geometry.py``."""

from __future__ import annotations

import operator
from typing import Any

from ..backend import device_of
from ..geometry import batched, check_image
from ..tensor import Tensor


def check_weight(op: str, x: Any, w: Any, b: Any, groups: int, transposed: bool) -> None:
    """The weight and bias of a conv with ``groups`` fit the input (PyTorch's conditions)."""
    layout = "(C_in, C_out/groups, KH, KW)" if transposed else "(C_out, C_in/groups, KH, KW)"
    if len(w.shape) != 4:
        raise ValueError(f"{op}: expected a 4-D weight {layout}, got shape {tuple(w.shape)}")
    of_groups = f", groups={groups}" if groups > 1 else ""
    C_in = w.shape[0] if transposed else w.shape[1] * groups
    if x.shape[1] != C_in:
        raise ValueError(
            f"{op}: expected input with {C_in} channels (weight is {tuple(w.shape)}"
            f"{of_groups}), got {tuple(x.shape)}"
        )
    split = w.shape[0]  # C_in of a transpose conv, C_out of a conv: what groups must divide
    if split % groups:
        raise ValueError(
            f"{op}: groups={groups} must divide the weight's dim 0 ({split} "
            f"{'input' if transposed else 'output'} channels), weight is {tuple(w.shape)}"
        )
    C_out = w.shape[1] * groups if transposed else w.shape[0]
    if b is not None and tuple(b.shape) != (C_out,):
        raise ValueError(
            f"{op}: expected bias of shape ({C_out},) for weight {tuple(w.shape)}{of_groups}, "
            f"got {tuple(b.shape)}"
        )
    for name, t in (("weight", w), ("bias", b)):
        if t is not None and t.dtype != x.dtype:
            raise ValueError(f"{op}: {name} is {t.dtype} but input is {x.dtype}; cast one")
        if t is not None and device_of(_data(t)) != device_of(_data(x)):
            raise ValueError(
                f"{op}: {name} is on {device_of(_data(t))} but input is on {device_of(_data(x))}"
            )


def checked(
    op: str, input: Any, weight: Any, bias: Any, groups: Any, transposed: bool
) -> tuple[Any, bool, int]:
    """(the input as (N, C, H, W), whether it was batched, groups as an int), after checking
    the input, the weight, the bias and the groups."""
    x, was_batched = batched(op, input)
    check_image(op, x)
    groups = groups_arg(op, groups)
    check_weight(op, x, weight, bias, groups, transposed)
    return x, was_batched, groups


def bias_grad(dy: Any, needed: bool) -> Any:
    """db of a conv layer: dy summed over everything but the channels (None if not needed)."""
    return dy.sum(axis=(0, 2, 3)) if needed else None


def groups_arg(op: str, groups: Any) -> int:
    try:
        value = operator.index(groups)
    except TypeError:
        value = 0
    if value < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    return value


def _data(t: Any) -> Any:
    return t.data if isinstance(t, Tensor) else t
