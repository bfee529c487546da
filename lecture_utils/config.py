"""Run mode, seeding and device choice: the three settings every notebook shares.

The run mode comes from the ``LECTURE_SMOKE`` environment variable:

* full (default) -- what students run and what the committed outputs show;
* smoke (``LECTURE_SMOKE=1``) -- the same cells with small iteration counts and
  data slices, set by the tests and CI.
"""
from __future__ import annotations

import importlib.abc
import importlib.util
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
    """Seed python's ``random``, numpy's global generator and torch (CPU and every CUDA device).

    Returns the seed so a notebook can also build its own ``np.random.default_rng(seed)``.

    Torch is seeded whatever the order of ``import torch`` and this call, without
    importing it here: its import takes seconds that the numpy lectures should not
    pay. If torch is not imported yet, a one-shot import hook seeds it right after
    its first import. Nothing can draw from torch's generator before that, so this
    gives exactly the numbers that seeding an imported torch gives.
    """
    random.seed(seed)
    np.random.seed(seed)
    _SeedTorchOnImport.disarm()  # a later call's seed replaces an earlier one's
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(seed)  # also seeds every CUDA device
    else:
        sys.meta_path.insert(0, _SeedTorchOnImport(seed))
    return seed


class _SeedTorchOnImport(importlib.abc.MetaPathFinder):
    """An import hook that calls ``torch.manual_seed(seed)`` once torch's first import has run.

    It answers only for the name ``torch``: it removes itself, asks the real finders
    for torch's spec and wraps the loader's ``exec_module`` to seed after executing it.
    """

    def __init__(self, seed: int):
        self.seed = seed

    @classmethod
    def disarm(cls) -> None:
        sys.meta_path[:] = [finder for finder in sys.meta_path if not isinstance(finder, cls)]

    def find_spec(self, name, path=None, target=None):
        if name != "torch":
            return None
        self.disarm()  # one shot, and the finders below must not find this one again
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:  # torch is not installed: nothing to seed
            return spec
        exec_module, seed = spec.loader.exec_module, self.seed

        def exec_and_seed(module):
            exec_module(module)
            module.manual_seed(seed)

        spec.loader.exec_module = exec_and_seed
        return spec


def get_device():
    """The torch device to train on: CUDA when available, otherwise the CPU."""
    import torch

    return torch.device("cuda" if torch.cuda.is_available() else "cpu")
