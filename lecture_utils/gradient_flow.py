"""Small experiments of lecture 01 on how gradients flow back through time.

* :func:`with_spectral_radius` -- rescale a recurrent matrix to a chosen spectral radius;
* :func:`cliff_loss` -- a one-weight RNN whose loss has a cliff (an exploding-gradient wall).
"""
from __future__ import annotations

import numpy as np
import torch


def with_spectral_radius(matrix: np.ndarray, radius: float) -> np.ndarray:
    """``matrix`` scaled so that its largest eigenvalue modulus is ``radius``."""
    matrix = np.asarray(matrix, dtype=float)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"need a square matrix, got shape {matrix.shape}")
    current = np.max(np.abs(np.linalg.eigvals(matrix)))
    if current == 0:
        raise ValueError("the matrix is nilpotent (spectral radius 0): it cannot be rescaled")
    return matrix * (radius / current)


def cliff_loss(w: torch.Tensor, *, steps: int = 15, bias: float = -0.25, start: float = 0.5,
               target: float = 0.7) -> torch.Tensor:
    """``(s_T - target)**2`` for the scalar RNN ``s_t = tanh(w s_{t-1} + bias)``, elementwise in ``w``.

    For ``w`` past about 1.59 the map gets a second, positive fixed point that keeps ``s_0 = 0.5``;
    below, the state falls to the negative one. Near that bifurcation ``s_T`` jumps, and the loss
    has a wall whose slope grows with ``steps``.
    """
    state = torch.full_like(w, start)
    for _ in range(steps):
        state = torch.tanh(w * state + bias)
    return (state - target) ** 2
