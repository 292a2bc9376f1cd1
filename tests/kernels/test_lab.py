"""The kernel lab (minidl/lab/): check() passes the shipped kernels, catches broken ones
(wrong values, wrong tie-breaking, a modified input, a failing gradient), reports readably,
and check_all() returns the exit code `minidl check` uses."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
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


def test_timing_compares_with_the_reference_the_pristine_kernel_and_torch():
    report = md.kernels.check("max_unpool2d", "cpu", gradcheck=False, verbose=False)
    assert report.ok and report.gradcheck == "skipped" and report.timing_error is None
    labels = [row.label for row in report.speed]
    assert labels[0] == "yours (impl='cpu')" and labels[1] == "reference (NumPy)"
    assert labels[2].startswith("pristine cpu, ")
    assert report.speed[2].seconds is None  # the shipped file itself: nothing to compare
    assert " GB/s" in report.timing and "yours is" in report.timing
    if importlib.util.find_spec("torch"):
        assert labels[3].startswith("PyTorch 2") and report.speed[3].seconds > 0


def test_the_speed_line_says_how_many_times_slower():
    shipped = md.kernels.shipped("max_unpool2d", "cpu")

    def slow(x, indices, OH, OW):
        time.sleep(0.01)  # far longer than the shipped kernel's ~1 ms
        return shipped(x, indices, OH, OW)

    report = md.kernels.check("max_unpool2d", slow, gradcheck=False, verbose=False)
    assert report.ok
    pristine_line = next(line for line in report.timing.splitlines() if "pristine cpu" in line)
    assert re.search(r"yours is \d+\.\dx slower", pristine_line), report.timing


def test_flop_counting_kernels_report_gflops():
    report = md.kernels.check("conv2d_direct", "cpu", gradcheck=False, verbose=False)
    assert report.ok and "GFLOP/s" in report.timing


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
    assert "minidl lab check: 1/1 passed" in capsys.readouterr().out


def test_every_case_builds_equal_inputs_from_equal_seeds():
    """The lab calls make() once per implementation: both must see the same values."""
    for spec in specs().values():
        for case in spec.cases:
            a, _ = case.make(np.random.default_rng(0))
            b, _ = case.make(np.random.default_rng(0))
            for u, v in zip(a, b):
                if isinstance(u, np.ndarray):
                    assert u is not v and np.array_equal(u, v, equal_nan=True), case.name


def test_an_impl_can_be_a_file(tmp_path):
    good = tmp_path / "my_unpool.py"
    good.write_text(
        "from minidl.kernels.pool.reference import max_unpool2d as _ref\n"
        "def max_unpool2d(x, indices, OH, OW):\n"
        "    return _ref(x, indices, OH, OW)\n"
    )
    report = md.kernels.check("max_unpool2d", str(good), bench=False, verbose=False)
    assert report.ok and report.impl == f"max_unpool2d from {good}"
    bad = tmp_path / "my_bad_unpool.py"
    bad.write_text("def max_unpool2d(x, indices, OH, OW):\n    return x\n")
    assert not md.kernels.check("max_unpool2d", bad, bench=False, verbose=False).ok
    with pytest.raises(ValueError, match="no file"):
        md.kernels.check("max_unpool2d", str(tmp_path / "missing.py"))


def test_a_mismatch_shows_where_and_the_values_around_it():
    def off_by_one(x, indices, OH, OW):
        out = pool_reference.max_unpool2d(x, indices, OH, OW)
        out[0, 0, 1, 2] += 1
        return out

    report = md.kernels.check("max_unpool2d", off_by_one, bench=False, verbose=False)
    err = next(e for _, e in report.cases if e)
    assert "first at (0, 0, 1, 2)" in err
    assert "expected" in err and "got" in err and "*" in err  # the neighbourhood, marked


def test_gpu_without_gpu_or_simulator_says_how(monkeypatch):
    monkeypatch.delenv("NUMBA_ENABLE_CUDASIM", raising=False)
    if md.backend.gpu_status()[0]:
        pytest.skip("a GPU is usable here")
    with pytest.raises(ValueError, match="needs a GPU or the CUDA simulator.*minidl lab check"):
        md.kernels.check("max_unpool2d", "gpu")


def test_lab_list_names_every_kernel_and_its_files():
    text = repr(md.kernels.table())
    for name, kernel in md.kernels.KERNELS.items():
        assert name in text and f"{kernel.family}/reference.py:" in text


def test_lab_check_gpu_runs_on_the_simulator_without_a_gpu():
    if md.backend.gpu_status()[0]:
        pytest.skip("a GPU is usable here: the command would use it")
    command = [sys.executable, "-m", "minidl", "lab", "check", "max_unpool2d", "--impl", "gpu"]
    done = subprocess.run(
        [*command, "--no-bench", "--no-gradcheck"], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "CUDA simulator" in done.stdout and "minidl lab check: 1/1 passed" in done.stdout


def test_minidl_lab_list_and_bad_names(capsys):
    from minidl.lab import main

    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "max_pool2d" in out and "pool/reference.py:" in out and "cases; ops:" in out
    with pytest.raises(SystemExit):
        main(["check", "conv3d"])
    assert "unknown kernel 'conv3d'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["check"])
    assert "give a kernel name" in capsys.readouterr().err


def test_minidl_lab_check_a_file(tmp_path, capsys):
    from minidl.lab import main

    mine = tmp_path / "unpool.py"
    mine.write_text("def max_unpool2d(x, indices, OH, OW):\n    return x\n")
    assert main(["check", "max_unpool2d", "--impl", str(mine), "--no-bench"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "minidl lab check: 0/1 passed" in out


@pytest.mark.parametrize("kernel", sorted(specs()))
def test_every_spec_rejects_a_wrong_implementation(kernel):
    """The reference with one output value changed: every spec must notice."""
    reference = md.kernels.shipped(kernel, "reference")

    def off_by_one(*args, **kwargs):
        result = reference(*args, **kwargs)
        first = result[0] if isinstance(result, tuple) else result
        if first.size:  # an empty output (no boxes) has nothing to change
            first.reshape(-1)[first.size // 2] += 1
        return result

    report = md.kernels.check(kernel, off_by_one, bench=False, gradcheck=False, verbose=False)
    assert not report.ok
    assert all(err and "values differ" in err for _, err in report.cases if err), str(report)
