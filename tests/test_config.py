"""lecture_utils.config: run mode, seeding and the device."""
from __future__ import annotations

import os
import random
import subprocess
import sys

import numpy as np
import pytest
import torch

import lecture_utils as lu

from .conftest import ROOT


@pytest.mark.parametrize("value, smoke", [("1", True), ("true", True), ("0", False), ("", False)])
def test_mode_comes_from_the_environment(monkeypatch, value, smoke):
    monkeypatch.setenv("LECTURE_SMOKE", value)
    assert lu.is_smoke() is smoke
    assert lu.by_mode(full="big", smoke="small") == ("small" if smoke else "big")
    assert lu.mode_name() == ("smoke" if smoke else "full")


def test_seed_everything_repeats_every_generator():
    def draw():
        lu.seed_everything(123)
        return random.random(), np.random.rand(), torch.rand(1).item()

    assert draw() == draw()


@pytest.mark.parametrize("available, expected", [(True, "cuda"), (False, "cpu")])
def test_the_device_is_cuda_exactly_when_cuda_is_available(monkeypatch, available, expected):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: available)
    assert lu.get_device() == torch.device(expected)


def test_seed_everything_seeds_torch_imported_after_it():
    """In a fresh process: seed (twice: the last seed counts), then import torch. Its first
    weights must be those that seeding an already imported torch gives."""
    code = ("import lecture_utils as lu; lu.seed_everything(7); lu.seed_everything(11)\n"
            "import torch\n"
            "first = torch.nn.Linear(3, 2).weight.tolist()\n"
            "lu.seed_everything(11)\n"
            "print(first == torch.nn.Linear(3, 2).weight.tolist())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.stdout.strip() == "True", out.stderr
