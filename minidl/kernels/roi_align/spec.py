"""Lab specs for the RoIAlign family (``minidl/kernels/roi_align/``): ``roi_align`` and
``roi_align_backward``.

Each case is (x_shape, box rows, (PH, PW, spatial_scale, sampling_ratio, aligned)), with
box rows ``[batch_index, x1, y1, x2, y2]`` in image coordinates. The edge cases probe
torchvision's rules: samples outside [-1, H] × [-1, W] count 0, those within a pixel of the
border are clamped onto it, ``aligned=False`` widens boxes to 1 × 1, adaptive grids.
Shapes stay small: the GPU versions run them under the CUDA simulator too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..spec import Args, Case, KernelSpec, noncontiguous

INSIDE = [[0, 1.0, 0.5, 6.5, 4.0], [1, 0.0, 0.0, 9.0, 7.0], [1, 2.2, 1.3, 5.9, 6.1]]
GEOMETRIES = {
    "boxes inside the map, adaptive sampling": ((2, 3, 7, 9), INSIDE, (2, 3, 1.0, -1, False)),
    "aligned=True (half-pixel shift)": ((2, 3, 7, 9), INSIDE, (3, 2, 1.0, -1, True)),
    "spatial_scale 0.25, sampling_ratio 2": (
        (1, 2, 6, 8),
        [[0, 4.0, 2.0, 30.0, 22.0], [0, -6.0, 10.0, 17.0, 25.0]],
        (3, 3, 0.25, 2, True),
    ),
    "boxes partly outside the map (those samples count 0)": (
        (1, 2, 6, 7),
        [[0, -4.0, -3.0, 3.0, 4.0], [0, 4.0, 3.0, 12.0, 10.0], [0, -9.0, 1.0, -0.5, 5.0]],
        (2, 2, 1.0, 2, False),
    ),
    "samples exactly on y = H and x = -1 (they count)": (
        (1, 2, 4, 5),
        [[0, -2.0, 3.0, 0.0, 5.0], [0, 3.0, 3.0, 5.0, 5.0]],
        (1, 1, 1.0, 1, False),
    ),
    "tiny, empty and inverted boxes, aligned=False (widened to 1 x 1)": (
        (1, 2, 6, 6),
        [[0, 2.2, 2.7, 2.5, 3.1], [0, 3.0, 3.0, 3.0, 3.0], [0, 4.0, 4.0, 2.0, 1.0]],
        (2, 2, 1.0, -1, False),
    ),
    "tiny, empty and inverted boxes, aligned=True (0 for no samples)": (
        (1, 2, 6, 6),
        [[0, 2.2, 2.7, 2.5, 3.1], [0, 3.0, 3.0, 3.0, 3.0], [0, 4.0, 4.0, 2.0, 1.0]],
        (2, 2, 1.0, -1, True),
    ),
    "huge boxes (many samples per bin)": (
        (2, 2, 5, 6),
        [[1, -20.0, -15.0, 30.0, 25.0], [0, -3.0, 1.0, 40.0, 4.0]],
        (2, 3, 1.0, -1, False),
    ),
    "non-square bins, several images, sampling_ratio 1": (
        (3, 2, 5, 11),
        [[2, 1.0, 1.0, 10.0, 4.0], [0, 0.5, 0.5, 3.5, 4.5], [1, 6.0, 0.0, 11.0, 5.0]],
        (1, 4, 1.0, 1, True),
    ),
}


def _forward_case(name, x_shape, boxes, config, dtype=np.float64, strided=False) -> Case:
    def make(rng: np.random.Generator) -> Args:
        x = rng.standard_normal(x_shape).astype(dtype)
        rows = np.array(boxes, dtype=dtype).reshape(-1, 5)
        return (noncontiguous(x) if strided else x, rows, *config), {}

    return Case(name, make)


def _backward_case(name, x_shape, boxes, config, dtype=np.float64, strided=False) -> Case:
    def make(rng: np.random.Generator) -> Args:
        rows = np.array(boxes, dtype=dtype).reshape(-1, 5)
        grad = rng.standard_normal((len(rows), x_shape[1], config[0], config[1])).astype(dtype)
        return (noncontiguous(grad) if strided else grad, rows, x_shape, *config), {}

    return Case(name, make)


EXTRA = {
    "non-contiguous input": ((2, 3, 7, 9), INSIDE, (2, 2, 0.5, 2, True), np.float64, True),
    "float32": ((2, 3, 7, 9), INSIDE, (3, 3, 1.0, -1, True), np.float32, False),
    "no boxes": ((1, 2, 4, 4), [], (2, 2, 1.0, -1, False), np.float64, False),
}
ROI_ALIGN_CASES = tuple(_forward_case(n, *g) for n, g in {**GEOMETRIES, **EXTRA}.items())
ROI_ALIGN_BACKWARD_CASES = tuple(_backward_case(n, *g) for n, g in {**GEOMETRIES, **EXTRA}.items())


def _gradcheck(md: Any, device: str) -> None:
    """F.roi_align (forward: roi_align; backward: roi_align_backward). It is linear in x, so
    any input is kink-free; the boxes mix inside, outside, tiny and huge ones."""
    F = md.nn.functional
    backend = md.backend

    rng = np.random.default_rng(0)
    # Small: under the CUDA simulator each of the 2 × 60 forward calls runs 36 slow threads.
    x = md.tensor(rng.standard_normal((2, 1, 5, 6)), requires_grad=True, device=device)
    rows = [[0, 1.0, 0.5, 4.5, 4.0], [1, -4.0, 2.0, 3.0, 9.0], [0, 2.2, 2.7, 2.5, 3.1]]
    rows += [[1, -9.0, -9.0, 19.0, 19.0], [1, 0.0, 0.0, 6.0, 5.0], [0, 3.0, 1.0, 7.0, 6.0]]
    boxes = backend.to_device(np.array(rows), device)
    for aligned, ratio in ((False, -1), (True, 2)):
        md.gradcheck(lambda x, a=aligned, r=ratio: F.roi_align(x, boxes, (3, 2), 0.75, r, a), [x])


def _bench_boxes(rng: np.random.Generator, K: int = 128, size: float = 128.0) -> np.ndarray:
    wh = rng.uniform(4, size / 2, (K, 2))
    xy = rng.uniform(-4, size - 4, (K, 2)) - wh / 2
    return np.column_stack([rng.integers(0, 2, K), xy, xy + wh]).astype(np.float32)


def _bench_forward(rng: np.random.Generator) -> Args:
    x = rng.standard_normal((2, 64, 32, 32)).astype(np.float32)
    return (x, _bench_boxes(rng), 7, 7, 0.25, 2, True), {}


def _bench_backward(rng: np.random.Generator) -> Args:
    grad = rng.standard_normal((128, 64, 7, 7)).astype(np.float32)
    return (grad, _bench_boxes(rng), (2, 64, 32, 32), 7, 7, 0.25, 2, True), {}


def _torch_roi_align(torch: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """torchvision's roi_align, when torchvision is installed (ImportError otherwise)."""
    from torchvision.ops import roi_align

    x, boxes, PH, PW, scale, ratio, aligned = args
    tx, tb = torch.from_numpy(x), torch.from_numpy(boxes)
    return lambda: roi_align(tx, tb, (PH, PW), scale, ratio, aligned)


BENCH = "128 boxes on x (2, 64, 32, 32) float32, 7x7, scale 1/4, sampling 2, aligned"
SPECS = {
    "roi_align": KernelSpec(
        kernel="roi_align",
        outputs=("out",),
        exact=(False,),  # averages of bilinear samples: sums may round differently
        cases=ROI_ALIGN_CASES,
        gradcheck=_gradcheck,
        ops="roi_align",
        bench=Case(BENCH, _bench_forward),
        torch=_torch_roi_align,
    ),
    "roi_align_backward": KernelSpec(
        kernel="roi_align_backward",
        outputs=("grad_x",),
        exact=(False,),  # samples add into shared pixels, in any order
        cases=ROI_ALIGN_BACKWARD_CASES,
        gradcheck=_gradcheck,
        ops="roi_align",
        bench=Case(BENCH, _bench_backward),
    ),
}
