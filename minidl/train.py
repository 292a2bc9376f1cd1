"""`fit`: the training loop every lesson uses, with a progress bar, a metrics history,
checkpoints and resume.

One epoch is: ``model.train()``; for each batch ``(inputs, *targets)``: zero the gradients,
``loss = loss_fn(model(inputs), *targets)``, ``loss.backward()``, ``optimizer.step()``; then
``scheduler.step()``; then, with a validation loader, the mean validation loss and the
metrics under ``model.eval()`` and `no_grad`. Nothing in the loop draws randomness of its
own, so with `md.manual_seed` set before the model is built and a seeded loader, two runs
give bit-identical weights; a checkpoint stores everything that a resumed run needs to
continue exactly as if it had never stopped (weights, optimizer moments, schedule, history,
the library's random generator, and the loader's state when it has one).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from . import backend, random
from .autograd import no_grad
from .nn.module import Module
from .optim.optimizer import Optimizer
from .serialization import load, save
from .tensor import Tensor

Metric = Callable[[Any, Any], float]


class History:
    """One record per epoch: ``{"epoch": 1, "train_loss": ..., "val_loss": ..., "val_dice":
    ..., "lr": ..., "seconds": ...}``.

    ``history["val_dice"]`` is that column as a list (NaN where an epoch lacks it);
    ``history.records`` the raw dicts; ``history.last`` the latest record.
    """

    def __init__(self, records: Iterable[Mapping[str, float]] = ()) -> None:
        self.records: list[dict[str, float]] = [dict(r) for r in records]

    def append(self, record: Mapping[str, float]) -> None:
        self.records.append(dict(record))

    def keys(self) -> list[str]:
        seen: dict[str, None] = {}
        for r in self.records:
            seen.update(dict.fromkeys(r))
        return list(seen)

    def __getitem__(self, key: str) -> list[float]:
        if key not in self.keys():
            raise KeyError(f"History: no column {key!r}; columns are {self.keys()}")
        return [r.get(key, math.nan) for r in self.records]

    def __len__(self) -> int:
        return len(self.records)

    @property
    def last(self) -> dict[str, float]:
        return self.records[-1] if self.records else {}

    def state_dict(self) -> list[dict[str, float]]:
        return [dict(r) for r in self.records]

    def __repr__(self) -> str:
        return f"History({len(self)} epochs, columns {self.keys()})"


def _to_device(x: Any, device: str) -> Any:
    """Arrays and Tensors move to ``device`` (inputs as Tensors, targets stay arrays)."""
    if isinstance(x, Tensor):
        x = x.data
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        return backend.to_device(x, device)
    return x


def _split_batch(batch: Any, device: str) -> tuple[Tensor, list[Any]]:
    if not isinstance(batch, (tuple, list)) or len(batch) < 2:
        raise ValueError(
            "fit: each batch must be a tuple (inputs, target, ...); got "
            f"{type(batch).__name__}{'' if not isinstance(batch, (tuple, list)) else len(batch)}"
        )
    inputs, *targets = (_to_device(b, device) for b in batch)
    return Tensor(inputs), targets


def _train_epoch(model, loader, loss_fn, optimizer, device, bar, epoch) -> float:
    model.train()
    total, count = 0.0, 0
    for step, batch in enumerate(loader):
        x, targets = _split_batch(batch, device)
        optimizer.zero_grad()
        loss = loss_fn(model(x), *targets)
        value = loss.item()
        if not math.isfinite(value):
            raise FloatingPointError(
                f"fit: the loss became {value} at epoch {epoch}, step {step}; "
                f"try a smaller learning rate"
            )
        loss.backward()
        optimizer.step()
        total, count = total + value * len(x), count + len(x)
        bar.update(1)
        bar.set_postfix(epoch=epoch, loss=f"{value:.4f}", refresh=False)
    return total / max(count, 1)


def evaluate(
    model: Module,
    loader: Iterable[Any],
    loss_fn: Callable[..., Tensor] | None = None,
    metrics: Mapping[str, Metric] | None = None,
    device: str = "cpu",
) -> dict[str, float]:
    """Mean loss (weighted by batch size) and ``metrics`` over a whole data set.

    Each metric is called once, ``metric(outputs, target)``, on the outputs and first
    targets of all batches joined together (arrays), so a Dice is pooled over every pixel.
    """
    model.eval()
    outputs, targets, total, count = [], [], 0.0, 0
    with no_grad():
        for batch in loader:
            x, ts = _split_batch(batch, device)
            out = model(x)
            if loss_fn is not None:
                total += loss_fn(out, *ts).item() * len(x)
            count += len(x)
            if metrics:
                outputs.append(out.data)
                targets.append(ts[0])
    result = {"loss": total / max(count, 1)} if loss_fn is not None else {}
    if metrics and outputs:
        xp = backend.array_module(outputs[0])
        out_all, target_all = xp.concatenate(outputs), xp.concatenate(targets)
        result.update({name: float(fn(out_all, target_all)) for name, fn in metrics.items()})
    return result


def _checkpoint_state(model, optimizer, scheduler, loader, epoch, history) -> dict[str, Any]:
    state = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "epoch": epoch,
        "history": history.state_dict(),
        "rng": random.generator().bit_generator.state,
    }
    if scheduler is not None:
        state["scheduler"] = {"last_epoch": scheduler.last_epoch}
    if hasattr(loader, "state_dict"):
        state["loader"] = loader.state_dict()
    return state


def _restore(path, model, optimizer, scheduler, loader, device) -> tuple[int, History]:
    state = load(path, device=device)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None and "scheduler" in state:
        scheduler.last_epoch = state["scheduler"]["last_epoch"]
    if "loader" in state and hasattr(loader, "load_state_dict"):
        loader.load_state_dict(state["loader"])
    random.generator().bit_generator.state = state["rng"]
    return int(state["epoch"]), History(state["history"])


def fit(
    model: Module,
    train_loader: Iterable[Any],
    loss_fn: Callable[..., Tensor],
    optimizer: Optimizer,
    epochs: int,
    val_loader: Iterable[Any] | None = None,
    metrics: Mapping[str, Metric] | None = None,
    scheduler: Any = None,
    checkpoint: str | os.PathLike | None = None,
    resume: bool = False,
    device: str = "cpu",
    progress: bool = True,
) -> History:
    """Train ``model`` for ``epochs`` epochs in total and return the `History`.

    Args:
        train_loader: yields batches ``(inputs, target, *more)`` of arrays or Tensors;
            ``loss_fn(model(inputs), target, *more)`` must return a scalar Tensor. A loader
            with ``set_epoch(epoch)`` is told the epoch first (seeded shuffling per epoch).
        val_loader, metrics: after every epoch, ``val_loss`` and ``val_<name>`` for each
            ``metrics[name](outputs, target)`` (see `evaluate`).
        scheduler: stepped once per epoch (e.g. `optim.CosineAnnealingLR`).
        checkpoint: a path; written atomically (`md.save`) after every epoch.
        resume: continue from ``checkpoint`` when it exists: ``epochs`` counts the epochs
            already done, so ``fit(..., epochs=10, resume=True)`` after an interrupted run
            trains only the missing ones.
        device: "cpu" or "cuda"; the model is moved there and every batch with it.
        progress: show a `tqdm.auto` bar (a widget in notebooks, text in a terminal).
    """
    if epochs < 0:
        raise ValueError(f"fit: epochs must be >= 0, got {epochs}")
    if resume and checkpoint is None:
        raise ValueError("fit: resume=True needs a checkpoint path")
    model.to(device)
    start, history = 0, History()
    if resume and Path(checkpoint).exists():
        start, history = _restore(checkpoint, model, optimizer, scheduler, train_loader, device)
    steps = len(train_loader) if hasattr(train_loader, "__len__") else None
    total = steps * max(epochs - start, 0) if steps is not None else None
    with tqdm(total=total, disable=not progress, unit="step", leave=True) as bar:
        for epoch in range(start + 1, epochs + 1):
            began = time.perf_counter()
            if hasattr(train_loader, "set_epoch"):
                train_loader.set_epoch(epoch)
            lr = optimizer.param_groups[0]["lr"]
            loss = _train_epoch(model, train_loader, loss_fn, optimizer, device, bar, epoch)
            if scheduler is not None:
                scheduler.step()
            record = {"epoch": epoch, "train_loss": loss, "lr": lr}
            if val_loader is not None:
                scores = evaluate(model, val_loader, loss_fn, metrics, device)
                record.update({f"val_{k}": v for k, v in scores.items()})
            record["seconds"] = time.perf_counter() - began
            history.append(record)
            bar.set_postfix({k: f"{v:.4g}" for k, v in record.items() if k != "seconds"})
            if checkpoint is not None:
                state = _checkpoint_state(model, optimizer, scheduler, train_loader, epoch, history)
                save(state, checkpoint)
    return history
