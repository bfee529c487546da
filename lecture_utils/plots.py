"""Plots the lectures share: a projector-friendly style, learning curves and labelled heatmaps.

:func:`use_lecture_style` sets fonts readable on a projector and makes every linear axis label its
ticks with decimal commas («0,5», not «0.5»). It also watches every figure pyplot creates: each
time one is drawn, its texts are checked (:func:`figure_problems`: a decimal point between
digits, an axis label or title in English, text under 12 pt), and :func:`check_figures`, the
last cell of every lecture, fails listing what it found.
"""
from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib import scale as mscale
from matplotlib import ticker
from matplotlib.text import Text

from .checks import positive_int
from .formatting import DECIMAL_POINT, MATH, comma_decimal, number

# Sizes in points for a figure about 10 inches wide shown on a 1280x720 slide:
# the smallest text (ticks, legend) stays at 12 pt, readable from the back of a room.
LECTURE_STYLE = {
    "figure.figsize": (10, 4.5),
    "font.size": 13,
    "axes.titlesize": 14,
    "axes.labelsize": 13,
    "xtick.labelsize": 12,
    "ytick.labelsize": 12,
    "legend.fontsize": 12,
    "figure.titlesize": 15,
    "axes.unicode_minus": True,
}
MIN_FONT_PT = 12
"""The smallest text a figure may hold (a 10-inch figure is shown about 1:1 on a 1280x720 slide)."""
WATCH_HOOK = "lecture_utils.plots:watch_figure"

_ENGLISH_WORD = re.compile(r"\b(?![A-Z0-9]+\b)[A-Za-z][a-z]{2,}\b")  # «val», «epoch», «Loss»; not RNN, LSTM, NLL
_CYRILLIC = re.compile("[А-Яа-яЁё]")


class RussianScalarFormatter(ticker.ScalarFormatter):
    """matplotlib's default tick formatter with a decimal comma (and its offset and cursor read-out too)."""

    def __call__(self, x, pos=None):
        return comma_decimal(super().__call__(x, pos))

    def get_offset(self):
        return comma_decimal(super().get_offset())

    def format_data(self, value):
        return comma_decimal(super().format_data(value))

    def format_data_short(self, value):
        return comma_decimal(super().format_data_short(value))


class RussianLinearScale(mscale.LinearScale):
    """The linear scale whose default tick labels use a decimal comma (registered under the name "linear")."""

    name = "linear"

    def __init__(self):  # no *axis* argument: matplotlib 3.11 deprecates it for registered scales
        pass

    def set_default_locators_and_formatters(self, axis):
        super().set_default_locators_and_formatters(axis)
        axis.set_major_formatter(RussianScalarFormatter())


_drawn: dict[int, tuple[str, list[str]]] = {}  # figure's watch number -> (its name, its problems at the last draw)
_numbers = itertools.count(1)
_installed = False


def use_lecture_style() -> None:
    """Set matplotlib's defaults to the course style: fonts readable on a projector, decimal commas on
    every linear axis, and every figure pyplot creates watched by :func:`check_figures`."""
    global _installed
    mpl.rcParams.update(LECTURE_STYLE)
    mscale.register_scale(RussianLinearScale)
    hooks = list(mpl.rcParams["figure.hooks"])
    if WATCH_HOOK not in hooks:
        mpl.rcParams["figure.hooks"] = [*hooks, WATCH_HOOK]
    _installed = True


def watch_figure(figure) -> None:
    """A pyplot figure hook (``figure.hooks``, run once for each new figure): check the figure's texts
    every time it is drawn."""
    key = next(_numbers)
    figure.canvas.mpl_connect("draw_event", lambda event: _record(key, event.canvas.figure))


def _figure_name(figure) -> str:
    if figure._suptitle is not None and figure._suptitle.get_text():
        return f"figure «{figure._suptitle.get_text()}»"
    titles = [ax.get_title() for ax in figure.axes if ax.get_title()]
    return f"figure «{titles[0]}»" if titles else f"figure {figure.number if hasattr(figure, 'number') else '?'}"


def _record(key: int, figure) -> None:
    _drawn[key] = (_figure_name(figure), figure_problems(figure))


