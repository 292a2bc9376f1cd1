"""minidl against PyTorch (CPU, float32) on U-Net layers: conv2d, conv_transpose2d, max-pool.

    python benchmarks/bench_conv.py [--quick] [--repeat 7] [--rounds 1] [--skip-subprocesses]
    minidl bench conv [same options]

What it prints:
1. a table of time_minidl / time_torch per layer shape, forward and forward+backward, with
   the geometric mean per op (targets for forward+backward: conv2d <= 1.5,
   conv_transpose2d <= 1.5, max_pool2d with indices <= 0.5). Both libraries run in this
   process, one after the other on each layer, and each time is the best of ``--repeat`` runs
   after a warm-up run: the machine is shared, and the minimum is the least noisy estimate of
   what the code costs. ``--rounds R`` measures each layer R times, alternating the two
   libraries' blocks, and keeps each library's best (under a varying load, one round can
   catch either library in a bad moment).
2. the same geometric means in a subprocess started with ``MALLOC_MMAP_MAX_=0
   MALLOC_TRIM_THRESHOLD_=100000000000`` (glibc then keeps freed memory instead of returning
   it to the OS, so no big buffer starts as fresh pages; benchmarks/README.md, "Fresh large
   buffers"), next to the ratios as users get them; and, on
   AVX-512 CPUs whose environment pins another OpenBLAS core type, with
   ``OPENBLAS_CORETYPE=SkylakeX`` (see `_variants`).
3. the first-call cost of the Numba kernels in a fresh process: with a warm cache (the usual
   case) and cold (``NUMBA_CACHE_DIR`` pointed at an empty folder, so everything compiles).
4. peak extra memory of one conv2d forward+backward, minidl against PyTorch: each in a fresh
   process, after a warm-up on a tiny layer (imports, compiled kernels), the peak resident
   set size during that one step (Linux: VmHWM, reset through /proc/self/clear_refs) minus
   the resident size before it. (``ru_maxrss`` would not do: a child process inherits its
   parent's peak across fork and exec.)

In fwd+bwd the layer input needs a gradient, except for 1-channel inputs (the image: a
network never needs its gradient, and neither library computes it then).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from functools import partial

import numpy as np

# (C_in, C_out, size, padding) of 3x3 convs: a U-Net with valid convs on a 188 input, and one
# with 'same' convs on a 128 input, down to 256 channels at 16 x 16.
CONV_SHAPES = [
    (1, 16, 188, 0), (16, 16, 186, 0), (16, 32, 92, 0), (32, 32, 90, 0),
    (32, 64, 44, 0), (64, 64, 42, 0), (64, 128, 20, 0), (128, 128, 18, 0),
    (1, 16, 128, 1), (16, 16, 128, 1), (32, 64, 64, 1), (64, 64, 64, 1),
    (64, 128, 32, 1), (128, 128, 32, 1), (128, 256, 16, 1), (256, 256, 16, 1),
]  # fmt: skip
# (C_in, C_out, size) of the 2x2 stride-2 transpose convs of the decoders.
TRANSPOSE_SHAPES = [(256, 128, 8), (128, 64, 16), (64, 32, 32), (32, 16, 64), (128, 64, 20)]
# (C, size) of the 2x2 stride-2 max-pools (with indices) of the encoders.
POOL_SHAPES = [(16, 184), (32, 88), (64, 40), (128, 16), (16, 128), (32, 64), (64, 32)]
BATCHES = (4, 1)
TUNED_MALLOC = {"MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": "100000000000"}


def best_of(fns: Sequence[Callable[[], object]], repeat: int) -> list[float]:
    """Seconds per call of each function: the best of ``repeat`` runs after a warm-up run.

    One function's runs in a block, then the next one's: alternating run by run would make
    each library pay for the other's worker threads, still spinning from its last call.
    """
    best = []
    for fn in fns:
        fn()
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        best.append(min(times))
    return best


def _step(lib: str, op: Callable, inputs: list, grad: object | None) -> Callable[[], object]:
    """A closure running ``op(*inputs)`` (and its backward when ``grad`` is given)."""
    import torch

    def run() -> object:
        for t in inputs:
            t.grad = None
        if grad is None:
            if lib == "torch":
                with torch.no_grad():
                    return op(*inputs)
            import minidl as md

            with md.no_grad():
                return op(*inputs)
        out = op(*inputs)
        out = out[0] if isinstance(out, tuple) else out
        out.backward(grad)
        return out

    return run


def _pair_of_layers(kind: str, shape: tuple, N: int, rng: np.random.Generator, device="cpu"):
    """minidl and torch versions of one layer call on ``device`` (bench_gpu uses "cuda"):
    (md_op, md_inputs, torch_op, torch_inputs, output shape)."""
    import torch
    import torch.nn.functional as TF

    import minidl as md
    import minidl.nn.functional as F

    if kind == "conv2d":
        C_in, C_out, S, P = shape
        arrays = [(N, C_in, S, S), (C_out, C_in, 3, 3), (C_out,)]
        md_op, torch_op = partial(F.conv2d, padding=P), partial(TF.conv2d, padding=P)
        out_shape = (N, C_out, S - 2 + 2 * P, S - 2 + 2 * P)
    elif kind == "conv_transpose2d":
        C_in, C_out, S = shape
        arrays = [(N, C_in, S, S), (C_in, C_out, 2, 2), (C_out,)]
        md_op = partial(F.conv_transpose2d, stride=2)
        torch_op = partial(TF.conv_transpose2d, stride=2)
        out_shape = (N, C_out, 2 * S, 2 * S)
    elif kind == "max_pool2d":
        C, S = shape
        arrays = [(N, C, S, S)]
        md_op = partial(F.max_pool2d, kernel_size=2, return_indices=True)
        torch_op = partial(TF.max_pool2d, kernel_size=2, return_indices=True)
        out_shape = (N, C, S // 2, S // 2)
    else:  # max_unpool2d of what a 2x2 pool remembered
        C, S = shape
        x = rng.standard_normal((N, C, S, S)).astype(np.float32)
        _, idx = TF.max_pool2d(torch.from_numpy(x), 2, return_indices=True)
        arrays = [(N, C, S // 2, S // 2)]
        md_idx = md.tensor(idx.numpy(), device=device)
        md_op = partial(F.max_unpool2d, indices=md_idx, kernel_size=2)
        torch_op = partial(TF.max_unpool2d, indices=idx.to(device), kernel_size=2)
        out_shape = (N, C, S, S)
    values = [rng.standard_normal(s).astype(np.float32) * 0.1 for s in arrays]
    needs = [not (kind.startswith("conv") and i == 0 and s[1] == 1) for i, s in enumerate(arrays)]
    md_in = [md.tensor(v, requires_grad=n, device=device) for v, n in zip(values, needs)]
    torch_in = [torch.tensor(v, requires_grad=n, device=device) for v, n in zip(values, needs)]
    return md_op, md_in, torch_op, torch_in, out_shape


def measure(
    kinds: Sequence[str], quick: bool, repeat: int, rounds: int = 1
) -> dict[str, list[dict]]:
    """Rows of times per op kind, printed as they come."""
    import torch

    tables = {
        "conv2d": CONV_SHAPES,
        "conv_transpose2d": TRANSPOSE_SHAPES,
        "max_pool2d": POOL_SHAPES,
        "max_unpool2d": POOL_SHAPES,
    }
    rng = np.random.default_rng(0)
    results: dict[str, list[dict]] = {}
    print(
        f"{'op':<17}{'N':>2} {'shape':<20}{'fwd ms md/torch':>22}{'ratio':>7}"
        f"{'fwd+bwd ms md/torch':>24}{'ratio':>7}"
    )
    for kind in kinds:
        shapes = tables[kind][:2] if quick else tables[kind]
        for N in BATCHES[:1] if quick else BATCHES:
            for shape in shapes:
                md_op, md_in, t_op, t_in, out_shape = _pair_of_layers(kind, shape, N, rng)
                grad = rng.standard_normal(out_shape).astype(np.float32)
                forward = [_step("md", md_op, md_in, None), _step("torch", t_op, t_in, None)]
                backward = [
                    _step("md", md_op, md_in, grad),
                    _step("torch", t_op, t_in, torch.from_numpy(grad)),
                ]
                fwd = both = [float("inf")] * 2
                for _ in range(rounds):
                    fwd = [min(a, b) for a, b in zip(fwd, best_of(forward, repeat))]
                    both = [min(a, b) for a, b in zip(both, best_of(backward, repeat))]
                row = {"N": N, "shape": shape, "fwd": fwd, "fwd_bwd": both}
                results.setdefault(kind, []).append(row)
                print(
                    f"{kind:<17}{N:>2} {str(shape):<20}"
                    f"{fwd[0] * 1e3:>10.2f} /{fwd[1] * 1e3:>9.2f}{fwd[0] / fwd[1]:>7.2f}"
                    f"{both[0] * 1e3:>12.2f} /{both[1] * 1e3:>9.2f}{both[0] / both[1]:>7.2f}",
                    flush=True,
                )
    return results


def geomeans(results: dict[str, list[dict]]) -> dict[str, tuple[float, float]]:
    """Per op kind: geometric means of the forward and forward+backward ratios."""
    out = {}
    for kind, rows in results.items():
        ratios = np.array([[r[k][0] / r[k][1] for k in ("fwd", "fwd_bwd")] for r in rows])
        out[kind] = tuple(float(v) for v in np.exp(np.log(ratios).mean(axis=0)))
    return out


def _run_python(code: str, env: dict[str, str] | None = None) -> dict:
    """Run ``code`` in a fresh interpreter; it prints one JSON object as its last line."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


