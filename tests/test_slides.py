"""The offline slide decks of `make slides`, rendered by headless Chromium with every host name unresolvable.

Each deck is opened from a copy of build/slides/ alone (a USB stick), and measured by
slides/deck_check.py, the code behind `slides/check_deck.py`: every request it makes, every
slide and sub-slide at the deck's 1280x720. The last tests build a deliberately bad deck
and show that the checker catches it.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from .conftest import NOTEBOOKS, ROOT

pytestmark = pytest.mark.integration  # a browser / a Jupyter server: not in `make unit`

SLIDES = ROOT / "build" / "slides"


def load(name):
    """A module of slides/ (not a package), under a name no other `build` module can shadow."""
    spec = importlib.util.spec_from_file_location(f"course_slides_{name}", ROOT / "slides" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


deck_build, deck_check = load("build"), load("deck_check")

if deck_check.chromium_path() is None and not os.environ.get("CI"):
    pytest.skip("Chromium is not installed (apt-get install chromium); CI installs it", allow_module_level=True)


@pytest.fixture(scope="module")
def browser():
    assert deck_check.chromium_path(), "Chromium is needed for this test: apt-get install chromium"
    with deck_check.open_browser() as browser:
        yield browser


@pytest.fixture(scope="module")
def usb_stick(tmp_path_factory):
    """build/slides/ copied alone into an empty folder, as onto a USB stick."""
    assert (SLIDES / "index.html").exists(), f"{SLIDES} is missing: run `make slides`"
    stick = tmp_path_factory.mktemp("usb-stick") / "slides"
    shutil.copytree(SLIDES, stick)
    return stick


class Deck:
    """One deck of a lecture: the whole notebook, or one part of a lecture cut by `deck-break` cells."""

    def __init__(self, notebook, stem, cells):
        self.notebook, self.stem, self.cells = notebook, stem, cells

    def __repr__(self):
        return self.stem


def lecture_decks():
    decks = []
    for notebook in NOTEBOOKS:
        pieces = deck_build.parts(nbformat.read(notebook, as_version=4), notebook.name)
        for stem, piece in zip(deck_build.deck_stems(notebook, len(pieces)), pieces):
            decks.append(Deck(notebook, stem, piece))
    return decks


DECKS = lecture_decks()


@pytest.fixture(scope="module")
def reports(browser, usb_stick):
    """Deck -> its DeckReport, each deck rendered once for all the tests below."""
    cache = {}

    def report(deck):
        if deck.stem not in cache:
            path = usb_stick / f"{deck.stem}.slides.html"
            assert path.exists(), f"{path.name} is missing from build/slides: run `make slides`"
            cache[deck.stem] = deck_check.check_deck(path, deck_check.cell_ids(deck.notebook), browser=browser)
        return cache[deck.stem]
    return report


def test_decks_use_the_course_template():
    """nbconvert finds a template along a search path: a file named index.html.j2 handed over as
    template_file loses to nbconvert's own reveal/index.html.j2, so check which file is loaded."""
    exporter = deck_build.exporter()
    assert exporter.template.filename == str(ROOT / "slides" / "template" / "course" / "index.html.j2")
    html, _ = exporter.from_notebook_node(new_notebook(cells=[slide("slide", new_markdown_cell("# Лекция"))]))
    assert "mermaid" not in html, "nbconvert's mermaid loader imports a module from a CDN"


@pytest.mark.parametrize("deck", DECKS, ids=repr)
def test_deck_is_offline_and_self_contained(deck, reports):
    report = reports(deck)
    assert not report.remote_requests, f"the deck requests remote URLs: {report.remote_requests}"
    assert not report.failed_requests, f"local files missing: {report.failed_requests}"
    assert not report.outside_folder, f"the deck loads files outside build/slides/: {report.outside_folder}"
    assert not report.broken_images, f"figures that did not load: {report.broken_images}"
    figures = sum(cell.source.count("![") + cell.source.count("<img")
                  for cell in deck.cells.cells if cell.cell_type == "markdown")
    assert report.images >= figures, f"{figures} figures in the notebook, {report.images} loaded in the deck"


@pytest.mark.parametrize("deck", DECKS, ids=repr)
def test_deck_starts_on_its_title_and_renders_math(deck, reports):
    report = reports(deck)
    assert not report.errors, report.errors
    nb = deck.cells
    shown = [cell for cell in nb.cells if not set(cell.metadata.get("tags", [])) & set(deck_build.HIDE_CELL)]
    slide_types = [cell.metadata["slideshow"]["slide_type"] for cell in shown]
    assert report.slides == slide_types.count("slide")
    assert report.measured == slide_types.count("slide") + slide_types.count("subslide"), \
        "every sub-slide is measured"
    assert report.first_slide_text == deck_build.title_of(nb), "the title slide is not the one shown first"
    markdown = "".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")
    assert report.mathjax_typeset > 0 or "$" not in markdown, "MathJax did not typeset the formulas"


