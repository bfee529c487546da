"""Checks a student runs on an exercise: not solved yet, right, or precisely what is wrong.

The course follows nbgrader's layout (a solution between ``### BEGIN SOLUTION`` and
``### END SOLUTION``, replaced in the student's edition by ``...  # YOUR CODE HERE``; see
tools/student.py) and otter-grader's idea of a named check the student can run any time. A check:

* says «не решено» and returns False while the answer is still the placeholder (``...`` or
  ``None``), so the student's edition runs top to bottom;
* raises :class:`CheckFailed` (an AssertionError, shown in red) naming the first thing that is
  wrong: the entry, the expected and the received value, or the statistic of a sampler;
* prints «верно» and returns True when the answer passes.

Every check in a lecture is tested twice (tests/test_lNN_*.py): it passes on the reference
solution and fails with a useful message on a typical wrong one.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .formatting import number


class CheckFailed(AssertionError):
    """The answer is wrong; the message says where and how."""


def unsolved(value) -> bool:
    """True for the placeholders of the student's edition: ``...`` and ``None``."""
    return value is Ellipsis or value is None


def _not_solved(name: str) -> bool:
    print(f"{name}: не решено — допишите решение и запустите проверку ещё раз")
    return False


def _passed(name: str, detail: str = "") -> bool:
    print(f"{name}: верно{detail}")
    return True


def _show(value: float) -> str:
    value = float(value)
    if value != 0 and not 1e-3 <= abs(value) < 1e6:
        return f"{value:.4e}".replace(".", ",").replace("-", "−")
    return number(value, 6).rstrip("0").rstrip(",") if "." in f"{value}" else number(value)


def check_array(name: str, got, expected, *, rtol: float = 1e-5, atol: float = 1e-8) -> bool:
    """``got`` equals ``expected`` (arrays or tensors) entry by entry, within ``rtol``/``atol``."""
    if unsolved(got):
        return _not_solved(name)
    got_array = np.asarray(got.detach().cpu() if hasattr(got, "detach") else got, dtype=float)
    want = np.asarray(expected.detach().cpu() if hasattr(expected, "detach") else expected, dtype=float)
    if got_array.shape != want.shape:
        raise CheckFailed(f"{name}: форма {got_array.shape}, а должна быть {want.shape}")
    if not np.all(np.isfinite(got_array)):
        where = tuple(int(i) for i in np.argwhere(~np.isfinite(got_array))[0])
        raise CheckFailed(f"{name}{list(where)}: {got_array[where]} — не число")
    excess = np.abs(got_array - want) - (atol + rtol * np.abs(want))
    if np.any(excess > 0):
        where = tuple(int(i) for i in np.unravel_index(np.argmax(excess), want.shape))
        share = np.mean(excess > 0)
        raise CheckFailed(f"{name}{list(where) if where else ''}: ожидалось {_show(want[where])}, "
                          f"получено {_show(got_array[where])} (неверны {number(100 * share, 1)} % элементов)")
    return _passed(name)


def check_value(name: str, got, expected: float, *, rtol: float = 1e-5, atol: float = 1e-8) -> bool:
    """One number, within ``rtol``/``atol`` of ``expected``."""
    if unsolved(got):
        return _not_solved(name)
    if not isinstance(got, (int, float, np.number)) and not hasattr(got, "item"):
        raise CheckFailed(f"{name}: ожидалось число, получено {type(got).__name__}: {got!r}")
    value = float(got.item() if hasattr(got, "item") else got)
    if not math.isclose(value, expected, rel_tol=rtol, abs_tol=atol):
        raise CheckFailed(f"{name}: ожидалось {_show(expected)}, получено {_show(value)}")
    return _passed(name)


def check_between(name: str, got, low: float, high: float, *, why: str = "") -> bool:
    """An open answer measured by the student: ``low <= got <= high`` (``why`` explains the range)."""
    if unsolved(got):
        return _not_solved(name)
    value = float(got.item() if hasattr(got, "item") else got)
    if not low <= value <= high:
        raise CheckFailed(f"{name}: {_show(value)} вне ожидаемого диапазона [{_show(low)}; {_show(high)}]"
                          + (f" — {why}" if why else ""))
    return _passed(name, f" ({_show(value)} в диапазоне [{_show(low)}; {_show(high)}])")


def check_distribution(name: str, samples: Sequence[int], probabilities, *, min_p: float = 1e-3) -> bool:
    """Draws of a sampler against the distribution it should follow: a chi-square test at the 0.1 %
    level (so a right sampler fails 1 time in 1 000), naming the outcome that is furthest off."""
    if unsolved(samples):
        return _not_solved(name)
    probabilities = np.asarray(probabilities, dtype=float)
    draws = np.asarray(samples).reshape(-1)
    if draws.size < 100:
        raise CheckFailed(f"{name}: нужно хотя бы 100 выборок, получено {draws.size}")
    if draws.min() < 0 or draws.max() >= len(probabilities) or not np.all(draws == np.round(draws)):
        raise CheckFailed(f"{name}: выборки должны быть номерами от 0 до {len(probabilities) - 1}")
    counts = np.bincount(draws.astype(int), minlength=len(probabilities))
    expected = draws.size * probabilities
    impossible = (probabilities < 1e-12) & (counts > 0)
    if impossible.any():
        k = int(np.argmax(impossible))
        raise CheckFailed(f"{name}: исход {k} выпал {counts[k]} раз, а его вероятность 0")
    keep = probabilities >= min_p
    chi2 = float(np.sum((counts[keep] - expected[keep]) ** 2 / expected[keep]))
    dof = int(keep.sum()) - 1
    from scipy.stats import chi2 as chi2_distribution  # scikit-learn's dependency, pinned with it

    threshold = float(chi2_distribution.ppf(0.999, max(dof, 1)))
    if chi2 > threshold:
        k = int(np.argmax(np.abs(counts - expected) / np.sqrt(np.maximum(expected, 1))))
        share = number(counts[k] / draws.size, 3)
        raise CheckFailed(f"{name}: частоты не совпадают с распределением (χ² = {number(chi2, 1)} при "
                          f"{dof} степенях свободы); сильнее всего исход {k}: доля {share}, "
                          f"а вероятность {number(float(probabilities[k]), 3)}")
    return _passed(name, f" (χ² = {number(chi2, 1)} при {dof} степенях свободы)")
