"""Hygiene of the committed notebooks: one clean full-mode run, slides, the package."""
from __future__ import annotations

import re

import nbformat
import pytest

from lecture_utils.course import LECTURES

from .conftest import NOTEBOOKS, ROOT, linked_images

SLIDE_TYPES = {"slide", "subslide", "fragment", "skip", "notes", "-"}
# a carriage return with text after it on the same line: a progress bar's overwritten state
OVERWRITTEN = re.compile(r"\r(?=[^\n])")


@pytest.fixture(params=NOTEBOOKS, ids=lambda p: p.name)
def notebook(request):
    return nbformat.read(request.param, as_version=4)


def code_cells(nb):
    return [cell for cell in nb.cells if cell.cell_type == "code" and cell.source.strip()]


def test_the_notebooks_are_the_lectures_of_the_manifest():
    assert [p.relative_to(ROOT).as_posix() for p in NOTEBOOKS] == [item.path for item in LECTURES]


def test_outputs_come_from_one_in_order_run(notebook):
    counts = [cell.execution_count for cell in code_cells(notebook)]
    assert counts == list(range(1, len(counts) + 1)), f"execution counts {counts}: run `make notebooks`"


def test_no_error_outputs(notebook):
    for cell in code_cells(notebook):
        for output in cell.outputs:
            assert output.output_type != "error", f"{output.ename}: {output.evalue}\n{cell.source[:200]}"


def test_committed_outputs_are_from_full_mode(notebook):
    text = "".join(o.get("text", "") for cell in code_cells(notebook) for o in cell.outputs)
    assert "режим: full" in text, "the committed run must be the full mode (`make notebooks`)"


def test_every_cell_has_slide_metadata(notebook):
    for index, cell in enumerate(notebook.cells):
        slide_type = cell.metadata.get("slideshow", {}).get("slide_type")
        assert slide_type in SLIDE_TYPES, f"cell {index} has slide_type {slide_type!r}"


@pytest.mark.parametrize("item", LECTURES, ids=lambda item: item.notebook)
def test_title_slide_comes_first_with_the_manifest_title(item):
    first = nbformat.read(ROOT / item.path, as_version=4).cells[0]
    assert first.cell_type == "markdown" and first.metadata["slideshow"]["slide_type"] == "slide"
    assert first.source.splitlines()[0] == f"# Лекция {item.number}. {item.title}", first.source[:80]


def test_uses_lecture_utils_and_checks_outputs(notebook):
    sources = "\n".join(cell.source for cell in code_cells(notebook))
    assert "import lecture_utils" in sources
    assert "lu.seed_everything()" in sources, "seeds are set in one place: lecture_utils.seed_everything"
    assert "# NBVAL_CHECK_OUTPUT" in sources, "deterministic cells must be regression-checked by nbval"


def test_kernel_is_the_course_kernel(notebook):
    assert notebook.metadata.kernelspec.name == "rnn-course"


def test_linked_figures_exist():
    for path, link in linked_images():
        assert (path.parent / link).resolve().is_file(), f"{path.name}: missing figure {link}"


def test_progress_bars_keep_only_their_final_state(notebook):
    """A tqdm bar redraws itself with \\r; the committed output (and the deck) keeps the last state only."""
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        shown, previous = [], None  # consecutive stream outputs of one name show as one text
        for output in cell.outputs:
            if output.output_type == "stream" and previous is not None and previous.name == output.name:
                shown[-1] += output.text
            elif output.output_type == "stream":
                shown.append(output.text)
            previous = output if output.output_type == "stream" else None
        history = sum(len(OVERWRITTEN.findall(text)) for text in shown)
        assert not history, (
            f"cell {index} keeps {history} overwritten progress-bar states in its output: `make notebooks` "
            "writes the final state only (one notebook: jupyter nbconvert --coalesce-streams --inplace NB)")
