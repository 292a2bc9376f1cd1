"""The `minidl` command (minidl/cli.py)."""

from __future__ import annotations

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


def test_python_dash_m_minidl_lists_the_subcommands():
    done = subprocess.run(
        [sys.executable, "-m", "minidl", "--help"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert all(command in done.stdout for command in ("info", "demo", "check", "bench"))


def test_a_demo_that_is_not_built_yet_exits_2_with_a_clear_message(monkeypatch, capsys):
    monkeypatch.setitem(
        cli.DEMOS, "future", ("minidl.demos.not_written", "a future demo (issue 99)")
    )
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
