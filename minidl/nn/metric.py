"""Metric-learning loss modules: `TripletMarginLoss` and `TripletMarginWithDistanceLoss`
(see `F.triplet_margin_loss`)."""

from __future__ import annotations

from collections.abc import Callable

from ..ops.loss_args import legacy_reduction
from ..ops.metric_loss import triplet_margin_loss, triplet_margin_with_distance_loss
from ..tensor import Tensor
from .module import Module


class TripletMarginLoss(Module):
    """max(0, margin + d(a, p) − d(a, n)) per triplet, reduced; PyTorch's arguments.

    ``squared=True`` (keyword only, minidl's) is FaceNet's form on squared distances (use
    margin ≈ 0.2 on L2-normalised embeddings). Math: `minidl.nn.functional.triplet_margin_loss`.
    """

    def __init__(
        self,
        margin: float = 1.0,
        p: float = 2.0,
        eps: float = 1e-6,
        swap: bool = False,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
        *,
        squared: bool = False,
    ) -> None:
        super().__init__()
        self.margin, self.p, self.eps, self.swap = margin, p, eps, swap
        self.reduction = legacy_reduction("TripletMarginLoss", size_average, reduce, reduction)
        self.squared = squared

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return triplet_margin_loss(
            anchor,
            positive,
            negative,
            self.margin,
            self.p,
            self.eps,
            self.swap,
            reduction=self.reduction,
            squared=self.squared,
        )

    def extra_repr(self) -> str:
        return f"margin={self.margin}, p={self.p}, swap={self.swap}, squared={self.squared}"


class TripletMarginWithDistanceLoss(Module):
    """The triplet loss with any distance function (`F.triplet_margin_with_distance_loss`)."""

    def __init__(
        self,
        *,
        distance_function: Callable[[Tensor, Tensor], Tensor] | None = None,
        margin: float = 1.0,
        swap: bool = False,
        reduction: str = "mean",
    ) -> None:
        super().__init__()
        self.distance_function = distance_function
        self.margin, self.swap, self.reduction = margin, swap, reduction

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return triplet_margin_with_distance_loss(
            anchor,
            positive,
            negative,
            distance_function=self.distance_function,
            margin=self.margin,
            swap=self.swap,
            reduction=self.reduction,
        )
