"""Lecture 04: names as training data -- a seeded split and teacher-forcing tensors with boundary tokens --,
the proper nouns of a novel for the exercise on other data, and the checks of the exercises.

The generic parts live in the core (:func:`~lecture_utils.sequences.shuffle_split`,
:func:`~lecture_utils.sequences.teacher_forcing_pairs`, :func:`~lecture_utils.sampling.generate_names`);
this module names them for the lecture's data. The model, the training step and the sampling loop
are written in the notebook (cells tagged ``teach``); tests compare them with the package.
"""
from __future__ import annotations

import re
from collections import Counter

import pandas as pd
import torch

from .checks import non_negative_int, positive_int
from .exercises import CheckFailed, check_array, check_distribution, unsolved
from .sequences import shuffle_split, teacher_forcing_pairs
from .text import BOUNDARY, PAD, Vocab

__all__ = ["BOUNDARY", "PAD", "check_top_k", "check_two_layers", "name_tensors", "proper_nouns", "split_names",
           "top_k_probabilities"]


def split_names(names: pd.DataFrame | list[str], val_fraction: float, seed: int):
    """Shuffle the rows (of a DataFrame, or the items of a list) with ``seed`` and cut off
    ``val_fraction`` of them for validation: ``(train, validation)`` of the same type.

    ``val_fraction`` must lie strictly between 0 and 1 and leave both parts non-empty; ``seed``
    must be an integer (None would give another split on every run).
    """
    return shuffle_split(names, val_fraction, non_negative_int("seed", seed))


def name_tensors(names, vocab: Vocab) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs ``<b> + name`` and targets ``name + <b>``, padded with ``<pad>`` to one length.

    "анна" gives the input ``<b> а н н а`` and the target ``а н н а <b>``: the model
    learns the first letter from the boundary token and when to stop from the last.
    """
    if isinstance(names, str):
        raise TypeError(f"names must be a list of names, not one str ({names[:40]!r})")
    return teacher_forcing_pairs([vocab.encode(name) for name in names], vocab.id(BOUNDARY), vocab.id(PAD))


_MID_SENTENCE_CAPITAL = re.compile(r"(?<=[а-яё,;:] )([А-ЯЁ][а-яё]+)")
_LOWER_WORD = re.compile(r"(?<![А-ЯЁа-яё])[а-яё]+(?![А-ЯЁа-яё])")


def proper_nouns(text: str, min_count: int = 1) -> list[str]:
    """The words ``text`` writes with a capital letter in mid-sentence and never in lower case,
    lower-cased and sorted: names, patronymics, surnames and places, each case form on its own.

    "Mid-sentence" means after a lower-case letter or a comma, semicolon or colon and one space,
    so a capital that only starts a sentence is not taken. ``min_count`` drops the words seen
    fewer times (typos, one-off words).
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    min_count = positive_int("min_count", min_count)
    capitalised = Counter(_MID_SENTENCE_CAPITAL.findall(text))
    lower = set(_LOWER_WORD.findall(text))
    return sorted(word.lower() for word, n in capitalised.items()
                  if n >= min_count and word.lower() not in lower)


# ------------------------------------------------------------------ checks of the exercises


def check_two_layers(two_layer_rnn) -> bool:
    """Exercise 2: ``two_layer_rnn(x, rnn)`` gives the output ``out`` of ``rnn``, an
    ``nn.RNN(num_layers=2, batch_first=True)``, from its weights (layer by layer).

    Prints «не решено» while the function returns the placeholder, «верно» when its output equals
    torch's; raises :class:`~lecture_utils.exercises.CheckFailed` otherwise, saying so when the
    output is the first layer's alone.
    """
    name = "два слоя RNN"
    with torch.random.fork_rng(devices=[]):  # the student's random stream is left as it was
        torch.manual_seed(4)
        rnn = torch.nn.RNN(3, 5, num_layers=2, batch_first=True)
        x = torch.randn(2, 6, 3)
    with torch.no_grad():
        got = two_layer_rnn(x, rnn)
        if unsolved(got):
            return check_array(name, got, None)
        expected, _ = rnn(x)
        first = torch.nn.RNN(3, 5, batch_first=True)
        for weight in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(first, f"{weight}_l0").copy_(getattr(rnn, f"{weight}_l0"))
        first_out, _ = first(x)
    if isinstance(got, tuple):
        raise CheckFailed(f"{name}: верните один тензор out (batch, time, hidden), а не кортеж из {len(got)}")
    if hasattr(got, "shape") and tuple(got.shape) == tuple(first_out.shape) and \
            torch.allclose(torch.as_tensor(got, dtype=first_out.dtype), first_out, atol=1e-6):
        raise CheckFailed(f"{name}: это выход первого слоя; подайте его на вход второго слоя "
                          "(веса с окончанием _l1)")
    return check_array(name, got, expected, atol=1e-6)


def top_k_probabilities(scores: torch.Tensor, k: int) -> torch.Tensor:
    """The distribution top-k sampling draws from: softmax over the ``k`` highest of ``scores``
    (vocab,), zero elsewhere."""
    k = positive_int("k", k)
    if scores.ndim != 1 or not 1 <= k <= len(scores):
        raise ValueError(f"scores must be one row (vocab,) and k in 1..{scores.shape[-1]}, got shape "
                         f"{tuple(scores.shape)} and k={k}")
    top = torch.topk(scores.float(), k)
    probabilities = torch.zeros(len(scores))
    probabilities[top.indices] = torch.softmax(top.values, dim=-1)
    return probabilities


def check_top_k(sample_top_k, k: int = 3, n: int = 3000) -> bool:
    """Exercise 3: ``sample_top_k(scores, k, generator)`` draws one id from the ``k`` highest scores,
    in proportion to their softmax. ``n`` draws on fixed scores are compared with that distribution
    by a chi-square test (:func:`~lecture_utils.exercises.check_distribution`)."""
    name = f"top-{k}"
    # the highest scores are not the first ids, so that "the first k ids" is caught too
    scores = torch.tensor([0.3, -1.0, 1.2, 0.1, 2.0, -0.5, 1.5, 0.8, -2.0, 1.0])
    generator = torch.Generator().manual_seed(1)
    first = sample_top_k(scores.clone(), k, generator)
    if unsolved(first):
        return check_distribution(name, None, [])
    draws = [first, *(sample_top_k(scores.clone(), k, generator) for _ in range(n - 1))]
    try:
        draws = [int(draw) for draw in draws]
    except (TypeError, ValueError, RuntimeError):
        raise CheckFailed(f"{name}: sample_top_k должна вернуть один номер символа (int), получено "
                          f"{type(first).__name__}: {first!r}"[:300]) from None
    return check_distribution(name, draws, top_k_probabilities(scores, k).numpy())
