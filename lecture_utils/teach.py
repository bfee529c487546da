"""The code a lecture teaches, run outside the notebook: its cells tagged ``teach``.

Tests check that readable, hand-written code shown to students equals the package and
torch autograd; benchmarks time it against the package's fast twins. Both import it from
here (the package), not from ``tests/``.
"""
from __future__ import annotations

from pathlib import Path


def teach_namespace(notebook) -> dict:
    """Run a notebook's cells tagged ``teach`` (in order, in one fresh namespace) and return the names
    they define."""
    import nbformat

    notebook = Path(notebook)
    if not notebook.is_file():
        raise FileNotFoundError(f"there is no notebook at {notebook}")
    nb = nbformat.read(notebook, as_version=4)
    namespace: dict = {}
    for cell in nb.cells:
        if cell.cell_type == "code" and "teach" in cell.metadata.get("tags", []):
            exec(compile(cell.source, f"{notebook.name}:teach", "exec"), namespace)
    return namespace
