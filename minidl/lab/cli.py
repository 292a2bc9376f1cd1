"""``minidl lab``: the student's command for the kernels.

    minidl lab list                          every kernel, its files, cases and ops
    minidl lab check NAME [--impl IMPL ...]  right? differentiable? how fast?
    minidl lab check --all                   every kernel (what ``minidl check`` runs)

IMPL is cpu (default), gpu, reference, or the path of your own kernel file. ``--impl gpu``
runs on the GPU, or without one under numba-cuda's CUDA simulator (correctness only): the
command restarts itself with ``NUMBA_ENABLE_CUDASIM=1``, which must be set before numba-cuda
is imported.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from .. import backend, config, kernels
from ..kernels.table import specs
from .check import check


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="minidl lab",
        description="Check a kernel (yours or a shipped one): right, differentiable, how fast.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="{list,check}")
    sub.add_parser("list", help="every kernel: its files, its spec's cases, the ops calling it")
    p = sub.add_parser("check", help="check one kernel (or --all)")
    p.add_argument("name", nargs="?", help="a kernel name, from `minidl lab list`")
    p.add_argument(
        "--impl",
        action="append",
        help="cpu | gpu | reference | path/to/my_kernel.py (repeatable; default cpu)",
    )
    p.add_argument("--all", action="store_true", help="every kernel")
    p.add_argument("--no-bench", action="store_true", help="skip the timings")
    p.add_argument("--no-gradcheck", action="store_true", help="skip the gradchecks")
    return parser


def _needs_simulator(impls: list[str]) -> bool:
    return "gpu" in impls and not config.cuda_simulator() and not backend.gpu_status()[0]


def _rerun_on_simulator(argv: list[str]) -> int:
    """Run ``minidl lab ARGV`` in a child process with the simulator on, relaying its output
    line by line (through ``print``, so that notebooks and tests see it)."""
    command = [sys.executable, "-m", "minidl", "lab", *argv]
    env = config.environment(NUMBA_ENABLE_CUDASIM="1")
    with subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as child:
        assert child.stdout is not None
        for line in child.stdout:
            print(line, end="", flush=True)
    return child.returncode


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "list":
        print(kernels.table())
        return 0
    names = sorted(specs()) if args.all else [args.name]
    if names == [None]:
        _parser().error("lab check: give a kernel name (see `minidl lab list`) or --all")
    unknown = [n for n in names if n not in kernels.KERNELS]
    if unknown:
        _parser().error(f"lab check: unknown kernel {unknown[0]!r}; see `minidl lab list`")
    impls = args.impl or ["cpu"]
    has_gpu = any("gpu" in kernels.KERNELS[name].modules for name in names)
    if has_gpu and _needs_simulator(impls):
        print("minidl lab: no usable GPU: the gpu kernels run on the CUDA simulator", flush=True)
        return _rerun_on_simulator(argv if argv is not None else sys.argv[2:])
    failed, total = [], 0
    for name in names:
        for impl in impls:
            if impl in kernels.IMPLS and impl not in kernels.KERNELS[name].modules:
                print(f"{name}: no {impl} implementation, skipped\n")
                continue
            total += 1
            report = check(name, impl, bench=not args.no_bench, gradcheck=not args.no_gradcheck)
            if not report.ok:
                failed.append(f"{name} ({impl})")
            print()
    summary = f"minidl lab check: {total - len(failed)}/{total} passed"
    print(summary + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


def check_all(argv: list[str] | None = None) -> int:
    """``minidl check [--impl NAME ...] [--kernel NAME ...] [--no-bench]``: 0 when all pass.

    By default every kernel's cpu implementation, plus its gpu one when a GPU is usable or
    ``NUMBA_ENABLE_CUDASIM=1`` is set.
    """
    parser = argparse.ArgumentParser(prog="minidl check", description=check_all.__doc__)
    parser.add_argument("--impl", action="append", choices=kernels.IMPLS, help="repeatable")
    parser.add_argument("--kernel", action="append", help="repeatable; default: all")
    parser.add_argument("--no-bench", action="store_true", help="skip the timings")
    args = parser.parse_args(argv)
    impls = args.impl or ["cpu"]
    if not args.impl and (backend.gpu_status()[0] or config.cuda_simulator()):
        impls.append("gpu")
    lab_args = ["check", *(["--all"] if not args.kernel else [])]
    code = 0
    for name in args.kernel or [None]:
        run = lab_args + ([name] if name else []) + [f"--impl={impl}" for impl in impls]
        code |= main(run + (["--no-bench"] if args.no_bench else []))
    return code
