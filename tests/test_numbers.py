"""minidl/numbers.py: how every number is printed, and the kernel lab's messages that use it."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

import minidl as md
import minidl.numbers
from minidl.kernels.pool import reference as pool_reference
from minidl.kernels.spec import compare
from minidl.numbers import decimals_apart, fmt, fmt_apart


def test_the_module_examples_hold():
    result = doctest.testmod(minidl.numbers, extraglobs={"np": np})
    assert result.attempted >= 4 and result.failed == 0


@pytest.mark.parametrize(
    "x, shown",
    [
        (1.3862297087996467e-08, "1.39e-08"),
        (-0.0, "0"),
        (-1e-12 * 0, "0"),
        (np.float64(-0.8523900581258608), "-0.852"),
        (np.float32(0.1), "0.100"),
        (1703.5137274188744, "1704"),
        (12.34, "12.3"),
        (2.5e6, "2.50e+06"),
        (np.int64(7), "7"),
        (float("nan"), "nan"),
        (True, "True"),
    ],
)
def test_fmt(x, shown):
    assert fmt(x) == shown


def test_fmt_rounds_small_negatives_to_zero_without_a_sign():
    assert fmt(-0.0004, 1) == "-4e-04" and fmt(-0.04, 1) == "-0.04"
    assert fmt(np.float64(-1e-30)) == "-1.00e-30"  # scientific keeps it: it is not zero
    assert not fmt(-0.00049, 3).startswith("-0.000")


def test_fmt_apart_shows_as_many_digits_as_the_difference_needs():
    assert fmt_apart(np.float64(0.0), np.float64(-0.8523900581258608)) == ("0", "-0.852")
    assert fmt_apart(1.0000001, 1.0) == ("1.0000001", "1")
    assert fmt_apart(np.float32(2.5), np.float32(2.5)) == ("2.5", "2.5")
    assert fmt_apart(np.int64(3), np.int64(5)) == ("3", "5")


def test_decimals_apart_never_prints_a_distance_equal_to_the_threshold():
    assert decimals_apart([0.31, 1.4], 0.8992) == 2
    k = decimals_apart([0.9001, 0.31], 0.8992)
    assert k == 3 and f"{0.9001:.{k}f}" != f"{0.8992:.{k}f}"
    assert decimals_apart([0.8992], 0.8992) == 2  # equal values may print equal


def test_the_lab_says_got_and_expected_as_plain_numbers():
    message = compare("out", np.array([0.0]), np.array([-0.8523900581258608]), exact=False)
    assert message.endswith("got 0, expected -0.852")
    assert "np.float64" not in message


def test_no_speed_for_a_kernel_that_returns_wrong_values(capsys):
    def zeros(x, KH, KW, SH, SW, PH, PW):  # a stub: the right shapes, nothing computed
        out, idx = pool_reference.max_pool2d(x, KH, KW, SH, SW, PH, PW)
        return np.zeros_like(out), np.zeros_like(idx)

    report = md.kernels.check("max_pool2d", zeros, gradcheck=False)
    assert not report.ok
    assert report.timing.startswith("not measured")
    assert "faster" not in capsys.readouterr().out
