"""``minidl lessons``: execute the lesson notebooks, time them, and collect their claims.

    minidl lessons                 every lesson, quick mode (MINIDL_QUICK=1)
    minidl lessons --full 03 05    lessons 03 and 05, full mode (the data and training the text
                                   describes; this is what checks the claims that need it)
    minidl lessons --list          the lessons, with their exercises

Each notebook runs in a fresh kernel of this interpreter, in a scratch folder, with no outputs
written back to ``lessons/``. The run fails (exit status 1) when a cell raises or a claim
FAILs; the table at the end gives each lesson's time and its claims.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import config
from .claims import Claim, read_log, summary

KERNEL = "minidl-lessons"


def lessons_dir() -> Path:
    """The ``lessons/`` folder of this checkout."""
    return Path(__file__).resolve().parents[2] / "lessons"


def find(names: list[str]) -> list[Path]:
    """The notebooks ``names`` picks ("03", "03_semantic_segmentation", or a path); all if none."""
    every = sorted(lessons_dir().glob("[0-9][0-9]_*.ipynb"))
    if not every:
        raise FileNotFoundError(f"minidl lessons: no notebooks in {lessons_dir()}")
    if not names:
        return every
    picked = []
    for name in names:
        if Path(name).suffix == ".ipynb" and Path(name).exists():
            picked.append(Path(name).resolve())
            continue
        match = [p for p in every if p.stem == name or p.stem.startswith(f"{name}_")]
        if not match:
            known = ", ".join(p.stem for p in every)
            raise ValueError(f"minidl lessons: no lesson {name!r}; there are {known}")
        picked += match
    return picked


@dataclass
class LessonRun:
    """What one notebook's execution gave."""

    path: Path
    seconds: float
    claims: list[Claim] = field(default_factory=list)
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error and all(c.status != "FAIL" for c in self.claims)


def kernel_spec_dir(root: Path) -> Path:
    """A kernelspec folder under ``root`` that starts *this* interpreter (not whichever
    "python3" Jupyter would find), so the kernel imports the minidl being run."""
    spec = root / "kernels" / KERNEL
    spec.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "minidl lessons", "language": "python"})
    )
    return root / "kernels"


def execute(
    path: Path,
    *,
    full: bool = False,
    workdir: Path | None = None,
    cell_timeout_s: int = 900,
    prepare=None,
):
    """Run one notebook top to bottom; returns (`LessonRun`, the executed notebook).

    ``prepare(notebook)`` may change the notebook before it runs (the tests add figure
    checks). A cell that raises ends the run; its error is in ``LessonRun.error``.
    """
    try:
        import nbclient
        import nbformat
        from jupyter_client.kernelspec import KernelSpecManager
        from jupyter_client.manager import KernelManager
    except ImportError as error:
        raise ImportError(
            f"minidl lessons needs Jupyter's nbclient and ipykernel ({error}): "
            'pip install -e ".[lessons]"'
        ) from error
    notebook = nbformat.read(path, as_version=4)
    if prepare is not None:
        notebook = prepare(notebook)
    with tempfile.TemporaryDirectory(prefix="minidl-lesson-") as scratch:
        scratch = Path(scratch)
        cwd = workdir or scratch / "work"
        cwd.mkdir(parents=True, exist_ok=True)
        log = scratch / "claims.jsonl"
        specs = KernelSpecManager(kernel_dirs=[str(kernel_spec_dir(scratch / "jupyter"))])
        manager = KernelManager(kernel_name=KERNEL, kernel_spec_manager=specs)
        env = config.environment(MINIDL_CLAIMS_LOG=str(log), MPLBACKEND="agg")
        if full:
            env.pop("MINIDL_QUICK", None)
        else:
            env["MINIDL_QUICK"] = "1"
        client = nbclient.NotebookClient(
            notebook,
            km=manager,
            timeout=cell_timeout_s,
            resources={"metadata": {"path": str(cwd)}},
        )
        start = time.perf_counter()
        error = ""
        try:
            client.execute(env=env, cwd=str(cwd))
        except nbclient.exceptions.CellExecutionError as failure:
            error = str(failure)
        except nbclient.exceptions.CellTimeoutError as failure:
            error = f"a cell ran past {cell_timeout_s} s: {failure}"
        seconds = time.perf_counter() - start
        return LessonRun(path, seconds, read_log(str(log)), error), notebook


def table(runs: list[LessonRun], full: bool) -> str:
    """The summary table: lesson, time, claims, result."""
    mode = "full" if full else "quick"
    lines = [f"| lesson ({mode} mode) | time | claims | result |", "|---|---|---|---|"]
    for run in runs:
        result = "ok" if run.ok else ("cell failed" if run.error else "claim FAILED")
        claims = summary(run.claims).replace("\n", "; ")
        lines.append(f"| {run.path.stem} | {run.seconds:.0f} s | {claims} | {result} |")
    return "\n".join(lines)


def _list() -> None:
    import nbformat

    for path in find([]):
        notebook = nbformat.read(path, as_version=4)
        titles = []
        for cell in notebook.cells:
            if "exercise" in cell.metadata.get("tags", []) or any(
                t.startswith("exercise-") for t in cell.metadata.get("tags", [])
            ):
                first = next((ln for ln in cell.source.splitlines() if ln.startswith("def ")), "")
                titles.append(first.removeprefix("def ").split("(")[0] or "(exercise)")
        print(f"{path.stem}: {len(titles)} exercises: {', '.join(titles)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="minidl lessons",
        description="Run the lesson notebooks, time them and check their measured claims.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("names", nargs="*", help="lessons to run (00, 03_semantic_..., a path)")
    parser.add_argument("--full", action="store_true", help="full mode (quick mode by default)")
    parser.add_argument("--list", action="store_true", help="list the lessons and exercises")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per cell (900)")
    args = parser.parse_args(argv)
    if args.list:
        _list()
        return 0
    try:
        paths = find(args.names)
    except (ValueError, FileNotFoundError) as error:
        parser.error(str(error))
    runs = []
    for number, path in enumerate(paths, 1):
        mode = "full" if args.full else "quick"
        print(f"[{number}/{len(paths)}] {path.stem} ({mode} mode) ...", flush=True)
        run, notebook = execute(path, full=args.full, cell_timeout_s=args.timeout)
        runs.append(run)
        for claim in run.claims:
            print(f"    {claim.status}  {claim.statement}" + (
                f" ({claim.measured})" if claim.measured else ""))  # fmt: skip
        state = "ok" if run.ok else "FAILED"
        print(f"    {state} in {run.seconds:.0f} s" + (f"\n{run.error}" if run.error else ""))
    print("\n" + table(runs, args.full))
    return 0 if all(r.ok for r in runs) else 1