def figure_problems(figure) -> list[str]:
    """What a Russian reader at the back of the room would trip over in ``figure`` (drawn or not):
    a decimal point between digits in any text, an axis label or title with English words and no
    Russian, and any visible text under :data:`MIN_FONT_PT` points."""
    problems = []
    labels = set()
    for ax in figure.axes:
        labels.update(id(text) for text in (ax.xaxis.label, ax.yaxis.label, ax.title,
                                            ax._left_title, ax._right_title))
    if figure._suptitle is not None:
        labels.add(id(figure._suptitle))
    if figure._supxlabel is not None:
        labels.add(id(figure._supxlabel))
    if figure._supylabel is not None:
        labels.add(id(figure._supylabel))
    for text in figure.findobj(Text):
        content = text.get_text()
        if not content.strip() or not text.get_visible():
            continue
        plain = MATH.sub(lambda math: math[0].replace("{,}", ","), content)
        if DECIMAL_POINT.search(plain):
            problems.append(f"decimal point in «{content}» (use lecture_utils.formatting.number)")
        if id(text) in labels:
            words = _ENGLISH_WORD.findall(MATH.sub("", content))
            if words and not _CYRILLIC.search(content):
                problems.append(f"English label «{content}» (label axes and titles in Russian, with units)")
        if text.get_fontsize() < MIN_FONT_PT - 1e-9:
            problems.append(f"{text.get_fontsize():g} pt text «{content[:40]}» (at least {MIN_FONT_PT} pt)")
    return problems


def check_figures() -> int:
    """Fail if a figure drawn since :func:`use_lecture_style` has a problem (:func:`figure_problems`);
    return how many figures were checked. The last cell of every lecture calls it."""
    if not _installed:
        raise RuntimeError("the figures were not watched: call lecture_utils.plots.use_lecture_style() "
                           "in the notebook's first cell")
    found = [f"{name}: {problem}" for name, problems in _drawn.values() for problem in problems]
    if found:
        raise AssertionError(f"{len(found)} problems in the figures:\n" + "\n".join(found))
    return len(_drawn)


def smooth(values: Sequence[float], window: int) -> np.ndarray:
    """Moving average over ``window`` points (shorter at the start, same length as input)."""
    window = positive_int("window", window)
    values = np.asarray(values, dtype=float)
    if window == 1 or len(values) == 0:
        return values
    cumsum = np.cumsum(np.insert(values, 0, 0.0))
    counts = np.minimum(np.arange(1, len(values) + 1), window)
    starts = np.arange(1, len(values) + 1) - counts
    return (cumsum[1:] - cumsum[starts]) / counts


def plot_curves(curves: Mapping[str, Sequence[float]], *, x: Sequence[float] | None = None,
                title: str = "", xlabel: str = "итерация", ylabel: str = "loss",
                smooth_window: int = 1, logy: bool = False, ax=None):
    """Several named curves on one axis; ``smooth_window`` > 1 draws a moving average.

    ``x`` is shared by all curves; without it a curve of n points is drawn at 1..n
    (the first iteration or epoch is number 1, as in the printed tables).
    """
    if ax is None:
        _, ax = plt.subplots()
    for label, values in curves.items():
        xs = np.arange(1, len(values) + 1) if x is None else x
        ax.plot(xs, smooth(values, smooth_window), label=label)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    if logy:
        ax.set_yscale("log")
    if len(curves) > 1:
        ax.legend()
    ax.grid(alpha=0.3)
    return ax


def heatmap(matrix: np.ndarray, *, row_labels: Sequence[str], col_labels: Sequence[str],
            title: str = "", colorbar_label: str = "", xlabel: str = "", ylabel: str = "",
            cmap: str = "viridis", vmin=None, vmax=None, annotate: bool = False, ax=None):
    """A matrix as a coloured grid with labelled rows and columns and a labelled colour bar."""
    matrix = np.asarray(matrix)
    if matrix.ndim != 2 or matrix.shape != (len(row_labels), len(col_labels)):
        raise ValueError(f"heatmap: a matrix of shape {matrix.shape} needs {matrix.shape[0] if matrix.ndim else 0} "
                         f"row labels and {matrix.shape[-1] if matrix.ndim else 0} column labels, got "
                         f"{len(row_labels)} and {len(col_labels)}")
    if ax is None:
        _, ax = plt.subplots(figsize=(0.6 * len(col_labels) + 2.5, 0.35 * len(row_labels) + 1.5))
    image = ax.imshow(matrix, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
    ax.set_xticks(range(len(col_labels)), col_labels)
    ax.set_yticks(range(len(row_labels)), row_labels)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    if annotate:
        for (i, j), value in np.ndenumerate(matrix):
            ax.text(j, i, number(value, 2), ha="center", va="center", fontsize=MIN_FONT_PT,
                    color="white" if value < np.nanmean(matrix) else "black")
    ax.figure.colorbar(image, ax=ax, label=colorbar_label)
    return ax
