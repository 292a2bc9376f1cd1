"""The pure helpers of benchmarks/bench_unet.py (pair ratios, spread, geometric mean, targets,
--configs); no benchmark runs. The script is loaded from its path: benchmarks/ is no package."""

from __future__ import annotations

import argparse
import importlib.util
import math
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_unet.py"
spec = importlib.util.spec_from_file_location("bench_unet_under_test", SCRIPT)
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


def test_pair_ratios_divide_the_runs_of_the_same_pair():
    assert bench.pair_ratios([2.0, 3.0], [1.0, 4.0]) == [2.0, 0.75]


@pytest.mark.parametrize("minidl, torch", [([1.0, 2.0], [1.0]), ([], [])])
def test_pair_ratios_need_as_many_runs_of_each(minidl, torch):
    with pytest.raises(ValueError, match="as many minidl runs as torch runs"):
        bench.pair_ratios(minidl, torch)


def test_summary_is_the_median_of_the_pair_ratios_not_the_ratio_of_medians():
    # pair ratios 1, 4, 0.5: median 1; the medians' ratio would be 2 / 1 = 2
    got = bench.summarize_pairs([1.0, 4.0, 2.0], [1.0, 1.0, 4.0])
    assert got == {"ratio": 1.0, "low": 0.5, "high": 4.0}


def test_summary_of_an_even_number_of_pairs_averages_the_middle_two():
    got = bench.summarize_pairs([1.0, 2.0, 3.0, 8.0], [1.0, 1.0, 1.0, 1.0])
    assert got == {"ratio": 2.5, "low": 1.0, "high": 8.0}


def test_geomean():
    assert bench.geomean([2.0, 0.5]) == pytest.approx(1.0)
    assert bench.geomean([1.5]) == pytest.approx(1.5)
    assert bench.geomean([1.0, 1.0, 8.0]) == pytest.approx(2.0)  # the mean would be 3.33


@pytest.mark.parametrize("ratios", [[], [1.0, 0.0], [-1.0]])
def test_geomean_refuses_what_has_no_logarithm(ratios):
    with pytest.raises(ValueError, match="positive ratios"):
        bench.geomean(ratios)


def _row(config, ratio, memory_ratio):
    return {"config": list(config), "ratio": ratio, "memory_ratio": memory_ratio}


def test_target_lines_name_the_worst_row_and_the_verdict():
    rows = [
        _row((16, "valid", 188, 4), 1.25, 1.1),
        _row((16, "valid", 252, 4), 1.31, 1.0),
        _row((64, "valid", 572, 1), 1.9, 1.4),  # a base-64 row counts for the mean, memory
    ]
    base16, mean, memory = bench.target_lines(rows)
    assert base16.startswith("base-16 row") and " 1.31 " in base16
    assert "missed" in base16 and "16 valid 252 4" in base16
    expected = math.exp((math.log(1.25) + math.log(1.31) + math.log(1.9)) / 3)
    assert mean.startswith("geometric mean") and f"{expected:5.2f}" in mean and "missed" in mean
    assert memory.startswith("peak memory") and " 1.40 " in memory and "64 valid 572 1" in memory


def test_target_lines_met_and_without_base16_rows():
    lines = bench.target_lines([_row((64, "same", 128, 4), 1.1, 1.2)])
    assert [line.split()[0] for line in lines] == ["geometric", "peak"]
    assert all("met" in line and "missed" not in line for line in lines)


def test_parse_config():
    assert bench.parse_config("16:valid:188:4") == (16, "valid", 188, 4)
    assert bench.parse_config("64:same:128:1") == (64, "same", 128, 1)
    for bad in ("16:valid:188", "16:full:188:4", "16:valid:x:4", "16,valid,188,4"):
        with pytest.raises(argparse.ArgumentTypeError, match="BASE:PADDING:SIZE:BATCH"):
            bench.parse_config(bad)


def test_fewer_repeats_at_input_572():
    assert [bench.repeats_for(s, 5) for s in (188, 572)] == [5, 2]
    assert bench.repeats_for(572, 8) == 4


def test_the_child_process_script_is_valid_python():
    compile(bench.ALONE.format(here="/somewhere"), "ALONE", "exec")
