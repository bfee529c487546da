"""One progress-bar style for every long loop of the course."""
from __future__ import annotations

import re
import sys

from tqdm import tqdm

from .formatting import comma_decimal

_INVERSE_RATE = re.compile(r"(\d)s/ ?(\w)")   # tqdm's «1.35s/ шаг» (slower than one step a second)
_RATE_UNITS = (("/s,", "/с,"), ("/s]", "/с]"), ("/s ", "/с "))


class RussianBar(tqdm):
    """tqdm whose line reads in Russian: decimal commas, «/с» for «/s», «1,35 с/шаг» for «1.35s/ шаг»
    (with :func:`progress`'s default unit, «ит/с» for «it/s»)."""

    @staticmethod
    def format_meter(*args, **kwargs) -> str:
        line = _INVERSE_RATE.sub(r"\1 с/\2", tqdm.format_meter(*args, **kwargs))  # as long as before
        for english, russian in _RATE_UNITS:
            line = line.replace(english, russian)
        return comma_decimal(line)


def progress(iterable=None, **kwargs) -> tqdm:
    """A text tqdm bar on stdout.

    Text rather than a widget: it renders the same in JupyterLab, in the
    committed outputs, in the slides and in a terminal, and it needs no
    ipywidgets. Updates at most twice a second so saved outputs stay small.
    Numbers read as Russian: «3,60 шаг/с», «1,730».
    """
    kwargs.setdefault("file", sys.stdout)
    kwargs.setdefault("mininterval", 0.5)
    kwargs.setdefault("ncols", 90)
    kwargs.setdefault("ascii", False)
    kwargs.setdefault("unit", " ит")
    return RussianBar(iterable, **kwargs)
