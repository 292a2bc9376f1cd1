"""The checkers of lessons 00 and 01 catch the usual mistakes, each at the case that names it.

tests/lessons/test_exercises.py checks that the skeletons fail and the solutions pass; here
the solutions are broken on purpose, one mistake at a time.
"""

from __future__ import annotations

import numpy as np

from minidl.lessons.checks import lesson00, lesson01
from minidl.lessons.solutions import lesson00 as solved00
from minidl.lessons.solutions import lesson01 as solved01


def failing_case(result) -> int:
    """The number of the first failing case (0 if it passed)."""
    if result.ok:
        return 0
    return int(result.failure.split("case ")[1].split(" of")[0])


def _order(out):
    order, seen, stack = [], set(), [(out, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((parent, False) for parent, _ in node.parents)
    return order


def test_backward_that_assigns_fails_at_the_node_used_twice():
    def assigns(out):
        out.grad = 1.0
        for node in reversed(_order(out)):
            for parent, local in node.parents:
                parent.grad = local * node.grad

    result = lesson00.check_backward(assigns)
    assert failing_case(result) == 2 and "+=" in result.failure


def test_backward_without_a_topological_order_fails_at_the_diamond():
    def breadth_first(out):  # visits h after its first use only: not a topological order
        out.grad, queue = 1.0, [out]
        while queue:
            node = queue.pop(0)
            for parent, local in node.parents:
                parent.grad += local * node.grad
                queue.append(parent)

    assert not lesson00.check_backward(breadth_first).ok


def test_recursive_backward_fails_only_on_the_deep_chain():
    def recursive(out):
        order, seen = [], set()

        def visit(node):
            if id(node) not in seen:
                seen.add(id(node))
                for parent, _ in node.parents:
                    visit(parent)
                order.append(node)

        visit(out)
        out.grad = 1.0
        for node in reversed(order):
            for parent, local in node.parents:
                parent.grad += local * node.grad

    result = lesson00.check_backward(recursive)
    assert failing_case(result) == 5 and "recursion" in result.failure


def test_sum_to_shape_mistakes():
    assert lesson00.check_sum_to_shape(solved00.my_sum_to_shape).ok

    def no_keepdims(grad, shape):
        lead = grad.ndim - len(shape)
        grad = grad.sum(axis=tuple(range(lead)))
        stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
        return grad.sum(axis=stretched) if stretched else grad

    def leading_only(grad, shape):
        return grad.sum(axis=tuple(range(grad.ndim - len(shape))))

    result = lesson00.check_sum_to_shape(no_keepdims)
    assert failing_case(result) == 3 and "keepdims" in result.failure  # (2, 3) onto (2, 1)
    assert failing_case(lesson00.check_sum_to_shape(leading_only)) == 3


def test_matmul_backward_mistakes():
    def swapped_order(A, B, dY):  # .T reverses every axis, the batch's too
        return dY @ B.T, A.T @ dY

    assert failing_case(lesson00.check_matmul_backward(swapped_order)) == 3  # .T moves the batch

    def dB_transposed(A, B, dY):  # dY^T @ A: the right numbers, in B^T's shape
        return dY @ np.swapaxes(B, -1, -2), np.swapaxes(dY, -1, -2) @ A

    assert failing_case(lesson00.check_matmul_backward(dB_transposed)) == 1


def test_col2im_that_assigns_fails():
    def assigns(cols, x_shape, KH, KW, SH, SW, PH, PW, DH, DW):
        N, C, H, W = x_shape
        OH, OW = cols.shape[4], cols.shape[5]
        HP = max(H + 2 * PH, SH * (OH - 1) + DH * (KH - 1) + 1)
        WP = max(W + 2 * PW, SW * (OW - 1) + DW * (KW - 1) + 1)
        x_pad = np.zeros((N, C, HP, WP), dtype=cols.dtype)
        for oh in range(OH):
            for ow in range(OW):
                h, w = oh * SH, ow * SW
                x_pad[:, :, h : h + DH * (KH - 1) + 1 : DH, w : w + DW * (KW - 1) + 1 : DW] = cols[
                    :, :, :, :, oh, ow
                ].transpose(3, 0, 1, 2)
        return np.ascontiguousarray(x_pad[:, :, PH : PH + H, PW : PW + W])

    assert lesson01.check_col2im(solved01.my_col2im).ok
    assert not lesson01.check_col2im(assigns).ok


def test_conv_backward_mistakes():
    def forgets_padding_crop(x, w, dy, stride, padding):
        dx, dw, db = solved01.my_conv2d_backward(x, w, dy, stride, padding)
        return np.pad(dx, ((0, 0), (0, 0), (padding, padding), (padding, padding)))[
            :, :, : x.shape[2], : x.shape[3]
        ], dw, db  # fmt: skip

    def bias_per_position(x, w, dy, stride, padding):
        dx, dw, _ = solved01.my_conv2d_backward(x, w, dy, stride, padding)
        return dx, dw, dy.sum(axis=0)

    assert lesson01.check_conv_backward(solved01.my_conv2d_backward).ok
    assert failing_case(lesson01.check_conv_backward(forgets_padding_crop)) == 2
    assert failing_case(lesson01.check_conv_backward(bias_per_position)) == 1
