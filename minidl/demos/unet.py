"""`minidl demo unet`: train a U-Net to segment tumours on brain MRI slices, on a laptop CPU.

    minidl demo unet [--quick] [--device cpu|cuda] [--out DIR] [--metrics PATH] [--seed N]

Data: `minidl.data.brain_tumor_slices` — the real MRI slice from matplotlib's sample data,
deformed, with synthetic tumours. Three sets drawn with different seeds: training, validation
(watched during training, never used to pick anything) and a held-out test set on which
every reported number is measured.

Model: `minidl.models.UNet` — the paper's architecture (3×3 convs + ReLU, 2×2 max-pool, 2×2
up-convs, skip connections with concatenation, 1×1 head), at a laptop's width (``base``
channels instead of 64) and with BatchNorm after each conv, on 128×128 slices. --quick
trains on random 96×96 crops of them (half the pixels per step; the network is fully
convolutional, so it still predicts whole 128×128 slices) for 600 steps instead of 2000.

Why "same" padding here and not the paper's "valid": a valid-padding U-Net of depth 4 maps
188 → 4 and 252 → 68 pixels; to predict a whole 128×128 slice it would need a 316×316
mirrored input (6× the pixels of the slice, i.e. ~6× the compute per step) or overlap
tiles. The paper needed valid convs for seamless tiling of 512×512 microscope images with a
2015 GPU's memory; our slices fit whole, so same padding gives every pixel a prediction at
a sixth of the cost. (`minidl.models.predict_tiled` and lesson 04 show the valid version.)

Loss: cross-entropy + soft Dice (tumour class), which copes with tumours covering only ~4 %
of the pixels. Optimiser: Adam with a cosine learning-rate schedule. Augmentation: random
left-right flips (every slice shows the head from the same side, so upside-down ones would
only cost training time), and the crops in --quick.

Baselines, on the same held-out slices:
- ``threshold_dice``: blur, then the best global intensity threshold chosen on the
  training set (`minidl.data.threshold_baseline_dice`);
- ``sliding_window_dice``: a small CNN that labels the centre pixel of a 17×17 patch,
  trained on balanced patches from the training slices (its scores corrected back to the
  tumour frequency of the training slices, `minidl.models.fcn.prior_shift`) and run once per
  pixel (`minidl.models.SlidingWindowClassifier`); it is evaluated on the first
  ``sliding_window_slices`` test slices only, because it costs one forward pass per pixel.

Prints a summary; writes to --out (default ``out/unet/``): ``predictions.png`` (inputs /
truth / prediction / error on held-out slices), ``training_curve.png`` and ``metrics.json``
(one JSON object: ``dice``, ``iou``, ``threshold_dice``, ``sliding_window_dice``, ``seconds``,
and more; --metrics PATH writes it elsewhere).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

import minidl as md
import minidl.nn.functional as F
from minidl import backend, optim, viz
from minidl.data import ArrayDataset, DataLoader, brain_tumor_slices, threshold_baseline_dice
from minidl.data.augment import Compose, RandomCrop, RandomFlip
from minidl.demos.common import DemoRun, parse_args
from minidl.metrics import dice, iou
from minidl.models import SlidingWindowClassifier, UNet
from minidl.models.fcn import prior_shift, sample_patches
from minidl.numbers import fmt
from minidl.train import fit


@dataclass(frozen=True)
class Config:
    size: int  # slices are size × size
    n_train: int
    n_val: int
    n_test: int
    base: int  # U-Net channels at the first level (the paper: 64)
    depth: int
    epochs: int
    batch_size: int
    lr: float
    window_patches: int  # training patches for the sliding-window baseline
    window_steps: int
    window_slices: int  # test slices the sliding window is evaluated on
    crop: int | None = None  # train on random crop × crop windows (None: whole slices)


DEFAULT = Config(128, 400, 16, 40, 8, 4, 20, 4, 3e-3, 40000, 1000, 8)
QUICK = Config(128, 240, 8, 40, 8, 4, 10, 4, 3e-3, 20000, 600, 4, crop=96)


def unet_loss(logits: md.Tensor, target: md.Tensor) -> md.Tensor:
    """Cross-entropy plus the soft Dice loss of the tumour class."""
    return F.cross_entropy(logits, target) + F.dice_loss(logits, target, include_background=False)


def augmentation(cfg: Config) -> Compose:
    """Left-right flips (every slice shows the head from the same side), and crops if asked."""
    flips = RandomFlip(vertical=0.0)
    return Compose(flips) if cfg.crop is None else Compose(RandomCrop(cfg.crop), flips)


def predict(model: UNet, images: np.ndarray, device: str, batch_size: int = 8) -> np.ndarray:
    """Labels (N, H, W) of whole slices, in eval mode without a graph."""
    model.eval()
    out = []
    with md.no_grad():
        for i in range(0, len(images), batch_size):
            x = md.tensor(images[i : i + batch_size], device=device)
            out.append(backend.to_numpy(model(x).data.argmax(axis=1)))
    return np.concatenate(out)


def sliding_window_baseline(
    cfg: Config, train: tuple, test: tuple, device: str, seed: int
) -> tuple[float, float]:
    """(Dice on the first ``cfg.window_slices`` test slices, seconds per slice to predict)."""
    rng = np.random.default_rng(seed)
    model = SlidingWindowClassifier(patch=17, width=8).to(device)
    patches, labels = sample_patches(*train, 17, cfg.window_patches, rng)
    opt = optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(cfg.window_steps):
        idx = rng.integers(0, len(patches), 128)
        opt.zero_grad()
        x = md.tensor(patches[idx], device=device)
        F.cross_entropy(model(x), md.tensor(labels[idx], device=device)).backward()
        opt.step()
    model.eval()
    images = backend.to_device(test[0][: cfg.window_slices], device)
    began = time.perf_counter()
    scores = model.predict(images, shift=prior_shift(labels, train[1]))
    seconds = (time.perf_counter() - began) / cfg.window_slices
    return dice(backend.to_numpy(scores), test[1][: cfg.window_slices]), seconds


def save_pictures(run: DemoRun, test: tuple, pred: np.ndarray, history, lines: dict) -> None:
    show = slice(0, 6)  # the first held-out slices: no choosing of good-looking ones
    fig = viz.segmentation_grid(
        test[0][show], test[1][show], pred[show], title="held-out slices (U-Net)"
    )
    run.save(fig, "predictions.png", dpi=90)
    fig = viz.plot_history(history, baselines=lines, title="U-Net on brain-tumour slices")
    run.save(fig, "training_curve.png", dpi=90)


def summary(m: dict) -> list[str]:
    """What a student reads at the end of the run."""
    n = m["sliding_window_slices"]
    return [
        f"U-Net on {m['test_slices']} held-out slices: Dice {fmt(m['dice'])}, IoU {fmt(m['iou'])}",
        f"  blurred global threshold:  Dice {fmt(m['threshold_dice'])}",
        f"  sliding-window CNN:        Dice {fmt(m['sliding_window_dice'])} on the first {n} "
        f"slices (U-Net on them: {fmt(m['dice_on_sliding_window_slices'])}), "
        f"{fmt(m['sliding_window_slowdown'], 2)}x slower per slice",
        f"trained {m['config']['epochs']} epochs in {fmt(m['train_seconds'], 2)} s "
        f"({m['parameters']} parameters)",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    run = parse_args("unet", argv, __doc__.splitlines()[0])
    cfg = QUICK if run.quick else DEFAULT
    md.manual_seed(run.seed)
    seeds = np.random.default_rng(run.seed).integers(0, 2**31, 3)
    train = brain_tumor_slices(cfg.n_train, cfg.size, seed=int(seeds[0]))
    val = brain_tumor_slices(cfg.n_val, cfg.size, seed=int(seeds[1]))
    test = brain_tumor_slices(cfg.n_test, cfg.size, seed=int(seeds[2]))
    threshold = threshold_baseline_dice(train, test)

    model = UNet(1, 2, base=cfg.base, depth=cfg.depth, padding="same", batchnorm=True)
    loader = DataLoader(
        ArrayDataset(*train), cfg.batch_size, shuffle=True, drop_last=True, seed=run.seed,
        device=run.device, transform=augmentation(cfg),
    )  # fmt: skip
    val_loader = DataLoader(ArrayDataset(*val), 8, device=run.device)
    opt = optim.Adam(model.parameters(), lr=cfg.lr)
    sched = optim.CosineAnnealingLR(opt, T_max=cfg.epochs)
    began = time.perf_counter()
    history = fit(
        model, loader, unet_loss, opt, cfg.epochs, val_loader=val_loader,
        metrics={"dice": dice}, scheduler=sched, device=run.device,
    )  # fmt: skip
    train_seconds = time.perf_counter() - began

    began = time.perf_counter()
    pred = predict(model, test[0], run.device)
    unet_seconds = (time.perf_counter() - began) / len(pred)
    window_dice, window_seconds = sliding_window_baseline(cfg, train, test, run.device, run.seed)
    test_dice = dice(pred, test[1])
    lines = {"U-Net, final (test set)": test_dice, "threshold baseline (test set)": threshold}
    save_pictures(run, test, pred, history, lines)
    metrics = {
        "dice": round(test_dice, 4),
        "iou": round(iou(pred, test[1]), 4),
        "threshold_dice": round(threshold, 4),
        "sliding_window_dice": round(window_dice, 4),
        "sliding_window_slices": cfg.window_slices,
        "dice_on_sliding_window_slices": round(
            dice(pred[: cfg.window_slices], test[1][: cfg.window_slices]), 4
        ),
        "unet_seconds_per_slice": round(unet_seconds, 4),
        "sliding_window_seconds_per_slice": round(window_seconds, 3),
        "train_seconds": round(train_seconds, 1),
        "final_val_dice": round(history.last["val_dice"], 4),
        "parameters": model.num_parameters(),
        "config": {**asdict(cfg), "padding": "same", "batchnorm": True},
        "test_slices": len(pred),
        "sliding_window_slowdown": round(window_seconds / max(unet_seconds, 1e-9), 1),
    }
    run.finish(metrics, summary(metrics))
    return 0
