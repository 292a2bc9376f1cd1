"""The optimizer steps and the cross-entropy loss of a U-Net step: the multi-pass NumPy path,
the one-pass kernels, and PyTorch (CPU, float32).

    python benchmarks/bench_elementwise.py [--quick] [--repeat 7] [--rounds 3]

Rows (ms per call; best of ``--repeat`` after a warm-up, ``--rounds`` alternating rounds
keeping each contender's best, as bench_conv does):

- SGD step (momentum 0.9) and Adam step over every parameter of ``UNet(base=16)``:
  "old" is the optimizer with the reference kernels forced
  (``md.kernels.use(sgd_update="reference")``: NumPy, one pass per operation, as before the
  kernels), "new" the shipped kernels, "torch" ``torch.optim`` on tensors of the same shapes;
- cross-entropy forward + backward on (4, 2, 68, 68) and (4, 2, 388, 388) logits (the
  U-Net's outputs for 252 and 572 inputs) with an ignored border: "old" is log_softmax +
  NLL (two nodes, ``F.nll_loss(F.log_softmax(x, 1), t)``), "fused, reference" the fused
  node with the reference kernels, "new" the fused node with the shipped kernels, "torch"
  ``torch.nn.functional.cross_entropy``.

Ratios printed: old / new (what the kernels save) and new / torch. ``--quick`` runs the
small logits and one round of one repeat: a smoke test, not a timing.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

LOGITS = [(4, 2, 68, 68), (4, 2, 388, 388)]


def _best(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm-up: compiles on the first call
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _measure(contenders: dict[str, Callable[[], object]], repeat: int, rounds: int) -> dict:
    best = dict.fromkeys(contenders, float("inf"))
    for _ in range(rounds):
        for name, fn in contenders.items():
            best[name] = min(best[name], _best(fn, repeat))
    return best


def _optimizer_contenders(name: str) -> dict[str, Callable[[], object]]:
    import torch

    import minidl as md

    model = md.models.UNet(base=16)
    params = list(model.parameters())
    rng = np.random.default_rng(0)
    for p in params:
        p.grad = rng.standard_normal(p.shape).astype(p.dtype)
    theirs = [torch.nn.Parameter(torch.from_numpy(p.data.copy())) for p in params]
    for p, q in zip(params, theirs):
        q.grad = torch.from_numpy(p.grad.copy())
    if name == "SGD":
        ours, kernel = md.optim.SGD(params, lr=1e-3, momentum=0.9), "sgd_update"
        torch_opt = torch.optim.SGD(theirs, lr=1e-3, momentum=0.9)
    else:
        ours, kernel = md.optim.Adam(params, lr=1e-4), "adam_update"
        torch_opt = torch.optim.Adam(theirs, lr=1e-4)
    ours.step()  # the buffers exist from here on: every timed step is a later one
    torch_opt.step()

    def old() -> None:
        with md.kernels.use(**{kernel: "reference"}):
            ours.step()

    return {"old": old, "new": ours.step, "torch": torch_opt.step}


def _loss_contenders(shape: tuple[int, ...]) -> dict[str, Callable[[], object]]:
    import torch

    import minidl as md
    import minidl.nn.functional as F

    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape).astype(np.float32)
    target = rng.integers(0, shape[1], shape[:1] + shape[2:])
    target[:, :2] = -100  # a border without labels
    ours = md.tensor(x, requires_grad=True)
    theirs = torch.from_numpy(x.copy()).requires_grad_()
    t_target = torch.from_numpy(target)

    def fused() -> None:
        ours.grad = None
        F.cross_entropy(ours, target).backward()

    def old() -> None:
        ours.grad = None
        F.nll_loss(F.log_softmax(ours, 1), target).backward()

    def fused_reference() -> None:
        use = dict(cross_entropy_forward="reference", cross_entropy_backward="reference")
        with md.kernels.use(**use):
            fused()

    def torch_step() -> None:
        theirs.grad = None
        torch.nn.functional.cross_entropy(theirs, t_target).backward()

    return {"old": old, "fused, reference": fused_reference, "new": fused, "torch": torch_step}


def _row(label: str, best: dict[str, float]) -> str:
    times = "  ".join(f"{name} {1e3 * t:8.3f}" for name, t in best.items())
    ratios = (
        f"old/new {best['old'] / best['new']:5.2f}  new/torch {best['new'] / best['torch']:5.2f}"
    )
    return f"{label:<34} {times}   {ratios}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small input, one run: a smoke test")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    repeat, rounds = (1, 1) if args.quick else (args.repeat, args.rounds)
    print("ms per call (best); ratios: old / new, new / torch")
    for name in ("SGD", "Adam"):
        best = _measure(_optimizer_contenders(name), repeat, rounds)
        print(_row(f"{name} step, UNet(base=16) params", best), flush=True)
    for shape in LOGITS[:1] if args.quick else LOGITS:
        best = _measure(_loss_contenders(shape), repeat, rounds)
        print(_row(f"cross_entropy fwd+bwd {shape}", best), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
