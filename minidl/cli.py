"""The ``minidl`` command (also ``python -m minidl``): info, demo, check, bench, site."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import platform
import sys
from dataclasses import dataclass
from pathlib import Path

from .numbers import fmt


@dataclass(frozen=True)
class Program:
    """A demo or a benchmark as ``--help`` lists it."""

    module: str  # a module with main(argv); for benchmarks, the script in benchmarks/
    what: str
    time: str  # how long its default run takes on a 2-core CPU
    writes: str  # "writes a.png, metrics.json" or "prints tables"


# The times are the measured ones of README.md for the demos, rough ones for the benchmarks.
DEMOS = {
    "unet": Program(
        "minidl.demos.unet",
        "U-Net segments tumours on brain MRI slices; beats a threshold and a sliding window",
        "about 4 min (--quick: 1 min)",
        "writes predictions.png, training_curve.png, metrics.json",
    ),
    "siamese": Program(
        "minidl.demos.siamese",
        "triplet-loss face embedding and Siamese head verify people never seen in training",
        "about 1 min (--quick: 15 s)",
        "writes roc.png, embedding.png, pairs.png, metrics.json",
    ),
    "maskrcnn": Program(
        "minidl.demos.maskrcnn",
        "a small Mask R-CNN finds, outlines and labels shapes, then coins in a photograph",
        "about 3 min (--quick: 1 min)",
        "writes scenes.png, coins.png, losses.png, metrics.json",
    ),
    "style": Program(
        "minidl.demos.style",
        "neural style transfer of a photograph with L-BFGS through random conv filters",
        "about 10 s (--quick: 5 s)",
        "writes style_transfer.png, losses.png, metrics.json",
    ),
}
BENCHMARKS = {
    "conv": Program(
        "bench_conv",
        "conv2d, conv_transpose2d, max-pool and unpool on U-Net layers, against PyTorch",
        "several minutes (--quick: about 1 min)",
        "prints tables (--json: also as JSON)",
    ),
    "unet": Program(
        "bench_unet",
        "one U-Net training step, minidl against PyTorch, time and peak memory",
        "several minutes (--quick: a few minutes)",
        "prints tables (--json: also as JSON)",
    ),
    "roi_align": Program(
        "bench_roi_align",
        "RoIAlign forward and backward: the Numba kernel against the NumPy reference",
        "under a minute",
        "prints a table",
    ),
    "gpu": Program(
        "bench_gpu",
        "every kernel and a U-Net step on CuPy + numba-cuda against PyTorch CUDA (needs a GPU)",
        "a few minutes on a GPU",
        "prints tables (--out PATH: also a JSON file)",
    ),
    "threads": Program(
        "bench_threads",
        "what each Numba threading layer costs a parallel kernel, next to OpenBLAS's threads",
        "about a minute",
        "prints a table",
    ),
}
REPO = Path(__file__).resolve().parent.parent


def _version(module: str) -> str:
    try:
        return importlib.import_module(module).__version__
    except Exception as exc:  # report, never crash: this is the diagnostics command
        return f"not available ({type(exc).__name__})"


def _exists(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # its parent package is missing
        return False


def info(_: argparse.Namespace) -> int:
    """Versions, threads and whether (and why) a GPU is usable."""
    import numpy as np

    from . import __version__, backend, blas_threads, config, freed_memory

    print(f"minidl      {__version__}  ({Path(__file__).parent})")
    print(f"python      {platform.python_version()}  ({sys.executable})")
    print(f"numpy       {np.__version__}")
    print(f"numba       {_numba_row()}")
    print(f"matplotlib  {_version('matplotlib')}")
    print(f"torch       {_version('torch')}  (test oracle and benchmark peer only)")
    print(f"cpu cores   {os.cpu_count()}")
    print(f"gemm        {blas_threads.describe()}")
    print(f"malloc      {freed_memory.describe()}")
    for var, value in config.summary().items():
        print(f"env         {var}={value}")
    ok, why = backend.gpu_status()
    print(f"gpu         {'usable' if ok else 'not usable'}: {why}")
    if ok:
        cp = backend.xp_for("cuda")
        props = cp.cuda.runtime.getDeviceProperties(0)
        free, total = cp.cuda.runtime.memGetInfo()
        memory = f"{fmt(total / 2**30)} GiB ({fmt(free / 2**30)} GiB free)"
        cc = f"compute capability {props['major']}.{props['minor']}"
        print(f"gpu 0       {props['name'].decode()}, {cc}, {memory}")
        print(f"cupy        {cp.__version__}, numba-cuda {_version('numba_cuda')}")
        # compile and launch one numba-cuda kernel on a 1-element CuPy array
        try:
            import time

            from .kernels.pool import gpu

            began = time.perf_counter()
            out, idx = gpu.max_pool2d(cp.full((1, 1, 1, 1), 2.5, cp.float32), 1, 1, 1, 1, 0, 0)
            right = out.get().item() == 2.5 and idx.get().item() == 0
            seconds = time.perf_counter() - began
            verdict = f"ok ({fmt(seconds, 2)} s)" if right else "compiled, but gave a wrong result"
        except Exception as exc:  # report, never crash: this is the diagnostics command
            verdict = f"failed ({type(exc).__name__}: {exc})"
        print(f"kernels     numba-cuda max_pool2d compiled and launched: {verdict}")
    print()
    print(NEXT)
    return 0


def _numba_row() -> str:
    """Numba's version, threads and threading layer on one line."""
    version = _version("numba")
    try:
        import numba

        from .kernels import _numba  # noqa: F401  (sets the threading layer)

        layer = numba.config.THREADING_LAYER
        return f"{version}, threads {numba.get_num_threads()}, threading layer {layer}"
    except Exception as exc:  # report, never crash: this is the diagnostics command
        return f"{version}, threads unknown ({type(exc).__name__}: {exc})"


