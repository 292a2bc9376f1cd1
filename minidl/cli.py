"""The ``minidl`` command (also ``python -m minidl``): info, demo, check, bench."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import platform
import sys
from pathlib import Path

# demo name -> (module with a main(argv) function, the issue that builds it)
DEMOS = {
    "unet": ("minidl.demos.unet", "U-Net segmentation (issue 4)"),
    "siamese": ("minidl.demos.siamese", "Siamese/triplet face verification (issue 5)"),
    "maskrcnn": ("minidl.demos.maskrcnn", "Mask R-CNN instance segmentation (issue 6)"),
    "style": ("minidl.demos.style", "neural style transfer (issue 7)"),
}
BENCHMARKS = ("conv", "unet", "roi_align", "gpu", "threads")
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

    from . import __version__, backend

    print(f"minidl      {__version__}  ({Path(__file__).parent})")
    print(f"python      {platform.python_version()}  ({sys.executable})")
    print(f"numpy       {np.__version__}")
    print(f"numba       {_version('numba')}")
    print(f"matplotlib  {_version('matplotlib')}")
    print(f"torch       {_version('torch')}  (test oracle and benchmark peer only)")
    print(f"cpu cores   {os.cpu_count()}")
    try:
        import numba

        from .kernels import _numba  # noqa: F401  (sets the threading layer)

        print(
            f"numba       threads {numba.get_num_threads()}, "
            f"threading layer {numba.config.THREADING_LAYER}"
        )
    except Exception as exc:
        print(f"numba       threads unknown ({type(exc).__name__}: {exc})")
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MINIDL_KERNELS", "MINIDL_QUICK"):
        if var in os.environ:
            print(f"env         {var}={os.environ[var]}")
    ok, why = backend.gpu_status()
    print(f"gpu         {'usable' if ok else 'not usable'}: {why}")
    if ok:
        cp = backend.xp_for("cuda")
        props = cp.cuda.runtime.getDeviceProperties(0)
        free, total = cp.cuda.runtime.memGetInfo()
        memory = f"{total / 2**30:.1f} GiB ({free / 2**30:.1f} GiB free)"
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
            verdict = f"ok ({seconds:.1f} s)" if right else "compiled, but gave a wrong result"
        except Exception as exc:  # report, never crash: this is the diagnostics command
            verdict = f"failed ({type(exc).__name__}: {exc})"
        print(f"kernels     numba-cuda max_pool2d compiled and launched: {verdict}")
    return 0


def demo(args: argparse.Namespace) -> int:
    module_name, what = DEMOS[args.name]
    if not _exists(module_name):
        print(f"minidl demo {args.name}: {what} is not built yet.", file=sys.stderr)
        return 2
    return importlib.import_module(module_name).main(args.rest)


def check(args: argparse.Namespace) -> int:
    if not _exists("minidl.lab"):
        print("minidl check: the kernel lab is not built yet (issue 3).", file=sys.stderr)
        return 2
    from .lab import check_all

    return check_all(args.rest)


def bench(args: argparse.Namespace) -> int:
    script = REPO / "benchmarks" / f"bench_{args.name}.py"
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="minidl", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="versions, threads, GPU status").set_defaults(run=info)
    p = sub.add_parser(
        "demo",
        add_help=False,
        help="train a demo model and write its pictures and metrics "
        "(minidl demo NAME --help for its options)",
    )
    p.add_argument("name", choices=sorted(DEMOS))
    p.set_defaults(run=demo)
    p = sub.add_parser(
        "check", add_help=False, help="every kernel against its reference, plus gradchecks"
    )
    p.set_defaults(run=check)
    p = sub.add_parser(
        "bench", add_help=False, help="benchmarks (against PyTorch; threads: Numba layers)"
    )
    p.add_argument("name", choices=BENCHMARKS)
    p.set_defaults(run=bench)
    # options after NAME (--quick, --device, ...) belong to the demo/check/bench program
    args, args.rest = parser.parse_known_args(argv)
    if args.rest and args.command == "info":
        parser.error(f"info takes no options, got {args.rest}")
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
