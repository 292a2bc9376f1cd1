"""Solutions of lesson 00's exercises (try them first)."""

from __future__ import annotations

import numpy as np

import minidl as md


def my_backward(out):
    # a topological order without recursion: a node goes in after all the nodes it was made
    # from (the stack holds (node, expanded): expanded once its parents are pushed)
    order, seen, stack = [], set(), [(out, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((parent, False) for parent, _ in node.parents)
    out.grad = 1.0
    for node in reversed(order):  # the output first, each node after everything it feeds
        for parent, local in node.parents:
            parent.grad += local * node.grad


class Softplus(md.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.logaddexp(0, x)  # log(1 + e^x), without overflow

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        # sigmoid(x) = 0.5 (1 + tanh(x / 2)) never computes a large exponential; grad / (1 +
        # np.exp(-x)) is right too but warns about an overflow for very negative x
        return grad * 0.5 * (1 + np.tanh(x / 2))


def my_v_grad(P, v):
    return (2 * P**2 * v).sum(axis=0)  # d/dv_j of (P_ij v_j)^2, summed over the rows


def my_sum_to_shape(grad, shape):
    lead = grad.ndim - len(shape)
    grad = grad.sum(axis=tuple(range(lead)))  # the axes broadcasting added in front
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return grad.sum(axis=stretched, keepdims=True) if stretched else grad


def my_matmul_backward(A, B, dY):
    dA = dY @ np.swapaxes(B, -1, -2)
    dB = np.swapaxes(A, -1, -2) @ dY
    return dA, dB
