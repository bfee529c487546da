"""The README as a newcomer reads it: every lecture of the manifest in teaching order, linked once it exists."""
from __future__ import annotations

import re

import pytest

from lecture_utils.course import LECTURES

from .conftest import ROOT

OUTLINE = ROOT.parent / "shared" / "course" / "OUTLINE.md"


def lecture_rows() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Lectures", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if re.match(r"\|\s*\d+\s*\|", line)]


def test_the_lecture_table_lists_every_lecture_in_teaching_order():
    rows = lecture_rows()
    assert [int(row.split("|")[1]) for row in rows] == [item.number for item in LECTURES]
    for row, item in zip(rows, LECTURES):
        assert f"`{item.notebook}`" in row.split("|")[2], row


def test_a_lecture_is_linked_exactly_when_its_notebook_exists():
    for row, item in zip(lecture_rows(), LECTURES):
        exists = (ROOT / item.path).exists()
        linked = f"]({item.path})" in row
        assert linked == exists, f"{item.notebook}: notebook {'exists' if exists else 'missing'}, README link {linked}"


def test_the_lecture_table_names_the_datasets_of_the_manifest():
    for row, item in zip(lecture_rows(), LECTURES):
        data = row.split("|")[4]
        assert sorted(re.findall(r"`(\w+)`", data)) == sorted(item.datasets), row


def test_the_lecture_names_follow_the_course_outline():
    if not OUTLINE.exists():
        pytest.skip("no ../shared/course/OUTLINE.md beside the repository")
    names = ", ".join(f"`{item.notebook}`" for item in LECTURES)
    assert names in " ".join(OUTLINE.read_text(encoding="utf-8").split())
