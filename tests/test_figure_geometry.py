"""`minidl.viz.geometry.figure_problems` on small figures made to have (or not have) each
defect, and on every picture the demos write in quick mode (the lessons' figures are checked
while tests/test_lessons.py runs them)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from figure_checks import checking_savefig  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from minidl import cli  # noqa: E402
from minidl.viz.geometry import figure_problems  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _one(problems: list[str], *words: str) -> None:
    assert len(problems) == 1, problems
    assert all(w in problems[0] for w in words), problems


def test_a_legend_over_the_points_of_a_line_is_found_and_a_clear_one_is_not():
    fig, ax = plt.subplots(figsize=(4, 3))
    x = np.linspace(0, 1, 50)
    ax.plot(x, 1 - x, label="falling")  # passes through the upper left corner
    ax.legend(loc="upper left")
    _one(figure_problems(fig), "legend covers", "falling")
    ax.legend(loc="upper right")
    assert figure_problems(fig) == []


def test_a_legend_over_a_horizontal_line_between_its_two_ends_is_found():
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1], [0, 0.2], label="data")
    ax.axhline(0.95, ls="--", label="final")  # two vertices, at the axes' edges
    ax.set_ylim(0, 1)
    ax.legend(loc="upper center")
    _one(figure_problems(fig), "legend covers", "final")


def test_a_legend_over_scatter_points_is_found():
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.scatter([0.05, 0.5], [0.95, 0.5], label="points")
    ax.set(xlim=(0, 1), ylim=(0, 1))
    ax.legend(loc="upper left")
    _one(figure_problems(fig), "scatter 'points' (1 points)")


def test_a_legend_over_a_note_is_found():
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1], [0, 0.1], label="data")
    ax.text(0.6, 0.5, "a note", transform=ax.transAxes)
    ax.legend(loc="center right")
    _one(figure_problems(fig), "legend covers", "text 'a note'")


def test_a_line_exactly_under_another_is_hidden_unless_it_is_drawn_wider():
    fig, ax = plt.subplots(figsize=(4, 3))
    x = np.arange(10)
    ax.plot(x, np.ones(10), label="semi-hard")
    ax.plot(x, np.ones(10), label="batch-hard")
    ax.set_ylim(0, 1.1)
    _one(figure_problems(fig), "'semi-hard' is hidden under line 'batch-hard'")
    ax.lines[0].set_linewidth(5)
    assert figure_problems(fig) == []


def test_a_marker_at_the_axes_edge_is_cut():
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0.0], [0.5], "s", ms=8, label="FAR 1 %")
    ax.set_xlim(0, 1)
    _one(figure_problems(fig), "marker", "FAR 1 %", "cut by the axes' edge")
    ax.set_xlim(-0.02, 1)
    assert figure_problems(fig) == []


def test_a_title_wider_than_the_figure_is_cut_unless_saved_tight():
    fig, ax = plt.subplots(figsize=(3, 3))
    ax.set_title("verification ROC, test people (dots: T chosen on validation)")
    _one(figure_problems(fig), "cut off by the figure's edge", "verification ROC")
    assert figure_problems(fig, tight=True) == []


def test_tick_labels_past_the_edge_are_cut():
    fig, ax = plt.subplots(figsize=(3, 3))
    fig.subplots_adjust(left=0.0)
    problems = figure_problems(fig)
    assert any("y axis" in p and "cut off" in p for p in problems), problems


def test_stacked_texts_in_one_axes_are_found():
    fig, ax = plt.subplots(figsize=(3, 3))
    ax.text(0.2, 0.5, "circle 0.91")
    ax.text(0.21, 0.505, "circle 0.88")
    ax.text(0.2, 0.1, "square 0.70")
    _one(figure_problems(fig), "cover each other", "circle 0.91", "circle 0.88")


def test_a_tag_over_the_title_is_found():
    fig, ax = plt.subplots(figsize=(3, 3))
    ax.set_title("prediction")
    ax.text(0.5, 1.02, "square 0.52", transform=ax.transAxes, ha="center")
    _one(figure_problems(fig), "cover each other", "'prediction' and 'square 0.52'")


def test_red_and_green_captions_need_a_key():
    fig, axes = plt.subplots(1, 2, figsize=(4, 2))
    axes[0].set_xlabel("d = 0.31", color="green")
    axes[1].set_xlabel("d = 0.95", color="red")
    fig.tight_layout()
    problems = figure_problems(fig)
    assert len(problems) == 2 and all("no legend or text says what" in p for p in problems)
    handles = [Patch(color="green", label="right"), Patch(color="red", label="wrong")]
    fig.legend(handles=handles, loc="upper center", ncol=2)
    assert figure_problems(fig) == []


def test_a_caption_that_names_its_colour_is_a_key():
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.set_title("a stranger closer than the person's own photo", color="red")
    _one(figure_problems(fig), "red", "no legend or text")
    fig.suptitle("red: fooled")
    assert figure_problems(fig) == []


def test_a_hand_made_categorical_map_needs_a_key_but_tab20_ids_do_not():
    from matplotlib.colors import ListedColormap

    fig, axes = plt.subplots(1, 2, figsize=(5, 2.5))
    corners = np.arange(4).reshape(2, 2)
    axes[0].imshow(corners, cmap=ListedColormap(["#444444", "tab:red", "tab:blue", "gold"]))
    axes[1].imshow(corners, cmap="tab20")
    problems = figure_problems(fig)
    assert {p.split(" ")[0] for p in problems} == {"grey", "red", "blue", "yellow"}
    axes[0].set_title("grey, red,\nblue, gold", fontsize=8)
    assert figure_problems(fig) == []


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(cli.DEMOS))
def test_every_picture_a_demo_writes_in_quick_mode_hides_nothing(name, tmp_path):
    """The real pictures: each demo's quick run, every savefig checked before it writes."""
    problems: list[str] = []
    saved: list[str] = []
    with checking_savefig(problems, saved):
        assert cli.main(["demo", name, "--quick", "--out", str(tmp_path)]) == 0
    assert sorted(saved) == sorted(p.name for p in tmp_path.glob("*.png"))
    assert len(saved) >= 2
    assert not problems, f"minidl demo {name} --quick:\n" + "\n".join(problems)
