"""Training curves from a `minidl.train.History` (or any ``{name: [values per epoch]}``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..numbers import fmt


def _columns(history: Any) -> dict[str, list[float]]:
    if isinstance(history, Mapping):
        return {k: list(v) for k, v in history.items()}
    return {k: history[k] for k in history.keys()}


def _legend_below(ax: Axes) -> None:
    """The legend under the axes: inside, it would cover a curve or a baseline somewhere."""
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize="small", frameon=False)


def plot_history(
    history: Any,
    metrics: Sequence[str] | None = None,
    baselines: Mapping[str, float] | None = None,
    title: str | None = None,
) -> Figure:
    """Loss curves on the left (log scale), metric curves on the right, against the epoch.

    ``metrics`` names the metric columns to draw (default: every ``val_*`` column except
    ``val_loss``); ``baselines`` draws horizontal reference lines, e.g.
    ``{"threshold baseline": 0.55}``, on the metric panel.
    """
    cols = _columns(history)
    epochs = cols.get("epoch") or list(range(1, len(next(iter(cols.values()), [])) + 1))
    losses = [k for k in cols if k.endswith("loss")]
    if metrics is None:
        metrics = [k for k in cols if k.startswith("val_") and not k.endswith("loss")]
    panels = 2 if metrics or baselines else 1
    fig, axes = plt.subplots(1, panels, figsize=(5.5 * panels, 4.6), squeeze=False)
    ax = axes[0, 0]
    for k in losses:
        ax.plot(epochs, cols[k], marker="o", markersize=3, label=k)
    if losses and all(np.nanmin(cols[k]) > 0 for k in losses):
        ax.set_yscale("log")
    ax.set(xlabel="epoch", ylabel="loss", title="loss")
    ax.grid(alpha=0.3)
    _legend_below(ax)
    if panels == 2:
        ax = axes[0, 1]
        for k in metrics:
            ax.plot(epochs, cols[k], marker="o", markersize=3, label=k)
        for (name, value), style in zip((baselines or {}).items(), ("--", ":", "-.")):
            ax.axhline(value, color="grey", linestyle=style, label=f"{name} ({fmt(value)})")
        ax.set(xlabel="epoch", ylabel="score", title="held-out metrics")
        ax.grid(alpha=0.3)
        _legend_below(ax)
    for ax in axes[0]:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
