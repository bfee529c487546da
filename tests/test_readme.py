"""The README as a newcomer reads it: every lecture of the outline in teaching order, linked once it exists."""
from __future__ import annotations

import re

import pytest

from .conftest import ROOT

OUTLINE = ROOT.parent / "shared" / "course" / "OUTLINE.md"
LECTURES = ["01_rnn_theory", "02_min_char_rnn", "03_binary_addition", "04_name_generation",
            "05_lstm_anna_karenina", "06_imdb_sentiment"]


def lecture_rows() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Lectures", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if re.match(r"\|\s*\d+\s*\|", line)]


def test_the_lecture_table_lists_every_lecture_in_teaching_order():
    rows = lecture_rows()
    assert [int(row.split("|")[1]) for row in rows] == list(range(1, len(LECTURES) + 1))
    for row, name in zip(rows, LECTURES):
        assert f"`{name}`" in row.split("|")[2], row


def test_a_lecture_is_linked_exactly_when_its_notebook_exists():
    for row, name in zip(lecture_rows(), LECTURES):
        exists = (ROOT / "notebooks" / f"{name}.ipynb").exists()
        linked = f"](notebooks/{name}.ipynb)" in row
        assert linked == exists, f"{name}: notebook {'exists' if exists else 'missing'}, README link {linked}"


def test_the_lecture_names_follow_the_course_outline():
    if not OUTLINE.exists():
        pytest.skip("no ../shared/course/OUTLINE.md beside the repository")
    assert ", ".join(f"`{name}`" for name in LECTURES) in " ".join(OUTLINE.read_text(encoding="utf-8").split())
