"""Checkers of lesson 00 (autograd): the toy engine's backward, a Function's backward,
``sum_to_shape`` and the matmul backward."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import minidl as md
from minidl.autograd import sum_to_shape

from ..grading import Case, Result, grade


class Scalar:
    """The lesson's toy node: a value, its parents with the local derivative along each edge,
    and a ``grad`` that backward fills."""

    def __init__(self, value: float, parents: tuple = ()) -> None:
        self.value, self.parents, self.grad = value, parents, 0.0

    def __add__(self, other: Scalar) -> Scalar:
        return Scalar(self.value + other.value, ((self, 1.0), (other, 1.0)))

    def __mul__(self, other: Scalar) -> Scalar:
        return Scalar(self.value * other.value, ((self, other.value), (other, self.value)))


def _graph_case(name: str, build: Callable, values: tuple, exact: tuple, hint: str) -> Case:
    def run(my_backward: Callable) -> np.ndarray:
        leaves = [Scalar(v) for v in values]
        my_backward(build(*leaves))
        return np.array([leaf.grad for leaf in leaves])

    return Case(name, run, np.array(exact, dtype=float), hint=hint)


def check_backward(my_backward: Callable[[Scalar], Any]) -> Result:
    """``my_backward(out)`` sets ``out.grad = 1`` and fills ``.grad`` of every node of the toy
    engine: each node after all the nodes it feeds (a topological order), with ``+=``."""
    cases = [
        _graph_case("a chain: (a * b) + c at a=2, b=3, c=1", lambda a, b, c: (a * b) + c,
                    (2.0, 3.0, 1.0), (3.0, 2.0, 1.0),
                    "out.grad = 1, then walk the nodes from the output to the leaves"),
        _graph_case("a used twice: a * a at a=3", lambda a: a * a, (3.0,), (6.0,),
                    "a node used twice receives two gradients: add them (+=), do not assign"),
        _graph_case("a diamond: h = a * b; out = h * h + h at a=2, b=-1",
                    lambda a, b: (lambda h: h * h + h)(a * b), (2.0, -1.0),
                    (-1.0 * (2 * -2.0 + 1), 2.0 * (2 * -2.0 + 1)),
                    "visit h only after both of its uses have sent their gradients: a "
                    "topological order (depth-first, each node after its parents), reversed"),
        _graph_case("a deeper graph: ((a + b) * (a * c)) + b at a=1.5, b=-2, c=0.5",
                    lambda a, b, c: ((a + b) * (a * c)) + b, (1.5, -2.0, 0.5),
                    ((1.5 * 0.5) + (-0.5) * 0.5, 1.5 * 0.5 + 1.0, (-0.5) * 1.5),
                    "every path from the output to a leaf adds its product of local derivatives"),
        _graph_case("a chain 5000 nodes deep: a + b + b + ... + b", _deep, (1.0, 0.5),
                    (1.0, float(DEPTH)),
                    "a recursive visit() exceeds Python's recursion limit here: keep your own "
                    "stack of (node, expanded) pairs, as minidl/autograd.py's "
                    "_topological_order does"),
    ]  # fmt: skip
    return grade("backward", my_backward, cases)


DEPTH = 5000


def _deep(a: Scalar, b: Scalar) -> Scalar:
    out = a
    for _ in range(DEPTH):
        out = out + b
    return out


def check_softplus(Softplus: type) -> Result:
    """``Softplus`` is a `md.Function` whose backward returns dL/dx for softplus(x) = log(1+e^x),
    stable for large |x|."""

    def gradcheck(fn: type) -> str | None:
        x = md.tensor(np.random.default_rng(1).standard_normal((4, 5)) * 3, requires_grad=True)
        try:
            md.gradcheck(fn.apply, [x])
        except md.GradcheckError as error:
            return str(error)
        return None

    def huge(fn: type) -> np.ndarray:
        big = md.tensor(np.array([-800.0, 0.0, 800.0]), requires_grad=True)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            fn.apply(big).sum().backward()
        if big.grad is None:
            raise ValueError("backward returned None: no gradient reached x")
        return np.asarray(big.grad)

    cases = [
        Case("gradcheck on random inputs in float64", lambda fn: gradcheck(fn),
             check=lambda error: error,
             hint="d softplus / dx = e^x / (1 + e^x) = sigmoid(x), times the incoming grad"),
        Case("x = -800, 0, 800: finite gradients 0, 0.5, 1", huge, np.array([0.0, 0.5, 1.0]),
             hint="e^800 overflows: sigmoid(x) = 0.5 (1 + tanh(x / 2)) never computes it"),
    ]  # fmt: skip
    return grade("softplus backward", Softplus, cases)


def check_v_grad(my_v_grad: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Result:
    """``my_v_grad(P, v)``: dL/dv for L = sum_ij (P_ij v_j)^2, P (n, m), v (m,) broadcast."""

    def case(P: np.ndarray, v: np.ndarray, name: str) -> Case:
        def want() -> np.ndarray:
            Pt, vt = md.tensor(P, requires_grad=True), md.tensor(v, requires_grad=True)
            ((Pt * vt) ** 2).sum().backward()
            return np.asarray(vt.grad)

        return Case(name, lambda f: f(P, v), want,
                    hint="differentiate one term (P_ij v_j)^2 by v_j, then sum over the axis "
                         "that broadcasting added (the rows)")  # fmt: skip

    rng = np.random.default_rng(2)
    return grade("v.grad", my_v_grad, [
        case(np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.0]]), np.array([0.5, 1.0, -2.0]),
             "the lesson's P (2, 3) and v (3,)"),
        case(rng.standard_normal((5, 4)), rng.standard_normal(4), "P (5, 4), v (4,)"),
    ])  # fmt: skip


def check_sum_to_shape(my_sum_to_shape: Callable[[np.ndarray, tuple], np.ndarray]) -> Result:
    """``my_sum_to_shape(grad, shape)``: the gradient of a broadcast input of ``shape``."""
    rng = np.random.default_rng(3)
    pairs = [((2, 3), (3,)), ((4, 1, 5), (1, 5)), ((2, 3), (2, 1)), ((3, 4), ()),
             ((2, 3), (2, 3)), ((2, 3, 4), (3, 1)), ((5, 1, 2), (1, 1, 2))]  # fmt: skip
    hints = {
        (3,): "broadcasting added leading axes: sum them away",
        (2, 1): "an axis of size 1 in the input was stretched: sum it with keepdims=True",
        (): "a scalar input: every axis was added",
    }
    cases = []
    for grad_shape, shape in pairs:
        grad = rng.standard_normal(grad_shape)
        cases.append(Case(f"grad {grad_shape} onto shape {shape}",
                          lambda f, g=grad, s=shape: f(g, s), sum_to_shape(grad, shape),
                          hint=hints.get(shape, "sum the added leading axes, then the stretched "
                                                "size-1 axes with keepdims")))  # fmt: skip
    return grade("sum_to_shape", my_sum_to_shape, cases)


def check_matmul_backward(my_matmul_backward: Callable) -> Result:
    """``my_matmul_backward(A, B, dY) -> (dA, dB)`` for Y = A @ B (2-D, or batched 3-D)."""
    rng = np.random.default_rng(4)

    def case(a_shape: tuple, b_shape: tuple, name: str, hint: str) -> Case:
        A, B = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
        dY = rng.standard_normal(np.matmul(A, B).shape)

        def want() -> tuple:
            At, Bt = md.tensor(A, requires_grad=True), md.tensor(B, requires_grad=True)
            (At @ Bt).backward(dY)
            return np.asarray(At.grad), np.asarray(Bt.grad)

        return Case(name, lambda f: tuple(f(A, B, dY)), want, hint=hint)

    return grade("matmul backward", my_matmul_backward, [
        case((3, 4), (4, 2), "A (3, 4) @ B (4, 2)",
             "dA = dY @ B^T and dB = A^T @ dY: check the shapes, (3, 4) and (4, 2)"),
        case((1, 5), (5, 1), "a row (1, 5) @ a column (5, 1)", "the same two formulas"),
        case((2, 3, 4), (2, 4, 5), "batched: (2, 3, 4) @ (2, 4, 5)",
             "transpose only the last two axes: np.swapaxes(B, -1, -2)"),
    ])  # fmt: skip
