"""Mask R-CNN: losses (values, torch, gradcheck), matching and sampling on hand cases,
RoI targets, mask pasting, keypoint decoding, predict shapes, and a tiny model overfitting
two scenes."""

from __future__ import annotations

import numpy as np
import pytest

import minidl as md
from minidl.data.shapes import shapes_scenes
from minidl.models.maskrcnn import (
    BACKGROUND,
    IGNORED,
    MaskRCNN,
    detect,
    heatmaps_to_keypoints,
    keypoint_loss,
    mask_loss,
    match_boxes,
    paste_masks,
    sample_matches,
    smooth_l1_loss,
)
from minidl.models.maskrcnn.targets import (
    BOX_WEIGHTS,
    cyclic_orders,
    keypoint_targets,
    mask_targets,
    sample_rois,
)
from minidl.models.maskrcnn.training import evaluate, hflip, predict_scenes, scene_target, train

# ---- losses ----------------------------------------------------------------------------------


def test_smooth_l1_hand_values_and_torch(torch):
    x = md.tensor([0.0, 0.05, 0.5, -2.0])
    t = np.zeros(4, np.float32)
    # beta 0.1: 0.5·0.05²/0.1 = 0.0125 (quadratic part), 0.5 − 0.05, 2 − 0.05 (linear)
    got = smooth_l1_loss(x, t, beta=0.1, reduction="none").numpy()
    np.testing.assert_allclose(got, [0.0, 0.0125, 0.45, 1.95], rtol=1e-6)
    want = torch.nn.functional.smooth_l1_loss(
        torch.tensor(x.numpy()), torch.tensor(t), beta=0.1, reduction="sum"
    )
    assert smooth_l1_loss(x, t, beta=0.1).item() == pytest.approx(want.item(), rel=1e-6)
    with pytest.raises(ValueError, match="reduction"):
        smooth_l1_loss(x, t, reduction="max")


def test_smooth_l1_gradcheck():
    rng = np.random.default_rng(0)
    # values kept away from the kinks at |d| = 0 and |d| = beta
    d = rng.choice([-1, 1], 12) * rng.uniform(0.2, 0.8, 12) + rng.choice([0, 1.5], 12)
    x = md.tensor(d, requires_grad=True, dtype=md.float64)
    md.gradcheck(lambda x: smooth_l1_loss(x, np.zeros(12), beta=1.0), [x])
    md.gradcheck(lambda x: smooth_l1_loss(x * 1.0, np.zeros(12), beta=1.0, reduction="mean"), [x])


def test_mask_loss_uses_only_the_true_class(torch):
    rng = np.random.default_rng(1)
    logits = md.tensor(rng.standard_normal((3, 4, 5, 5)), requires_grad=True)
    labels = np.array([1, 3, 1])
    target = (rng.random((3, 5, 5)) > 0.5).astype(np.float32)
    loss = mask_loss(logits, labels, target)
    want = torch.nn.functional.binary_cross_entropy_with_logits(
        torch.tensor(logits.numpy()[[0, 1, 2], labels]), torch.tensor(target)
    )
    assert loss.item() == pytest.approx(want.item(), rel=1e-5)
    loss.backward()
    touched = np.abs(logits.grad).sum(axis=(2, 3)) > 0
    assert touched.tolist() == [[0, 1, 0, 0], [0, 0, 0, 1], [0, 1, 0, 0]]
    empty = mask_loss(md.zeros(0, 4, 5, 5, requires_grad=True), np.zeros(0, int), target[:0])
    assert empty.item() == 0.0


def test_mask_loss_gradcheck():
    rng = np.random.default_rng(2)
    logits = md.tensor(rng.standard_normal((2, 3, 4, 4)), requires_grad=True)
    target = (rng.random((2, 4, 4)) > 0.5).astype(np.float64)
    md.gradcheck(lambda z: mask_loss(z, np.array([2, 1]), target), [logits])


def test_keypoint_loss_is_cross_entropy_and_takes_the_best_order(torch):
    rng = np.random.default_rng(3)
    z = rng.standard_normal((2, 3, 4, 4))
    targets = rng.integers(0, 16, (1, 2, 3))
    valid = np.ones((1, 2, 3), bool)
    valid[0, 1, 2] = False
    got = keypoint_loss(md.tensor(z), targets, valid).item()
    flat = torch.tensor(z.reshape(6, 16))
    per = torch.nn.functional.cross_entropy(
        flat, torch.tensor(targets.reshape(6)), reduction="none"
    )
    assert got == pytest.approx(float(per[torch.tensor(valid.reshape(6))].mean()), rel=1e-6)
    # a second order that fits the maps perfectly for RoI 0 wins for that RoI
    z1 = np.full((1, 2, 2, 2), -20.0)
    z1[0, 0, 0, 0] = z1[0, 1, 1, 1] = 20.0  # keypoint 0 at position 0, keypoint 1 at 3
    orders = np.array([[[3, 0]], [[0, 3]]])
    one = np.ones((2, 1, 2), bool)
    assert keypoint_loss(md.tensor(z1), orders, one).item() == pytest.approx(0.0, abs=1e-6)
    assert keypoint_loss(md.tensor(z1), orders[:1], one[:1]).item() > 10


