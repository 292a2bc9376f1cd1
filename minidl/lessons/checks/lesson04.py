"""Checkers of lesson 04 (U-Net): the valid sizes, the forward with crop-and-concatenate,
and the border term of the weight map."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import minidl as md
from minidl.data import touching_cells, unet_weight_map
from minidl.models import UNet

from ..grading import Case, Result, grade


def check_output_size(my_output_size: Callable[[int, int], int | None]) -> Result:
    """``my_output_size(n, depth)``: a valid U-Net's output size, or None when n does not fit."""

    def expected(n: int, depth: int) -> int | None:
        try:
            return UNet.output_size(n, depth=depth)
        except ValueError:
            return None

    def all_sizes(depth: int) -> Callable:
        def run(f: Callable) -> list:
            return [(n, f(n, depth)) for n in range(1, 260)]

        return run

    cases = [Case(f"depth {depth}, n = 1 ... 259", all_sizes(depth),
                  [(n, expected(n, depth)) for n in range(1, 260)],
                  hint="down: -4, then /2 (None if odd or < 2); bottom: -4; up: x2, -4; None "
                       "as soon as a size drops below 1")
             for depth in (1, 2, 3, 4)]  # fmt: skip
    return grade("output_size", my_output_size, cases)


def check_border_weight(my_border_weight: Callable[[np.ndarray], np.ndarray]) -> Result:
    """``my_border_weight(labels, w0=10, sigma=5)``: w0 exp(-(d1 + d2)^2 / 2 sigma^2) on the
    background (0 on cells, 0 everywhere with fewer than two cells); checked as w_c + it
    against ``md.data.unet_weight_map``."""

    def class_balance(labels: np.ndarray) -> np.ndarray:
        fg = labels > 0
        counts = np.array([(~fg).sum(), fg.sum()], dtype=float)
        return np.where(fg, fg.size / (2 * counts[1]), fg.size / (2 * counts[0]))

    def case(name: str, labels: np.ndarray, hint: str) -> Case:
        return Case(name, lambda f: class_balance(labels) + np.asarray(f(labels)),
                    lambda: unet_weight_map(labels), rtol=1e-4, atol=1e-3, hint=hint)  # fmt: skip

    one_cell = np.zeros((20, 20), np.int32)
    one_cell[5:10, 5:10] = 1
    hint = (
        "ndimage.distance_transform_edt(labels != k) is the distance to cell k; sort the "
        "distances over k and take the two smallest per pixel"
    )
    cells = [touching_cells(1, 40, cell_size=14, seed=s).labels[0] for s in range(3)]
    cases = [case(f"touching cells, seed {s}", labels, hint) for s, labels in enumerate(cells)]
    cases.append(
        case(
            "one cell only: no border term",
            one_cell,
            "with fewer than two cells there is no gap: return zeros",
        )
    )
    return grade("border_weight", my_border_weight, cases)


def check_unet_forward(my_unet_forward: Callable) -> Result:
    """``my_unet_forward(net, x)``: the forward of a ``UNet`` from its parts (``net.down``,
    ``net.pool``, ``net.up``, ``net.up_convs``, ``net.head``), with crop-and-concatenate."""

    def case(depth: int, padding: str, size: int, seed: int) -> Case:
        md.manual_seed(seed)
        net = UNet(base=2, depth=depth, padding=padding)
        x = md.tensor(np.random.default_rng(seed).random((2, 1, size, size), dtype=np.float32))

        def run(f: Callable) -> np.ndarray:
            def no_shortcut(*args: object) -> None:
                raise RuntimeError("call the parts (net.down, net.up, ...), not net(x)")

            net.forward = no_shortcut
            try:
                return f(net, x).numpy()
            finally:
                del net.forward

        hint = (
            "keep each level's output before pooling; going up, centre-crop it to the "
            "upsampled map's size and concatenate [skip, upsampled] along dim=1"
        )
        return Case(
            f"depth {depth}, {padding} padding, input {size}",
            run,
            lambda: net(x).numpy(),
            rtol=1e-5,
            atol=1e-6,
            hint=hint,
        )

    return grade("unet_forward", my_unet_forward, [
        case(1, "valid", 20, 0), case(2, "valid", 44, 1), case(3, "same", 24, 2),
        case(4, "valid", 188, 3),
    ])  # fmt: skip
