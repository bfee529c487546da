"""The course manifest: one entry per lecture, numbered in order, found by number."""
from __future__ import annotations

import pytest

from lecture_utils.course import LECTURES, lecture


def test_lectures_are_numbered_in_order_and_named_by_their_number():
    assert [item.number for item in LECTURES] == list(range(1, len(LECTURES) + 1))
    for item in LECTURES:
        assert item.notebook.startswith(f"{item.number:02d}_")
        assert item.module.startswith(f"l{item.number:02d}_")
        assert item.path == f"notebooks/{item.notebook}.ipynb"


def test_a_lecture_is_found_by_its_number_and_a_missing_one_is_named():
    assert lecture(5).notebook == "05_lstm_anna_karenina"
    with pytest.raises(KeyError, match="there is no lecture 99"):
        lecture(99)
