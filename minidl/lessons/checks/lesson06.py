"""Checkers of lesson 06 (instance segmentation): pairwise box IoU, greedy NMS, the RPN's
anchor matching, and the bilinear sampling inside RoIAlign."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from minidl import boxes
from minidl.kernels.roi_align import reference
from minidl.kernels.roi_align.cpu import bilinear_weights
from minidl.models.maskrcnn.matching import match_boxes

from ..grading import Case, Result, grade


def _b(*rows: tuple[float, float, float, float]) -> np.ndarray:
    return np.array(rows, dtype=np.float64).reshape(-1, 4)


def check_box_iou(my_box_iou: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Result:
    """``my_box_iou(a, b)``: the IoU of every pair, a (N, 4), b (M, 4) → (N, M), boxes
    ``[x1, y1, x2, y2]`` with width x2 − x1; checked against `minidl.boxes.box_iou`."""
    rng = np.random.default_rng(6)
    corner = rng.uniform(0, 40, (5, 2))
    rand_a = np.concatenate([corner, corner + rng.uniform(1, 20, (5, 2))], axis=1)
    corner = rng.uniform(0, 40, (3, 2))
    rand_b = np.concatenate([corner, corner + rng.uniform(1, 20, (3, 2))], axis=1)

    def case(name: str, a: np.ndarray, b: np.ndarray, hint: str) -> Case:
        return Case(name, lambda f: np.asarray(f(a, b)), lambda: boxes.box_iou(a, b), hint=hint)

    cases = [
        case("one pair overlapping by half: [0,0,2,2] and [1,0,3,2]", _b((0, 0, 2, 2)),
             _b((1, 0, 3, 2)), "intersection 1 × 2 = 2, union 4 + 4 − 2 = 6: IoU 1/3"),
        case("disjoint boxes", _b((0, 0, 2, 2)), _b((5, 5, 7, 8)),
             "no overlap: clip the intersection's width and height at 0 before multiplying "
             "(two negative sides would give a positive 'area')"),
        case("nested boxes: a small box inside a big one", _b((2, 2, 4, 4)), _b((0, 0, 8, 8)),
             "the intersection is the small box: IoU = 4 / 64"),
        case("boxes touching along an edge (x2 of one = x1 of the other)", _b((0, 0, 3, 3)),
             _b((3, 0, 6, 3)), "width is x2 − x1 with no '+1': touching boxes share no area"),
        case("identical boxes", _b((1.5, 2.5, 7.25, 9)), _b((1.5, 2.5, 7.25, 9)),
             "a box with itself has IoU exactly 1"),
        case("a zero-area box against a real one, and against itself",
             _b((3, 3, 3, 5), (0, 0, 4, 4)), _b((3, 3, 3, 5), (2, 2, 6, 6)),
             "0 / (area of the other box) = 0; two empty boxes give 0 / 0 = NaN (as "
             "torchvision does): do not guard the division"),
        case("every pair of 5 × 3 random boxes: shape (N, M)", rand_a, rand_b,
             "broadcast a[:, None, :] against b[None, :, :] for the corners of the "
             "intersections: max of the top-left corners, min of the bottom-right ones"),
        case("no boxes on one side: (2, 4) and (0, 4) → (2, 0)", rand_a[:2], rand_b[:0],
             "the (N, M) result is empty when M = 0; broadcasting handles it"),
    ]  # fmt: skip
    return grade("box_iou", my_box_iou, cases)


def check_nms(my_nms: Callable[[np.ndarray, np.ndarray, float], np.ndarray]) -> Result:
    """``my_nms(boxes, scores, iou_threshold)``: greedy non-maximum suppression, int64 indices
    of the kept boxes, best score first; checked against `minidl.boxes.nms`."""
    rng = np.random.default_rng(16)
    centre = rng.uniform(10, 50, (40, 2))
    half = rng.uniform(3, 10, (40, 2))
    crowd = np.concatenate([centre - half, centre + half], axis=1)
    crowd_scores = rng.uniform(0, 1, 40)
    chain = _b((0, 0, 10, 10), (4, 0, 14, 10), (8, 0, 18, 10))
    # IoU of the two boxes below is exactly 1/2: (2 · 4) / (8 + 16 − 8)
    half_boxes = _b((0, 0, 2, 4), (0, 0, 4, 4))

    def case(name: str, b: np.ndarray, s: np.ndarray, t: float, hint: str) -> Case:
        return Case(name, lambda f: np.asarray(f(b, s, t)).astype(np.int64),
                    lambda: boxes.nms(b, s, t), hint=hint)  # fmt: skip

    cases = [
        case("two overlapping boxes and a distant one", _b((0, 0, 10, 10), (1, 1, 11, 11),
             (30, 30, 40, 40)), np.array([0.9, 0.8, 0.7]), 0.5,
             "keep the best box, drop the boxes that overlap it by more than the threshold, "
             "repeat with the best remaining box"),
        case("scores not sorted: the result is in order of score", _b((30, 30, 40, 40),
             (0, 0, 10, 10), (1, 1, 11, 11)), np.array([0.2, 0.6, 0.9]), 0.5,
             "visit the boxes by decreasing score (np.argsort(-scores)) and return their "
             "original indices"),
        case("a chain: A suppresses B, and B (removed) must not suppress C", chain,
             np.array([0.9, 0.8, 0.7]), 0.3,
             "a box that was suppressed suppresses nothing: compare each candidate only with "
             "the boxes already kept"),
        case("equal scores: the lower index is kept", _b((0, 0, 10, 10), (0, 0, 10, 10),
             (50, 50, 60, 60), (50, 50, 60, 61)), np.array([0.5, 0.5, 0.5, 0.5]), 0.5,
             "sort with a stable sort (np.argsort(-scores, kind='stable')) so that ties keep "
             "their index order"),
        case("IoU exactly at the threshold is kept (suppression needs IoU > threshold)",
             half_boxes, np.array([0.9, 0.8]), 0.5,
             "drop a box only when its IoU with a kept box is strictly above the threshold"),
        case("identical boxes: only the best survives", np.repeat(_b((5, 5, 9, 9)), 4, 0),
             np.array([0.1, 0.4, 0.3, 0.2]), 0.7, "IoU 1 > any threshold below 1"),
        case("40 random boxes at threshold 0.3", crowd, crowd_scores, 0.3,
             "compare with boxes.nms(boxes, scores, 0.3) on a few boxes and draw them"),
        case("no boxes at all", _b(), np.zeros(0), 0.5,
             "an empty input gives an empty int64 array"),
    ]  # fmt: skip
    return grade("nms", my_nms, cases)


def check_match_anchors(
    my_match_anchors: Callable[[np.ndarray, float, float], np.ndarray],
) -> Result:
    """``my_match_anchors(iou, high, low)``: for iou (N anchors, G objects), each anchor's
    object index, or -1 (background) / -2 (ignored); every object's best anchors positive.
    Checked against `match_boxes(iou, high, low, allow_low_quality=True)`."""
    rng = np.random.default_rng(26)
    anchors = boxes.make_anchors((8, 8), 4, (6.0, 12.0), (0.5, 1.0, 2.0), dtype=np.float64)
    corner = rng.uniform(0, 20, (4, 2))
    gt = np.concatenate([corner, corner + rng.uniform(4, 12, (4, 2))], axis=1)
    real = boxes.box_iou(anchors, gt)

    def case(name: str, iou: np.ndarray, hint: str, high: float = 0.7, low: float = 0.3) -> Case:
        def want() -> np.ndarray:
            return match_boxes(iou, high, low, allow_low_quality=True)

        return Case(name, lambda f: np.asarray(f(iou, high, low)).astype(np.int64), want, hint=hint)

    cases = [
        case("three anchors, one object: IoU 0.8, 0.5, 0.1",
             np.array([[0.8], [0.5], [0.1]]),
             "IoU >= high: the object's index; < low: -1 (background); in between: -2"),
        case("the thresholds themselves: IoU exactly 0.7 and exactly 0.3",
             np.array([[0.7, 0.0], [0.3, 0.0], [0.9, 0.95]]),
             "positive at IoU >= high, background only strictly below low; an anchor goes to "
             "the object it overlaps most (argmax over the row)"),
        case("a small object whose best anchor reaches only IoU 0.4",
             np.array([[0.4, 0.0], [0.2, 0.75], [0.1, 0.0]]),
             "each object (column) also claims the anchor(s) of its highest IoU, even below "
             "high"),
        case("two anchors tie for an object's best IoU: both are positive",
             np.array([[0.45, 0.0], [0.45, 0.0], [0.2, 0.9]]),
             "claim every anchor whose IoU equals the column's maximum, not only the first"),
        case("an object's best anchor overlaps another object more",
             np.array([[0.5, 0.6], [0.1, 0.2], [0.0, 0.1]]),
             "an anchor claimed by an object's best-match rule still goes to its own argmax "
             "object (torchvision's Matcher does the same)"),
        case("an object that no anchor touches claims nothing",
             np.array([[0.8, 0.0], [0.1, 0.0], [0.2, 0.0]]),
             "only a column maximum above 0 claims anchors: IoU 0 everywhere is no match"),
        case("no objects at all: every anchor is background", np.zeros((4, 0)),
             "G = 0: return -1 for every anchor (max over an empty axis fails)"),
        case(f"{len(anchors)} anchors of an 8 × 8 map against 4 random objects", real,
             "compare with match_boxes(iou, high, low, allow_low_quality=True)"),
        case("the same with the RoI heads' thresholds (0.5, 0.5)", real,
             "high = low: nothing is ignored", high=0.5, low=0.5),
    ]  # fmt: skip
    return grade("anchor matching", my_match_anchors, cases)


def _bilinear_oracle(y: float, x: float, H: int, W: int) -> tuple:
    fn = getattr(bilinear_weights, "py_func", bilinear_weights)  # the Numba kernel's Python body
    return fn(y, x, H, W)


def check_bilinear(my_bilinear: Callable[..., tuple], my_roi_align: Any = None) -> Result:
    """``my_bilinear(y, x, H, W)`` → ``(y0, y1, x0, x1, w00, w01, w10, w11)`` with
    torchvision's border rules, against the RoIAlign kernel's ``bilinear_weights``; then, if
    given, ``my_roi_align`` built on it against the reference RoIAlign."""
    H, W = 5, 7

    def point(name: str, y: float, x: float, hint: str) -> Case:
        return Case(name, lambda f: tuple(f(y, x, H, W)), lambda: _bilinear_oracle(y, x, H, W),
                    hint=hint)  # fmt: skip

    cases = [
        point("inside the map: (y, x) = (2.25, 3.5)", 2.25, 3.5,
              "y0 = floor(y), y1 = y0 + 1, ly = y − y0, hy = 1 − ly; w01 = hy · lx"),
        point("exactly on a pixel: (1, 2)", 1.0, 2.0, "ly = lx = 0: all the weight on (y0, x0)"),
        point("in [-1, 0): (-0.6, 1.5) is clamped to row 0", -0.6, 1.5,
              "rule 2: y = max(y, 0) before taking the floor"),
        point("outside: y = -1.2", -1.2, 2.0, "rule 1: beyond [-1, H] all four weights are 0 "
              "(and the cells 0)"),
        point("outside: x = W + 0.1", 2.0, W + 0.1, "rule 1 applies to x too"),
        point("past the last row: y = H − 0.7", H - 0.7, 3.25,
              "rule 3: y0 >= H − 1 → y0 = y1 = H − 1 and y = H − 1, so ly = 0"),
        point("exactly y = H and x = W (still inside rule 1's range)", float(H), float(W),
              "rule 1 keeps y = H (<= H); rule 3 then clamps both coordinates"),
        point("the last row exactly: y = H − 1", H - 1.0, 0.5, "y0 = H − 1 triggers rule 3"),
    ]  # fmt: skip
    if my_roi_align is not None:
        rng = np.random.default_rng(60)
        x = rng.standard_normal((2, 3, 9, 11))
        rows = np.array([[0, 3.2, 2.1, 20.7, 15.3], [1, -6.0, -3.0, 9.0, 12.0],
                         [1, 30.0, 25.0, 50.0, 44.0], [0, 8.0, 8.0, 8.4, 8.1],
                         [0, 0.0, 0.0, 44.0, 36.0]])  # fmt: skip

        def roi(aligned: bool, ratio: int) -> Case:
            args = (x, rows, 4, 3, 0.25, ratio, aligned)
            return Case(f"my_roi_align on 5 boxes (partly outside, tiny, whole map), aligned="
                        f"{aligned}, sampling_ratio={ratio}", lambda f: my_roi_align(*args),
                        lambda: reference.roi_align(*args),
                        hint="the loops are given: if the points pass, look at the rule for "
                             "samples outside the map")  # fmt: skip

        cases += [roi(True, 2), roi(False, 2), roi(True, 0)]
    return grade("bilinear sampling", my_bilinear, cases)
