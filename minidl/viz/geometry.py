"""Is anything in a figure hiding the data, cut off, or unexplained? Asked of matplotlib itself.

    >>> problems = figure_problems(fig)   # [] for a clean figure, else one sentence each

Every check works in display pixels after a real draw, so with the fonts, the layout and the
legend placement that the saved picture will have:

- a legend's box covers a line's points or segments, a scatter's points, or a text;
- a labelled line lies entirely under a line drawn on top of it (a curve the legend promises
  but nobody can see);
- a marker is cut by its axes' edge (a dot drawn at x = 0 with the x-axis starting at 0);
- a title, axis, legend or text reaches past the figure's edge (skipped for pictures saved
  with ``bbox_inches="tight"``, which grow to fit);
- two texts placed in one axes cover each other (stacked labels);
- a colour that carries a meaning (a coloured caption, a hand-made categorical colour map)
  has no key: no legend entry of that colour and no text that names it.

`watch_figures` runs these checks on every figure a notebook cell leaves open, the way the
inline backend shows and closes them; the lesson tests use it.
"""

from __future__ import annotations

import colorsys
import re
from collections.abc import Iterator
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib import colors as mcolors
from matplotlib.axes import Axes
from matplotlib.collections import Collection, PathCollection
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.path import Path
from matplotlib.text import Text
from matplotlib.transforms import Bbox

EDGE_PX = 1.0  # what anti-aliasing blurs anyway: closer than this is not "cut" or "covered"
HIDDEN_SHARE = 0.9  # a labelled line this much under another one cannot be told apart


def figure_problems(fig: Figure, tight: bool = False) -> list[str]:
    """Everything in ``fig`` that hides data, is cut off or lacks a key (see the module doc).

    ``tight``: the figure is saved with ``bbox_inches="tight"``, so nothing is cut by its edge.
    """
    renderer = _renderer(fig)
    problems = []
    legends = list(_legends(fig))
    for ax in _axes(fig):
        for legend in legends:
            problems += _legend_covers(ax, legend, renderer)
        problems += _hidden_lines(ax)
        problems += _cut_markers(ax)
        problems += _stacked_texts(ax, renderer)
    if not tight:
        problems += _cut_by_figure(fig, renderer)
    problems += _unexplained_colours(fig, legends)
    return problems


def watch_figures(tight: bool = True) -> list[str]:
    """In IPython: after every cell, check each open figure, then close it (as the inline
    backend does). Returns the list the problems are appended to, as "cell N, ...: ...".

    ``tight``: Jupyter's inline backend shows figures with ``bbox_inches="tight"``, so
    nothing is cut by the figure's edge there (markers cut by their axes still are).
    """
    import matplotlib.pyplot as plt
    from IPython import get_ipython

    found: list[str] = []

    def after_cell(result: Any) -> None:
        for number in plt.get_fignums():
            fig = plt.figure(number)
            where = f"cell {result.execution_count}, figure '{_figure_name(fig)}'"
            found.extend(f"{where}: {p}" for p in figure_problems(fig, tight=tight))
            plt.close(fig)

    get_ipython().events.register("post_run_cell", after_cell)
    return found


# ---- what is in the figure ------------------------------------------------------------------


def _renderer(fig: Figure) -> Any:
    if not hasattr(fig.canvas, "get_renderer"):  # a bare Figure(): give it an Agg canvas
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(fig)
    fig.canvas.draw()  # runs tight/constrained layout and places "best" legends
    return fig.canvas.get_renderer()


def _axes(fig: Figure) -> Iterator[Axes]:
    return (ax for ax in fig.axes if ax.get_visible())


def _legends(fig: Figure) -> Iterator[Legend]:
    found = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_visible()]
    return (lg for lg in found if lg is not None and lg.get_visible())


def _figure_name(fig: Figure) -> str:
    if fig._suptitle is not None and fig._suptitle.get_text():
        return fig._suptitle.get_text()
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    return titles[0] if titles else f"{len(fig.axes)} axes"


def _ax_name(ax: Axes) -> str:
    title = ax.get_title() or ax.get_title("left") or ax.get_ylabel() or ax.get_xlabel()
    return f"axes '{title}'" if title else "untitled axes"


def _line_name(line: Line2D) -> str:
    label = str(line.get_label())
    return f"line '{label}'" if not label.startswith("_") else "an unlabelled line"


def _shown(artist: Any) -> bool:
    alpha = artist.get_alpha()
    return artist.get_visible() and (alpha is None or alpha > 0)


def _px(points: float, fig: Figure) -> float:
    return points * fig.dpi / 72


