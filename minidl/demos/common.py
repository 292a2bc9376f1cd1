"""What every demo shares: its command-line options, its output folder, its metrics file."""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import backend


@dataclass
class DemoRun:
    """The parsed options plus a clock started when the demo began."""

    quick: bool
    device: str
    out: Path
    metrics_path: Path | None
    seed: int
    started: float = field(default_factory=time.perf_counter)

    def seconds(self) -> float:
        return time.perf_counter() - self.started

    def write_metrics(self, metrics: dict[str, Any]) -> dict[str, Any]:
        """Add ``seconds``, print the metrics and write them as one JSON object."""
        metrics = {**metrics, "seconds": round(self.seconds(), 2)}
        text = json.dumps(metrics, indent=2, sort_keys=True)
        print(text)
        if self.metrics_path is not None:
            self.metrics_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.metrics_path.with_suffix(self.metrics_path.suffix + ".tmp")
            tmp.write_text(text + "\n")
            os.replace(tmp, self.metrics_path)
        return metrics


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
        "--metrics", type=Path, default=None, help="write the metrics here as one JSON object"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(list(argv) if argv is not None else None)
    if args.device == "cuda":
        backend.xp_for("cuda")  # fails now, with the reason, rather than mid-training
    args.out.mkdir(parents=True, exist_ok=True)
    quick = args.quick or os.environ.get("MINIDL_QUICK") == "1"
    return DemoRun(quick, args.device, args.out, args.metrics, args.seed)
