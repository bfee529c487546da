"""Build offline reveal.js slide decks of the lectures into build/slides/.

The folder build/slides/ is the whole product: each deck loads reveal.js, require.js,
jQuery and MathJax from build/slides/vendor/ (copied from the npm packages pinned in
slides/package-lock.json), and carries its figures inside the HTML as data: URLs, so
the folder alone, copied to a USB stick, works on a laptop with no network.

    python slides/build.py                       # every lecture into build/slides/
    python slides/build.py OUT nb1.ipynb ...     # the given lectures into OUT/

The deck template is slides/template/course/ (see its index.html.j2); a slide is
1280x720 and never scrolls: slides/check_deck.py measures that every slide fits.

A deck holds at most 60 slides (slides and sub-slides). A longer lecture is cut into parts: a
markdown cell tagged `deck-break` (slide type "slide", a heading such as
"# Лекция 5, часть 2. …") starts the next deck, and is that deck's title slide. One deck is
NAME.slides.html; the parts of a cut lecture are NAME.part1.slides.html, NAME.part2.slides.html, …
"""
from __future__ import annotations

import base64
import html
import mimetypes
import re
import shutil
import sys
from pathlib import Path

import nbformat
from nbconvert import SlidesExporter
from traitlets.config import Config

from lecture_utils.course import LECTURES

ROOT = Path(__file__).resolve().parents[1]
NODE_MODULES = ROOT / "slides" / "node_modules"
TEMPLATES = ROOT / "slides" / "template"
TEMPLATE_NAME = "course"
SLIDE_WIDTH, SLIDE_HEIGHT = 1280, 720
MATHJAX_PARTS = ["MathJax.js", "config", "extensions", "jax/input/TeX", "jax/output/CommonHTML",
                 "jax/element", "localization/en", "fonts/HTML-CSS/TeX/woff"]
