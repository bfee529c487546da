"""Argument checks shared by the whole package: one rule for counts, fractions and numbers.

Every check returns the value in its plain Python type or raises an error that names
the argument and the value it got. Integers may be Python, numpy or torch integers;
bools are refused everywhere (``True`` is not a count of 1).
"""
from __future__ import annotations

import math
import numbers
import operator


def _is_bool(value) -> bool:
    """A Python, numpy or torch bool (``torch.tensor(True)`` passes ``operator.index`` as 1)."""
    return isinstance(value, bool) or str(getattr(value, "dtype", "")) in ("bool", "torch.bool")


def _scalar(value) -> bool:
    """Not an array or tensor of one or more dimensions (torch reads ``tensor([3])`` as the index 3)."""
    return getattr(value, "ndim", 0) == 0


def _integer(name: str, value, what: str) -> int:
    if _is_bool(value) or isinstance(value, float) or not _scalar(value):
        raise ValueError(f"{name} must be {what}, got {value!r}")
    try:
        return operator.index(value)
    except TypeError:
        raise ValueError(f"{name} must be {what}, got {value!r}") from None


def integer(name: str, value) -> int:
    """``value`` as an int of any sign (Python, numpy or torch integer), or a ValueError naming ``name``."""
    return _integer(name, value, "an integer")


def positive_int(name: str, value) -> int:
    """``value`` as an int >= 1, or a ValueError naming ``name``."""
    number = _integer(name, value, "a positive integer")
    if number < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return number


def non_negative_int(name: str, value) -> int:
    """``value`` as an int >= 0, or a ValueError naming ``name``."""
    number = _integer(name, value, "a non-negative integer")
    if number < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return number


def optional_positive_int(name: str, value) -> int | None:
    """None, or ``value`` as an int >= 1."""
    return None if value is None else positive_int(name, value)


def real(name: str, value) -> float:
    """``value`` as a finite float (Python, numpy and torch ints and floats accepted, also as 0-d
    arrays or tensors; bools, str, complex, NaN, inf refused)."""
    dtype = str(getattr(value, "dtype", ""))
    numeric = isinstance(value, numbers.Real) or "int" in dtype or "float" in dtype
    number = float(value) if numeric and _scalar(value) and not _is_bool(value) else math.nan
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return number


def positive(name: str, value) -> float:
    """``value`` as a finite float > 0."""
    number = real(name, value)
    if number <= 0:
        raise ValueError(f"{name} must be positive, got {value!r}")
    return number


def non_negative(name: str, value) -> float:
    """``value`` as a finite float >= 0."""
    number = real(name, value)
    if number < 0:
        raise ValueError(f"{name} must be non-negative, got {value!r}")
    return number


def fraction(name: str, value, *, low_open: bool = True, high_open: bool = True) -> float:
    """``value`` as a float in (0, 1); ``low_open=False`` admits 0, ``high_open=False`` admits 1."""
    number = real(name, value)
    low_ok = number > 0 if low_open else number >= 0
    high_ok = number < 1 if high_open else number <= 1
    if not (low_ok and high_ok):
        interval = f"{'(' if low_open else '['}0, 1{')' if high_open else ']'}"
        raise ValueError(f"{name} must lie in {interval}, got {value!r}")
    return number


def one_of(name: str, value, choices) -> object:
    """``value`` if it is one of ``choices``, else a ValueError listing them."""
    if value not in tuple(choices):
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return value


def short(value, limit: int = 80) -> str:
    """``repr(value)`` cut to ``limit`` characters, for error messages about long inputs."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"