FIRST_CALLS = """
import json, time
start = time.perf_counter()
import numpy as np
import minidl as md, minidl.nn.functional as F
imported = time.perf_counter()
def step():
    x = md.tensor(np.ones((1, 2, 8, 8), np.float32), requires_grad=True)
    w = md.tensor(np.ones((3, 2, 3, 3), np.float32), requires_grad=True)
    u = md.tensor(np.ones((3, 2, 2, 2), np.float32), requires_grad=True)
    y = F.conv2d(x, w, padding=1)
    p, i = F.max_pool2d(y, 2, return_indices=True)
    z = F.conv_transpose2d(F.max_unpool2d(p, i, 2), u, stride=2)
    z.sum().backward()
step()
first = time.perf_counter()
step()
print(json.dumps({"import": imported - start, "first": first - imported,
                  "second": time.perf_counter() - first}))
"""

PEAK_MEMORY = """
import json, sys
import numpy as np
lib, (N, C_in, C_out, S) = "{lib}", {shape}
rng = np.random.default_rng(0)
def layer(n, ci, co, s):
    arrays = [rng.standard_normal(a).astype(np.float32) for a in
              [(n, ci, s, s), (co, ci, 3, 3), (co,), (n, co, s - 2, s - 2)]]
    if lib == "torch":
        import torch
        x, w, b = (torch.tensor(a, requires_grad=True) for a in arrays[:3])
        g = torch.tensor(arrays[3])
        return lambda: torch.nn.functional.conv2d(x, w, b).backward(g)
    import minidl as md, minidl.nn.functional as F
    x, w, b = (md.tensor(a, requires_grad=True) for a in arrays[:3])
    return lambda: F.conv2d(x, w, b).backward(arrays[3])
def status_kb(field):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))
layer(1, 2, 2, 6)()  # imports and compiled kernels, on a tiny layer
step = layer(N, C_in, C_out, S)  # inputs and the output gradient exist before we measure
before = status_kb("VmRSS")
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the peak (VmHWM) to the current resident size
step()
print(json.dumps({{"extra_mb": (status_kb("VmHWM") - before) / 1024}}))
"""


