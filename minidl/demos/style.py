"""`minidl demo style`: neural style transfer of a photograph, on a laptop CPU.

    minidl demo style [--quick] [--device cpu|cuda] [--out DIR] [--metrics PATH] [--seed N]

Content: scikit-image's ``chelsea`` (a cat); style: its ``brick`` texture; both centre-cropped
to 128×128, 200 L-BFGS iterations (--quick: 96×96, 100 iterations; the same code otherwise).
Starting from the content image, L-BFGS optimises the pixels to lower
α·L_content + β·L_style + γ·TV (`minidl.models.style_transfer`) through a network of
**random** 3×3 filters at four scales (`minidl.models.random_feature_net`, seeded by --seed):
a stand-in for the pretrained VGG-19 of Gatys et al., which cannot be downloaded here.
Content is matched at conv3_1, style at conv1_1 … conv4_1 with equal weights.

Writes to --out: ``style_transfer.png`` (content | style | result) and ``losses.png`` (style
and content loss at every evaluation); --metrics: one JSON object with
``style_loss_initial`` (of the content image, where the optimisation starts),
``style_loss_final`` and ``content_loss_final`` (of the result, clipped to [0, 1] as shown),
``style_loss_reduction`` (initial / final), ``evaluations``, ``seconds`` and the settings.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt

from minidl.autograd import no_grad
from minidl.data.images import sample_image
from minidl.demos.common import DemoRun, parse_args
from minidl.models.style import random_feature_net
from minidl.models.style_transfer import StyleObjective, stylize, to_hwc

CONTENT, STYLE = "chelsea", "brick"
ALPHA, BETA, TV_WEIGHT = 1.0, 1e6, 1.0


def _pictures(run: DemoRun, content, style, result, history, metrics) -> None:
    fig, axes = plt.subplots(1, 3, figsize=(9, 3.3))
    titles = (
        f"content ({CONTENT})",
        f"style ({STYLE})",
        f"result (style loss ÷{metrics['style_loss_reduction']:.0f})",
    )
    for ax, image, title in zip(axes, (content, style, result), titles):
        ax.imshow(to_hwc(image))
        ax.set_title(title, fontsize=10)
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(run.out / "style_transfer.png", dpi=100)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(5, 3.3))
    ax.semilogy([h["style"] for h in history], label="style loss")
    # the content loss is 0 at the start (the content image itself): plot from evaluation 2
    ax.semilogy(range(1, len(history)), [h["content"] for h in history[1:]], label="content loss")
    ax.set_xlabel("evaluation (forward + backward)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(run.out / "losses.png", dpi=100)
    plt.close(fig)


def main(argv: Sequence[str] | None = None) -> int:
    run = parse_args("style", argv, __doc__.split("\n\n")[0])
    size, steps = (96, 100) if run.quick else (128, 200)
    content, style = sample_image(CONTENT, size), sample_image(STYLE, size)
    net = random_feature_net(seed=run.seed).to(run.device)
    objective = StyleObjective(net, content, style, alpha=ALPHA, beta=BETA, tv_weight=TV_WEIGHT)
    result, history = stylize(objective, steps=steps)
    with no_grad():
        final = {k: v.item() for k, v in objective(result).items()}
    metrics = {
        "style_loss_initial": history[0]["style"],
        "style_loss_final": final["style"],
        "style_loss_reduction": history[0]["style"] / final["style"],
        "content_loss_final": final["content"],
        "tv_loss_final": final["tv"],
        "evaluations": len(history),
        "seconds_optimising": round(history[-1]["seconds"], 2),
        "size": size,
        "lbfgs_iterations": steps,
        "content_image": CONTENT,
        "style_image": STYLE,
        "alpha": ALPHA,
        "beta": BETA,
        "tv_weight": TV_WEIGHT,
        "network": f"random filters, layers {net.names}, seed {run.seed}",
        "device": run.device,
        "quick": run.quick,
    }
    _pictures(run, content, style, result, history, metrics)
    run.write_metrics(metrics)
    return 0
