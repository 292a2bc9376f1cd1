"""The profiler records every op's forward and backward, module calls, backward() and the
optimizer step, with the kernels and conv algorithm used; its total matches the wall time of a
step; its Chrome trace is valid; off, it records nothing."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

import minidl as md
import minidl.nn.functional as F
from minidl import nn, optim, profiler


def small_step():
    md.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(8, 4, 3))  # fmt: skip
    opt = optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    x = md.randn(2, 3, 16, 12)
    y = np.random.default_rng(0).integers(0, 4, (2, 6, 4))

    def step():
        opt.zero_grad()
        F.cross_entropy(net(x), y).backward()
        opt.step()

    return step


def test_every_op_module_backward_and_step_is_recorded_with_kernels():
    step = small_step()
    step()
    with profiler.profile() as prof:
        step()
    kinds = {(r["kind"], r["name"]) for r in prof.summary()}
    assert ("module", "Sequential") in kinds and ("module", "Conv2d") in kinds
    assert ("engine", "backward()") in kinds and ("optimizer", "SGD.step") in kinds
    assert ("forward", "MaxPool2dWithIndices") in kinds
    assert ("backward", "MaxPool2dWithIndices") in kinds
    rows = {(r["kind"], r["name"]): r for r in prof.summary()}
    assert "max_pool2d:cpu" in rows[("forward", "MaxPool2dWithIndices")]["notes"]
    convs = [r for r in prof.summary() if r["kind"] == "forward" and r["name"].startswith("Conv")]
    assert convs and all(any(n.startswith("algorithm=") for n in r["notes"]) for r in convs)
    assert sum(r["calls"] for r in convs) == 2
    assert "(2, 3, 16, 12)" in rows[("module", "Sequential")]["shapes"]


def test_self_times_add_up_and_the_total_matches_the_wall_time_of_a_unet_step():
    from minidl.models import UNet

    md.manual_seed(0)
    model = UNet(base=8, padding="valid")
    opt = optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    x = md.rand(1, 1, 188, 188)
    y = np.zeros((1, 4, 4), dtype=np.int64)

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()

    step()
    start = time.perf_counter()
    with profiler.profile() as prof:
        step()
    wall = time.perf_counter() - start
    assert prof.total_ns <= prof.wall_ns
    assert prof.total_ns / 1e9 == pytest.approx(wall, rel=0.10)
    assert sum(e.self_ns for e in prof.events) == pytest.approx(prof.total_ns, rel=1e-9)
    unet = next(e for e in prof.events if e.name == "UNet")
    assert 0 < unet.child_ns <= unet.total_ns and unet.depth == 0


def test_the_table_and_the_chrome_trace(tmp_path):
    step = small_step()
    with profiler.profile() as prof:
        step()
    text = prof.table(top=5)
    assert text.splitlines()[0].startswith("op") and len(text.splitlines()) == 7
    assert "wall time" in text.splitlines()[-1]
    with pytest.raises(ValueError, match="sort_by"):
        prof.table(sort_by="speed")
    trace = json.loads(prof.export_chrome_trace(tmp_path / "step.json").read_text())
    events = trace["traceEvents"]
    assert len(events) == len(prof.events) and all(e["ph"] == "X" for e in events)
    assert all(e["dur"] >= 0 and e["ts"] >= 0 for e in events)


def test_off_records_nothing_and_an_exception_closes_the_block():
    assert profiler.current is None
    with pytest.raises(ZeroDivisionError), profiler.profile() as prof:
        with profiler.profile():
            md.ones(2) + 1
            raise ZeroDivisionError
    assert profiler.current is None
    before = len(prof.events)
    md.ones(2) + 1
    assert len(prof.events) == before