def catalogue(kind: str, programs: dict[str, Program]) -> str:
    """The names with what each does, how long it takes and what it writes."""
    lines = []
    for name, p in programs.items():
        lines.append(f"  {name:<10}{p.what}")
        lines.append(f"  {'':<10}{p.time}; {p.writes}")
    return f"{kind}s:\n" + "\n".join(lines)


def _wants_help(rest: list[str]) -> bool:
    return any(a in ("-h", "--help") for a in rest)


def demo(args: argparse.Namespace) -> int:
    if args.name is None:
        usage = "usage: minidl demo NAME [--quick] [--device cpu|cuda] [--out DIR] [--metrics PATH]"
        text = f"{usage}\n\n{catalogue('demo', DEMOS)}\n\n{DEMO_EPILOG}"
        if _wants_help(args.rest):
            print(text)
            return 0
        print(
            f"{text}\n\nminidl demo: choose a demo, e.g. minidl demo unet --quick", file=sys.stderr
        )
        return 2
    program = DEMOS[args.name]
    if not _exists(program.module):
        print(f"minidl demo {args.name}: {program.what} is not built yet.", file=sys.stderr)
        return 2
    return importlib.import_module(program.module).main(args.rest)


def check(args: argparse.Namespace) -> int:
    from .lab import check_all

    return check_all(args.rest)


def lab(args: argparse.Namespace) -> int:
    from .lab import main as lab_main

    return lab_main(args.rest)


def lessons(args: argparse.Namespace) -> int:
    from .lessons.run import main as lessons_main

    return lessons_main(args.rest)


def site(args: argparse.Namespace) -> int:
    from .site.build import main as site_main

    return site_main(args.rest)


def bench(args: argparse.Namespace) -> int:
    if args.name is None:
        usage = "usage: minidl bench NAME [its options; minidl bench NAME --help lists them]"
        text = f"{usage}\n\n{catalogue('benchmark', BENCHMARKS)}\n\n{BENCH_EPILOG}"
        if _wants_help(args.rest):
            print(text)
            return 0
        print(
            f"{text}\n\nminidl bench: choose a benchmark, e.g. minidl bench conv --quick",
            file=sys.stderr,
        )
        return 2
    script = REPO / "benchmarks" / f"{BENCHMARKS[args.name].module}.py"
    if not script.exists():
        print(
            f"minidl bench {args.name}: {script} does not exist (benchmarks ship with the "
            f"source checkout; clone the repository and install it with pip install -e .)",
            file=sys.stderr,
        )
        return 2
    spec = importlib.util.spec_from_file_location(f"bench_{args.name}", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main(args.rest) or 0


NEXT = "next: minidl demo unet --quick  (a one-minute U-Net; minidl demo --help lists all demos)"
DEMO_EPILOG = (
    "Every demo prints a short summary and writes its pictures and metrics.json to out/NAME/\n"
    "(--out DIR and --metrics PATH change that). minidl demo NAME --help lists its options."
)
BENCH_EPILOG = (
    "Times are for a 2-core CPU. The results are printed; the machine should be otherwise idle."
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="minidl",
        description="minidl: a from-scratch deep-learning library for learning (python -m minidl)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"{catalogue('demo', DEMOS)}\n\n{NEXT}",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="versions, threads, GPU status").set_defaults(run=info)
    # add_help=False: NAME --help belongs to the demo or benchmark; without NAME, --help
    # lists them (demo() and bench() print the catalogue)
    p = sub.add_parser(
        "demo",
        add_help=False,
        help="train a demo model, print what it measured, write its pictures and metrics "
        "(minidl demo --help lists them)",
    )
    p.add_argument("name", nargs="?", choices=list(DEMOS))
    p.set_defaults(run=demo)
    p = sub.add_parser(
        "check", add_help=False, help="every kernel against its reference, plus gradchecks"
    )
    p.set_defaults(run=check)
    p = sub.add_parser(
        "lab",
        add_help=False,
        help="the kernel lab: list the kernels, check one (yours or shipped): right, "
        "differentiable, how fast (minidl lab --help)",
    )
    p.set_defaults(run=lab)
    p = sub.add_parser(
        "lessons",
        add_help=False,
        help="run the lesson notebooks (quick, or --full), time them and check their claims",
    )
    p.set_defaults(run=lessons)
    p = sub.add_parser(
        "site",
        add_help=False,
        help="build the course website: the lessons executed, the API reference, the kernel "
        "guide (minidl site --help)",
    )
    p.set_defaults(run=site)
    p = sub.add_parser(
        "bench",
        add_help=False,
        help="benchmarks against PyTorch; threads: Numba's layers (minidl bench --help lists them)",
    )
    p.add_argument("name", nargs="?", choices=list(BENCHMARKS))
    p.set_defaults(run=bench)
    # options after NAME (--quick, --device, ...) belong to the demo/check/bench program
    args, args.rest = parser.parse_known_args(argv)
    if args.rest and args.command == "info":
        parser.error(f"info takes no options, got {args.rest}")
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