def startup_costs() -> dict[str, dict]:
    """First-call cost in fresh processes: warm cache (run once before) and cold."""
    _run_python(FIRST_CALLS)  # make sure the cache is warm
    warm = _run_python(FIRST_CALLS)
    with tempfile.TemporaryDirectory() as empty:
        cold = _run_python(FIRST_CALLS, {"NUMBA_CACHE_DIR": empty})
    return {"warm": warm, "cold": cold}


def peak_memory(shape: tuple[int, int, int, int]) -> dict[str, float]:
    return {
        lib: _run_python(PEAK_MEMORY.format(lib=lib, shape=shape))["extra_mb"]
        for lib in ("minidl", "torch")
    }


def _has_avx512() -> bool:
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line.split() for line in f if line.startswith("flags")), [])
    except OSError:
        return False
    return all(f in flags for f in ("avx512f", "avx512bw", "avx512dq", "avx512vl"))


def _variants() -> list[tuple[str, dict[str, str]]]:
    """The environments of the extra runs, each in a fresh process: glibc keeping freed
    memory and, on AVX-512 CPUs, OpenBLAS's AVX-512 'SkylakeX' kernels when the environment
    pins another core type: OpenBLAS would pick them itself, so that run shows what users with
    the default get (benchmarks/README.md, "OpenBLAS core type")."""
    malloc = " ".join(f"{k}={v}" for k, v in TUNED_MALLOC.items())
    out = [(f"geometric means with {malloc}:", TUNED_MALLOC)]
    if _has_avx512() and os.environ.get("OPENBLAS_CORETYPE", "SkylakeX") != "SkylakeX":
        out.append(
            ("geometric means with OPENBLAS_CORETYPE=SkylakeX (AVX-512 GEMMs):",
             {"OPENBLAS_CORETYPE": "SkylakeX"})
        )  # fmt: skip
    return out


