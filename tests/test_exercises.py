"""exercises: each check says «не решено» for a placeholder, passes a right answer, and names what is
wrong in a wrong one."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from lecture_utils.exercises import CheckFailed, check_array, check_between, check_distribution, check_value, unsolved


@pytest.mark.parametrize("value", [..., None])
def test_placeholders_are_not_solved(value, capsys):
    assert unsolved(value)
    for check in (lambda v: check_array("dW", v, np.ones(2)), lambda v: check_value("L", v, 1.0),
                  lambda v: check_between("T", v, 0, 1), lambda v: check_distribution("s", v, [0.5, 0.5])):
        assert check(value) is False
    assert capsys.readouterr().out.count("не решено") == 4


def test_check_array_passes_the_right_answer_and_names_the_wrong_entry(capsys):
    want = np.arange(6.0).reshape(2, 3)
    assert check_array("dW", torch.tensor(want), want)
    assert "dW: верно" in capsys.readouterr().out
    wrong = want.copy()
    wrong[1, 2] = 7.5
    with pytest.raises(CheckFailed, match=r"dW\[1, 2\]: ожидалось 5, получено 7,5 \(неверны 16,7 % элементов\)"):
        check_array("dW", wrong, want)
    with pytest.raises(CheckFailed, match=r"форма \(3, 2\), а должна быть \(2, 3\)"):
        check_array("dW", want.T, want)
    with pytest.raises(CheckFailed, match="не число"):
        check_array("dW", want * np.nan, want)


def test_check_value_and_between():
    assert check_value("L", 2.302585, np.log(10))
    with pytest.raises(CheckFailed, match="ожидалось 2,302585, получено 2,5"):
        check_value("L", 2.5, np.log(10))
    with pytest.raises(CheckFailed, match="ожидалось число, получено str"):
        check_value("L", "2.3", 2.3)
    assert check_between("шаги", 1500, 1000, 2000)
    message = "3\u202f000 вне ожидаемого диапазона \\[1\u202f000; 2\u202f000\\] — пять seed"
    with pytest.raises(CheckFailed, match=message):
        check_between("шаги", 3000, 1000, 2000, why="пять seed")


def test_check_distribution_passes_a_right_sampler_and_catches_a_biased_one():
    probabilities = np.array([0.5, 0.3, 0.2, 0.0])
    rng = np.random.default_rng(0)
    assert check_distribution("sample", rng.choice(4, size=5000, p=probabilities), probabilities)
    greedy = np.zeros(5000, dtype=int)  # argmax instead of sampling: a typical wrong sampler
    with pytest.raises(CheckFailed, match="сильнее всего исход 0: доля 1,000, а вероятность 0,500"):
        check_distribution("sample", greedy, probabilities)
    with pytest.raises(CheckFailed, match="исход 3 выпал 1 раз, а его вероятность 0"):
        check_distribution("sample", np.r_[rng.choice(3, size=500, p=[0.5, 0.3, 0.2]), 3], probabilities)
    with pytest.raises(CheckFailed, match="хотя бы 100"):
        check_distribution("sample", [0, 1], probabilities)
