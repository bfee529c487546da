"""Russian numbers: decimal comma, thin-space thousands, nouns that agree with their numbers."""
from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lecture_utils.formatting import THIN, count, decimal_comma, number, percent, plural, scientific  # noqa: E402


@pytest.mark.parametrize("value, digits, expected", [
    (64128, None, f"64{THIN}128"),
    (1737324, None, f"1{THIN}737{THIN}324"),
    (999, None, "999"),
    (0.5, 2, "0,50"),
    (1.3426, 3, "1,343"),
    (-1234.5, 1, f"−1{THIN}234,5"),
    (-0.001, 2, "0,00"),
    (np.float64(2.5), 1, "2,5"),
    (np.int64(24832), None, f"24{THIN}832"),
    (1e-05, None, "1e−05"),
    (math.nan, 2, "NaN"),
])
def test_number_uses_a_comma_and_thin_spaces(value, digits, expected):
    assert number(value, digits) == expected


@pytest.mark.parametrize("bad", [True, "1,5", None, 1 + 2j])
def test_number_refuses_what_is_no_real_number(bad):
    with pytest.raises(TypeError, match="real number"):
        number(bad)


@pytest.mark.parametrize("n, expected", [
    (1, "параметр"), (21, "параметр"), (101, "параметр"), (2, "параметра"), (4, "параметра"),
    (24832, "параметра"), (5, "параметров"), (11, "параметров"), (12, "параметров"), (14, "параметров"),
    (111, "параметров"), (0, "параметров"), (2.5, "параметра"), (-3, "параметра"),
])
def test_plural_agrees_with_the_number(n, expected):
    assert plural(n, "параметр", "параметра", "параметров") == expected


def test_count_and_percent_read_as_russian():
    assert count(24832, "параметр", "параметра", "параметров") == f"24{THIN}832 параметра"
    assert count(123, "раз", "раза", "раз") == "123 раза"
    assert count(2.5, "эпоха", "эпохи", "эпох", digits=1) == "2,5 эпохи"
    assert percent(0.318) == f"31,8{THIN}%"


def test_figures_get_decimal_commas():
    fig, ax = plt.subplots()
    ax.plot([0, 0.5, 1.5], [-1, 0.25, 2])
    decimal_comma(ax)
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()]
    assert any("," in text for text in labels) and not any("." in text for text in labels)
    assert any(text.startswith("−") for text in labels)
    plt.close(fig)


@pytest.mark.parametrize("value, digits, text", [(1.4e-30, 1, "1,4e−30"), (7.35e17, 2, "7,35e+17"),
                                                 (-0.00123, 1, "−1,2e−03"), (0, 1, "0,0e+00")])
def test_scientific(value, digits, text):
    assert scientific(value, digits) == text


def test_scientific_refuses_what_is_not_a_number():
    with pytest.raises(TypeError, match="scientific"):
        scientific("1e-3")
