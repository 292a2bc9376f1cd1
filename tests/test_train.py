"""fit: training lowers the loss, is deterministic given the seed, and resumes exactly."""

from __future__ import annotations

import numpy as np
import pytest

import minidl as md
import minidl.nn as nn
import minidl.nn.functional as F
from minidl import optim
from minidl.metrics import pixel_accuracy
from minidl.train import History, evaluate, fit


class ShuffledBatches:
    """A seeded loader whose order depends only on (seed, epoch), as fit expects."""

    def __init__(self, x: np.ndarray, y: np.ndarray, batch_size: int, seed: int) -> None:
        self.x, self.y, self.batch_size, self.seed, self.epoch = x, y, batch_size, seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return -(-len(self.x) // self.batch_size)

    def __iter__(self):
        order = np.random.default_rng([self.seed, self.epoch]).permutation(len(self.x))
        for i in range(0, len(order), self.batch_size):
            idx = order[i : i + self.batch_size]
            yield self.x[idx], self.y[idx]


def _data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((40, 4)).astype(np.float32)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.int64)
    return x, y


def _setup(seed: int = 0):
    md.manual_seed(seed)
    # Dropout makes the run draw from the library generator: resume must restore it too.
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 2))
    opt = optim.Adam(model.parameters(), lr=0.03)
    sched = optim.StepLR(opt, step_size=2, gamma=0.5)
    return model, opt, sched, ShuffledBatches(*_data(), batch_size=8, seed=seed)


def _weights(model: nn.Module) -> list[np.ndarray]:
    return [p.data.copy() for p in model.parameters()]


def test_fit_lowers_the_loss_and_records_history():
    model, opt, sched, loader = _setup()
    val = ShuffledBatches(*_data(1), batch_size=16, seed=1)
    hist = fit(
        model,
        loader,
        F.cross_entropy,
        opt,
        6,
        val_loader=val,
        metrics={"acc": pixel_accuracy},
        scheduler=sched,
        progress=False,
    )
    assert isinstance(hist, History) and len(hist) == 6
    assert hist["epoch"] == [1, 2, 3, 4, 5, 6]
    assert hist["lr"] == [0.03, 0.03, 0.015, 0.015, 0.0075, 0.0075]
    assert hist["train_loss"][-1] < hist["train_loss"][0]
    assert hist["val_acc"][-1] > 0.8
    assert {"val_loss", "seconds"} <= set(hist.keys())
    again = evaluate(model, val, F.cross_entropy, {"acc": pixel_accuracy})
    assert again["acc"] == pytest.approx(hist["val_acc"][-1])


def test_two_runs_with_one_seed_give_identical_weights():
    runs = []
    for _ in range(2):
        model, opt, sched, loader = _setup(seed=3)
        fit(model, loader, F.cross_entropy, opt, 3, scheduler=sched, progress=False)
        runs.append(_weights(model))
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


def test_resume_continues_exactly(tmp_path):
    model, opt, sched, loader = _setup()
    straight = fit(model, loader, F.cross_entropy, opt, 5, scheduler=sched, progress=False)
    expected = _weights(model)

    path = tmp_path / "run.npz"
    model, opt, sched, loader = _setup()
    fit(model, loader, F.cross_entropy, opt, 2, scheduler=sched, checkpoint=path, progress=False)
    md.manual_seed(1234)  # the resumed run must not depend on the generator's state now
    model, opt, sched, loader = _setup(seed=99)  # fresh objects, different initial weights
    loader.seed = 0
    resumed = fit(
        model,
        loader,
        F.cross_entropy,
        opt,
        5,
        scheduler=sched,
        checkpoint=path,
        resume=True,
        progress=False,
    )
    for a, b in zip(expected, _weights(model)):
        np.testing.assert_array_equal(a, b)
    assert resumed["train_loss"] == straight["train_loss"]
    assert resumed["lr"] == straight["lr"]


def test_resume_without_checkpoint_file_starts_fresh(tmp_path):
    model, opt, _, loader = _setup()
    hist = fit(
        model,
        loader,
        F.cross_entropy,
        opt,
        1,
        checkpoint=tmp_path / "none.npz",
        resume=True,
        progress=False,
    )
    assert len(hist) == 1 and (tmp_path / "none.npz").exists()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_fit_reports_a_diverging_loss():
    model, _, _, loader = _setup()
    opt = optim.SGD(model.parameters(), lr=1e30)
    with pytest.raises(FloatingPointError, match="epoch 1"):
        fit(model, loader, F.cross_entropy, opt, 3, progress=False)


def test_fit_rejects_bad_batches():
    model, opt, _, _ = _setup()
    with pytest.raises(ValueError, match="tuple"):
        fit(model, [np.zeros((2, 4), np.float32)], F.cross_entropy, opt, 1, progress=False)
