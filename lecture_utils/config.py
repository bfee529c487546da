"""Run mode, seeding and device choice: the three settings every notebook shares.

The run mode comes from the ``LECTURE_SMOKE`` environment variable:

* full (default) -- what students run and what the committed outputs show;
* smoke (``LECTURE_SMOKE=1``) -- the same cells with small iteration counts and
  data slices, set by the tests and CI.
"""
from __future__ import annotations

import os
import random
import sys

import numpy as np

SEED = 42
"""The one seed of the course: every notebook calls :func:`seed_everything`."""


def is_smoke() -> bool:
    """True when ``LECTURE_SMOKE`` is set to a true value (1, true, yes, on)."""
    return os.environ.get("LECTURE_SMOKE", "").strip().lower() in {"1", "true", "yes", "on"}


def mode_name() -> str:
    """``"smoke"`` or ``"full"``, for printing at the top of a notebook."""
    return "smoke" if is_smoke() else "full"


def by_mode(full, smoke):
    """Pick the value for the current mode: ``n_iter = by_mode(full=10_000, smoke=1_000)``."""
    return smoke if is_smoke() else full


def seed_everything(seed: int = SEED) -> int:
    """Seed python's ``random``, numpy's global generator and torch (CPU and CUDA).

    Returns the seed so a notebook can also build its own ``np.random.default_rng(seed)``.
    Torch is seeded when it has been imported: the numpy lectures do not pay the
    second or two its import takes, and the torch lectures import it first.
    """
    random.seed(seed)
    np.random.seed(seed)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(seed)  # also seeds every CUDA device
    return seed


def get_device():
    """The torch device to train on: CUDA when available, otherwise the CPU."""
    import torch

    return torch.device("cuda" if torch.cuda.is_available() else "cpu")
