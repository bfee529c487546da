"""Shipped experiments: a sweep runs a lecture's function over configurations x seeds, writes its
results with provenance after every run, resumes after an interruption, refuses results of another
configuration, and reproduces one run on demand."""
from __future__ import annotations

import importlib
import importlib.util
import json
import sys

import pytest

import lecture_utils
from lecture_utils import experiments
from lecture_utils.experiments import ResultsError, Sweep, load_results, median_iqr, reproduce, run_sweep, success_rate

from .conftest import ROOT

TOY = '''
import numpy as np

CALLS = []


def train(config, seed):
    CALLS.append((config["width"], seed))
    if tuple(config.get("fail_at") or ()) == (config["width"], seed):
        raise KeyboardInterrupt  # an interrupted sweep
    rng = np.random.default_rng(seed)
    return {"loss": float(config["width"] * rng.random()), "steps": int(config["width"]) * 10,
            "curve": [float(x) for x in rng.random(5)]}
'''


@pytest.fixture
def toy(tmp_path, monkeypatch):
    """A throwaway lecture module of the package holding the sweep's function."""
    folder = tmp_path / "modules"
    folder.mkdir()
    (folder / "l97_toy.py").write_text(TOY, encoding="utf-8")
    monkeypatch.setattr(lecture_utils, "__path__", [*lecture_utils.__path__, str(folder)])
    module = importlib.import_module("lecture_utils.l97_toy")
    yield module
    sys.modules.pop("lecture_utils.l97_toy", None)


def sweep(**changes) -> Sweep:
    settings = dict(lecture=97, name="toy", function="lecture_utils.l97_toy:train",
                    configs=({"width": 1}, {"width": 2}), seeds=(0, 1, 2), fixed={})
    return Sweep(**{**settings, **changes})


def test_a_sweep_writes_every_run_with_provenance(toy, tmp_path):
    results = run_sweep(sweep(), tmp_path, log=lambda _: None)
    assert len(results["runs"]) == 6 and results["complete"]
    assert [(r["config_index"], r["seed"]) for r in results["runs"]] == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]
    provenance = results["provenance"]
    assert {"command", "code_version", "data_sha256", "machine", "torch", "wall_seconds"} <= provenance.keys()
    assert results["declaration"]["seeds"] == [0, 1, 2]
    on_disk = json.loads((tmp_path / "97_toy.json").read_text(encoding="utf-8"))
    assert on_disk == results


def test_an_interrupted_sweep_resumes_without_redoing_runs(toy, tmp_path):
    broken = sweep(fixed={"fail_at": [2, 1]})  # stops at the fifth run
    with pytest.raises(KeyboardInterrupt):
        run_sweep(broken, tmp_path, log=lambda _: None)
    written = json.loads((tmp_path / "97_toy.json").read_text(encoding="utf-8"))
    assert len(written["runs"]) == 4 and not written["complete"]
    with pytest.raises(ResultsError, match="lacks 2 runs .* resumes it"):
        load_results(broken, tmp_path)
    toy.CALLS.clear()
    toy_fixed = sweep(fixed={"fail_at": [9, 9]})  # another declaration: refused, not mixed
    with pytest.raises(ResultsError, match="another declaration"):
        run_sweep(toy_fixed, tmp_path, log=lambda _: None)
    (tmp_path / "97_toy.json").write_text(json.dumps({**written, "declaration": toy_fixed.declaration()}))
    results = run_sweep(toy_fixed, tmp_path, log=lambda _: None)
    assert toy.CALLS == [(2, 1), (2, 2)] and len(results["runs"]) == 6


def test_results_of_another_configuration_are_refused_with_the_command(toy, tmp_path):
    run_sweep(sweep(), tmp_path, log=lambda _: None)
    with pytest.raises(ResultsError, match=r"seeds: declared \[0, 1, 2, 3\], shipped \[0, 1, 2\].*"
                                           r"make experiments SWEEP=97_toy"):
        load_results(sweep(seeds=(0, 1, 2, 3)), tmp_path)
    with pytest.raises(ResultsError, match="there are no shipped results"):
        load_results(sweep(name="other"), tmp_path)


