"""Checkers of lesson 01 (convolution): im2col and col2im with the kernel lab's cases, and
the convolution's backward against minidl's autograd."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import minidl as md
import minidl.nn.functional as F

from ..grading import Case, Result, grade, lab


def check_im2col(my_im2col: Callable) -> Result:
    """``my_im2col`` against the reference on the lab's cases, then the gradchecks of conv2d
    and conv_transpose2d with it plugged in."""
    return lab("im2col", "im2col", my_im2col)


def check_col2im(my_col2im: Callable) -> Result:
    """``my_col2im(cols, x_shape, KH, KW, SH, SW, PH, PW, DH, DW)``: the adjoint of im2col."""
    return lab("col2im", "col2im", my_col2im)


def check_conv_backward(my_conv2d_backward: Callable) -> Result:
    """``my_conv2d_backward(x, w, dy, stride, padding) -> (dx, dw, db)`` (NumPy arrays)."""
    rng = np.random.default_rng(5)

    def case(n: int, c: int, h: int, w_: int, o: int, k: tuple, stride: int, padding: int,
             hint: str) -> Case:  # fmt: skip
        x = rng.standard_normal((n, c, h, w_))
        w = rng.standard_normal((o, c, *k))
        y_shape = F.conv2d(md.tensor(x), md.tensor(w), stride=stride, padding=padding).shape
        dy = rng.standard_normal(y_shape)

        def want() -> tuple:
            xt, wt = md.tensor(x, requires_grad=True), md.tensor(w, requires_grad=True)
            bt = md.tensor(np.zeros(o), requires_grad=True)
            F.conv2d(xt, wt, bt, stride=stride, padding=padding).backward(dy)
            return np.asarray(xt.grad), np.asarray(wt.grad), np.asarray(bt.grad)

        name = f"x {x.shape}, w {w.shape}, stride {stride}, padding {padding}"
        return Case(name, lambda f: tuple(f(x, w, dy, stride, padding)), want, hint=hint,
                    rtol=1e-7, atol=1e-9)  # fmt: skip

    cases = [
        case(1, 1, 5, 5, 1, (3, 3), 1, 0, "dx = conv_transpose2d(dy, w); dw[o, c, kh, kw] = "
             "sum over n, i, j of dy[n, o, i, j] * x_pad[n, c, i + kh, j + kw]; db = dy summed "
             "over n, i, j"),
        case(2, 3, 7, 6, 4, (3, 2), 1, 1, "pad x by `padding`, and crop the padding off dx"),
        case(2, 2, 9, 8, 3, (3, 3), 2, 1, "with a stride, output (i, j) reads x_pad at "
             "(i * stride + kh, j * stride + kw): scatter dy back to those positions"),
    ]  # fmt: skip
    return grade("conv2d backward", my_conv2d_backward, cases)
