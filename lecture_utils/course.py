"""The course manifest: every lecture declared once.

The README's lecture table test, the package docstring test, the slide index and
``tests/test_layout.py`` read this list instead of keeping their own. A new lecture adds
one :class:`Lecture` here (see the README's "Adding a lecture").
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Lecture:
    number: int
    notebook: str        # notebooks/<notebook>.ipynb
    title: str           # the notebook's first heading: "# Лекция N. <title>"
    module: str          # lecture_utils.<module>: what only this lecture needs
    datasets: tuple[str, ...] = ()   # names in lecture_utils.data.REGISTRY
    models: tuple[str, ...] = ()     # registered model classes it trains or loads ("module:Class")

    @property
    def path(self) -> str:
        return f"notebooks/{self.notebook}.ipynb"


LECTURES: tuple[Lecture, ...] = (
    Lecture(1, "01_rnn_theory", "Рекуррентные сети: теория", "l01_theory"),
    Lecture(2, "02_min_char_rnn", "min-char-rnn: символьная RNN на numpy", "l02_min_char_rnn",
            datasets=("karamazov_ru",)),
    Lecture(3, "03_binary_addition", "Двоичное сложение рекуррентной сетью на numpy", "l03_binary_adder"),
    Lecture(4, "04_name_generation", "Генерация русских имён символьной RNN", "l04_names", datasets=("russian_names",),
            models=("lecture_utils.models:CharRNN",)),
    Lecture(5, "05_lstm_anna_karenina", "Языковая модель на LSTM: «Анна Каренина»", "l05_char_lm",
            datasets=("anna_karenina_ru",), models=("lecture_utils.models:CharRNN",)),
    Lecture(6, "06_imdb_sentiment", "Тональность отзывов IMDB: LSTM против линейной модели", "l06_sentiment",
            datasets=("imdb_train", "imdb_test"), models=("lecture_utils.l06_sentiment:SentimentLSTM",)),
)

CORE_MODULES: tuple[str, ...] = (
    "config", "checks", "data", "fetching", "atomic", "text", "sequences", "models", "cells", "training",
    "metrics", "lm_baselines", "sampling", "checkpoint", "plots", "progress", "timing", "experiments",
    "seedbatch", "formatting", "course", "teach", "exercises",
)
"""The lecture-agnostic core: none of these imports a lecture module."""


def lecture(number: int) -> Lecture:
    """The lecture with this number."""
    for item in LECTURES:
        if item.number == number:
            return item
    raise KeyError(f"there is no lecture {number}; the course has {[item.number for item in LECTURES]}")
