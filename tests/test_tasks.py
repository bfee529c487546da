"""tools/tasks.py: the course's commands without make (Windows), which the Makefile calls too."""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import time

import pytest

from .conftest import ROOT

TASKS = ROOT / "tools" / "tasks.py"


def tasks_module():
    spec = importlib.util.spec_from_file_location("course_tasks", TASKS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def dry_run(*args: str) -> list[str]:
    result = subprocess.run([sys.executable, str(TASKS), "--dry-run", *args], cwd=ROOT, capture_output=True,
                            text=True, check=True)
    return result.stdout.splitlines()


@pytest.mark.parametrize("target, command", [("setup", "setup"), ("data", "data"), ("lab", "lab --"),
                                             ("test", "test"), ("unit", "unit"), ("slides", "slides")])
def test_the_makefile_runs_the_same_implementation(target, command):
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    skip_setup = [] if target == "setup" else ["-o", "setup"]
    printed = subprocess.run(["make", "--no-print-directory", "-n", *skip_setup, target], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout
    assert f"tools/tasks.py {command}" in printed


def test_test_runs_every_notebook_in_smoke_mode_after_setup_and_data():
    lines = dry_run("test")
    python = str(ROOT / ".venv" / ("Scripts/python.exe" if os.name == "nt" else "bin/python"))
    data = next(i for i, line in enumerate(lines) if line.endswith("-m lecture_utils.data"))
    pytest_line = next(i for i, line in enumerate(lines) if "-m pytest" in line)
    assert data < pytest_line
    assert lines[pytest_line] == f"{python} -m pytest --nbval-lax --nbval-current-env tests notebooks"


def test_unit_leaves_out_the_integration_tests():
    assert dry_run("unit")[-1].endswith("-m pytest -q -m 'not integration' tests")


def test_setup_is_skipped_only_when_nothing_it_depends_on_changed(tmp_path, monkeypatch):
    tasks = tasks_module()
    venv = tmp_path / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "Scripts").mkdir()
    for python in (venv / "bin" / "python", venv / "Scripts" / "python.exe"):
        python.write_text("")
    for name in tasks.SETUP_INPUTS:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("pinned")
    monkeypatch.setattr(tasks, "ROOT", tmp_path)
    monkeypatch.setattr(tasks, "VENV", venv)
    monkeypatch.setattr(tasks, "STAMP", venv / ".installed")
    monkeypatch.setattr(tasks, "VARIANT_FILE", venv / "torch-variant")
    assert not tasks.setup_is_current("auto")  # never set up
    (venv / "torch-variant").write_text("cpu\n")
    (venv / ".installed").touch()
    assert tasks.setup_is_current("cpu") and tasks.remembered_variant() == "cpu"
    assert not tasks.setup_is_current("cuda")  # another build asked for
    later = time.time() + 5
    os.utime(tmp_path / "requirements.txt", (later, later))
    assert not tasks.setup_is_current("cpu")  # the requirements changed


def test_a_bad_build_or_command_is_refused_by_name():
    result = subprocess.run([sys.executable, str(TASKS), "setup", "--torch", "rocm"], cwd=ROOT, capture_output=True,
                            text=True)
    assert result.returncode == 2 and "invalid choice: 'rocm'" in result.stderr
    result = subprocess.run([sys.executable, str(TASKS), "install"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 2 and "invalid choice: 'install'" in result.stderr


def test_a_failing_command_is_named(monkeypatch, capsys):
    tasks = tasks_module()

    def fail(command, cwd, check, env):
        raise subprocess.CalledProcessError(3, command)

    monkeypatch.setattr(tasks.subprocess, "run", fail)
    assert tasks.main(["data"]) == 3
    assert "-m lecture_utils.data failed with exit code 3" in capsys.readouterr().err
