"""lecture_utils.timing: warm-up calls happen and are not timed, the best of the timed calls is reported."""
from __future__ import annotations

import os
import time

import pytest

from lecture_utils.timing import best_of, cpu_name, machine


class SlowFirstCall:
    """A function that sleeps on its first ``slow`` calls only, and counts its calls."""

    def __init__(self, slow: int = 1, seconds: float = 0.2):
        self.calls, self.slow, self.seconds = 0, slow, seconds

    def __call__(self):
        self.calls += 1
        if self.calls <= self.slow:
            time.sleep(self.seconds)


def test_warm_up_calls_run_but_are_not_timed():
    fn = SlowFirstCall()
    assert best_of(fn, repeats=2, warmup=1) < 0.1
    assert fn.calls == 3


def test_without_warm_up_the_best_of_the_timed_calls_counts():
    fn = SlowFirstCall(slow=2)
    assert best_of(fn, repeats=3, warmup=0) < 0.1  # two slow calls, one fast: the fastest is reported
    assert fn.calls == 3
    only_slow = SlowFirstCall(seconds=0.05)
    assert best_of(only_slow, repeats=1, warmup=0) >= 0.05


@pytest.mark.parametrize("kwargs, match", [
    ({"repeats": 0}, "repeats must be a positive integer, got 0"),
    ({"repeats": 2.5}, "repeats must be a positive integer, got 2.5"),
    ({"repeats": True}, "repeats must be a positive integer, got True"),
    ({"warmup": -1}, "warmup must be a non-negative integer, got -1"),
])
def test_counts_are_checked_before_any_call(kwargs, match):
    fn = SlowFirstCall(seconds=0)
    with pytest.raises(ValueError, match=match):
        best_of(fn, **kwargs)
    assert fn.calls == 0


def test_the_machine_is_described():
    import torch

    description = machine("cpu")
    assert cpu_name() and description.startswith(cpu_name()) and f", {os.cpu_count()} cores" in description
    assert description.endswith(f", torch threads {torch.get_num_threads()}")
