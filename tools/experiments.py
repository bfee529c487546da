"""`make experiments`: run the lectures' heavy sweeps and write results/<lecture>_<name>.json.

Each lecture module may declare ``SWEEPS = [Sweep(...), ...]`` (lecture_utils.experiments.Sweep).
This runs every one of them, or those named with --only (e.g. ``--only 01_memory``), resuming
from what an interrupted run already wrote; ``--fresh`` starts the named sweeps afresh.

    .venv/bin/python tools/experiments.py [--only NAME ...] [--fresh] [--list]
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

# One core, as the sweeps are meant to run: numpy's BLAS too (lecture 02's numpy RNN ran 16 times
# slower with two BLAS threads fighting another process on a 2-core machine). Set before numpy loads.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

from lecture_utils.course import LECTURES  # noqa: E402 (after the thread settings)
from lecture_utils.experiments import RESULTS_DIR, Sweep, run_sweep  # noqa: E402


def declared_sweeps() -> list[Sweep]:
    """Every sweep the lectures declare, in lecture order."""
    sweeps = []
    for item in LECTURES:
        module = importlib.import_module(f"lecture_utils.{item.module}")
        sweeps += list(getattr(module, "SWEEPS", []))
    return sweeps


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", default=None, help="sweeps to run, as NN_name")
    parser.add_argument("--fresh", action="store_true", help="discard what the named sweeps already wrote")
    parser.add_argument("--list", action="store_true", help="list the declared sweeps and stop")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (default 1: a sweep runs on one core, in the background)")
    args = parser.parse_args(argv)
    import torch
    torch.set_num_threads(args.threads)
    sweeps = {sweep.file_name.removesuffix(".json"): sweep for sweep in declared_sweeps()}
    if args.list or not sweeps:
        print("\n".join(f"{name}: {len(s.configs)} configurations × {len(s.seeds)} seeds"
                        for name, s in sweeps.items()) or "no lecture declares a sweep (SWEEPS) yet")
        return 0
    unknown = sorted(set(args.only or ()) - set(sweeps))
    if unknown:
        parser.error(f"no sweep named {', '.join(unknown)}; declared: {', '.join(sweeps)}")
    for name in args.only or sweeps:
        run_sweep(sweeps[name], RESULTS_DIR, resume=not args.fresh)
    return 0


if __name__ == "__main__":
    sys.exit(main())
