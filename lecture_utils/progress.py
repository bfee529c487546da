"""One progress-bar style for every long loop of the course."""
from __future__ import annotations

import sys

from tqdm import tqdm


def progress(iterable=None, **kwargs) -> tqdm:
    """A text tqdm bar on stdout.

    Text rather than a widget: it renders the same in JupyterLab, in the
    committed outputs, in the slides and in a terminal, and it needs no
    ipywidgets. Updates at most twice a second so saved outputs stay small.
    """
    kwargs.setdefault("file", sys.stdout)
    kwargs.setdefault("mininterval", 0.5)
    kwargs.setdefault("ncols", 90)
    kwargs.setdefault("ascii", False)
    return tqdm(iterable, **kwargs)
