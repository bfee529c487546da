"""Build offline reveal.js slide decks of every lecture into build/slides/.

Each deck loads reveal.js, require.js, jQuery and MathJax from build/slides/vendor/,
copied from the npm packages pinned in slides/package-lock.json, and the figures
from build/images/, so the build/ folder works on a laptop with no network:
open build/slides/index.html.
"""
from __future__ import annotations

import html
import shutil
import sys
from pathlib import Path

import nbformat
from nbconvert import SlidesExporter
from traitlets.config import Config

ROOT = Path(__file__).resolve().parents[1]
NODE_MODULES = ROOT / "slides" / "node_modules"
MATHJAX_PARTS = ["MathJax.js", "config", "extensions", "jax/input/TeX", "jax/output/CommonHTML",
                 "jax/element", "localization/en", "fonts/HTML-CSS/TeX/woff"]


def copy_vendor(vendor: Path) -> None:
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
    config = Config()
    config.SlidesExporter.template_file = str(ROOT / "slides" / "template" / "index.html.j2")
    config.SlidesExporter.reveal_url_prefix = "vendor/reveal.js"
    config.SlidesExporter.reveal_scroll = True  # long code cells scroll instead of being cut off
    config.SlidesExporter.language_code = "ru"
    config.SlidesExporter.require_js_url = "vendor/require.js"
    config.SlidesExporter.jquery_url = "vendor/jquery.min.js"
    config.SlidesExporter.mathjax_url = "vendor/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe"
    return SlidesExporter(config=config)


def main(out: Path = ROOT / "build" / "slides") -> None:
    out.mkdir(parents=True, exist_ok=True)
    copy_vendor(out / "vendor")
    # notebooks link figures as ../images/...; build/images keeps those links valid from build/slides/
    shutil.copytree(ROOT / "images", out.parent / "images", dirs_exist_ok=True)
    slides = exporter()
    links = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        body, _ = slides.from_notebook_node(notebook, resources={"metadata": {"name": path.stem}})
        (out / f"{path.stem}.slides.html").write_text(body, encoding="utf-8")
        title = notebook.cells[0].source.splitlines()[0].lstrip("# ").strip()
        links.append(f'<li><a href="{path.stem}.slides.html">{html.escape(title)}</a></li>')
        print(f"wrote {out / (path.stem + '.slides.html')}")
    (out / "index.html").write_text(
        "<!DOCTYPE html><html lang='ru'><head><meta charset='utf-8'><title>Рекуррентные сети: слайды</title>"
        "</head><body><h1>Рекуррентные нейронные сети: слайды лекций</h1><ul>"
        + "".join(links) + "</ul></body></html>\n", encoding="utf-8")


if __name__ == "__main__":
    main(*(Path(arg) for arg in sys.argv[1:2]))
