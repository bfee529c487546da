"""Numbers as a Russian reader expects them, in printed strings and in figures.

* :func:`number` -- a decimal comma and thin-space thousands: ``number(64128)`` is «64 128»,
  ``number(0.5, 2)`` is «0,50» (``f"{x:,}"`` would print «64,128», which reads as sixty-four point one);
* :func:`plural` and :func:`count` -- the noun form that agrees with the number: «1 параметр»,
  «2 параметра», «24 832 параметра», «11 параметров», «2,5 эпохи»;
* :func:`percent` -- «31,8 %»;
* :func:`scientific` -- «1,4e−30» (a decimal comma and a real minus in scientific notation);
* :func:`comma_decimal` -- every decimal point between digits of a text made a comma (mathtext too);
* :func:`decimal_comma` -- the tick labels of a matplotlib axis with decimal commas.

Thousands are separated by the narrow no-break space (U+202F), as in the lectures' prose; the
space before % and units is the same, so a line never breaks between a number and its unit.
"""
from __future__ import annotations

import math
import numbers
import re

from .checks import non_negative_int

THIN = "\u202f"
"""The narrow no-break space: thousands separator, and the space before % and units."""
DECIMAL_POINT = re.compile(r"(?<=\d)\.(?=\d)")
MATH = re.compile(r"(?<!\\)\$.*?(?<!\\)\$")


def comma_decimal(text: str) -> str:
    """``text`` with every decimal point between digits made a decimal comma (``{,}`` inside mathtext,
    so that matplotlib does not set a space after it)."""
    parts, start = [], 0
    for math_part in MATH.finditer(text):
        parts += [DECIMAL_POINT.sub(",", text[start:math_part.start()]), DECIMAL_POINT.sub("{,}", math_part[0])]
        start = math_part.end()
    return "".join(parts) + DECIMAL_POINT.sub(",", text[start:])


def number(value, digits: int | None = None, *, group_from: int = 1000) -> str:
    """``value`` with a decimal comma and thin-space thousands; ``digits`` after the comma (None:
    an int as it is, a float with Python's shortest repr). Integers from ``group_from`` up are grouped."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"number() formats a real number, got {type(value).__name__}: {value!r}")
    value = value.item() if hasattr(value, "item") else value
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("−∞" if value < 0 else "∞")
    if digits is not None:
        text = f"{value:.{non_negative_int('digits', digits)}f}"
    elif isinstance(value, numbers.Integral):
        text = str(int(value))
    else:
        text = repr(float(value))
        if "e" in text:  # 1e-05: keep scientific notation, only the comma changes
            return text.replace(".", ",").replace("-", "−")
    sign = "−" if text.startswith("-") else ""
    whole, _, fraction = text.lstrip("-").partition(".")
    if abs(int(whole)) >= group_from:
        groups = []
        while whole:
            groups.insert(0, whole[-3:])
            whole = whole[:-3]
        whole = THIN.join(groups)
    if sign and not (fraction.strip("0") or whole.strip("0" + THIN)):
        sign = ""  # -0.00 reads as 0,00
    return sign + whole + ("," + fraction if fraction else "")


def plural(value, one: str, few: str, many: str) -> str:
    """The form of a noun that agrees with ``value``: ``one`` for 1, 21, 101…, ``few`` for 2–4, 22–24…,
    ``many`` for 0, 5–20, 25–30…; a fractional number takes ``few`` («2,5 эпохи», «0,5 секунды»)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"plural() needs a number, got {type(value).__name__}: {value!r}")
    if not float(value).is_integer():
        return few
    n = abs(int(value))
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def count(value, one: str, few: str, many: str, digits: int | None = None) -> str:
    """The number and its noun: ``count(24832, "параметр", "параметра", "параметров")`` is «24 832 параметра»."""
    return f"{number(value, digits)} {plural(value, one, few, many)}"


def percent(share, digits: int = 1) -> str:
    """A share (0.318) as a percentage with a comma and a thin space: «31,8 %»."""
    return f"{number(100 * share, digits)}{THIN}%"


def scientific(value, digits: int = 1) -> str:
    """``value`` in scientific notation with a decimal comma and a real minus: «1,4e−30», «2,5e+17»."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"scientific() formats a real number, got {type(value).__name__}: {value!r}")
    return f"{float(value):.{non_negative_int('digits', digits)}e}".replace(".", ",").replace("-", "−")


def decimal_comma(ax, digits: int | None = None):
    """Tick labels of both axes of ``ax`` with decimal commas (and a real minus sign); returns ``ax``."""
    from matplotlib.ticker import FuncFormatter

    def label(value, _position):
        if digits is not None:
            return number(value, digits)
        return f"{value:.6g}".replace(".", ",").replace("-", "−")

    for axis in (ax.xaxis, ax.yaxis):
        if axis.get_scale() == "linear":
            axis.set_major_formatter(FuncFormatter(label))
    return ax
