"""Checkers of lesson 02 (down and up): max-pooling with its indices, the transpose convolution
as zero insertion + convolution, and the max-unpool kernel."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import minidl as md
import minidl.nn.functional as F

from ..grading import Case, Result, grade, lab


def _pool_case(name: str, x: np.ndarray, K: int, S: int, P: int, hint: str) -> Case:
    def want() -> tuple[np.ndarray, np.ndarray]:
        out, indices = F.max_pool2d(md.tensor(x), K, S, P, return_indices=True)
        return out.numpy(), indices.numpy()

    def run(fn: Callable) -> tuple:
        got = fn(x.copy(), K, S, P)
        if not isinstance(got, tuple | list) or len(got) != 2:
            raise TypeError(f"expected a pair (out, indices), got {type(got).__name__}")
        return tuple(got)

    return Case(f"{name}: x {x.shape}, kernel {K}, stride {S}, padding {P}", run, want, hint=hint)


def check_max_pool2d(my_max_pool2d: Callable) -> Result:
    """``my_max_pool2d(x, K, S, P) -> (out, indices)`` on a NumPy array x (N, C, H, W), as
    ``F.max_pool2d(x, K, S, P, return_indices=True)`` (which matches PyTorch's): int64 flat
    offsets into the unpadded H*W plane, ties to the first maximum in row-major order,
    padding never wins, NaN propagates."""
    rng = np.random.default_rng(2)
    simple = rng.standard_normal((1, 1, 4, 6)).astype(np.float32)
    # positive until case 4, so that a zero padding fails there, under its own hint
    odd = (0.1 + np.abs(rng.standard_normal((2, 3, 7, 9)))).astype(np.float32)
    ties = rng.integers(1, 3, (1, 2, 6, 7)).astype(np.float32)  # 1s and 2s: ties everywhere
    negative = (-1 - np.abs(rng.standard_normal((1, 1, 5, 7)))).astype(np.float32)
    minus_inf = rng.standard_normal((1, 1, 7, 7)).astype(np.float32)
    minus_inf[:, :, 1:6, 1:6] = -np.inf  # windows with nothing but -inf in them
    nan = rng.standard_normal((1, 2, 6, 8)).astype(np.float32)
    nan[0, 0, 1, 2] = np.nan  # one NaN in a window
    nan[0, 1, 2, 4], nan[0, 1, 3, 5] = np.nan, np.nan  # two NaNs in one window
    nan[0, 1, 3, 4] = 10.0  # and a larger value after the first of them
    cases = [
        _pool_case("non-overlapping windows", simple, 2, 2, 0,
                   "out[n, c, i, j] = max of x[n, c, i*S:i*S+K, j*S:j*S+K]; "
                   "indices[n, c, i, j] = row * W + column of that maximum, in x's plane"),
        _pool_case("odd, non-square, overlapping windows with padding", odd, 3, 2, 1,
                   "OH = (H + 2P - K) // S + 1; the offsets are into the UNPADDED plane: "
                   "(row - P) * W + (column - P) if you index the padded array"),
        _pool_case("ties (values 1 and 2 only)", ties, 3, 1, 1,
                   "on a tie the FIRST maximum in row-major order wins: replace the best only "
                   "when a value is strictly greater (>, not >=)"),
        _pool_case("all values negative", negative, 3, 2, 1,
                   "pad with -inf, not 0: a zero of padding would beat every negative value"),
        _pool_case("windows where every value is -inf", minus_inf, 3, 2, 1,
                   "nothing is > -inf, so such a window keeps its initial index: PyTorch's is "
                   "the window's first real (not padding) pixel in row-major order"),
        _pool_case("NaN in a window", nan, 2, 2, 0,
                   "PyTorch's rule, tap by tap: take the value when `value > best or "
                   "isnan(value)`. So a NaN wins, nothing replaces it but a later NaN"),
    ]  # fmt: skip
    return grade("max_pool2d", my_max_pool2d, cases)


def _transpose_case(
    name: str, shapes: tuple, S: int, P: int, OP: int, D: int, hint: str, seed: int
) -> Case:
    gen = np.random.default_rng(seed)
    y, w = (gen.standard_normal(shape) for shape in shapes)

    def want() -> np.ndarray:
        return F.conv_transpose2d(md.tensor(y), md.tensor(w), None, S, P, OP, 1, D).numpy()

    def run(fn: Callable) -> np.ndarray:
        got = fn(y.copy(), w.copy(), S, P, OP, D)
        return np.asarray(got.numpy() if hasattr(got, "numpy") else got)

    label = f"{name}: y {y.shape}, w {w.shape}, stride {S}, padding {P}, "
    label += f"output_padding {OP}, dilation {D}"
    return Case(label, run, want, hint=hint, rtol=1e-6, atol=1e-9)


def check_conv_transpose2d(my_conv_transpose2d: Callable) -> Result:
    """``my_conv_transpose2d(y, w, stride, padding, output_padding, dilation)`` on NumPy
    arrays y (N, C_in, H, W) and w (C_in, C_out, KH, KW), as ``F.conv_transpose2d``."""
    flip = "convolve with the kernel rotated by 180 degrees: w[:, :, ::-1, ::-1]"
    cases = [
        _transpose_case("stride 1, one channel", ((1, 1, 3, 4), (1, 1, 2, 3)), 1, 0, 0, 1,
                        "stride 1 inserts no zeros: pad by K - 1 on each side (KH - 1 rows, "
                        f"KW - 1 columns), then {flip}", seed=0),
        _transpose_case("stride 1, 3 -> 2 channels", ((2, 3, 4, 5), (3, 2, 3, 2)), 1, 0, 0, 1,
                        "conv2d wants (C_out, C_in, KH, KW); conv_transpose2d's weight is "
                        "(C_in, C_out, KH, KW): swap the two channel axes (and flip)", seed=1),
        _transpose_case("stride 2 (a x2 layer)", ((1, 3, 4, 5), (3, 2, 3, 3)), 2, 1, 1, 1,
                        "insert stride - 1 zeros between neighbouring pixels (none after the "
                        "last), pad by K - 1 - padding, and add output_padding at the bottom "
                        "and right only", seed=2),
        _transpose_case("stride 3, non-square kernel", ((2, 2, 3, 4), (2, 3, 2, 4)), 3, 0, 2, 1,
                        "with stride 3 there are 2 zeros between pixels: (H - 1) * 3 + 1 rows",
                        seed=3),
        _transpose_case("dilation 2", ((1, 2, 4, 3), (2, 2, 3, 3)), 2, 1, 1, 2,
                        "a dilated kernel spans dilation * (K - 1) + 1 pixels: pad by "
                        "dilation * (K - 1) - padding and convolve with dilation=dilation",
                        seed=4),
        _transpose_case("padding larger than K - 1", ((1, 2, 5, 6), (2, 1, 3, 3)), 2, 3, 1, 1,
                        "K - 1 - padding < 0 here: a negative padding crops that many rows and "
                        "columns (F.pad accepts negative amounts; np.pad does not)", seed=5),
    ]  # fmt: skip
    return grade("conv_transpose2d", my_conv_transpose2d, cases)


def check_max_unpool2d(my_max_unpool2d: Callable) -> Result:
    """``my_max_unpool2d(x, indices, OH, OW)`` on the kernel lab's cases (overlapping windows,
    repeated offsets, random indices, float32 ...), then the gradchecks of ``F.max_pool2d``
    and ``F.max_unpool2d`` with it plugged in."""
    return lab("max_unpool2d", "max_unpool2d", my_max_unpool2d)
