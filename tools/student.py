"""`make student`: the student's edition of the lectures, written to build/student/.

The repository is the instructor's edition. The student's differs in three ways:

* **solutions removed.** In a code cell, the lines between ``### BEGIN SOLUTION`` and
  ``### END SOLUTION`` (nbgrader's markers) become ``...  # YOUR CODE HERE`` at the same
  indentation, so a function whose body was the solution still parses and returns None; the
  checks after it then say "not solved yet" instead of crashing. A whole cell tagged ``solution``
  (an explanation of the solution in markdown, say) is dropped.
* **answers removed.** Each review question's ``<details><summary>Ответ</summary>…</details>`` is
  dropped; hints and «Для самопроверки» blocks stay: they are for students.
* **no outputs.** Every output and execution count is cleared: the student runs the lecture.

Checks stay as they are. The lectures' figures (images/) are copied beside the notebooks, so
their ``../images/`` links work; data, shipped results and checkpoints are found through the
installed package.

    .venv/bin/python tools/student.py [OUT]     # default build/student
"""
from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
ANSWER = re.compile(r"\n?<details>\s*<summary>\s*Ответ\s*</summary>.*?</details>", re.S)
PLACEHOLDER = "...  # YOUR CODE HERE"


class StudentEditionError(ValueError):
    """A notebook's solution markers do not pair up."""


def strip_solution(source: str, where: str) -> str:
    """``source`` with every BEGIN/END SOLUTION region replaced by a placeholder line."""
    out, inside = [], False
    for number, line in enumerate(source.split("\n"), start=1):
        marker = line.strip()
        if marker == BEGIN:
            if inside:
                raise StudentEditionError(f"{where}, line {number}: {BEGIN} inside another solution")
            inside = True
            out.append(line[: len(line) - len(line.lstrip())] + PLACEHOLDER)
        elif marker == END:
            if not inside:
                raise StudentEditionError(f"{where}, line {number}: {END} without {BEGIN}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise StudentEditionError(f"{where}: {BEGIN} is never closed by {END}")
    return "\n".join(out)


def student_notebook(notebook: dict, name: str) -> dict:
    """The student's version of one notebook (a new dict; the input is left as it is)."""
    notebook = json.loads(json.dumps(notebook))
    cells = []
    for index, cell in enumerate(notebook["cells"]):
        if "solution" in cell.get("metadata", {}).get("tags", []):
            continue
        source = "".join(cell["source"])
        if cell["cell_type"] == "code":
            source = strip_solution(source, f"{name}, cell {index}")
            cell["outputs"], cell["execution_count"] = [], None
            cell.get("metadata", {}).pop("execution", None)
        elif cell["cell_type"] == "markdown":
            if BEGIN in source or END in source:
                raise StudentEditionError(f"{name}, cell {index}: solution markers belong in code cells; "
                                          "tag a markdown solution `solution` instead")
            source = ANSWER.sub("", source)
        cell["source"] = source.splitlines(keepends=True)
        cells.append(cell)
    notebook["cells"] = cells
    return notebook


def build(out: Path) -> list[Path]:
    """Write every lecture's student edition into ``out``/notebooks, with images/ beside it."""
    sys.path.insert(0, str(ROOT))
    from lecture_utils.course import LECTURES

    notebooks = out / "notebooks"
    if out.exists():
        if not (out / ".student-edition").exists():
            raise StudentEditionError(f"{out} exists and was not made by this tool: choose another folder")
        shutil.rmtree(out)
    notebooks.mkdir(parents=True)
    (out / ".student-edition").write_text("made by tools/student.py; rebuilt (deleted) on every run\n")
    written = []
    for lecture in LECTURES:
        source = ROOT / lecture.path
        edition = student_notebook(json.loads(source.read_text(encoding="utf-8")), source.name)
        target = notebooks / source.name
        target.write_text(json.dumps(edition, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        written.append(target)
    shutil.copytree(ROOT / "images", out / "images")
    return written


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out = Path(argv[0]) if argv else ROOT / "build" / "student"
    try:
        written = build(out.resolve())
    except StudentEditionError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"student edition: {len(written)} notebooks in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
