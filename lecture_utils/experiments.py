"""Shipped experiments: a sweep of configurations x seeds, run once with provenance, loaded by a lecture.

A claim about training rests on several seeds, yet a notebook must run in minutes. So a lecture
declares its heavy sweeps as :class:`Sweep` objects (in its own module, ``SWEEPS = [...]``);
``make experiments`` runs them with the lecture's own code and writes
``results/<lecture>_<name>.json``: the declared configuration, every run's numbers and where they
came from (command, code version, data checksums, machine, torch version, wall and CPU time). The notebook
calls :func:`load_results`, which refuses results of another configuration, plots every seed and
re-runs a small live subset; a test re-runs one configuration and seed with :func:`reproduce`.

A sweep writes its file after every run (atomically), so an interrupted sweep resumes from what it
already wrote. The statistics are fixed before looking: :func:`median_iqr` and
:func:`success_rate` (with a Wilson interval) over every seed, none selected.
"""
from __future__ import annotations

import importlib
import json
import math
import platform
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from .atomic import atomic_path
from .checks import non_negative_int, positive_int
from .fetching import REPO_ROOT
from .timing import cpu_name, machine

RESULTS_DIR = REPO_ROOT / "results"
FORMAT = "lecture_utils.experiments/1"


class ResultsError(RuntimeError):
    """Shipped results are missing, damaged, or were made with another configuration."""


@dataclass(frozen=True)
class Sweep:
    """A grid of configurations, each trained with every seed, by ``function(config, seed) -> dict``.

    ``function`` is ``"module:name"`` of this package (a lecture module's function, so the sweep
    runs the lecture's own code); it returns the run's numbers as a dict of plain values. ``fixed``
    holds the settings shared by every configuration; ``datasets`` the registry names whose
    checksums the provenance records.

    ``batched=True``: the function trains all seeds of a configuration as one computation,
    ``function(config, seeds) -> [dict per seed]`` (see :mod:`lecture_utils.seedbatch`); a run is
    then reproduced by re-running its configuration's whole batch of seeds.
    """

    lecture: int
    name: str
    function: str
    configs: tuple[dict, ...]
    seeds: tuple[int, ...]
    fixed: dict = field(default_factory=dict)
    datasets: tuple[str, ...] = ()
    batched: bool = False

    def __post_init__(self):
        if not self.name.isidentifier():
            raise ValueError(f"a sweep's name must be an identifier (it names a file), got {self.name!r}")
        if ":" not in self.function:
            raise ValueError(f"function must be 'module:name', got {self.function!r}")
        if not self.configs or not self.seeds:
            raise ValueError(f"sweep {self.name}: needs at least one configuration and one seed")
        if len(set(self.seeds)) != len(self.seeds):
            raise ValueError(f"sweep {self.name}: seeds repeat: {list(self.seeds)}")
        for seed in self.seeds:
            non_negative_int("seed", seed)

    @property
    def file_name(self) -> str:
        return f"{self.lecture:02d}_{self.name}.json"

    def declaration(self) -> dict:
        """What the results must have been made with: compared on load, key by key."""
        return json.loads(json.dumps({"function": self.function, "configs": list(self.configs),
                                      "seeds": list(self.seeds), "fixed": self.fixed,
                                      "datasets": list(self.datasets), "batched": self.batched}))

    def run_config(self, index: int, seeds: Sequence[int]) -> list[dict]:
        """Configuration ``index`` trained with ``seeds``: one result per seed, in their order."""
        function, config = self.resolve(), dict(self.configs[index], **self.fixed)
        if not self.batched:
            return [_plain(function(config, seed), "the result") for seed in seeds]
        results = function(config, list(seeds))
        if not isinstance(results, list) or len(results) != len(seeds):
            raise TypeError(f"sweep {self.name}: a batched function must return one result per seed "
                            f"({len(seeds)}), got {type(results).__name__}")
        return [_plain(result, "the result") for result in results]

    def resolve(self) -> Callable[[dict, int], dict]:
        module, _, name = self.function.partition(":")
        if module.split(".")[0] != __name__.split(".")[0]:
            raise ValueError(f"sweep {self.name}: {self.function} is not a function of this package")
        return getattr(importlib.import_module(module), name)