def test_keypoint_loss_gradcheck():
    rng = np.random.default_rng(4)
    z = md.tensor(rng.standard_normal((2, 2, 3, 3)), requires_grad=True)
    targets = rng.integers(0, 9, (2, 2, 2))
    valid = np.ones((2, 2, 2), bool)
    md.gradcheck(lambda z: keypoint_loss(z, targets, valid), [z])


# ---- matching and sampling -------------------------------------------------------------------


def test_match_boxes_thresholds_and_low_quality():
    iou = np.array([[0.8, 0.1], [0.5, 0.2], [0.1, 0.25], [0.0, 0.0]])
    assert match_boxes(iou, 0.7, 0.3).tolist() == [0, IGNORED, BACKGROUND, BACKGROUND]
    # object 1 overlaps nothing well: its best prediction (row 2, IoU 0.25) is claimed
    assert match_boxes(iou, 0.7, 0.3, allow_low_quality=True).tolist() == [0, IGNORED, 1, -1]
    assert match_boxes(np.zeros((3, 0)), 0.7, 0.3).tolist() == [BACKGROUND] * 3


def test_sample_matches_balances_and_caps():
    matched = np.array([0, 1, 0, -1, -1, -1, -1, -2, -1, -1])  # 3 positives, 6 negatives
    rng = np.random.default_rng(0)
    pos, neg = sample_matches(matched, 4, 0.5, rng)
    assert len(pos) == 2 and len(neg) == 2
    assert set(pos) <= {0, 1, 2} and set(neg) <= {3, 4, 5, 6, 8, 9}
    pos, neg = sample_matches(matched, 100, 0.25, rng)  # not enough of either: take all
    assert sorted(pos) == [0, 1, 2] and sorted(neg) == [3, 4, 5, 6, 8, 9]


def test_sample_rois_adds_ground_truth_and_encodes_deltas():
    gt = np.array([[10, 10, 20, 20]], np.float32)
    proposals = [np.array([[11, 10, 21, 20], [40, 40, 50, 50]], np.float32)]
    s = sample_rois(proposals, [gt], [np.array([3])], np.random.default_rng(0), 8, 0.5)
    assert s.rois.shape == (3, 5) and (s.rois[:, 0] == 0).all()
    assert sorted(s.labels.tolist()) == [0, 3, 3]  # proposal 0 and the gt box itself
    pos = s.labels > 0
    # the shifted proposal needs dx = 10 · (−1 / 10) = −1; the gt box needs nothing
    deltas = {tuple(r[1:]): d for r, d in zip(s.rois[pos], s.box_targets[pos])}
    np.testing.assert_allclose(deltas[(11, 10, 21, 20)], [-1.0, 0, 0, 0], atol=1e-6)
    np.testing.assert_allclose(deltas[(10, 10, 20, 20)], 0.0, atol=1e-6)
    assert s.matched[pos].tolist() == [0, 0] and (s.matched[~pos] == -1).all()
    assert BOX_WEIGHTS[0] == 10.0


# ---- targets, pasting, decoding --------------------------------------------------------------


def test_mask_targets_cut_the_object_out_of_its_roi():
    masks = np.zeros((1, 16, 16), bool)
    masks[0, 4:12, 4:8] = True  # the left half of the box [4, 4, 12, 12]
    got = mask_targets(masks, np.array([0]), np.array([[4, 4, 12, 12]], np.float32), 4)
    assert got.tolist() == [[[1, 1, 0, 0]] * 4]


def test_paste_masks_fills_the_box_and_inverts_mask_targets():
    ones = np.ones((1, 7, 7), np.float32)
    pasted = paste_masks(ones, np.array([[2.0, 3.0, 9.0, 6.0]]), (10, 12))
    want = np.zeros((10, 12))
    want[3:6, 2:9] = 1.0  # pixels whose centres lie in the box
    np.testing.assert_allclose(pasted[0], want, atol=1e-6)
    masks = np.zeros((1, 32, 32), bool)
    yy, xx = np.mgrid[0:32, 0:32] + 0.5
    masks[0] = (xx - 16) ** 2 + (yy - 14) ** 2 <= 81  # a disc of radius 9
    box = np.array([[7.0, 5.0, 25.0, 23.0]], np.float32)
    small = mask_targets(masks, np.array([0]), box, 14)
    back = paste_masks(small, box, (32, 32))[0] >= 0.5
    iou = (back & masks[0]).sum() / (back | masks[0]).sum()
    assert iou > 0.9


