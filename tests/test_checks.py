"""lecture_utils.checks: one rule for counts, numbers and fractions. Python, numpy and torch numbers pass;
bools, NaN, strings and arrays are refused with the argument's name and the value in the message."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lecture_utils.checks import (
    fraction,
    integer,
    non_negative,
    non_negative_int,
    one_of,
    optional_positive_int,
    positive,
    positive_int,
    real,
    short,
)

INTEGER_CHECKS = [positive_int, non_negative_int, optional_positive_int]
NUMBER_CHECKS = [real, positive, non_negative, fraction]
NOT_NUMBERS = [True, False, np.bool_(True), torch.tensor(True), math.nan, np.float32("nan"), torch.tensor(math.nan),
               "3", np.str_("3"), b"3", [3], np.array([3]), torch.tensor([3]), 1 + 0j, object()]


@pytest.mark.parametrize("check", INTEGER_CHECKS)
@pytest.mark.parametrize("value", [3, np.int64(3), np.uint8(3), np.int32(3), torch.tensor(3), np.array(3)])
def test_integer_checks_accept_python_numpy_and_torch_integers(check, value):
    result = check("count", value)
    assert result == 3 and type(result) is int


@pytest.mark.parametrize("check", INTEGER_CHECKS)
@pytest.mark.parametrize("value", NOT_NUMBERS + [2.5, 3.0, np.float64(3.0), torch.tensor(3.0), math.inf])
def test_integer_checks_refuse_what_is_not_an_integer_by_name(check, value):
    with pytest.raises(ValueError, match=r"^count must be a (positive|non-negative) integer, got "):
        check("count", value)


def test_integer_bounds():
    assert non_negative_int("n", 0) == 0 and optional_positive_int("n", None) is None
    with pytest.raises(ValueError, match="n must be a positive integer, got 0"):
        positive_int("n", 0)
    with pytest.raises(ValueError, match="n must be a positive integer, got np.int64"):
        optional_positive_int("n", np.int64(-2))
    with pytest.raises(ValueError, match="n must be a non-negative integer, got -1"):
        non_negative_int("n", -1)


@pytest.mark.parametrize("check", NUMBER_CHECKS)
@pytest.mark.parametrize("value", [0.5, np.float32(0.5), np.float64(0.5), torch.tensor(0.5), np.array(0.5)])
def test_number_checks_accept_python_numpy_and_torch_numbers(check, value):
    result = check("rate", value)
    assert result == 0.5 and type(result) is float


@pytest.mark.parametrize("check", NUMBER_CHECKS[:3])
@pytest.mark.parametrize("value", [2, np.int64(2), torch.tensor(2), np.uint8(2)])
def test_number_checks_accept_integers(check, value):
    result = check("rate", value)
    assert result == 2.0 and type(result) is float


@pytest.mark.parametrize("check", NUMBER_CHECKS)
@pytest.mark.parametrize("value", NOT_NUMBERS + [math.inf, -math.inf, np.float64("inf")])
def test_number_checks_refuse_bools_nan_inf_and_strings_by_name(check, value):
    with pytest.raises(ValueError, match=r"^rate must be a finite number, got "):
        check("rate", value)


@pytest.mark.parametrize("check, value, match", [
    (positive, 0, "clip must be positive, got 0"),
    (positive, -1.5, "clip must be positive, got -1.5"),
    (non_negative, -1, "clip must be non-negative, got -1"),
    (non_negative, np.float64(-0.5), r"clip must be non-negative, got np.float64\(-0.5\)"),
])
def test_sign_checks(check, value, match):
    assert non_negative("clip", 0) == 0.0
    with pytest.raises(ValueError, match=match):
        check("clip", value)


def test_fraction_bounds_open_or_closed():
    assert fraction("val_fraction", 0.1) == 0.1
    assert fraction("p", 0, low_open=False) == 0.0 and fraction("p", 1, high_open=False) == 1.0
    for value in (0, 1, -0.2, 1.2):
        with pytest.raises(ValueError, match=rf"val_fraction must lie in \(0, 1\), got {value}"):
            fraction("val_fraction", value)
    with pytest.raises(ValueError, match=r"p must lie in \[0, 1\], got 1.5"):
        fraction("p", 1.5, low_open=False, high_open=False)


def test_one_of_lists_the_choices():
    assert one_of("cell", "gru", {"rnn": 1, "gru": 2}) == "gru"
    with pytest.raises(ValueError, match="cell must be one of 'rnn', 'gru'; got 'lstm'"):
        one_of("cell", "lstm", ["rnn", "gru"])
    with pytest.raises(ValueError, match="side must be one of 'left', 'right'; got True"):
        one_of("side", True, ("left", "right"))


def test_short_cuts_long_values_for_messages():
    assert short("abc") == "'abc'"
    cut = short("x" * 500, limit=20)
    assert len(cut) == 20 and cut.endswith("…") and cut.startswith("'xxx")


def test_integer_takes_any_sign_and_refuses_what_is_no_integer():
    assert integer("pad_id", -100) == -100 and integer("pad_id", np.int64(3)) == 3
    assert integer("pad_id", torch.tensor(2)) == 2
    for bad in (True, 1.0, "1", None, np.array([1])):
        with pytest.raises(ValueError, match="pad_id must be an integer"):
            integer("pad_id", bad)
