"""Run mode and seeding."""
from __future__ import annotations

import random

import numpy as np
import pytest
import torch

import lecture_utils as lu


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


def test_device_is_a_torch_device():
    assert lu.get_device().type in {"cpu", "cuda"}
