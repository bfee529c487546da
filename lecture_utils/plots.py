"""Plots the lectures share: a projector-friendly style, learning curves and labelled heatmaps."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

from .checks import positive_int

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
}


def use_lecture_style() -> None:
    """Set matplotlib's defaults to the course style (fonts readable on a projector)."""
    mpl.rcParams.update(LECTURE_STYLE)


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
            ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=10,
                    color="white" if value < np.nanmean(matrix) else "black")
    ax.figure.colorbar(image, ax=ax, label=colorbar_label)
    return ax