def _line_pixels(line: Line2D) -> np.ndarray:
    """(n, 2) display coordinates of the line's vertices (non-finite ones, e.g. log(0), out)."""
    xy = line.get_transform().transform(np.asarray(line.get_xydata(), float))
    return xy[np.isfinite(xy).all(axis=1)]


def _has_segments(line: Line2D) -> bool:
    return line.get_linestyle() not in ("None", "", " ") and line.get_linewidth() > 0


def _has_markers(line: Line2D) -> bool:
    return line.get_marker() not in ("None", None, "", " ") and line.get_markersize() > 0


def _inside(points: np.ndarray, box: Bbox, margin: float = 0.0) -> np.ndarray:
    x, y = points[:, 0], points[:, 1]
    return (
        (x > box.x0 - margin)
        & (x < box.x1 + margin)
        & (y > box.y0 - margin)
        & (y < box.y1 + margin)
    )


def _shrunk(box: Bbox, by: float) -> Bbox:
    return Bbox.from_extents(box.x0 + by, box.y0 + by, box.x1 - by, box.y1 - by)


def _intersection(a: Bbox, b: Bbox) -> Bbox | None:
    return Bbox.intersection(a, b)


# ---- the checks -----------------------------------------------------------------------------


def _legend_covers(ax: Axes, legend: Legend, renderer: Any) -> list[str]:
    """Lines and scatters of ``ax`` whose visible points or segments lie under the legend."""
    box = _intersection(_shrunk(legend.get_window_extent(renderer), EDGE_PX), ax.bbox)
    if box is None or box.width <= 0 or box.height <= 0:
        return []
    covered = []
    for line in ax.lines:
        if not _shown(line):
            continue
        xy = _line_pixels(line)
        if len(xy) == 0:
            continue
        radius = _px(line.get_markersize(), ax.figure) / 2 if _has_markers(line) else 0.0
        hit = _has_markers(line) and _inside(xy, box, radius).any()
        if not hit and _has_segments(line) and len(xy) > 1:
            hit = Path(xy).intersects_bbox(box, filled=False)
        if hit:
            covered.append(_line_name(line))
    for coll in ax.collections:
        if isinstance(coll, PathCollection) and _shown(coll) and len(coll.get_offsets()):
            xy = coll.get_offset_transform().transform(np.asarray(coll.get_offsets(), float))
            n = int(_inside(xy[np.isfinite(xy).all(axis=1)], box).sum())
            if n:
                label = str(coll.get_label())
                name = f"scatter '{label}'" if not label.startswith("_") else "a scatter"
                covered.append(f"{name} ({n} points)")
    for t in _texts(ax):
        common = _intersection(box, _text_box(t, renderer))
        if common is not None and common.width > 0 and common.height > 0:
            covered.append(f"text '{t.get_text()}'")
    if not covered:
        return []
    return [f"{_ax_name(ax)}: the legend covers {', '.join(covered)}"]


def _distance_to_polyline(points: np.ndarray, verts: np.ndarray) -> np.ndarray:
    """The distance of each of ``points`` (n, 2) to the polyline through ``verts`` (m, 2)."""
    if len(verts) == 1:
        return np.linalg.norm(points - verts[0], axis=1)
    a, b = verts[:-1], verts[1:]  # (m-1, 2) segments
    ab = b - a
    length2 = np.maximum((ab**2).sum(axis=1), 1e-12)
    t = ((points[:, None, :] - a[None]) * ab[None]).sum(axis=2) / length2  # (n, m-1)
    nearest = a[None] + np.clip(t, 0, 1)[..., None] * ab[None]
    return np.linalg.norm(points[:, None, :] - nearest, axis=2).min(axis=1)


def _visual_width(line: Line2D) -> float:
    """How wide the line looks, in points: its stroke, or its markers where they are wider."""
    stroke = line.get_linewidth() if _has_segments(line) else 0.0
    return max(stroke, line.get_markersize() if _has_markers(line) else 0.0)


