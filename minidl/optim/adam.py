"""Adam (Kingma & Ba 2015), as PyTorch implements it."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from .. import backend
from .optimizer import Optimizer


class Adam(Optimizer):
    """With g = ∇ + λ·θ (L2 weight decay), step t:
    m ← β1·m + (1 − β1)·g,   v ← β2·v + (1 − β2)·g²
    θ ← θ − lr · (m / (1 − β1ᵗ)) / (sqrt(v / (1 − β2ᵗ)) + ε)
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
            xp = backend.array_module(p.data)
            g = p.grad
            if group["weight_decay"]:
                g = g + group["weight_decay"] * p.data
            state = self.state.setdefault(k, {})
            if "step" not in state:
                state.update(
                    step=0, exp_avg=xp.zeros_like(p.data), exp_avg_sq=xp.zeros_like(p.data)
                )
            b1, b2 = group["betas"]
            state["step"] += 1
            m, v, t = state["exp_avg"], state["exp_avg_sq"], state["step"]
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            denom = xp.sqrt(v) / math.sqrt(1 - b2**t) + group["eps"]
            p.data -= (group["lr"] / (1 - b1**t)) * m / denom
