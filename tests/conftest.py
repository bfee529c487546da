"""Shared fixtures: notebooks of the course, a throwaway data cache, the student edition's tool, and the
names the torch tests train on."""
from __future__ import annotations

import importlib.util
import json
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


def student_tool():
    """tools/student.py (a script, not a package module), loaded once."""
    global _STUDENT
    if _STUDENT is None:
        spec = importlib.util.spec_from_file_location("student_tool", ROOT / "tools" / "student.py")
        _STUDENT = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(_STUDENT)
    return _STUDENT


_STUDENT = None


def student_teach_namespace(notebook: Path, tmp_path: Path) -> dict:
    """The `teach` cells of ``notebook``'s student edition (solutions replaced by placeholders), run."""
    from lecture_utils.teach import teach_namespace

    edition = student_tool().student_notebook(json.loads(notebook.read_text(encoding="utf-8")), notebook.name)
    path = tmp_path / notebook.name
    path.write_text(json.dumps(edition, ensure_ascii=False), encoding="utf-8")
    return teach_namespace(path)


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    """An empty data cache and no mirror, so nothing leaks in from data/ or ../shared."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("LECTURE_DATA_DIR", str(cache))
    monkeypatch.delenv("LECTURE_DATA_MIRROR", raising=False)
    return cache


NAMES = ["анна", "анастасия", "мария", "марина", "ольга", "олег", "иван", "ирина"]
"""Eight names: small enough to memorise in a few seconds, with shared prefixes to sample from."""


@pytest.fixture
def names_vocab():
    """The character vocabulary of :data:`NAMES`, with the padding and boundary tokens first."""
    from lecture_utils.text import BOUNDARY, PAD, Vocab

    return Vocab.build(NAMES, specials=(PAD, BOUNDARY))


def weights(model) -> dict:
    """A copy of every tensor of ``model``'s state, to compare with later."""
    return {k: v.clone() for k, v in model.state_dict().items()}


def assert_same_weights(model, before: dict) -> None:
    """Every tensor of ``model`` bit for bit equal to ``before`` (NaN equal to NaN)."""
    import torch

    for name, value in model.state_dict().items():
        torch.testing.assert_close(value, before[name], rtol=0, atol=0, equal_nan=True, msg=name)


@pytest.fixture
def one_thread():
    """make experiments runs sweeps on one torch thread; a reproduction does the same."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