TARGETS = {"conv2d": 1.5, "conv_transpose2d": 1.5, "max_pool2d": 0.5}


def _print_summary(title: str, means: dict[str, tuple[float, float]]) -> None:
    print(title)
    for kind, (fwd, both) in means.items():
        target = f"  (target <= {TARGETS[kind]})" if kind in TARGETS else ""
        print(f"  {kind:<17} fwd {fwd:5.2f}   fwd+bwd {both:5.2f}{target}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 shapes per op, batch 4 only")
    parser.add_argument("--repeat", type=int, default=7, help="runs per timing (best is kept)")
    parser.add_argument("--rounds", type=int, default=1, help="timings per layer (best is kept)")
    parser.add_argument("--ops", default="conv2d,conv_transpose2d,max_pool2d,max_unpool2d")
    parser.add_argument(
        "--skip-subprocesses", action="store_true", help="only the in-process table"
    )
    parser.add_argument("--json", action="store_true", help="end with the geomeans as JSON")
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        print("bench conv: PyTorch is not installed; it is the peer this benchmark compares to.")
        return 2
    import minidl  # noqa: F401  (the threading layer is set before any kernel runs)

    print(
        f"minidl vs torch {torch.__version__}, float32, {torch.get_num_threads()} threads, "
        f"best of {args.repeat} runs x {args.rounds} rounds; ratio = minidl / torch (< 1: faster)"
    )
    means = geomeans(measure(args.ops.split(","), args.quick, args.repeat, args.rounds))
    _print_summary("geometric means of the ratios (as users get them):", means)
    if args.json:
        print(json.dumps(means))
    if args.skip_subprocesses:
        return 0
    for title, env in _variants():
        done = subprocess.run(
            [sys.executable, __file__, *argv, "--skip-subprocesses", "--json"],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            check=True,
        )
        tuned = json.loads(done.stdout.strip().splitlines()[-1])
        _print_summary(title, {k: tuple(v) for k, v in tuned.items()})

    costs = startup_costs()
    for which, c in costs.items():
        print(
            f"first calls in a fresh process, {which} Numba cache: import minidl "
            f"{c['import']:.2f} s, first conv/pool/unpool/transpose fwd+bwd {c['first']:.2f} s "
            f"(a second one {c['second'] * 1e3:.1f} ms)"
        )
    shape = (4, 16, 16, 188)
    mem = peak_memory(shape)
    print(
        f"peak extra memory of one conv2d fwd+bwd, input {shape[:2] + (shape[3],) * 2}, "
        f"16 -> 16, 3x3 valid: minidl {mem['minidl']:.0f} MB, torch {mem['torch']:.0f} MB "
        "(peak resident size minus before, fresh warmed-up process)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
