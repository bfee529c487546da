"""Names as training data: a seeded split and padded tensors with boundary tokens."""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from .text import Vocab

PAD, BOUNDARY = "<pad>", "<b>"


def split_names(names: pd.DataFrame, val_fraction: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Shuffle the rows with ``seed`` and cut off ``val_fraction`` of them for validation.

    ``val_fraction`` must lie strictly between 0 and 1 and leave both parts non-empty.
    """
    if not 0 < val_fraction < 1:  # also refuses NaN; outside (0, 1) the slices would swap the parts
        raise ValueError(f"val_fraction must lie strictly between 0 and 1, got {val_fraction!r}")
    order = np.random.default_rng(seed).permutation(len(names))
    n_val = int(round(len(names) * val_fraction))
    if not 0 < n_val < len(names):
        raise ValueError(f"val_fraction={val_fraction} of {len(names)} names leaves "
                         f"{n_val} for validation and {len(names) - n_val} for training: both need at least one")
    return names.iloc[order[n_val:]].reset_index(drop=True), names.iloc[order[:n_val]].reset_index(drop=True)


def name_tensors(names, vocab: Vocab) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs ``<b> + name`` and targets ``name + <b>``, padded with ``<pad>`` to one length.

    "анна" gives the input ``<b> а н н а`` and the target ``а н н а <b>``: the model
    learns the first letter from the boundary token and when to stop from the last.
    """
    pad, boundary = vocab.id(PAD), vocab.id(BOUNDARY)
    encoded = [vocab.encode(name) for name in names]
    if not encoded:
        raise ValueError("no names to encode")
    length = max(map(len, encoded)) + 1
    inputs = torch.full((len(encoded), length), pad, dtype=torch.long)
    targets = torch.full((len(encoded), length), pad, dtype=torch.long)
    for row, ids in enumerate(encoded):
        inputs[row, :len(ids) + 1] = torch.tensor([boundary, *ids])
        targets[row, :len(ids) + 1] = torch.tensor([*ids, boundary])
    return inputs, targets
