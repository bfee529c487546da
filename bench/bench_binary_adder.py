"""Binary addition: evaluating all 128×128 pairs one by one vs. in one batch.

The lecture's hand-written forward pass handles one pair; the package's
``forward_batch`` runs all pairs as one matrix product per time step. Both
compute the same states (tests/test_l03_binary_adder.py), so the ratio is what
batching buys when the notebook measures accuracy during training.
"""
from __future__ import annotations

import numpy as np

from lecture_utils import l03_binary_adder as ba
from lecture_utils.timing import best_of


def per_pair_forward(params, x):
    states = np.zeros(params["W"].shape[0])
    out = np.empty(len(x))
    for t in range(len(x)):
        states = ba.sigmoid(x[t] @ params["U"] + states @ params["W"] + params["b"])
        out[t] = ba.sigmoid(states @ params["V"] + params["c"])[0]
    return out


def run() -> list[dict]:
    params = ba.init_params(16, np.random.default_rng(0))
    a, b = (g.ravel() for g in np.meshgrid(np.arange(128), np.arange(128)))
    x, _ = ba.encode_pairs(a, b, 8)
    loop = best_of(lambda: [per_pair_forward(params, xi) for xi in x], repeats=3)
    batch = best_of(lambda: ba.forward_batch(params, x), repeats=20)
    return [{
        "benchmark": "binary adder: accuracy over 16,384 pairs",
        "what": "`forward_batch` vs. a per-pair loop (best of several runs)",
        "result": f"{loop / batch:.0f}× faster ({loop * 1e3:.0f} ms → {batch * 1e3:.1f} ms)",
    }]
