"""The `minidl` command (minidl/cli.py)."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from minidl import cli


def test_info_exits_0_and_says_whether_a_gpu_is_usable(capsys):
    assert cli.main(["info"]) == 0
    out = capsys.readouterr().out
    assert "numpy" in out and "cpu cores" in out
    gpu_line = next(line for line in out.splitlines() if line.startswith("gpu "))
    assert "usable: " in gpu_line  # usable or not, and why


def test_info_has_one_numba_row_and_ends_with_the_next_command(capsys):
    assert cli.main(["info"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    rows = [line.split()[0] for line in lines if line.strip()]
    assert rows.count("numba") == 1
    numba_row = next(line for line in lines if line.startswith("numba "))
    assert "threads" in numba_row and "threading layer" in numba_row
    assert lines[-1].startswith("next: minidl demo unet --quick")


@pytest.mark.parametrize("argv", [["demo", "--help"], ["demo", "-h"]])
def test_demo_help_lists_every_demo_with_what_it_does_how_long_and_what_it_writes(argv, capsys):
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    for name, program in cli.DEMOS.items():
        line = next(line for line in out.splitlines() if line.split()[:1] == [name])
        assert program.what in line
        assert f"{program.time}; {program.writes}" in out
        assert "metrics.json" in program.writes and re.search(r"\d+ (s|min)", program.time)
    assert "out/NAME/" in out and "--metrics PATH" in out


def test_bench_help_lists_every_benchmark(capsys):
    assert cli.main(["bench", "--help"]) == 0
    out = capsys.readouterr().out
    for name, program in cli.BENCHMARKS.items():
        line = next(line for line in out.splitlines() if line.split()[:1] == [name])
        assert program.what in line and f"{program.time}; {program.writes}" in out


def test_demo_or_bench_without_a_name_lists_them_and_is_a_usage_error(capsys):
    assert cli.main(["demo"]) == 2
    assert cli.main(["bench"]) == 2
    err = capsys.readouterr().err
    assert "choose a demo" in err and "choose a benchmark" in err and "unet" in err


def test_a_demo_prints_a_summary_and_writes_metrics_next_to_its_pictures(tmp_path, capsys):
    out = tmp_path / "style"
    assert cli.main(["demo", "style", "--quick", "--out", str(out)]) == 0
    printed = capsys.readouterr().out.strip().splitlines()
    assert printed[-1] == (
        f"pictures and metrics written to {out}/ (style_transfer.png, losses.png, metrics.json)"
    )
    assert any("x lower" in line for line in printed)  # the summary, in words
    assert not any(line.strip() in "{}" for line in printed)  # no JSON dump
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["style_loss_reduction"] > 10 and metrics["seconds"] > 0
    assert {p.name for p in out.iterdir()} == {"style_transfer.png", "losses.png", "metrics.json"}
    for line in printed:  # at most 3 significant digits after the point, no 1e-08 tails
        assert not re.search(r"\d\.\d{5,}", line), line


def test_metrics_path_overrides_the_default(tmp_path, capsys):
    out, path = tmp_path / "pictures", tmp_path / "elsewhere" / "m.json"
    assert cli.main(["demo", "style", "--quick", "--out", str(out), "--metrics", str(path)]) == 0
    assert capsys.readouterr().out.strip().endswith(f"metrics to {path}")
    assert json.loads(path.read_text())["evaluations"] > 0
    assert not (out / "metrics.json").exists()


def test_python_dash_m_minidl_lists_the_subcommands():
    done = subprocess.run(
        [sys.executable, "-m", "minidl", "--help"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert all(command in done.stdout for command in ("info", "demo", "check", "bench"))


def test_a_demo_that_is_not_built_yet_exits_2_with_a_clear_message(monkeypatch, capsys):
    future = cli.Program("minidl.demos.not_written", "a future demo (issue 99)", "1 s", "-")
    monkeypatch.setitem(cli.DEMOS, "future", future)
    assert cli.main(["demo", "future", "--quick"]) == 2
    assert (
        "minidl demo future: a future demo (issue 99) is not built yet." in capsys.readouterr().err
    )


def test_unknown_demo_and_missing_command_are_usage_errors(capsys):
    for argv in (["demo", "no-such-demo"], []):
        with pytest.raises(SystemExit) as exit_info:
            cli.main(argv)
        assert exit_info.value.code == 2
    assert "invalid choice: 'no-such-demo'" in capsys.readouterr().err


def test_a_missing_benchmark_script_exits_2(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(cli, "REPO", tmp_path)
    assert cli.main(["bench", "conv"]) == 2
    assert "bench_conv.py does not exist" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, rest",
    [
        (["demo", "unet", "--quick", "--out", "X"], ["--quick", "--out", "X"]),
        (["check", "--kernel", "roi_align"], ["--kernel", "roi_align"]),
        (["bench", "conv", "--help"], ["--help"]),
    ],
)
def test_options_after_the_name_reach_the_program(monkeypatch, argv, rest):
    seen = []
    for name in ("demo", "check", "bench"):
        monkeypatch.setattr(cli, name, lambda args: seen.append(args.rest) or 0)
    assert cli.main(argv) == 0
    assert seen == [rest]
