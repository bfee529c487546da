"""Shared fixtures: notebooks of the course and a throwaway data cache."""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
MARKDOWN_IMAGE = re.compile(r"!\[[^\]]*\]\(\s*<?([^\s)>]+)>?(?:\s+[\"'][^\"']*[\"'])?\s*\)")
HTML_IMAGE = re.compile(r"""<img\b[^>]*?\bsrc\s*=\s*["']([^"']+)["']""", re.IGNORECASE)


def linked_images(notebooks=NOTEBOOKS) -> list[tuple[Path, str]]:
    """(notebook, link) for every local figure a markdown cell shows."""
    links = []
    for notebook in notebooks:
        for cell in nbformat.read(notebook, as_version=4).cells:
            if cell.cell_type != "markdown":
                continue
            for link in MARKDOWN_IMAGE.findall(cell.source) + HTML_IMAGE.findall(cell.source):
                if not re.match(r"^(https?:|data:|attachment:)", link):
                    links.append((notebook, link))
    return links


def teach_namespace(notebook: Path) -> dict:
    """Run a notebook's cells tagged ``teach`` (the code the lecture teaches) and return their names.

    This lets the tests check the readable, hand-written code shown to students
    against the package and against torch autograd.
    """
    nb = nbformat.read(notebook, as_version=4)
    namespace: dict = {}
    for cell in nb.cells:
        if cell.cell_type == "code" and "teach" in cell.metadata.get("tags", []):
            exec(compile(cell.source, f"{notebook.name}:teach", "exec"), namespace)
    return namespace


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    """An empty data cache and no mirror, so nothing leaks in from data/ or ../shared."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("LECTURE_DATA_DIR", str(cache))
    monkeypatch.delenv("LECTURE_DATA_MIRROR", raising=False)
    return cache
