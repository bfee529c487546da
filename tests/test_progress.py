"""One progress-bar style: text on stdout, narrow enough for a slide, updated at most twice a second."""
from __future__ import annotations

import re

from lecture_utils.progress import progress


def test_the_bar_is_text_on_stdout_within_90_columns(capsys):
    for _ in progress(range(3), desc="обучение", mininterval=0):
        pass
    out = capsys.readouterr().out
    assert "обучение" in out and "3/3" in out
    assert max(len(line) for line in out.replace("\r", "\n").splitlines()) <= 90


def test_the_caller_can_override_the_defaults():
    bar = progress(total=5, ncols=60, mininterval=2.0)
    assert bar.ncols == 60 and bar.mininterval == 2.0
    bar.close()


def test_the_bar_reads_in_russian(capsys):
    bar = progress(total=4, desc="обучение", unit=" шаг", mininterval=0)
    bar.update(3)
    bar.set_postfix_str("потери 1,730")
    bar.close()
    out = capsys.readouterr().out.replace("\r", "\n")
    last = [line for line in out.splitlines() if line.strip()][-1]
    assert " шаг/с" in last and "/s" not in last, last
    assert not re.search(r"\d\.\d", last), last
    for _ in progress(range(2), mininterval=0):
        pass
    assert " ит/с" in capsys.readouterr().out
    slow = progress(total=4, unit=" шаг", mininterval=0)
    line = slow.format_meter(1, 4, 2.7, ncols=90, unit=" шаг", prefix="итог")
    assert "2,70 с/шаг" in line and "s/" not in line, line
