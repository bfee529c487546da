"""Build lecture decks into a temporary folder and check that every slide fits and nothing is remote.

    .venv/bin/python slides/check_deck.py notebooks/02_min_char_rnn.ipynb [more.ipynb ...]
    .venv/bin/python slides/check_deck.py --all          # every notebook under notebooks/
    .venv/bin/python slides/check_deck.py --keep DIR ... # keep the built decks in DIR

Prints every slide that does not fit the deck's 1280x720 (deck, reveal.js slide #/h/v,
the notebook cell it starts with, its first line, how many pixels too tall or too wide)
and every request to a non-local URL; exit status 1 if there is any. Open a deck at
DIR/NAME.slides.html#/h/v to see the slide. The measuring is slides/deck_check.py,
the same code tests/test_slides.py runs.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build  # noqa: E402  (slides/build.py)
import deck_check  # noqa: E402  (slides/deck_check.py)


def check(notebooks: list[Path], out: Path) -> list[deck_check.DeckReport]:
    decks = build.build(notebooks, out)
    by_stem = {notebook.stem: notebook for notebook in notebooks}
    reports = []
    with deck_check.open_browser() as browser:
        for deck in decks:
            notebook = by_stem[build.notebook_stem(deck)]
            reports.append(deck_check.check_deck(deck, deck_check.cell_ids(notebook), browser=browser))
    return reports


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="lecture notebooks (.ipynb)")
    parser.add_argument("--all", action="store_true", help="every notebook under notebooks/")
    parser.add_argument("--keep", type=Path, help="build the decks into this folder and keep them")
    args = parser.parse_args(argv)
    notebooks = [path.resolve() for path in args.notebooks]
    if args.all:
        notebooks += sorted((build.ROOT / "notebooks").glob("*.ipynb"))
    if not notebooks:
        parser.error("name at least one notebook, or --all")
    for path in notebooks:
        if path.suffix != ".ipynb" or not path.is_file():
            parser.error(f"{path} is not a notebook file")

    start = time.perf_counter()
    if args.keep:
        reports = check(notebooks, args.keep.resolve())
    else:
        with tempfile.TemporaryDirectory(prefix="decks-") as tmp:
            reports = check(notebooks, Path(tmp))
    for report in reports:
        for line in report.lines():
            print(line)
    long = [report for report in reports if report.measured > build.MAX_SLIDES]
    for report in long:
        print(f"{report.deck}: {report.measured} slides, more than {build.MAX_SLIDES}: cut the lecture with a "
              f"'{build.DECK_BREAK}' cell, or merge slides")
    for report in reports:
        print(report.summary())
    print(f"checked {len(reports)} decks in {time.perf_counter() - start:.1f} s")
    return 0 if all(report.ok for report in reports) and not long else 1


if __name__ == "__main__":
    sys.exit(main())