def _hidden_lines(ax: Axes) -> list[str]:
    """Labelled lines (nearly) all of whose vertices lie under a line drawn later."""
    order = sorted(enumerate(ax.lines), key=lambda il: (il[1].get_zorder(), il[0]))
    lines = [line for _, line in order if _shown(line)]
    problems = []
    for i, under in enumerate(lines):
        if str(under.get_label()).startswith("_"):
            continue
        xy = _line_pixels(under)
        xy = xy[_inside(xy, ax.bbox, EDGE_PX)][:: max(1, len(xy) // 400)]
        if len(xy) == 0:
            continue
        for over in lines[i + 1 :]:
            solid = over.get_linestyle() in ("-", "solid") or not _has_segments(over)
            if not solid or _visual_width(under) > _visual_width(over):
                continue  # it shows through the gaps of a dashed line, or around a thin one
            covering = _line_pixels(over)
            if len(covering) == 0:
                continue
            reach = max(_px(_visual_width(over), ax.figure) / 2, EDGE_PX)
            if _has_segments(over):
                distance = _distance_to_polyline(xy, covering)
            else:
                distance = np.linalg.norm(xy[:, None] - covering[None], axis=2).min(axis=1)
            share = float((distance <= reach).mean())
            if share >= HIDDEN_SHARE:
                problems.append(
                    f"{_ax_name(ax)}: {_line_name(under)} is hidden under {_line_name(over)} "
                    f"({share:.0%} of its points)"
                )
                break
    return problems


def _cut_markers(ax: Axes) -> list[str]:
    """Markers centred inside the axes but so close to its edge that the edge cuts them."""
    problems = []
    for line in ax.lines:
        if not (_shown(line) and _has_markers(line) and line.get_clip_on()):
            continue
        xy = _line_pixels(line)
        radius = _px(line.get_markersize(), ax.figure) / 2
        if radius <= 2 * EDGE_PX:
            continue
        box = ax.bbox
        centred = _inside(xy, box, EDGE_PX)
        cut = centred & ~_inside(xy, _shrunk(box, radius - EDGE_PX))
        if cut.any():
            problems.append(
                f"{_ax_name(ax)}: {int(cut.sum())} marker(s) of {_line_name(line)} are cut by "
                "the axes' edge"
            )
    return problems


def _texts(ax: Axes) -> list[Text]:
    return [t for t in ax.texts if _shown(t) and t.get_text().strip()]


def _text_box(t: Text, renderer: Any) -> Bbox:
    patch = t.get_bbox_patch()
    return patch.get_window_extent(renderer) if patch is not None else t.get_window_extent(renderer)


def _stacked_texts(ax: Axes, renderer: Any) -> list[str]:
    """Pairs of texts in one axes (its titles included) whose boxes overlap by more than a
    quarter of the smaller."""
    titles = [t for t in (ax.title, ax._left_title, ax._right_title) if t.get_text().strip()]
    texts = [t for t in titles if _shown(t)] + _texts(ax)
    boxes = [_text_box(t, renderer) for t in texts]
    stacked = []
    for i in range(len(texts)):
        for j in range(i + 1, len(texts)):
            common = _intersection(boxes[i], boxes[j])
            if common is None or common.width <= 0 or common.height <= 0:
                continue
            smaller = min(b.width * b.height for b in (boxes[i], boxes[j]))
            if common.width * common.height > 0.25 * smaller:
                stacked.append(f"'{texts[i].get_text()}' and '{texts[j].get_text()}'")
    if not stacked:
        return []
    shown = "; ".join(stacked[:3]) + (f" (and {len(stacked) - 3} more)" if len(stacked) > 3 else "")
    return [f"{_ax_name(ax)}: texts cover each other: {shown}"]


def _cut_by_figure(fig: Figure, renderer: Any) -> list[str]:
    """Titles, axes (ticks and labels), legends and texts that reach past the figure's edge."""
    page = Bbox.from_extents(
        -EDGE_PX, -EDGE_PX, fig.bbox.width + EDGE_PX, fig.bbox.height + EDGE_PX
    )
    parts: list[tuple[str, Bbox | None]] = []
    for t in fig.texts:
        if _shown(t) and t.get_text().strip():
            parts.append((f"figure text '{t.get_text()}'", t.get_window_extent(renderer)))
    for ax in _axes(fig):
        for t in (ax.title, ax._left_title, ax._right_title, *_texts(ax)):
            if _shown(t) and t.get_text().strip():
                parts.append((f"text '{t.get_text()}'", t.get_window_extent(renderer)))
        if ax.axison:
            for axis, which in ((ax.xaxis, "x"), (ax.yaxis, "y")):
                if axis.get_visible():
                    name = axis.get_label_text() or "its tick labels"
                    parts.append(
                        (f"{_ax_name(ax)}: {which} axis '{name}'", axis.get_tightbbox(renderer))
                    )
    for legend in _legends(fig):
        parts.append(("a legend", legend.get_window_extent(renderer)))
    problems = []
    for name, box in parts:
        if box is None or box.width <= 0:
            continue
        if box.x0 < page.x0 or box.y0 < page.y0 or box.x1 > page.x1 or box.y1 > page.y1:
            problems.append(f"{name} is cut off by the figure's edge")
    return problems


# ---- colours that mean something ------------------------------------------------------------

SYNONYMS = {"grey": ("grey", "gray"), "yellow": ("yellow", "gold"), "purple": ("purple", "violet")}


def _colour_name(rgb: Any) -> str:
    """A plain-English name for a colour (what a key would call it)."""
    r, g, b = mcolors.to_rgb(rgb)
    hue, lightness, saturation = colorsys.rgb_to_hls(r, g, b)
    if saturation < 0.2 or lightness < 0.1 or lightness > 0.95:
        return "black" if lightness < 0.15 else ("white" if lightness > 0.9 else "grey")
    degrees = hue * 360
    for limit, name in ((15, "red"), (40, "orange"), (70, "yellow"), (165, "green"),
                        (200, "cyan"), (255, "blue"), (290, "purple"), (335, "pink")):  # fmt: skip
        if degrees < limit:
            return name
    return "red"


def _meaningful(colour: Any) -> bool:
    """A colour chosen to say something: not the black, grey or white of plain text."""
    return _colour_name(colour) not in ("black", "grey", "white")


def _same_colour(a: Any, b: Any) -> bool:
    return bool(np.abs(np.subtract(mcolors.to_rgb(a), mcolors.to_rgb(b))).max() < 0.06)


def _key_colours(legends: list[Legend]) -> list[Any]:
    """The colours a legend explains: its handles' and its texts' colours."""
    found: list[Any] = []
    for legend in legends:
        for handle in legend.legend_handles:
            if isinstance(handle, Line2D):
                found += [handle.get_color(), handle.get_markerfacecolor()]
            elif isinstance(handle, Patch):
                found += [handle.get_facecolor(), handle.get_edgecolor()]
            elif isinstance(handle, Collection):
                found += list(handle.get_facecolor()) + list(handle.get_edgecolor())
        found += [t.get_color() for t in legend.get_texts()]
    return [c for c in found if c is not None and not (isinstance(c, str) and c == "none")]


def _all_words(fig: Figure) -> str:
    texts = list(fig.texts) + [t for ax in fig.axes for t in (ax.title, ax._left_title,
             ax._right_title, ax.xaxis.label, ax.yaxis.label, *ax.texts)]  # fmt: skip
    for legend in _legends(fig):
        texts += legend.get_texts()
    return " ".join(t.get_text().lower() for t in texts if _shown(t))


def _coloured_captions(fig: Figure) -> Iterator[tuple[str, Any]]:
    """(text, colour) of captions whose colour is meaningful (tags on a coloured box aside)."""
    for ax in _axes(fig):
        for t in (
            ax.title,
            ax._left_title,
            ax._right_title,
            ax.xaxis.label,
            ax.yaxis.label,
            *ax.texts,
        ):
            if _shown(t) and t.get_text().strip() and t.get_bbox_patch() is None:
                if _meaningful(t.get_color()):
                    yield t.get_text(), t.get_color()
    for t in fig.texts:
        if _shown(t) and t.get_text().strip() and _meaningful(t.get_color()):
            yield t.get_text(), t.get_color()


def _categorical_images(fig: Figure) -> Iterator[tuple[str, Any]]:
    """(where, colour) for every colour of an image drawn with a hand-made categorical map
    (`ListedColormap([...])`; the named qualitative maps such as tab20 only tell ids apart)."""
    for ax in _axes(fig):
        for image in ax.images:
            cmap = image.get_cmap()
            hand_made = isinstance(cmap, mcolors.ListedColormap) and cmap.name not in colormaps
            if hand_made and cmap.N >= 2:
                for colour in cmap.colors:
                    yield f"the colour map of {_ax_name(ax)}", colour


def _unexplained_colours(fig: Figure, legends: list[Legend]) -> list[str]:
    keys, words = _key_colours(legends), set(re.findall(r"[a-z]+", _all_words(fig)))
    unexplained: dict[str, str] = {}
    for where, colour in [*(("'" + s + "'", c) for s, c in _coloured_captions(fig)),
                          *_categorical_images(fig)]:  # fmt: skip
        if any(_same_colour(colour, k) for k in keys):
            continue
        name = _colour_name(colour)
        if words & set(SYNONYMS.get(name, (name,))):
            continue
        unexplained.setdefault(name, where)
    return [
        f"{name} (in {where}) means something, but no legend or text says what"
        for name, where in unexplained.items()
    ]
