"""Stochastic gradient descent with momentum, Nesterov momentum and weight decay."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import backend, kernels
from .optimizer import Optimizer


class SGD(Optimizer):
    """PyTorch's SGD. With g = ∇ + λ·θ (weight decay):
    b ← μ·b + (1 − dampening)·g        (b = g at the first step)
    d = g + μ·b if nesterov else b
    θ ← θ − lr·d

    Each parameter is updated in one pass by the kernel ``sgd_update`` in
    minidl/kernels/optim_update/cpu.py (gpu.py on CuPy arrays; reference.py is the spec);
    ``with md.kernels.use(sgd_update=...)`` runs another. Reference: ``torch.optim.SGD``.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 0.01,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        if lr < 0 or momentum < 0 or weight_decay < 0:
            raise ValueError(
                f"SGD: lr, momentum and weight_decay must be >= 0, got lr={lr}, "
                f"momentum={momentum}, weight_decay={weight_decay}"
            )
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: nesterov needs momentum > 0 and dampening = 0")
        super().__init__(
            params,
            dict(
                lr=lr,
                momentum=momentum,
                dampening=dampening,
                weight_decay=weight_decay,
                nesterov=nesterov,
            ),
        )

    def step(self) -> None:
        for k, group, p in self._params():
            if p.grad is None:
                continue
            buf, first = None, False
            if group["momentum"]:
                state = self.state.setdefault(k, {})
                first = "momentum_buffer" not in state
                if first:  # the kernel sets it to g without reading it
                    state["momentum_buffer"] = backend.array_module(p.data).empty_like(p.data)
                buf = state["momentum_buffer"]
            hyper = (group[h] for h in ("lr", "momentum", "dampening", "weight_decay"))
            update = kernels.get("sgd_update", p.data)
            update(p.data, p.grad, buf, *hyper, group["nesterov"], first)
