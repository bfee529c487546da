"""The offline slide decks of `make slides`, rendered by headless Chromium with the network cut off."""
from __future__ import annotations

import os
import re
import shutil
import subprocess

import nbformat
import pytest
from bs4 import BeautifulSoup

from .conftest import NOTEBOOKS, ROOT

SLIDES = ROOT / "build" / "slides"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

if CHROMIUM is None and not os.environ.get("CI"):
    pytest.skip("Chromium is not installed (apt-get install chromium); CI installs it", allow_module_level=True)


def render(deck, tmp_path) -> BeautifulSoup:
    """The DOM of a deck after its scripts ran; every host name fails to resolve, so a CDN cannot help."""
    assert CHROMIUM, "Chromium is needed for this test: apt-get install chromium"
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--host-resolver-rules=MAP * ~NOTFOUND",
         "--virtual-time-budget=10000", "--dump-dom", deck.as_uri()],
        capture_output=True, text=True, timeout=120, check=True)
    return BeautifulSoup(result.stdout, "html.parser")


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_deck_renders_offline(notebook, tmp_path):
    deck = SLIDES / f"{notebook.stem}.slides.html"
    assert deck.exists(), f"{deck} is missing: run `make slides`"
    html = deck.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)=["']https?://""", html), "the deck loads something from the network"

    dom = render(deck, tmp_path)
    reveal = dom.select_one("div.reveal")
    assert reveal is not None and "ready" in reveal["class"], "reveal.js did not start (is vendor/ there?)"

    nb = nbformat.read(notebook, as_version=4)
    title = nb.cells[0].source.splitlines()[0].lstrip("# ").strip()
    slides = dom.select("div.reveal > div.slides > section")
    expected = sum(cell.metadata["slideshow"]["slide_type"] == "slide" for cell in nb.cells)
    assert len(slides) == expected
    current = dom.select_one("div.slides section.present section.present") or dom.select_one("section.present")
    assert title in current.get_text(" ", strip=True), "the title slide is not the one shown first"
    assert dom.select(".MathJax_CHTML") or "$" not in "".join(c.source for c in nb.cells if c.cell_type == "markdown")
