"""`minidl demo style`: neural style transfer of a photograph, on a laptop CPU.

    minidl demo style [--quick] [--device cpu|cuda] [--out DIR] [--metrics PATH] [--seed N]

Content: scikit-image's ``chelsea`` (a cat); style: its ``brick`` texture; both centre-cropped
to 128×128, 200 L-BFGS iterations (--quick: 96×96, 100 iterations; the same code otherwise).
Starting from the content image, L-BFGS optimises the pixels to lower
α·L_content + β·L_style + γ·TV (`minidl.models.style_transfer`) through a network of
**random** 3×3 filters at four scales (`minidl.models.random_feature_net`, seeded by --seed):
a stand-in for the pretrained VGG-19 of Gatys et al., which cannot be downloaded here.
Content is matched at conv3_1, style at conv1_1 … conv4_1 with equal weights.

Prints a summary; writes to --out (default ``out/style/``): ``style_transfer.png`` (content |
style | result), ``losses.png`` (style and content loss at every evaluation) and
``metrics.json`` (--metrics PATH writes it elsewhere), one JSON object with
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
from minidl.numbers import fmt

CONTENT, STYLE = "chelsea", "brick"
ALPHA, BETA, TV_WEIGHT = 1.0, 1e6, 1.0


def _pictures(run: DemoRun, content, style, result, history, metrics) -> None:
    fig, axes = plt.subplots(1, 3, figsize=(9, 3.3))
    titles = (
        f"content ({CONTENT})",
        f"style ({STYLE})",
        f"result (style loss {fmt(metrics['style_loss_reduction'], 2)}× lower)",
    )
    for ax, image, title in zip(axes, (content, style, result), titles):
        ax.imshow(to_hwc(image))
        ax.set_title(title, fontsize=10)
        ax.axis("off")
    fig.tight_layout()
    run.save(fig, "style_transfer.png", dpi=100)

    fig, ax = plt.subplots(figsize=(6, 3.8))
    ax.semilogy([h["style"] for h in history], label="style loss")
    # evaluation 1 is the content image itself, whose content loss is 0 (no point on a log
    # scale): the curve starts at evaluation 2, and a note says why it then rises
    content_losses = [h["content"] for h in history[1:]]
    ax.semilogy(range(1, len(history)), content_losses, label="content loss")
    ax.annotate(
        "the optimisation starts at the content\nimage: its content loss is 0, and rises\n"
        "as the style comes in",
        xy=(1, content_losses[0]),
        xytext=(0.2, 0.45),  # the empty middle, between the two curves
        textcoords="axes fraction",
        fontsize=8,
        arrowprops={"arrowstyle": "->", "color": "grey"},
    )
    ax.set_xlabel("evaluation (forward + backward)")
    ax.set_ylabel("loss (log scale)")
    ax.set_title(
        f"style loss {fmt(metrics['style_loss_reduction'], 2)}× lower, "
        f"content loss {fmt(metrics['content_loss_final'])}",
        fontsize=10,
    )
    ax.legend(loc="center right", fontsize=9)
    fig.tight_layout()
    run.save(fig, "losses.png", dpi=100)


def summary(m: dict) -> list[str]:
    """What a student reads at the end of the run."""
    return [
        f"style transfer, {m['size']}x{m['size']}, {m['evaluations']} evaluations of L-BFGS "
        f"in {fmt(m['seconds_optimising'], 2)} s:",
        f"  style loss {fmt(m['style_loss_initial'])} -> {fmt(m['style_loss_final'])} "
        f"({fmt(m['style_loss_reduction'], 2)}x lower)",
        f"  content loss of the result {fmt(m['content_loss_final'])} (0 at the start: the "
        "content image)",
    ]


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
    run.finish(metrics, summary(metrics))
    return 0
