"""Checkers of lesson 03 (semantic segmentation): IoU from counts, the receptive field of a
stack, and a patch classifier's linear layer turned into a convolution."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import minidl as md
import minidl.nn as nn
from minidl.metrics import iou

from ..grading import Case, Result, grade


def check_iou(my_iou: Callable[[np.ndarray, np.ndarray], float]) -> Result:
    """``my_iou(pred, target)``: IoU of label 1, 1.0 when it is absent from both."""
    rng = np.random.default_rng(1)
    pairs = [(rng.integers(0, 2, (3, 8, 8)), rng.integers(0, 2, (3, 8, 8))) for _ in range(3)]
    hint = "TP / (TP + FP + FN) for label 1: (pred == 1) & (target == 1), ..."
    cases = [Case(f"random 0/1 labels (3, 8, 8), pair {k}", lambda f, p=p, t=t: float(f(p, t)),
                  iou(p, t), hint=hint) for k, (p, t) in enumerate(pairs)]  # fmt: skip
    three = rng.integers(0, 3, (2, 9, 7))
    cases.append(Case("labels 0, 1, 2: only label 1 counts", lambda f: float(f(three, three[::-1])),
                      iou(three, three[::-1]), hint="compare with == 1, not != 0"))  # fmt: skip
    empty = np.zeros((4, 4), int)
    absent = "TP + FP + FN = 0: return 1.0 instead of dividing by zero"
    cases.append(Case("no tumour in either: 1.0 by convention",
                      lambda f: float(f(empty, empty)), 1.0, hint=absent))  # fmt: skip
    return grade("iou", my_iou, cases)


def measured_receptive_field(layers: list[str], size: int = 64) -> int:
    """The side of the receptive field of the centre output pixel, measured with autograd:
    the input pixels where its gradient is nonzero (average pooling, positive weights)."""
    mods: list[nn.Module] = []
    for kind in layers:
        mods += [nn.Conv2d(1, 1, 3, padding=1)] if kind == "conv" else [nn.AvgPool2d(2)]
    net = nn.Sequential(*mods)
    for m in net:
        if isinstance(m, nn.Conv2d):
            m.weight.data[...] = 1.0
    x = md.tensor(np.ones((1, 1, size, size), np.float32), requires_grad=True)
    y = net(x)
    y[0, 0, y.shape[2] // 2, y.shape[3] // 2].backward()
    rows = np.flatnonzero(np.abs(x.grad[0, 0]).sum(axis=1) > 0)
    return int(rows.max() - rows.min() + 1)


def check_receptive_field(my_receptive_field: Callable[[list[str]], int]) -> Result:
    """``my_receptive_field(layers)`` for a list of "conv" (3x3, stride 1) and "pool" (2x2,
    stride 2), against the receptive field autograd measures."""
    stacks = [["conv"], ["conv"] * 8, ["conv", "conv", "pool", "conv", "conv"],
              ["conv", "pool"] * 3 + ["conv"], ["pool", "pool", "conv"]]  # fmt: skip
    cases = [Case(f"{stack}", lambda f, s=stack: int(f(s)),
                  lambda s=stack: measured_receptive_field(s, 96),
                  hint="keep the field r and the jump j (input pixels between neighbouring "
                       "positions of the current map): a conv adds 2j to r; a pool adds j and "
                       "doubles j")
             for stack in stacks]  # fmt: skip
    return grade("receptive_field", my_receptive_field, cases)


class PatchClassifier(nn.Module):
    """Valid 3x3 convs + ReLU, then a linear layer on the flattened final map: the classic
    patch classifier whose linear layer is a convolution in disguise."""

    def __init__(self, patch: int, width: int = 6, convs: int = 2, classes: int = 2) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c = 1
        for _ in range(convs):
            layers += [nn.Conv2d(c, width, 3), nn.ReLU()]
            c = width
        self.features = nn.Sequential(*layers)
        self.side = patch - 2 * convs
        self.fc = nn.Linear(width * self.side * self.side, classes)

    def forward(self, patches: md.Tensor) -> md.Tensor:
        h = self.features(patches)  # (N, C, side, side)
        return self.fc(h.reshape(h.shape[0], -1))

    def dense(self, images: md.Tensor) -> md.Tensor:
        """The scores of every window in one pass (exercise 1): the features over whole images,
        then the linear layer as a side x side convolution.

        Shapes: (N, 1, H, W) -> (N, classes, H - patch + 1, W - patch + 1).
        """
        classes, channels = self.fc.out_features, self.fc.in_features // self.side**2
        kernel = self.fc.weight.reshape(classes, channels, self.side, self.side)
        return md.nn.functional.conv2d(self.features(images), kernel, self.fc.bias)


def window_scores(
    model: PatchClassifier, image: np.ndarray, patch: int, batch_size: int = 256
) -> np.ndarray:
    """The classifier run on every patch of ``image`` (1, 1, H, W) that fits, ``batch_size``
    windows at a time: (classes, H - patch + 1, W - patch + 1)."""
    windows = np.lib.stride_tricks.sliding_window_view(image[0, 0], (patch, patch))
    rows, cols = windows.shape[:2]
    flat = windows.reshape(rows * cols, 1, patch, patch)  # a copy: the windows overlap
    with md.no_grad():
        scores = np.concatenate([model(md.tensor(flat[i : i + batch_size])).numpy()
                                 for i in range(0, len(flat), batch_size)])  # fmt: skip
    return scores.T.reshape(-1, rows, cols)


def check_fc_to_conv(my_fc_to_conv: Callable) -> Result:
    """``my_fc_to_conv(fc, channels, side)`` returns an ``nn.Conv2d`` computing what ``fc`` (an
    ``nn.Linear`` on a flattened (channels, side, side) map) computes, at every position."""

    def case(patch: int, convs: int, size: tuple[int, int], seed: int) -> Case:
        md.manual_seed(seed)
        model = PatchClassifier(patch, convs=convs).eval()
        image = np.random.default_rng(seed).random((1, 1, *size)).astype(np.float32)

        def run(f: Callable) -> np.ndarray:
            conv = f(model.fc, model.fc.in_features // model.side**2, model.side)
            if not isinstance(conv, nn.Conv2d):
                raise TypeError(f"expected an nn.Conv2d, got {type(conv).__name__}")
            with md.no_grad():
                return conv(model.features(md.tensor(image))).numpy()[0]

        hint = (
            "the Linear's weight (classes, C*side*side) reshaped to (classes, C, side, side) "
            "is a conv kernel of size side; its bias is the conv's bias"
        )
        return Case(
            f"patch {patch}, {convs} convs, image {size}",
            run,
            lambda: window_scores(model, image, patch),
            rtol=1e-5,
            atol=1e-5,
            hint=hint,
        )

    cases = [case(9, 2, (13, 12), 0), case(11, 3, (15, 13), 1), case(7, 1, (10, 17), 2),
             case(5, 2, (5, 8), 3)]  # fmt: skip
    return grade("fc_to_conv", my_fc_to_conv, cases)
