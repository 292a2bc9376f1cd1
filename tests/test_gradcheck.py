"""md.gradcheck (minidl/gradcheck.py): passes right gradients, catches wrong ones, and says
which input, which element, analytic against numeric."""

from __future__ import annotations

import numpy as np
import pytest

import minidl as md
from minidl.autograd import Function


class WrongSquare(Function):
    """x² with a backward that is wrong at exactly one element (the last), by 10 %."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        grad = 2 * x * g
        grad.reshape(-1)[-1] *= 1.1
        return grad


def f64(*shape: int, seed: int = 0) -> md.Tensor:
    values = np.random.default_rng(seed).uniform(0.5, 1.5, shape)
    return md.tensor(values, requires_grad=True)


def test_passes_a_right_gradient_with_several_inputs_and_constants():
    w, b, x = f64(3, 2), f64(2, seed=1), md.tensor(np.ones((4, 3)))
    assert md.gradcheck(lambda w, b, x: (x @ w + b).tanh(), [w, b, x])


def test_catches_a_wrong_backward_and_reports_input_element_and_values():
    x = f64(2, 3)
    with pytest.raises(md.GradcheckError) as info:
        md.gradcheck(lambda a, b: a * WrongSquare.apply(b), [f64(2, 3, seed=1), x])
    report = str(info.value)
    assert "input 1 (shape (2, 3)), checked element by element: 1 mismatches" in report
    assert "worst at element (1, 2)" in report
    analytic, numeric = (
        float(s.split()[0].rstrip(",")) for s in report.split("analytic ")[1].split("numeric ")
    )
    assert analytic == pytest.approx(1.1 * numeric, rel=1e-6)
    assert "input 0" not in report  # the other input's gradient is right


def test_catches_a_wrong_backward_on_a_large_input_along_random_directions():
    x = f64(40, 40)  # 1600 elements > max_exhaustive
    with pytest.raises(md.GradcheckError, match="along 8 random directions"):
        md.gradcheck(lambda t: WrongSquare.apply(t) * 1.0, [x])
    assert md.gradcheck(lambda t: (t * t).sum(), [f64(40, 40)])


def test_can_return_false_and_print_instead_of_raising(capsys):
    assert not md.gradcheck(WrongSquare.apply, [f64(3)], raise_exception=False)
    assert "gradcheck failed:" in capsys.readouterr().out


def test_a_missing_gradient_is_a_mismatch():
    class Forgets(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return None

    with pytest.raises(md.GradcheckError, match="analytic 0, numeric"):
        md.gradcheck(Forgets.apply, [f64(2)])


def test_works_on_0d_and_non_contiguous_inputs():
    scalar = md.tensor(np.float64(0.7), dtype=md.float64, requires_grad=True)
    assert md.gradcheck(lambda t: t.exp() * t, [scalar])
    assert scalar.shape == ()
    strided = md.tensor(np.ones((3, 4)), requires_grad=True)
    strided.data = strided.data.T
    assert md.gradcheck(lambda t: t.sigmoid(), [strided]) and strided.shape == (4, 3)


def test_refuses_float32_and_inputs_without_grad():
    with pytest.raises(
        TypeError, match="gradcheck: input 0 is float32; finite differences need float64"
    ):
        md.gradcheck(lambda t: t * 2, [md.ones(2, requires_grad=True)])
    with pytest.raises(ValueError, match="gradcheck: no input requires grad"):
        md.gradcheck(lambda t: t * 2, [md.ones(2, dtype=md.float64)])
