"""The shared figures: the projector style, smoothing, curves and labelled heatmaps."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lecture_utils import plots  # noqa: E402


def test_smooth_is_a_moving_average_that_starts_short():
    assert np.allclose(plots.smooth([1, 2, 3, 4], 2), [1, 1.5, 2.5, 3.5])
    assert np.allclose(plots.smooth([1, 2, 3], 1), [1, 2, 3])
    assert len(plots.smooth([], 3)) == 0


@pytest.mark.parametrize("window", [0, -2, 1.5, True])
def test_smooth_refuses_a_window_that_is_no_count(window):
    with pytest.raises(ValueError, match="window"):
        plots.smooth([1, 2, 3], window)


def test_curves_are_drawn_from_1_with_a_legend_for_several():
    ax = plots.plot_curves({"обучение": [3, 2, 1], "валидация": [3, 2.5, 2]}, title="t", ylabel="нат")
    assert [line.get_xdata().tolist() for line in ax.get_lines()] == [[1, 2, 3], [1, 2, 3]]
    assert ax.get_legend() is not None and ax.get_ylabel() == "нат"
    plt.close(ax.figure)


def test_heatmap_labels_every_row_and_column():
    ax = plots.heatmap(np.eye(2), row_labels=["a", "b"], col_labels=["x", "y"], annotate=True,
                       colorbar_label="доля")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["x", "y"]
    assert len(ax.texts) == 4
    plt.close(ax.figure)


def test_heatmap_refuses_labels_that_do_not_fit_the_matrix():
    with pytest.raises(ValueError, match=r"shape \(2, 3\) needs 2 row labels and 3 column labels, got 2 and 2"):
        plots.heatmap(np.zeros((2, 3)), row_labels=["a", "b"], col_labels=["x", "y"])


def test_the_lecture_style_keeps_text_readable_on_a_projector():
    plots.use_lecture_style()
    assert min(matplotlib.rcParams[key] for key in ("xtick.labelsize", "ytick.labelsize", "legend.fontsize")) >= 12
