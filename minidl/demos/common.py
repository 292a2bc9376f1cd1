"""What every demo shares: its command-line options, its output folder, its metrics file,
and the closing lines that say what it measured and where it wrote it."""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import backend
from ..numbers import fmt

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass
class DemoRun:
    """The parsed options, a clock started when the demo began, and what it has written."""

    quick: bool
    device: str
    out: Path
    metrics_path: Path
    seed: int
    started: float = field(default_factory=time.perf_counter)
    pictures: list[str] = field(default_factory=list)

    def seconds(self) -> float:
        return time.perf_counter() - self.started

    def save(self, fig: Figure, name: str, **savefig: Any) -> None:
        """Write ``fig`` to ``out/name`` (``savefig`` options, e.g. dpi) and close it."""
        import matplotlib.pyplot as plt

        fig.savefig(self.out / name, **savefig)
        plt.close(fig)
        self.pictures.append(name)

    def finish(self, metrics: dict[str, Any], summary: Sequence[str]) -> dict[str, Any]:
        """Add ``seconds``, write the metrics as one JSON object, print the summary lines and
        where everything went. Returns the metrics as written."""
        metrics = {**metrics, "seconds": round(self.seconds(), 2)}
        text = json.dumps(metrics, indent=2, sort_keys=True)
        self.metrics_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.metrics_path.with_suffix(self.metrics_path.suffix + ".tmp")
        tmp.write_text(text + "\n")
        os.replace(tmp, self.metrics_path)
        for line in summary:
            print(line)
        print(f"{fmt(metrics['seconds'], 2)} s in all")
        print(self.where())
        return metrics

    def where(self) -> str:
        """ "pictures and metrics written to out/unet/ (a.png, b.png, metrics.json)"."""
        folder = f"{self.out}{os.sep}"
        if self.metrics_path.parent.resolve() == self.out.resolve():
            files = ", ".join([*self.pictures, self.metrics_path.name])
            return f"pictures and metrics written to {folder} ({files})"
        return (
            f"pictures written to {folder} ({', '.join(self.pictures)}), "
            f"metrics to {self.metrics_path}"
        )


def parse_args(name: str, argv: Sequence[str] | None, description: str) -> DemoRun:
    """``[--quick] [--device cpu|cuda] [--out DIR] [--metrics PATH] [--seed N]``.

    ``MINIDL_QUICK=1`` in the environment also selects the quick run.
    """
    parser = argparse.ArgumentParser(prog=f"minidl demo {name}", description=description)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smaller, faster run (same code path); also MINIDL_QUICK=1",
    )
    parser.add_argument("--device", default="cpu", choices=backend.DEVICES)
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("out") / name,
        help="folder for the pictures (default: out/NAME)",
    )
    parser.add_argument(
        "--metrics",
        type=Path,
        default=None,
        help="where to write the metrics, one JSON object (default: OUT/metrics.json)",
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(list(argv) if argv is not None else None)
    if args.device == "cuda":
        backend.xp_for("cuda")  # fails now, with the reason, rather than mid-training
    args.out.mkdir(parents=True, exist_ok=True)
    quick = args.quick or os.environ.get("MINIDL_QUICK") == "1"
    metrics = args.metrics if args.metrics is not None else args.out / "metrics.json"
    return DemoRun(quick, args.device, args.out, metrics, args.seed)