@pytest.mark.parametrize("deck", DECKS, ids=repr)
def test_every_slide_fits(deck, reports):
    report = reports(deck)
    assert (report.width, report.height) == (deck_build.SLIDE_WIDTH, deck_build.SLIDE_HEIGHT)
    if report.overflows:
        pytest.fail(f"{len(report.overflows)} of {report.measured} slides do not fit {report.width}x{report.height}"
                    " (split the cell into sub-slides, wrap code at ~90 characters):\n"
                    + "\n".join(overflow.describe(report.deck) for overflow in report.overflows), pytrace=False)


def test_a_missing_figure_stops_the_build(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.svg"):
        deck_build.embed_figures('<p><img alt="x" src="../images/missing.svg"></p>', tmp_path)


# ---- the checker itself, on a deck built to fail --------------------------------------------

def slide(kind, cell):
    cell.metadata["slideshow"] = {"slide_type": kind}
    return cell


REMOTE = ["https://cdn.example.org/lib.js", "https://cdn.example.net/module.mjs",
          "https://fonts.example.com/css?family=Lato"]


def bad_notebook(folder):
    """A notebook with a fitting title, an overfull slide, a too-wide sub-slide, remote code, a figure."""
    (folder / "figure.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100"><rect width="200" height="100"/></svg>')
    long_line = "x = [" + ", ".join(str(i) for i in range(60)) + "]"
    nb = new_notebook(cells=[
        slide("slide", new_markdown_cell("# Лекция 0. Проверка проверки\n\nЭтот слайд помещается.")),
        slide("-", new_code_cell("total = 1 + 1", execution_count=1)),
        slide("slide", new_markdown_cell("## Слишком высокий слайд")),
        slide("-", new_code_cell("\n".join(f"step_{i} = {i}" for i in range(60)), execution_count=2)),
        slide("subslide", new_markdown_cell("## Слишком широкая строка")),
        slide("-", new_code_cell(long_line, execution_count=3)),
        slide("subslide", new_markdown_cell("## Прогресс\n\nТолько конечное состояние.")),
        slide("-", new_code_cell("train()", execution_count=4, outputs=[
            new_output("stream", name="stdout", text="\rобучение:  10%|█      | 1/10"),
            new_output("stream", name="stdout", text="\rобучение: 100%|███████| 10/10\nготово\n")])),
        slide("slide", new_markdown_cell(
            f'## Удалённые запросы\n\n<script src="{REMOTE[0]}"></script>\n\n'
            f'<script type="module">import m from "{REMOTE[1]}";</script>\n\n'
            f'<style>@import url({REMOTE[2]});</style>')),
        slide("slide", new_markdown_cell("## Рисунок\n\n![прямоугольник](figure.svg)")),
    ])
    path = folder / "00_bad.ipynb"
    nbformat.write(nb, path)
    return path


def test_checker_reports_overfull_and_wide_slides_and_remote_requests(tmp_path, browser):
    notebook = bad_notebook(tmp_path)
    deck, = deck_build.build([notebook], tmp_path / "slides")
    html = deck.read_text(encoding="utf-8")
    assert "1/10" not in html and "100%|███████| 10/10" in html, "a progress bar shows its final state only"
    assert "figure.svg" not in html, "the figure is embedded in the deck"

    report = deck_check.check_deck(deck, deck_check.cell_ids(notebook), browser=browser)
    assert (report.slides, report.measured) == (4, 6) and not report.errors
    found = {(o.h, o.v): o for o in report.overflows}
    assert set(found) == {(1, 0), (1, 1)}, report.lines()
    tall, wide = found[(1, 0)], found[(1, 1)]
    assert tall.too_tall > 500 and tall.first_line == "Слишком высокий слайд" and tall.cell == 2
    assert wide.too_wide > 100 and "cut at the right" in wide.culprit and wide.cell == 4
    assert "00_bad slide #/1/0 (cell 2)" in tall.describe("00_bad")
    assert sorted(report.remote_requests) == sorted(REMOTE)
    assert report.images == 1 and not report.broken_images and not report.failed_requests
    assert not report.ok


def test_check_deck_command_fails_on_a_bad_deck(tmp_path):
    notebook = bad_notebook(tmp_path)
    result = subprocess.run([sys.executable, str(ROOT / "slides" / "check_deck.py"), str(notebook)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "00_bad slide #/1/0 (cell 2):" in result.stdout and "too tall" in result.stdout
    assert "00_bad slide #/1/1 (cell 4):" in result.stdout and "too wide" in result.stdout
    for url in REMOTE:
        assert f"remote request {url}" in result.stdout


def test_scaffolding_tags_keep_code_off_the_slides():
    """A cell tagged hide-cell is not in the deck; one tagged hide-input shows its output only."""
    nb = new_notebook(cells=[
        new_markdown_cell("# Лекция 0. Проверка", metadata={"slideshow": {"slide_type": "slide"}}),
        new_code_cell("plotting_scaffold = 1",
                      metadata={"slideshow": {"slide_type": "subslide"}, "tags": ["hide-cell"]}),
        new_code_cell("loading_scaffold = 2",
                      metadata={"slideshow": {"slide_type": "subslide"}, "tags": ["hide-input"]},
                      outputs=[new_output("stream", name="stdout", text="таблица результатов\n")]),
        new_code_cell("taught_code = 3", metadata={"slideshow": {"slide_type": "subslide"}}),
        new_code_cell("# NBVAL_CHECK_OUTPUT\ndef f():\n    ### BEGIN SOLUTION\n    return 4\n    ### END SOLUTION",
                      metadata={"slideshow": {"slide_type": "subslide"}}),
    ])
    html, _ = deck_build.exporter().from_notebook_node(deck_build.prepare(nb))
    assert "plotting_scaffold" not in html and "loading_scaffold" not in html
    assert "таблица результатов" in html and "taught_code" in html
    assert "SOLUTION" not in html and "return" in html  # the markers are the student edition's, not the deck's
    assert "NBVAL" not in html  # nor the tests'


@pytest.mark.parametrize("deck", DECKS, ids=repr)
def test_no_test_or_solution_marker_reaches_a_slide(deck):
    path = SLIDES / f"{deck.stem}.slides.html"
    assert path.exists(), f"{path} is missing: run `make slides`"
    html = path.read_text(encoding="utf-8")
    for marker in ("NBVAL_", "BEGIN SOLUTION", "END SOLUTION", "by_mode("):
        assert marker not in html, f"{path.name} shows {marker!r} on a slide"


@pytest.mark.parametrize("deck", DECKS, ids=repr)
def test_no_deck_is_longer_than_a_session(deck, reports):
    assert deck_build.slide_count(deck.cells) <= deck_build.MAX_SLIDES, \
        f"{deck.stem}: {deck_build.slide_count(deck.cells)} slides; cut it with a 'deck-break' cell"
    assert reports(deck).measured == deck_build.slide_count(deck.cells)


def test_a_deck_break_cuts_a_lecture_into_decks_each_on_its_own_title(tmp_path):
    nb = new_notebook(cells=[
        slide("slide", new_markdown_cell("# Лекция 0. Часть первая")),
        slide("subslide", new_markdown_cell("Первая мысль")),
        slide("slide", new_markdown_cell("## Итоги первой части")),
        slide("slide", new_markdown_cell("# Лекция 0, часть 2. Вторая", metadata={"tags": ["deck-break"]})),
        slide("-", new_markdown_cell("Вторая мысль")),
    ])
    nb.cells[3].metadata["tags"] = ["deck-break"]
    path = tmp_path / "00_cut.ipynb"
    nbformat.write(nb, path)
    (tmp_path / "slides").mkdir()
    stale = tmp_path / "slides" / "00_cut.slides.html"
    stale.write_text("an earlier build, uncut")
    kept = tmp_path / "slides" / "00_cut_notes.html"
    kept.write_text("not a deck of this builder")
    decks = deck_build.build_decks(path, tmp_path / "slides")
    assert [deck.name for deck in decks] == ["00_cut.part1.slides.html", "00_cut.part2.slides.html"]
    first, second = (deck.read_text(encoding="utf-8") for deck in decks)
    assert "Первая мысль" in first and "Вторая мысль" not in first and "Итоги первой части" in first
    assert "Вторая мысль" in second and "Первая мысль" not in second and "часть 2. Вторая" in second
    assert not stale.exists() and kept.exists(), "only the builder's own earlier deck goes"
    assert [deck_build.notebook_stem(deck) for deck in decks] == ["00_cut", "00_cut"]
    assert [deck_build.slide_count(piece) for piece in deck_build.parts(nb)] == [3, 1]


@pytest.mark.parametrize("kind, cell", [("subslide", new_markdown_cell("# Часть 2")),
                                        ("slide", new_code_cell("x = 1")),
                                        ("slide", new_markdown_cell("без заголовка"))])
def test_a_deck_break_must_be_a_title_slide(kind, cell):
    cell.metadata["tags"] = ["deck-break"]
    nb = new_notebook(cells=[slide("slide", new_markdown_cell("# Лекция 0")), slide(kind, cell)])
    with pytest.raises(ValueError, match="cell 1 is tagged 'deck-break'"):
        deck_build.parts(nb, "00_x.ipynb")
