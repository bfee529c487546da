"""Plots the lectures share: learning curves and labelled heatmaps."""
from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np


def smooth(values: Sequence[float], window: int) -> np.ndarray:
    """Moving average over ``window`` points (shorter at the start, same length as input)."""
    values = np.asarray(values, dtype=float)
    if window <= 1 or len(values) == 0:
        return values
    cumsum = np.cumsum(np.insert(values, 0, 0.0))
    counts = np.minimum(np.arange(1, len(values) + 1), window)
    starts = np.arange(1, len(values) + 1) - counts
    return (cumsum[1:] - cumsum[starts]) / counts


def plot_curves(curves: Mapping[str, Sequence[float]], *, x: Sequence[float] | None = None,
                title: str = "", xlabel: str = "итерация", ylabel: str = "loss",
                smooth_window: int = 1, logy: bool = False, ax=None):
    """Several named curves on one axis; ``smooth_window`` > 1 draws a moving average."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.5))
    for label, values in curves.items():
        xs = np.arange(len(values)) if x is None else x
        ax.plot(xs, smooth(values, smooth_window), label=label)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    if logy:
        ax.set_yscale("log")
    if len(curves) > 1:
        ax.legend()
    ax.grid(alpha=0.3)
    return ax


def heatmap(matrix: np.ndarray, *, row_labels: Sequence[str], col_labels: Sequence[str],
            title: str = "", cmap: str = "viridis", vmin=None, vmax=None, annotate: bool = False, ax=None):
    """A matrix as a coloured grid with labelled rows and columns and a colour bar."""
    matrix = np.asarray(matrix)
    if ax is None:
        _, ax = plt.subplots(figsize=(0.6 * len(col_labels) + 2.5, 0.35 * len(row_labels) + 1.5))
    image = ax.imshow(matrix, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
    ax.set_xticks(range(len(col_labels)), col_labels)
    ax.set_yticks(range(len(row_labels)), row_labels)
    ax.set_title(title)
    if annotate:
        for (i, j), value in np.ndenumerate(matrix):
            ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=7,
                    color="white" if value < np.nanmean(matrix) else "black")
    ax.figure.colorbar(image, ax=ax)
    return ax
