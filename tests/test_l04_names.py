"""Lecture 04 (lecture_utils.l04_names): names as teacher-forcing tensors, and a seeded split."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from lecture_utils.l04_names import BOUNDARY, PAD, name_tensors, split_names

from .conftest import NAMES


def test_name_tensors_shift_by_one_and_pad(names_vocab):
    inputs, targets = name_tensors(["иван", "анастасия"], names_vocab)
    assert inputs.shape == targets.shape == (2, 10) and inputs.dtype == torch.long
    assert names_vocab.decode(inputs[0], keep_specials=True) == "<b>иван" + "<pad>" * 5
    assert names_vocab.decode(targets[0], keep_specials=True) == "иван<b>" + "<pad>" * 5
    assert torch.equal(inputs[1, 1:], targets[1, :-1])
    assert (PAD, BOUNDARY) == ("<pad>", "<b>")


def test_name_tensors_refuse_one_string(names_vocab):
    with pytest.raises(TypeError, match="names must be a list of names, not one str"):
        name_tensors("анна", names_vocab)


def test_split_is_a_partition_fixed_by_its_own_seed_alone():
    """The split draws from its own generator: the global random state, however it was used, cannot move it."""
    names = pd.DataFrame({"name": [f"{name}{i}" for i in range(10) for name in NAMES]})
    np.random.seed(0)
    train, val = split_names(names, 0.2, seed=1)
    np.random.seed(123)
    np.random.rand(7)
    train_again, val_again = split_names(names, 0.2, seed=1)
    assert val.equals(val_again) and train.equals(train_again)
    assert len(val) == 16 and len(train) == 64
    assert not set(train.name) & set(val.name) and sorted([*train.name, *val.name]) == sorted(names.name)
    _, other_val = split_names(names, 0.2, seed=2)
    assert not other_val.equals(val)


@pytest.mark.parametrize("fraction", [0, 1, -0.2, 1.2, math.nan])
def test_split_names_refuses_fractions_outside_0_1(fraction):
    with pytest.raises(ValueError, match=r"val_fraction must (lie in \(0, 1\)|be a finite number), got"):
        split_names(pd.DataFrame({"name": NAMES}), fraction, seed=0)


def test_split_names_refuses_an_empty_part_and_a_missing_seed():
    with pytest.raises(ValueError, match="leaves 0 for validation and 3 for training"):
        split_names(pd.DataFrame({"name": NAMES[:3]}), 0.1, seed=0)
    with pytest.raises(ValueError, match="seed must be a non-negative integer, got None"):
        split_names(pd.DataFrame({"name": NAMES}), 0.25, seed=None)
