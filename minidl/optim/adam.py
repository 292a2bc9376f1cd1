"""Adam (Kingma & Ba 2015), as PyTorch implements it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import backend, kernels
from .optimizer import Optimizer


class Adam(Optimizer):
    """With g = ∇ + λ·θ (L2 weight decay), step t:
    m ← β1·m + (1 − β1)·g,   v ← β2·v + (1 − β2)·g²
    θ ← θ − lr · (m / (1 − β1ᵗ)) / (sqrt(v / (1 − β2ᵗ)) + ε)

    computed as PyTorch's single-tensor path does: denom = sqrt(v) / sqrt(1 − β2ᵗ) + ε,
    θ ← θ − lr / (1 − β1ᵗ) · m / denom. Each parameter is updated in one pass by the kernel
    ``adam_update`` in minidl/kernels/optim_update/cpu.py (gpu.py on CuPy arrays;
    reference.py is the spec); ``with md.kernels.use(adam_update=...)`` runs another.
    Reference: ``torch.optim.Adam``.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        if lr < 0 or eps < 0 or not all(0 <= b < 1 for b in betas):
            raise ValueError(
                f"Adam: need lr >= 0, eps >= 0, 0 <= betas < 1; got lr={lr}, "
                f"eps={eps}, betas={betas}"
            )
        super().__init__(
            params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay)
        )

    def step(self) -> None:
        for k, group, p in self._params():
            if p.grad is None:
                continue
            state = self.state.setdefault(k, {})
            if "step" not in state:
                xp = backend.array_module(p.data)
                state.update(
                    step=0, exp_avg=xp.zeros_like(p.data), exp_avg_sq=xp.zeros_like(p.data)
                )
            state["step"] += 1
            b1, b2 = group["betas"]
            update = kernels.get("adam_update", p.data)
            update(
                p.data, p.grad, state["exp_avg"], state["exp_avg_sq"],
                group["lr"], b1, b2, group["eps"], group["weight_decay"], int(state["step"]),
            )  # fmt: skip
