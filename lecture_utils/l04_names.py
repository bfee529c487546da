"""Lecture 04: names as training data -- a seeded split and teacher-forcing tensors with boundary tokens.

The generic parts live in the core (:func:`~lecture_utils.sequences.shuffle_split`,
:func:`~lecture_utils.sequences.teacher_forcing_pairs`, :func:`~lecture_utils.sampling.generate_names`);
this module names them for the lecture's data.
"""
from __future__ import annotations

import pandas as pd
import torch

from .checks import non_negative_int
from .sequences import shuffle_split, teacher_forcing_pairs
from .text import BOUNDARY, PAD, Vocab

__all__ = ["BOUNDARY", "PAD", "name_tensors", "split_names"]


def split_names(names: pd.DataFrame, val_fraction: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Shuffle the rows with ``seed`` and cut off ``val_fraction`` of them for validation.

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
