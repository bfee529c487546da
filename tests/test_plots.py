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


def test_the_lecture_style_puts_decimal_commas_on_every_linear_axis():
    plots.use_lecture_style()
    fig, ax = plt.subplots()
    ax.plot([0, 0.5, 1], [0.1, 0.2, 0.3])
    image = ax.inset_axes([0.6, 0.6, 0.3, 0.3]).imshow(np.random.default_rng(0).random((3, 3)))
    fig.colorbar(image, ax=ax)
    fig.canvas.draw()
    ticks = [label.get_text() for axes in fig.axes for axis in (axes.xaxis, axes.yaxis)
             for label in axis.get_ticklabels() if label.get_text()]
    assert "0,5" in ticks and not [tick for tick in ticks if "." in tick], ticks
    assert "−" in "".join(ticks) or min(ax.get_xlim()) >= 0  # a real minus where there are negatives
    assert plots.figure_problems(fig) == []
    plt.close(fig)


def test_mathtext_gets_a_comma_without_a_space_after_it():
    assert plots.comma_decimal(r"$\mathdefault{0.5}$ и 2.5") == r"$\mathdefault{0{,}5}$ и 2,5"
    assert plots.comma_decimal("версия 3 и точка. 10") == "версия 3 и точка. 10"


def test_the_figure_check_names_decimal_points_english_labels_and_small_text():
    plots.use_lecture_style()
    fig, ax = plt.subplots()
    ax.plot([1, 2], [1, 2], label="w = 1.59")
    ax.set(xlabel="epoch", ylabel="потери, нат/символ", title="RNN и LSTM")
    ax.legend()
    ax.text(1, 1, "мелко", fontsize=9)
    problems = plots.figure_problems(fig)
    assert any("decimal point in «w = 1.59»" in p for p in problems)
    assert any("English label «epoch»" in p for p in problems)
    assert any("9 pt text «мелко»" in p for p in problems)
    assert len(problems) == 3, problems  # the Russian label and the RNN/LSTM title pass
    plt.close(fig)


def test_check_figures_fails_on_a_drawn_figure_with_a_problem_and_passes_once_it_is_fixed():
    plots.use_lecture_style()
    fig, ax = plt.subplots()  # pyplot runs the watch hook
    ax.set(xlabel="step", ylabel="доля")
    fig.canvas.draw()
    with pytest.raises(AssertionError, match="English label «step»"):
        plots.check_figures()
    ax.set_xlabel("шаг")
    fig.canvas.draw()  # the record is of the last draw
    assert plots.check_figures() >= 1
    plt.close(fig)