def _code_version() -> str:
    """The commit the code came from, with ``-dirty`` when the working tree differs from it."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True,
                                check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO_ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return commit + ("-dirty" if dirty else "")


def _provenance(sweep: Sweep) -> dict:
    """Where the runs come from, taken once when a sweep starts; ``run_sweep`` adds the time spent."""
    from . import data

    torch = sys.modules.get("torch")
    return {
        "command": shlex.join([Path(sys.executable).name, *sys.argv]),
        "code_version": _code_version(),
        "data_sha256": {name: data.REGISTRY[name].sha256 for name in sweep.datasets},
        "machine": machine(),
        "python": platform.python_version(),
        "torch": getattr(torch, "__version__", None),
        "numpy": np.__version__,
    }


def _plain(value, where: str):
    """A run's numbers as JSON values (numpy scalars become Python numbers); anything else is refused."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or type(value) in (bool, int, str):
        return value
    if type(value) is float:
        return value if math.isfinite(value) else str(value)  # JSON has no NaN; "nan" stays readable
    if isinstance(value, (list, tuple)):
        return [_plain(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {str(k): _plain(v, f"{where}[{k!r}]") for k, v in value.items()}
    raise TypeError(f"{where} is a {type(value).__name__}; a sweep's function must return plain numbers, "
                    "strings, lists and dicts")


def _read(path: Path) -> dict:
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ResultsError(f"{path} cannot be read as shipped results: {err}") from err
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ResultsError(f"{path} is not a {FORMAT} file")
    return payload


def _differences(expected: dict, found: dict) -> list[str]:
    keys = sorted(set(expected) | set(found))
    return [f"{key}: declared {expected.get(key)!r}, shipped {found.get(key)!r}"
            for key in keys if expected.get(key) != found.get(key)]


def refresh_command(sweep: Sweep) -> str:
    return f"make experiments SWEEP={sweep.lecture:02d}_{sweep.name}"


def run_sweep(sweep: Sweep, results_dir: Path | str = RESULTS_DIR, *, resume: bool = True,
              log: Callable[[str], None] = print) -> dict:
    """Run every (configuration, seed) of ``sweep`` not yet in its results file, writing the file
    after each run; return the complete results. With ``resume=False`` the file starts afresh.

    A results file of another declaration is never extended: it is replaced only with
    ``resume=False``, so a changed sweep cannot mix old and new runs.
    """
    path = Path(results_dir) / sweep.file_name
    sweep.resolve()  # a wrong function name fails now, not after the first jobs
    declaration = sweep.declaration()
    runs: list[dict] = []
    if resume and path.exists():
        payload = _read(path)
        problems = _differences(declaration, payload.get("declaration", {}))
        if problems:
            raise ResultsError(f"{path} was made with another declaration ({'; '.join(problems)}); "
                               "run with resume=False (make experiments FRESH=1) to start it afresh")
        runs = payload["runs"]
    done = {(run["config_index"], run["seed"]) for run in runs}
    spent = sum(run["seconds"] for run in runs)
    cpu_spent = sum(run.get("cpu_seconds", 0.0) for run in runs)
    # one job = the seeds a configuration still lacks (a batched sweep always reruns its whole batch,
    # so that every stored run came from the computation a reproduction repeats)
    jobs = []
    for index in range(len(sweep.configs)):
        missing = [seed for seed in sweep.seeds if (index, seed) not in done]
        if missing:
            jobs += [(index, list(sweep.seeds))] if sweep.batched else [(index, [seed]) for seed in missing]
    if done:
        log(f"{sweep.file_name}: {len(done)} runs already there, {len(jobs)} jobs to go")
    path.parent.mkdir(parents=True, exist_ok=True)
    provenance = _provenance(sweep)  # once: git and the machine do not change between runs
    for number, (index, seeds) in enumerate(jobs, start=1):
        started, cpu_started = time.perf_counter(), time.process_time()
        results = sweep.run_config(index, seeds)
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
        spent += seconds
        cpu_spent += cpu_seconds
        runs = [run for run in runs if not (run["config_index"] == index and run["seed"] in seeds)]
        runs += [{"config_index": index, "seed": seed, "result": result, "seconds": round(seconds / len(seeds), 3),
                  "cpu_seconds": round(cpu_seconds / len(seeds), 3)} for seed, result in zip(seeds, results)]
        payload = {"format": FORMAT, "lecture": sweep.lecture, "name": sweep.name, "declaration": declaration,
                   "runs": sorted(runs, key=lambda run: (run["config_index"], run["seed"])),
                   "complete": number == len(jobs),
                   "provenance": {**provenance, "wall_seconds": round(spent, 1), "cpu_seconds": round(cpu_spent, 1),
                                  "finished": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}}
        with atomic_path(path) as tmp:
            tmp.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        log(f"{sweep.file_name}: job {number}/{len(jobs)} (config {index}, seeds {seeds}) in {seconds:.1f} s")
    return load_results(sweep, results_dir)


def load_results(sweep: Sweep, results_dir: Path | str = RESULTS_DIR) -> dict:
    """The shipped results of ``sweep``, only if they were made with exactly its declaration and hold
    every run; otherwise a :class:`ResultsError` naming the difference and the command that refreshes them."""
    path = Path(results_dir) / sweep.file_name
    if not path.exists():
        raise ResultsError(f"there are no shipped results at {path}: run `{refresh_command(sweep)}`")
    payload = _read(path)
    problems = _differences(sweep.declaration(), payload.get("declaration", {}))
    if problems:
        raise ResultsError(f"{path} was made with another configuration than the lecture declares "
                           f"({'; '.join(problems)}): run `{refresh_command(sweep)}`")
    have = {(run["config_index"], run["seed"]) for run in payload["runs"]}
    missing = [(i, s) for i in range(len(sweep.configs)) for s in sweep.seeds if (i, s) not in have]
    if missing:
        raise ResultsError(f"{path} lacks {len(missing)} runs (e.g. config {missing[0][0]}, seed {missing[0][1]}): "
                           f"the sweep was interrupted; `{refresh_command(sweep)}` resumes it")
    return payload


def runs_of(results: dict, config_index: int) -> list[dict]:
    """The runs of one configuration, in seed order."""
    return [run for run in results["runs"] if run["config_index"] == config_index]


ELSEWHERE_POINTS, ELSEWHERE_RTOL = 3, 1e-3


def made_on_this_cpu(results: dict) -> bool:
    """Whether shipped ``results`` were made on a CPU of the same model as this machine's (float
    sums round alike only there: on another CPU model, long training runs drift apart)."""
    return results["provenance"]["machine"].split(",")[0] == cpu_name()


def reproduce(sweep: Sweep, config_index: int, seed: int, results_dir: Path | str = RESULTS_DIR,
              *, rtol: float = 1e-6, atol: float = 1e-9) -> dict:
    """Re-run one configuration and seed (for a batched sweep: the configuration's whole batch of
    seeds, as it was run) and compare with the shipped numbers; returns the new result or raises
    :class:`ResultsError` naming the first number that differs.

    On a CPU of the model that made the results every number must come back (to ``rtol``). On another
    CPU model, rounding differs in the last bits and a long run amplifies it until a discrete outcome
    (the update at which a task counts as solved, the best epoch) can change; there the check is of
    the run's start: the first :data:`ELSEWHERE_POINTS` items of every list of numbers agree to
    :data:`ELSEWHERE_RTOL` (a wrong configuration, seed or code changes them far more)."""
    shipped = load_results(sweep, results_dir)
    stored = next((run["result"] for run in shipped["runs"]
                   if run["config_index"] == config_index and run["seed"] == seed), None)
    if stored is None:
        raise ResultsError(f"{sweep.file_name} holds no run of config {config_index} with seed {seed}")
    seeds = list(sweep.seeds) if sweep.batched else [seed]
    fresh = sweep.run_config(config_index, seeds)[seeds.index(seed)]
    if made_on_this_cpu(shipped):
        problem = _first_difference(stored, fresh, "result", rtol, atol)
    else:
        problem = _first_difference(_starts(stored), _starts(fresh), "result", max(rtol, ELSEWHERE_RTOL), atol)
        if problem is None and not _starts(stored):
            problem = "holds no list of numbers to compare on this CPU model"
        problem = problem and f"{problem} (made on {shipped['provenance']['machine']}, run on {cpu_name()}: " \
                              f"compared the first {ELSEWHERE_POINTS} points of each curve)"
    if problem:
        raise ResultsError(f"{sweep.file_name}, config {config_index}, seed {seed} does not reproduce: {problem}")
    return fresh


def _starts(result):
    """The first ELSEWHERE_POINTS items of every list of numbers in ``result`` (nested dicts kept)."""
    if isinstance(result, dict):
        return {key: part for key, value in result.items() if (part := _starts(value)) not in (None, {})}
    if isinstance(result, list) and result and all(isinstance(x, (int, float)) and not isinstance(x, bool)
                                                   for x in result):
        return result[:ELSEWHERE_POINTS]
    if isinstance(result, list) and result and all(isinstance(x, (list, dict)) for x in result):
        return [_starts(x) for x in result[:ELSEWHERE_POINTS]]
    return None


def _first_difference(a, b, where: str, rtol: float, atol: float) -> str | None:
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return f"{where} has keys {sorted(b)}, shipped {sorted(a)}"
        return next((p for k in a if (p := _first_difference(a[k], b[k], f"{where}[{k!r}]", rtol, atol))), None)
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{where} has {len(b)} items, shipped {len(a)}"
        return next((p for i, (x, y) in enumerate(zip(a, b))
                     if (p := _first_difference(x, y, f"{where}[{i}]", rtol, atol))), None)
    numbers = (int, float)
    if isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool) and not isinstance(b, bool):
        return None if math.isclose(a, b, rel_tol=rtol, abs_tol=atol) else f"{where} is {b!r}, shipped {a!r}"
    return None if a == b else f"{where} is {b!r}, shipped {a!r}"


# ------------------------------------------------------------------ statistics fixed before looking


def median_iqr(values: Sequence[float]) -> tuple[float, float, float]:
    """(median, lower quartile, upper quartile) of every value given; NaN refused by name."""
    array = np.asarray(values, dtype=float)
    if array.size == 0:
        raise ValueError("median_iqr needs at least one value")
    if np.isnan(array).any():
        raise ValueError(f"median_iqr got NaN among {array.size} values: report failed runs separately")
    low, median, high = np.percentile(array, [25, 50, 75])
    return float(median), float(low), float(high)


def success_rate(successes: int, runs: int, z: float = 1.96) -> tuple[float, float, float]:
    """(rate, low, high): the share of successful runs with its Wilson score interval (95 % by default),
    which stays inside [0, 1] and is honest for few runs (5 of 5 is not a certainty)."""
    runs = positive_int("runs", runs)
    successes = non_negative_int("successes", successes)
    if successes > runs:
        raise ValueError(f"{successes} successes out of {runs} runs")
    p = successes / runs
    centre = (p + z * z / (2 * runs)) / (1 + z * z / runs)
    half = z * math.sqrt(p * (1 - p) / runs + z * z / (4 * runs * runs)) / (1 + z * z / runs)
    return p, max(0.0, centre - half), min(1.0, centre + half)
