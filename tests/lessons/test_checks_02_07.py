"""The checkers of lessons 02 and 07 catch the usual mistakes, each at the case that names it.

tests/lessons/test_exercises.py checks that the skeletons fail and the solutions pass; here
the solutions are broken on purpose, one mistake at a time.
"""

from __future__ import annotations

import numpy as np
import pytest

from minidl.lessons.checks import lesson02, lesson07
from minidl.lessons.solutions import lesson02 as solved02
from minidl.lessons.solutions import lesson07 as solved07
from minidl.optim import lbfgs


def failing_case(result) -> int:
    """The number of the first failing case (0 if it passed)."""
    if result.ok:
        return 0
    return int(result.failure.split("case ")[1].split(" of")[0])


def pool_by_rule(x, K, S, P, pad_value=-np.inf, replace=None):
    """Max-pooling written tap by tap with a chosen padding value and replacement rule."""
    N, C, H, W = x.shape
    OH, OW = (H + 2 * P - K) // S + 1, (W + 2 * P - K) // S + 1
    x_pad = np.pad(x, ((0, 0), (0, 0), (P, P), (P, P)), constant_values=pad_value)
    out = np.full((N, C, OH, OW), -np.inf, dtype=x.dtype)
    indices = np.zeros((N, C, OH, OW), dtype=np.int64)
    for n, c, i, j in np.ndindex(N, C, OH, OW):
        first = True
        for kh in range(K):
            for kw in range(K):
                r, q = i * S + kh, j * S + kw
                real = P <= r < H + P and P <= q < W + P
                value = x_pad[n, c, r, q]
                if replace(value, out[n, c, i, j], first and real):
                    out[n, c, i, j], indices[n, c, i, j] = value, (r - P) * W + (q - P)
                first = first and not real
    return out, indices


def pytorch_rule(value, best, first):
    return value > best or np.isnan(value) or first


@pytest.mark.parametrize(
    "mistake, case",
    [
        (lambda v, b, f: v >= b or np.isnan(v) or f, 3),  # the last maximum wins ties
        (lambda v, b, f: v > b or f, 6),  # NaN never replaces the best
        (lambda v, b, f: (v > b or np.isnan(v)) and not np.isnan(b) or f, 6),  # the first NaN stays
        (lambda v, b, f: v > b or np.isnan(v), 5),  # an all -inf window keeps index 0
    ],
)
def test_max_pool2d_mistakes_fail_where_they_should(mistake, case):
    assert lesson02.check_max_pool2d(lambda *a: pool_by_rule(*a, replace=pytorch_rule)).ok
    result = lesson02.check_max_pool2d(lambda *a: pool_by_rule(*a, replace=mistake))
    assert failing_case(result) == case, result


def test_zero_padding_fails_on_negative_values():
    result = lesson02.check_max_pool2d(lambda *a: pool_by_rule(*a, 0.0, pytorch_rule))
    assert failing_case(result) == 4, result


def test_conv_transpose2d_mistakes():
    def unflipped(y, w, stride, padding, output_padding, dilation):
        return solved02.my_conv_transpose2d(y, w[:, :, ::-1, ::-1], stride, padding,
                                            output_padding, dilation)  # fmt: skip

    def no_dilation(y, w, stride, padding, output_padding, dilation):
        return solved02.my_conv_transpose2d(y, w, stride, padding, output_padding, 1)

    assert failing_case(lesson02.check_conv_transpose2d(unflipped)) == 1
    assert failing_case(lesson02.check_conv_transpose2d(no_dilation)) == 5


def test_max_unpool2d_that_adds_fails():
    def adds(x, indices, OH, OW):
        N, C, H, W = x.shape
        out = np.zeros((N * C, OH * OW), dtype=x.dtype)
        np.add.at(
            out, (np.arange(N * C)[:, None], indices.reshape(N * C, -1)), x.reshape(N * C, -1)
        )
        return out.reshape(N, C, OH, OW)

    assert not lesson02.check_max_unpool2d(adds).ok


def test_gram_mistakes():
    def by_positions(f):
        return solved07.my_gram(f) * f.shape[1]  # divided by H*W only

    def batch_mixed(f):
        N, C, H, W = f.shape
        flat = f.reshape(N, C, H * W)
        return np.broadcast_to((flat[0] @ flat[0].T) / (C * H * W), (N, C, C))

    assert failing_case(lesson07.check_gram(by_positions)) == 1
    assert failing_case(lesson07.check_gram(batch_mixed)) == 2


def test_two_loop_mistakes_and_the_library_restored():
    def same_order(g, pairs, h0):  # both loops oldest first
        q, alphas = -g, []
        for s, y in pairs:
            a = (s @ q) / (y @ s)
            q, alphas = q - a * y, alphas + [a]
        r = h0 * q
        for (s, y), a in zip(pairs, alphas):
            r = r + (a - (y @ r) / (y @ s)) * s
        return r

    def ignores_h0(g, pairs, h0):
        return solved07.my_two_loop(g, pairs, 1.0)

    def raises_inside(g, pairs, h0):
        if g.size == 8:  # the size of the LBFGS case only: the explicit cases pass
            raise RuntimeError("boom")
        return solved07.my_two_loop(g, pairs, h0)

    shipped = lbfgs.two_loop_direction
    assert failing_case(lesson07.check_two_loop(same_order)) == 3
    assert failing_case(lesson07.check_two_loop(ignores_h0)) == 1
    assert failing_case(lesson07.check_two_loop(raises_inside)) == 5
    assert lbfgs.two_loop_direction is shipped


def test_two_loop_inside_lbfgs_is_checked():
    def steepest_in_lbfgs(g, pairs, h0):  # right on the explicit cases, steepest descent in LBFGS
        return -h0 * g if g.size == 8 else solved07.my_two_loop(g, pairs, h0)

    assert lesson07._inside_lbfgs(solved07.my_two_loop, 8, 7, 4) == pytest.approx(
        lesson07._lbfgs_iterates(8, 7, 4)
    )
    wrong = lesson07._inside_lbfgs(lambda g, p, h0: -h0 * g, 8, 7, 4)
    assert np.abs(wrong - lesson07._lbfgs_iterates(8, 7, 4)).max() > 1e-3
    assert failing_case(lesson07.check_two_loop(steepest_in_lbfgs)) == 5
