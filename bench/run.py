"""Run every bench/bench_*.py and write the results table.

Each benchmark module has ``run() -> list[dict]`` with the keys ``benchmark``,
``what``, ``result``. The table goes to bench/RESULTS.md and into README.md
between the ``bench:start`` and ``bench:end`` markers, with the machine it came
from: figures are only comparable within one run on one machine.
"""
from __future__ import annotations

import importlib
import platform
import re
import sys
from datetime import date
from pathlib import Path

import numpy as np
import torch

from lecture_utils.timing import machine

BENCH = Path(__file__).resolve().parent
README = BENCH.parent / "README.md"
NOTES = "## Notes"  # RESULTS.md keeps its hand-written notes from this heading on


def describe() -> str:
    return (f"{machine()}, Python {platform.python_version()}, numpy {np.__version__}, "
            f"torch {torch.__version__}, {date.today().isoformat()}")


def main() -> None:
    sys.path.insert(0, str(BENCH))  # the bench_* modules
    rows = []
    for path in sorted(BENCH.glob("bench_*.py")):
        print(f"running {path.name} ...", flush=True)
        rows += importlib.import_module(path.stem).run()
    table = "\n".join(
        ["| benchmark | what is compared | result |", "|---|---|---|"]
        + [f"| {r['benchmark']} | {r['what']} | {r['result']} |" for r in rows])
    block = f"Measured by `make bench` on: {describe()}.\n\n{table}\n"
    results = BENCH / "RESULTS.md"
    old = results.read_text(encoding="utf-8") if results.exists() else ""
    notes = old[old.index(NOTES):] if NOTES in old else ""
    results.write_text(f"# Benchmark results\n\n{block}" + (f"\n{notes}" if notes else ""), encoding="utf-8")
    readme = README.read_text(encoding="utf-8")
    new = re.sub(r"(<!-- bench:start -->\n).*?(<!-- bench:end -->)", lambda m: m[1] + block + m[2],
                 readme, flags=re.S)
    README.write_text(new, encoding="utf-8")
    print(block)


if __name__ == "__main__":
    main()
