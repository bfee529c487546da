"""``make data``: fetch and verify every registered dataset.

Run as ``python -m lecture_utils.fetch_data`` (or the ``lecture-data`` command).
It is a module of its own, not ``python -m lecture_utils.data``: the package
imports :mod:`lecture_utils.data`, and running an imported module as a script
makes Python warn about it.

It stops at the first dataset it cannot get (offline, every other download
would fail and wait in the same way) and prints the data layer's message
alone: what is missing, where it looked and how to get it. The exit status is
0 when every file is in place, 1 otherwise.
"""
from __future__ import annotations

import sys

from .data import REGISTRY, DataError, fetch


def main(argv: list[str] | None = None) -> int:
    """Fetch the datasets named in ``argv`` (default: the command line; none given: all)."""
    names = (sys.argv[1:] if argv is None else argv) or list(REGISTRY)
    for name in names:
        try:
            path = fetch(name)
        except DataError as err:
            print(err, file=sys.stderr)
            return 1
        except KeyboardInterrupt:  # Ctrl+C: the partial download is already cleaned up
            print(f"interrupted while fetching '{name}'", file=sys.stderr)
            return 130
        print(f"ok  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