HIDE_CELL = ("hide-cell",)
SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
TEST_MARKER = "# NBVAL_"  # nbval's markers (# NBVAL_CHECK_OUTPUT) are for the tests, not for the audience
HIDE_INPUT = ("hide-input",)
DECK_BREAK = "deck-break"
MAX_SLIDES = 60
IMG_SRC = re.compile(r"""(<img\b[^>]*?\bsrc=)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)


def copy_vendor(vendor: Path) -> None:
    """Copy the JavaScript the decks load from slides/node_modules into `vendor`."""
    if not NODE_MODULES.is_dir():
        sys.exit(f"{NODE_MODULES} is missing: run `npm ci --prefix slides` (or `make slides`) first")
    if vendor.exists():
        shutil.rmtree(vendor)
    reveal = NODE_MODULES / "reveal.js"
    shutil.copytree(reveal / "dist", vendor / "reveal.js" / "dist")
    shutil.copytree(reveal / "plugin" / "notes", vendor / "reveal.js" / "plugin" / "notes")
    shutil.copy(NODE_MODULES / "requirejs" / "require.js", vendor / "require.js")
    shutil.copy(NODE_MODULES / "jquery" / "dist" / "jquery.min.js", vendor / "jquery.min.js")
    for part in MATHJAX_PARTS:
        source, target = NODE_MODULES / "mathjax" / part, vendor / "mathjax" / part
        target.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if source.is_dir() else shutil.copy)(source, target)


def exporter() -> SlidesExporter:
    """nbconvert's SlidesExporter with the course template and local copies of every script."""
    config = Config()
    config.SlidesExporter.extra_template_basedirs = [str(TEMPLATES)]
    config.SlidesExporter.template_name = TEMPLATE_NAME
    config.SlidesExporter.reveal_url_prefix = "vendor/reveal.js"
    config.SlidesExporter.reveal_theme = "white"  # its font ships with reveal.js; others import web fonts
    config.SlidesExporter.reveal_width = str(SLIDE_WIDTH)
    config.SlidesExporter.reveal_height = str(SLIDE_HEIGHT)
    config.SlidesExporter.reveal_scroll = False  # content must fit; check_deck.py fails a slide that does not
    config.SlidesExporter.reveal_number = "c/t"
    config.SlidesExporter.exclude_input_prompt = True
    config.SlidesExporter.exclude_output_prompt = True
    config.SlidesExporter.language_code = "ru"
    config.SlidesExporter.require_js_url = "vendor/require.js"
    config.SlidesExporter.jquery_url = "vendor/jquery.min.js"
    config.SlidesExporter.mathjax_url = "vendor/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe"
    # scaffolding stays in the notebook and off the slides: a cell tagged `hide-cell` is dropped
    # (plotting code whose figure the next cell shows), `hide-input` keeps only the output
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_cell_tags = list(HIDE_CELL)
    config.TagRemovePreprocessor.remove_input_tags = list(HIDE_INPUT)
    slides = SlidesExporter(config=config)
    loaded = Path(slides.template.filename).resolve()
    expected = TEMPLATES / TEMPLATE_NAME / "index.html.j2"
    if loaded != expected:  # nbconvert resolves template names along a search path; make sure we won
        raise RuntimeError(f"nbconvert loads the deck template {loaded}, not {expected}")
    return slides


def embed_figures(body: str, base: Path) -> str:
    """Replace every <img src> that names a local file (relative to `base`) by a data: URL."""
    def embed(match: re.Match) -> str:
        src = html.unescape(match[3])
        if re.match(r"^[a-z][a-z0-9+.-]*:", src, re.IGNORECASE):
            return match[0]  # data: or attachment: (inline already), or remote (the deck check reports it)
        path = (base / src.split("#")[0].split("?")[0]).resolve()
        if not path.is_file():
            raise FileNotFoundError(f"a slide shows the figure {src!r}, but {path} does not exist")
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return f"{match[1]}{match[2]}data:{kind};base64,{data}{match[2]}"
    return IMG_SRC.sub(embed, body)


def title_of(notebook, path: Path | None = None) -> str:
    """The index's title of a deck: the course manifest's for a lecture, else the first heading."""
    for item in LECTURES:
        if path is not None and path.stem == item.notebook:
            return f"Лекция {item.number}. {item.title}"
    return notebook.cells[0].source.splitlines()[0].lstrip("# ").strip()


def parts(notebook, name: str = "notebook") -> list:
    """The notebook cut at its `deck-break` cells: one notebook per deck, each starting on its title."""
    pieces = [[]]
    for index, cell in enumerate(notebook.cells):
        if DECK_BREAK in cell.metadata.get("tags", []):
            kind = cell.metadata.get("slideshow", {}).get("slide_type")
            if cell.cell_type != "markdown" or kind != "slide" or not cell.source.lstrip().startswith("#"):
                raise ValueError(f"{name}: cell {index} is tagged {DECK_BREAK!r}, so it is the title slide of the "
                                 f"next deck: it must be a markdown cell of slide type 'slide' that starts with a "
                                 f"heading (it is a {cell.cell_type} cell of type {kind!r})")
            if not pieces[-1]:
                raise ValueError(f"{name}: cell {index} is tagged {DECK_BREAK!r} but the deck before it is empty")
            pieces.append([])
        pieces[-1].append(cell)
    return [nbformat.from_dict({**notebook, "cells": cells}) for cells in pieces]


def deck_stems(path: Path, count: int) -> list[str]:
    """Deck file stems of the notebook at `path` cut into `count` parts."""
    return [path.stem] if count == 1 else [f"{path.stem}.part{k}" for k in range(1, count + 1)]


def notebook_stem(deck: Path) -> str:
    """The stem of the notebook a deck was built from: 05_x.part2.slides.html -> 05_x."""
    return re.sub(r"\.part\d+$", "", deck.name.removesuffix(".slides.html"))


def slide_count(notebook) -> int:
    """Slides and sub-slides the deck of `notebook` shows (cells tagged hide-cell are not shown)."""
    return sum(cell.metadata.get("slideshow", {}).get("slide_type") in ("slide", "subslide")
               for cell in notebook.cells if not set(cell.metadata.get("tags", [])) & set(HIDE_CELL))


def prepare(notebook):
    """The notebook as the deck shows it: nbgrader's solution markers (for tools/student.py) and nbval's
    test markers are not for the audience, so their lines are dropped (the tags are handled by the exporter)."""
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.source = "\n".join(line for line in cell.source.split("\n")
                                     if line.strip() not in SOLUTION_MARKERS and not line.startswith(TEST_MARKER))
    return notebook


def build_decks(path: Path, out: Path, slides: SlidesExporter | None = None) -> list[Path]:
    """Write the decks of the notebook at `path` (one, or one per part) into `out` and return their paths.
    Decks this builder wrote earlier for the same notebook under other names (a lecture cut differently) go."""
    slides = slides or exporter()
    pieces = parts(prepare(nbformat.read(path, as_version=4)), path.name)
    stems = deck_stems(path, len(pieces))
    for old in [*out.glob(f"{path.stem}.slides.html"), *out.glob(f"{path.stem}.part*.slides.html")]:
        if old.name.removesuffix(".slides.html") not in stems and notebook_stem(old) == path.stem:
            old.unlink()
    decks = []
    for stem, piece in zip(stems, pieces):
        body, _ = slides.from_notebook_node(piece, resources={"metadata": {"name": stem}})
        deck = out / f"{stem}.slides.html"
        deck.write_text(embed_figures(body, path.parent), encoding="utf-8")
        decks.append(deck)
    return decks


def build(notebooks: list[Path], out: Path) -> list[Path]:
    """Decks of `notebooks` (a cut lecture gives several), their vendor/ folder and an index.html, all in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    copy_vendor(out / "vendor")
    slides = exporter()
    decks, links = [], []
    for path in notebooks:
        made = build_decks(path, out, slides)
        title = title_of(nbformat.read(path, as_version=4), path)
        for number, deck in enumerate(made, 1):
            label = title if len(made) == 1 else f"{title} (часть {number} из {len(made)})"
            links.append(f'<li><a href="{deck.name}">{html.escape(label)}</a></li>')
        decks += made
    (out / "index.html").write_text(
        "<!DOCTYPE html><html lang='ru'><head><meta charset='utf-8'><title>Рекуррентные сети: слайды</title>"
        "</head><body><h1>Рекуррентные нейронные сети: слайды лекций</h1><ul>"
        + "".join(links) + "</ul></body></html>\n", encoding="utf-8")
    return decks


def main(argv: list[str]) -> None:
    out = Path(argv[0]) if argv else ROOT / "build" / "slides"
    notebooks = [Path(arg).resolve() for arg in argv[1:]] or [ROOT / item.path for item in LECTURES]
    for deck in build(notebooks, out):
        print(f"wrote {deck}")


if __name__ == "__main__":
    main(sys.argv[1:])