def test_one_run_reproduces_and_a_changed_function_is_caught(toy, tmp_path):
    run_sweep(sweep(), tmp_path, log=lambda _: None)
    assert reproduce(sweep(), 1, 2, tmp_path)["steps"] == 20
    path = tmp_path / "97_toy.json"
    payload = json.loads(path.read_text(encoding="utf-8"))
    payload["runs"][4]["result"]["curve"][1] += 1e-3  # config 1, seed 1
    path.write_text(json.dumps(payload), encoding="utf-8")
    with pytest.raises(ResultsError, match=r"config 1, seed 1 does not reproduce: result\['curve'\]\[1\]"):
        reproduce(sweep(), 1, 1, tmp_path)


@pytest.mark.parametrize("changes, match", [
    (dict(name="two words"), "identifier"),
    (dict(function="train"), "module:name"),
    (dict(seeds=(1, 1)), "seeds repeat"),
    (dict(seeds=()), "at least one"),
])
def test_a_bad_declaration_is_named(changes, match):
    with pytest.raises(ValueError, match=match):
        sweep(**changes)


def test_a_function_outside_the_package_is_refused(tmp_path):
    with pytest.raises(ValueError, match="not a function of this package"):
        run_sweep(sweep(function="os.path:join"), tmp_path)


def test_statistics_report_every_value():
    assert median_iqr([1, 2, 3, 4, 100]) == (3.0, 2.0, 4.0)
    with pytest.raises(ValueError, match="NaN"):
        median_iqr([1.0, float("nan")])
    rate, low, high = success_rate(5, 5)
    assert rate == 1.0 and 0.5 < low < 0.6 and high == 1.0  # 5 of 5 is no certainty
    assert success_rate(0, 5)[1] == 0.0
    with pytest.raises(ValueError, match="6 successes out of 5 runs"):
        success_rate(6, 5)


def test_nan_results_are_stored_readably():
    assert experiments._plain({"loss": float("nan"), "n": 3}, "r") == {"loss": "nan", "n": 3}


def test_make_experiments_collects_the_sweeps_the_lectures_declare(capsys):
    spec = importlib.util.spec_from_file_location("course_tools_experiments", ROOT / "tools" / "experiments.py")
    runner = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(runner)
    sweeps = runner.declared_sweeps()
    assert all(isinstance(item, Sweep) for item in sweeps)
    assert runner.main(["--list"]) == 0
    listed = capsys.readouterr().out
    assert all(item.file_name.removesuffix(".json") in listed for item in sweeps) or "no lecture declares" in listed


def test_on_another_cpu_model_only_the_start_of_each_curve_must_come_back(toy, tmp_path):
    """Rounding differs between CPU models and long runs amplify it, so results made elsewhere are
    checked on the first points of each curve, to 1e-3; a wrong start is still caught."""
    run_sweep(sweep(), tmp_path, log=lambda _: None)
    path = tmp_path / "97_toy.json"
    payload = json.loads(path.read_text(encoding="utf-8"))
    payload["provenance"]["machine"] = "Some Other CPU, 2 cores, torch threads 1"
    curve = payload["runs"][4]["result"]["curve"]  # config 1, seed 1
    curve[-1] += 1.0             # the end drifted: fine on another CPU model
    payload["runs"][4]["result"]["steps"] += 1  # and so did a discrete outcome
    path.write_text(json.dumps(payload), encoding="utf-8")
    assert not experiments.made_on_this_cpu(payload)
    assert len(curve) > experiments.ELSEWHERE_POINTS
    reproduce(sweep(), 1, 1, tmp_path)
    curve[1] *= 1.01               # the start differs: a real difference
    path.write_text(json.dumps(payload), encoding="utf-8")
    with pytest.raises(ResultsError, match=r"result\['curve'\]\[1\].*made on Some Other CPU"):
        reproduce(sweep(), 1, 1, tmp_path)
