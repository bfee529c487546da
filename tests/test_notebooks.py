"""Hygiene of the committed notebooks: one clean full-mode run, slides, the package."""
from __future__ import annotations

import ast
import re
import string

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


# ---- numbers as a Russian reader expects them ------------------------------------------------
CYRILLIC = re.compile("[А-Яа-яЁё]")
DECIMAL_POINT = re.compile(r"(?<![\w.])\d+\.\d+(?![\w.]*\.?\d)")   # 0.5, 12.75; not 2.13.0, not a.1
COMMA_THOUSANDS = re.compile(r"(?<![\d,])\d{1,3}(?:,\d{3}){2,}(?![\d,])")  # 1,707,589 (unambiguous)
VERSION = re.compile(r"\b\d+\.\d+\.\d+\S*")


def shown_text(output) -> str:
    if output.output_type == "stream":
        return output.text
    return output.get("data", {}).get("text/plain", "") + output.get("data", {}).get("text/markdown", "")


def test_printed_russian_uses_decimal_commas_and_thin_space_thousands(notebook):
    """A line a reader sees in Russian has a decimal comma and thin-space thousands (lecture_utils.formatting)."""
    bad = []
    for cell in code_cells(notebook):
        for output in cell.outputs:
            for line in shown_text(output).replace("\r", "\n").splitlines():
                if not CYRILLIC.search(line):
                    continue
                plain = VERSION.sub("", line)
                if DECIMAL_POINT.search(plain) or COMMA_THOUSANDS.search(plain):
                    bad.append(f"cell {cell.get('id')}: {line.strip()[:110]}")
    assert not bad, f"{len(bad)} printed lines with a decimal point or comma-grouped thousands " \
                    "(use lecture_utils.formatting.number / count / percent):\n" + "\n".join(bad[:30])


def comma_format_specs(source: str) -> list[str]:
    """Format specs with the ',' (thousands) option in `source`: f"{x:,}", "{:,.1f}".format(x), format(x, ",")."""
    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
    found = []
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.FormattedValue) and node.format_spec is not None:
            spec = "".join(part.value for part in node.format_spec.values if isinstance(part, ast.Constant))
            found += [spec] if "," in spec else []
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format" \
                and isinstance(node.func.value, ast.Constant) and isinstance(node.func.value.value, str):
            found += [spec for _, _, spec, _ in string.Formatter().parse(node.func.value.value) if spec and "," in spec]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "format" \
                and len(node.args) == 2 and isinstance(node.args[1], ast.Constant) and "," in str(node.args[1].value):
            found.append(node.args[1].value)
    return found


def test_no_cell_groups_thousands_with_commas(notebook):
    """`{x:,}` prints «64,128», which a Russian reader takes for sixty-four point one."""
    bad = [f"cell {cell.get('id')}: {spec!r}" for cell in code_cells(notebook)
           for spec in comma_format_specs(cell.source)]
    assert not bad, "the ',' format option groups thousands with commas; use lecture_utils.formatting:\n" \
                    + "\n".join(bad)


def test_every_lecture_checks_its_figures_last(notebook):
    """use_lecture_style() first (decimal commas on every axis, every figure watched), check_figures() last."""
    cells = code_cells(notebook)
    assert "use_lecture_style()" in cells[0].source, "call lu.plots.use_lecture_style() in the first code cell"
    assert "check_figures()" in cells[-1].source, "the last code cell calls lu.plots.check_figures()"
    assert not any(output.output_type == "error" for output in cells[-1].outputs)


def test_the_russian_number_patterns_catch_what_they_should():
    assert DECIMAL_POINT.search("потери 1.730") and not DECIMAL_POINT.search("потери 1,730")
    assert not DECIMAL_POINT.search(VERSION.sub("", "torch 2.13.0+cpu, 2 ядра"))
    assert COMMA_THOUSANDS.search("1,707,589 параметров") and not COMMA_THOUSANDS.search("3,466 нат")
    assert sorted(comma_format_specs('print(f"{n:,} весов")\nf"{x:>10,.1f}"\n"{:,}".format(3)\nformat(4, ",")')) \
        == [",", ",", ",", ">10,.1f"]
    assert comma_format_specs('%time f"{number(x, 3)}, {y:.2f}"\nd = {"a": 1, "b": 2}') == []
