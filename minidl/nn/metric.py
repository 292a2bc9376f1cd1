"""Metric-learning loss modules: `TripletMarginLoss` (see `F.triplet_margin_loss`)."""

from __future__ import annotations

from ..ops.metric_loss import triplet_margin_loss
from ..tensor import Tensor
from .module import Module


class TripletMarginLoss(Module):
    """max(0, margin + d(a, p) − d(a, n)) per triplet, reduced; PyTorch's arguments.

    ``squared=True`` is FaceNet's form on squared distances (use margin ≈ 0.2 on
    L2-normalised embeddings). Shapes and math: `minidl.nn.functional.triplet_margin_loss`.
    """

    def __init__(
        self,
        margin: float = 1.0,
        p: float = 2,
        eps: float = 1e-6,
        swap: bool = False,
        reduction: str = "mean",
        squared: bool = False,
    ) -> None:
        super().__init__()
        self.margin, self.p, self.eps, self.swap = margin, p, eps, swap
        self.reduction, self.squared = reduction, squared

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return triplet_margin_loss(
            anchor,
            positive,
            negative,
            self.margin,
            self.p,
            self.eps,
            self.swap,
            self.reduction,
            self.squared,
        )

    def extra_repr(self) -> str:
        return f"margin={self.margin}, p={self.p}, swap={self.swap}, squared={self.squared}"