def test_keypoint_targets_and_decoding_round_trip():
    kp = np.array([[[2.0, 2.0, 2], [7.9, 0.5, 1], [8.0, 8.0, 2], [0, 0, 0]]], np.float32)
    box = np.array([[0.0, 0.0, 8.0, 8.0]], np.float32)
    targets, valid = keypoint_targets(kp, np.array([0]), box, 4, shifts=1)
    # cells of 2 px: (2, 2) → row 1 col 1; (7.9, 0.5) → row 0 col 3; (8, 8) on the far edge
    # → the last cell; the padding row is not valid
    assert targets[0, 0].tolist()[:3] == [5, 3, 15] and valid[0, 0].tolist() == [1, 1, 1, 0]
    logits = np.full((1, 4, 4, 4), -30.0)
    for k, t in enumerate(targets[0, 0]):
        logits[0, k].flat[t] = 30.0
    decoded = heatmaps_to_keypoints(logits, box)
    np.testing.assert_allclose(decoded[0, :3, :2], [[3, 3], [7, 1], [7, 7]])  # cell centres
    np.testing.assert_allclose(decoded[0, :, 2], 1.0, atol=1e-6)


def test_cyclic_orders_rotate_present_vertices_only():
    kp = np.zeros((1, 4, 3), np.float32)
    kp[0, :3] = [[0, 0, 2], [1, 0, 2], [2, 0, 1]]  # a triangle and a padding row
    orders = cyclic_orders(kp, 4)
    assert [o[0, :, 0].tolist() for o in orders] == [
        [0, 1, 2, 0],
        [1, 2, 0, 0],
        [2, 0, 1, 0],
        [0, 1, 2, 0],
    ]


def test_detect_per_class_nms_and_threshold():
    proposals = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [0, 0, 10, 10]], np.float32)
    probs = np.array([[0.1, 0.9, 0.0], [0.2, 0.8, 0.0], [0.5, 0.03, 0.47]], np.float32)
    deltas = np.zeros((3, 3, 4), np.float32)
    found, scores, labels = detect(probs, deltas, proposals, (20, 20))
    # proposal 1 is suppressed by proposal 0 (same class, IoU 0.82); proposal 2's class-2
    # box overlaps them fully but is another class; its class-1 score is under 0.05
    assert labels.tolist() == [1, 2] and scores.tolist() == pytest.approx([0.9, 0.47])
    np.testing.assert_allclose(found, proposals[[0, 2]])


def test_hflip_twice_is_identity_and_keeps_orientation():
    (scene,) = shapes_scenes(1, 48, seed=5)
    again = hflip(hflip(scene))
    for a, b in zip(scene, again):
        np.testing.assert_allclose(a, b, atol=1e-5)
    flipped = hflip(scene)
    for kp, label in zip(flipped.keypoints, flipped.labels):
        n = int((kp[:, 2] > 0).sum())
        if n >= 3:  # the signed area keeps its sign: the vertices still turn the same way
            x, y = kp[:n, 0], kp[:n, 1]
            assert np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y) > 0, label


# ---- the model -------------------------------------------------------------------------------


def tiny_model(**kw) -> MaskRCNN:
    md.manual_seed(0)
    return MaskRCNN(widths=(8, 16, 32), rois_per_image=32, **kw)


def test_predict_output_shapes_and_training_losses():
    scenes = shapes_scenes(2, 48, seed=1)
    model = tiny_model()
    images = md.tensor(np.stack([s.image for s in scenes]))
    losses = model(images, [scene_target(s) for s in scenes])
    assert set(losses) == {"rpn_objectness", "rpn_box", "classifier", "box", "mask", "keypoint"}
    assert all(v.shape == () and np.isfinite(v.item()) for v in losses.values())
    found = model.predict(images, score_threshold=0.0)
    assert len(found) == 2 and model.training  # predict restores the mode
    for f in found:
        D = len(f["boxes"])
        assert f["boxes"].shape == (D, 4) and f["scores"].shape == (D,) and D <= 20
        assert f["masks"].shape == (D, 48, 48) and f["masks"].dtype == bool
        assert f["keypoints"].shape == (D, 4, 3)
        circles = f["labels"] == 1
        assert (f["keypoints"][circles, :, 2] == 0).all()  # circles have no keypoints
    none = model.predict(images, score_threshold=1.1)  # nothing passes: empty, well-shaped
    assert none[0]["masks"].shape == (0, 48, 48) and none[0]["keypoints"].shape == (0, 4, 3)
    plain = tiny_model(keypoints=False)
    assert "keypoint" not in plain(images, [scene_target(s) for s in scenes])
    with pytest.raises(ValueError, match="one target per image"):
        model(images, [scene_target(scenes[0])])


def test_tiny_model_overfits_two_scenes():
    scenes = shapes_scenes(2, 48, max_instances=3, seed=2)
    model = tiny_model()
    history = train(model, scenes, steps=120, batch_size=2, lr=5e-3, progress=False)
    for name in ("rpn_objectness", "classifier", "mask"):
        late = np.mean([h[name] for h in history[-5:]])
        assert late < 0.7 * history[0][name], (name, history[0], history[-1])
    found = predict_scenes(model, scenes)
    metrics = evaluate(found, scenes, keypoints=False)
    # boxes come out near-perfect; the tiny model's 14 × 14 masks of 7-cell-wide patches
    # are coarser (one of six objects may fall under IoU 0.5, depending on BLAS threads)
    assert metrics["box_ap50"] >= 0.9 and metrics["mask_ap50"] >= 0.7, metrics
