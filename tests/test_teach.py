"""teach_namespace runs exactly a notebook's cells tagged `teach`, in order, in one namespace."""
from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from lecture_utils.teach import teach_namespace


def test_only_teach_cells_run_in_order(tmp_path):
    nb = new_notebook(cells=[
        new_code_cell("a = 1", metadata={"tags": ["teach"]}),
        new_code_cell("raise RuntimeError('not a teach cell')"),
        new_markdown_cell("a = 100"),
        new_code_cell("b = a + 1", metadata={"tags": ["teach", "other"]}),
    ])
    path = tmp_path / "lecture.ipynb"
    nbformat.write(nb, path)
    names = teach_namespace(path)
    assert (names["a"], names["b"]) == (1, 2)


def test_an_error_in_a_teach_cell_names_the_notebook(tmp_path):
    path = tmp_path / "broken.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("1 / 0", metadata={"tags": ["teach"]})]), path)
    with pytest.raises(ZeroDivisionError) as error:
        teach_namespace(path)
    assert any("broken.ipynb:teach" in str(entry.path) for entry in error.traceback)


def test_a_missing_notebook_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="there is no notebook at"):
        teach_namespace(tmp_path / "nope.ipynb")
