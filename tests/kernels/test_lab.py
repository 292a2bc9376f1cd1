"""The kernel lab (minidl/lab/): check() passes the shipped kernels, catches broken ones
(wrong values, wrong tie-breaking, a modified input, a failing gradient), reports readably,
and check_all() returns the exit code `minidl check` uses."""

from __future__ import annotations

import re
import time

import numpy as np
import pytest

import minidl as md
from minidl.kernels.im2col import reference as im2col_reference
from minidl.kernels.pool import reference as pool_reference
from minidl.lab import check_all, specs


@pytest.mark.parametrize("kernel", sorted(specs()))
@pytest.mark.parametrize("impl", ["reference", "cpu"])
def test_shipped_kernels_pass(kernel, impl):
    report = md.kernels.check(kernel, impl, bench=False, verbose=False)
    assert report.ok, str(report)
    assert len(report.cases) >= 10


def _last_maximum_wins(x, KH, KW, SH, SW, PH, PW):
    """A plausible student bug: ">=" instead of ">" picks the last of tied maxima."""
    out, idx = pool_reference.max_pool2d(x[:, :, ::-1, ::-1], KH, KW, SH, SW, PH, PW)
    H, W = x.shape[2:]
    flipped = (H - 1 - idx // W) * W + (W - 1 - idx % W)
    return out[:, :, ::-1, ::-1], flipped[:, :, ::-1, ::-1]


def test_a_wrong_tie_break_fails_with_a_readable_report(capsys):
    report = md.kernels.check("max_pool2d", _last_maximum_wins, bench=False)
    assert not report.ok
    text = capsys.readouterr().out
    assert "FAIL  2x2, stride 2" in text and "indices:" in text and "=> FAIL" in text
    assert "impl=_last_maximum_wins from" in text


def test_a_col2im_that_drops_overlaps_fails_the_cases_and_the_gradcheck():
    def col2im_last_write_wins(cols, x_shape, KH, KW, SH, SW, PH, PW, DH, DW):
        x = im2col_reference.col2im(cols[:, :1, :1], x_shape, 1, 1, SH, SW, PH, PW, DH, DW)
        return x  # only the first kernel offset: overlapping windows are lost

    report = md.kernels.check("col2im", col2im_last_write_wins, bench=False, verbose=False)
    assert not report.ok
    assert report.gradcheck is not None and "GradcheckError" in report.gradcheck


def test_an_impl_that_modifies_its_input_fails():
    def im2col_scribbles(x, *geometry, out=None):
        cols = im2col_reference.im2col(x.copy(), *geometry, out=out)
        x[...] = 0
        return cols

    report = md.kernels.check("im2col", im2col_scribbles, bench=False, verbose=False)
    assert not report.ok
    assert any(err and "modified its input argument 0" in err for _, err in report.cases)


def test_an_impl_that_raises_is_reported_not_propagated():
    def broken(x, indices, OH, OW):
        raise RuntimeError("not written yet")

    report = md.kernels.check("max_unpool2d", broken, bench=False, verbose=False)
    assert not report.ok
    assert all("raised RuntimeError: not written yet" in err for _, err in report.cases)


def test_timing_compares_with_the_shipped_kernel(capsys):
    report = md.kernels.check("max_unpool2d", "cpu", gradcheck=False, verbose=False)
    assert report.ok and report.gradcheck == "skipped" and report.timing_error is None
    assert " the shipped cpu kernel: " in report.timing and " ms against " in report.timing


def test_the_speed_line_says_how_many_times_slower():
    shipped = md.kernels.shipped("max_unpool2d", "cpu")

    def slow(x, indices, OH, OW):
        time.sleep(0.01)  # far longer than the shipped kernel's ~1 ms
        return shipped(x, indices, OH, OW)

    report = md.kernels.check("max_unpool2d", slow, gradcheck=False, verbose=False)
    assert report.ok
    assert re.match(r"\d+\.\dx slower than the shipped cpu kernel: ", report.timing)


def test_an_impl_that_raises_only_in_the_speed_step_fails_without_crashing(capsys):
    """The timing input is larger than every edge case: a kernel may only break there."""

    def small_only(x, indices, OH, OW):
        if x.size > 10_000:
            raise MemoryError("too big for my kernel")
        return pool_reference.max_unpool2d(x, indices, OH, OW)

    report = md.kernels.check("max_unpool2d", small_only, gradcheck=False)
    assert all(err is None for _, err in report.cases)  # right on every edge case
    assert not report.ok
    assert "raised MemoryError: too big for my kernel" in report.timing_error
    text = capsys.readouterr().out
    assert "speed: FAIL" in text and "too big for my kernel" in text and "=> FAIL" in text


def test_an_im2col_that_ignores_out_fails_the_out_case():
    def im2col_ignores_out(x, *geometry, out=None):
        return im2col_reference.im2col(x, *geometry)  # right values, but a new array

    report = md.kernels.check("im2col", im2col_ignores_out, bench=False, gradcheck=False)
    assert not report.ok
    failed = {name: err for name, err in report.cases if err is not None}
    assert list(failed) == ["writes into out= when given"]
    assert "ignored out=" in failed["writes into out= when given"]


def test_check_all_skips_implementations_a_kernel_does_not_have(capsys):
    code = check_all(["--kernel", "winograd_output", "--impl", "gpu", "--no-bench"])
    assert code == 0
    assert "winograd_output: no gpu implementation, skipped" in capsys.readouterr().out


def test_unknown_kernel_is_a_value_error():
    with pytest.raises(ValueError, match=r"kernels.check: no lab spec for 'conv3d'"):
        md.kernels.check("conv3d")


def test_check_all_exit_code(capsys):
    assert check_all(["--kernel", "max_unpool2d", "--impl", "cpu", "--no-bench"]) == 0
    assert "minidl check: 1/1 passed" in capsys.readouterr().out


def test_every_case_builds_equal_inputs_from_equal_seeds():
    """The lab calls make() once per implementation: both must see the same values."""
    for spec in specs().values():
        for case in spec.cases:
            a, _ = case.make(np.random.default_rng(0))
            b, _ = case.make(np.random.default_rng(0))
            for u, v in zip(a, b):
                if isinstance(u, np.ndarray):
                    assert u is not v and np.array_equal(u, v, equal_nan=True), case.name
