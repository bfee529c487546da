"""`make student`: the student's edition has no solutions, no answers and no outputs, keeps the
checks and hints, and runs top to bottom in smoke mode."""
from __future__ import annotations

import json
import re

import pytest

from .conftest import ROOT, student_tool

student = student_tool()


def notebook(*cells):
    return {"cells": [dict(cell_type=kind, source=text, metadata=meta, **({"outputs": [{"x": 1}],
                                                                          "execution_count": 3}
                                                                         if kind == "code" else {}))
                      for kind, text, meta in cells], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def test_a_solution_becomes_a_placeholder_at_its_indentation():
    source = "def f(x):\n    ### BEGIN SOLUTION\n    y = x * 2\n    return y\n    ### END SOLUTION\n\ncheck(f)"
    assert student.strip_solution(source, "nb") == "def f(x):\n    ...  # YOUR CODE HERE\n\ncheck(f)"
    compile(student.strip_solution(source, "nb"), "cell", "exec")


@pytest.mark.parametrize("source, message", [
    ("### BEGIN SOLUTION\nx = 1", "never closed"),
    ("x = 1\n### END SOLUTION", "line 2: ### END SOLUTION without"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "line 2: ### BEGIN SOLUTION inside"),
])
def test_unpaired_markers_are_named(source, message):
    with pytest.raises(student.StudentEditionError, match=message):
        student.strip_solution(source, "02_min_char_rnn.ipynb, cell 7")


def test_answers_and_solution_cells_go_hints_and_self_checks_stay():
    instructor = notebook(
        ("markdown", "1. Вопрос?\n<details><summary>Ответ</summary>секрет</details>\n"
                     "<details><summary>Подсказка</summary>намёк</details>\n"
                     "<details><summary>Для самопроверки</summary>от 1 до 2</details>", {}),
        ("markdown", "## Решение\nобъяснение решения", {"tags": ["solution"]}),
        ("code", "x = 1\n### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION\nprint(x)", {"execution": {"t": 1}}),
    )
    edition = student.student_notebook(instructor, "nb")
    text = json.dumps(edition, ensure_ascii=False)
    assert "секрет" not in text and "объяснение решения" not in text and "answer = 42" not in text
    assert "намёк" in text and "от 1 до 2" in text
    code = edition["cells"][-1]
    assert code["outputs"] == [] and code["execution_count"] is None and "execution" not in code["metadata"]
    assert len(instructor["cells"]) == 3 and instructor["cells"][2]["outputs"]  # the input is not changed


def test_markers_in_markdown_are_refused():
    with pytest.raises(student.StudentEditionError, match="cell 0: solution markers belong in code cells"):
        student.student_notebook(notebook(("markdown", "### BEGIN SOLUTION\nx\n### END SOLUTION", {})), "nb")


def test_the_build_refuses_a_folder_it_did_not_make(tmp_path):
    (tmp_path / "mine.txt").write_text("keep me")
    with pytest.raises(student.StudentEditionError, match="was not made by this tool"):
        student.build(tmp_path)
    assert (tmp_path / "mine.txt").read_text() == "keep me"


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    out = tmp_path_factory.mktemp("edition") / "student"
    return out, student.build(out)


def solution_lines(source: str) -> list[str]:
    lines, inside = [], False
    for line in source.splitlines():
        if line.strip() in (student.BEGIN, student.END):
            inside = line.strip() == student.BEGIN
        elif inside and len(line.strip()) > 12:
            lines.append(line.strip())
    return lines


def test_the_built_lectures_hold_no_solution_and_no_answer(edition):
    out, written = edition
    assert [p.name for p in written] == sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert (out / "images").is_dir()
    for path in written:
        built = json.loads(path.read_text(encoding="utf-8"))
        code = "\n".join("".join(c["source"]) for c in built["cells"] if c["cell_type"] == "code")
        instructor = json.loads((ROOT / "notebooks" / path.name).read_text(encoding="utf-8"))
        sources = ["".join(c["source"]) for c in instructor["cells"] if c["cell_type"] == "code"]
        secret = [line for source in sources for line in solution_lines(source)]
        every_line = [line.strip() for source in sources for line in source.splitlines()]
        student_lines = [line.strip() for line in code.splitlines()]
        for line in set(secret):  # a solution line may also be shown elsewhere: count, do not just search
            expected = every_line.count(line) - secret.count(line)
            assert student_lines.count(line) == expected, \
                f"{path.name}: the solution line {line!r} is in the student's edition"
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"<summary>\s*Ответ", text), path.name
        assert all(not c.get("outputs") for c in built["cells"] if c["cell_type"] == "code"), path.name


@pytest.mark.integration
@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb")))
def test_the_student_edition_runs_in_smoke_mode(edition, name, monkeypatch):
    """Top to bottom, as a student who has solved nothing yet runs it: checks say so, nothing crashes."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    out, _ = edition
    monkeypatch.setenv("LECTURE_SMOKE", "1")
    path = out / "notebooks" / name
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    client.execute()
