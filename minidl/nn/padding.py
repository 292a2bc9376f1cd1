"""Padding layers: `F.pad` with its mode and widths fixed at construction.

``nn.ZeroPad2d(1)`` pads the last two dims by 1 on every side; an int pads every side, a
tuple gives (left, right[, top, bottom[, front, back]]) as `F.pad` reads it.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..ops.pad import pad
from ..tensor import Tensor
from .module import Module


class _Pad(Module):
    mode = "constant"
    dims = 2

    def __init__(self, padding: int | Sequence[int], value: float = 0.0) -> None:
        super().__init__()
        if isinstance(padding, int):
            padding = (padding,) * (2 * self.dims)
        padding = tuple(padding)
        if len(padding) != 2 * self.dims:
            raise ValueError(
                f"{type(self).__name__}: padding must be an int or {2 * self.dims} widths, "
                f"got {padding}"
            )
        self.padding, self.value = padding, value

    def forward(self, input: Tensor) -> Tensor:
        value = self.value if self.mode == "constant" else None
        return pad(input, self.padding, self.mode, value)

    def extra_repr(self) -> str:
        return f"{self.padding}" + (f", value={self.value}" if self.mode == "constant" else "")


class ConstantPad1d(_Pad):
    dims = 1

    def __init__(self, padding: int | Sequence[int], value: float) -> None:
        super().__init__(padding, value)


class ConstantPad2d(_Pad):
    def __init__(self, padding: int | Sequence[int], value: float) -> None:
        super().__init__(padding, value)


class ZeroPad1d(_Pad):
    dims = 1

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__(padding, 0.0)


class ZeroPad2d(_Pad):
    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__(padding, 0.0)


class ReflectionPad1d(_Pad):
    mode, dims = "reflect", 1


class ReflectionPad2d(_Pad):
    mode = "reflect"


class ReplicationPad1d(_Pad):
    mode, dims = "replicate", 1


class ReplicationPad2d(_Pad):
    mode = "replicate"


class CircularPad1d(_Pad):
    mode, dims = "circular", 1


class CircularPad2d(_Pad):
    mode = "circular"
