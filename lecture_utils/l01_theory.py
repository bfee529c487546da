"""Lecture 01: small experiments on how gradients and memory flow through time.

* :func:`with_spectral_radius` -- rescale a recurrent matrix to a chosen spectral radius;
* :func:`cliff_loss` -- a one-weight RNN whose loss has a cliff (an exploding-gradient wall);
* :func:`first_symbol_batch`, :func:`steps_to_solve` -- a task that needs memory across T steps:
  name the first symbol after T distractors, trained with the package's :func:`~lecture_utils.training.fit`.

The memory task: a sequence is one signal symbol (the class, one of ``n_signals``) followed by
``distractors`` random noise symbols; the model reads it all and must answer the class at the
last step. Nothing but the first step carries information, so the gradient that teaches the
answer has to travel back ``distractors`` steps.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from .checks import non_negative_int, positive_int
from .training import BatchLoss, fit


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


def first_symbol_batch(batch_size: int, distractors: int, *, n_signals: int = 4, n_noise: int = 4,
                       generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """One-hot inputs ``(batch, distractors + 1, n_signals + n_noise)`` and the class of each sequence.

    Symbol ids ``0 .. n_signals-1`` are the signals (only at step 0); the rest are noise.
    """
    batch_size, n_noise = positive_int("batch_size", batch_size), positive_int("n_noise", n_noise)
    distractors = non_negative_int("distractors", distractors)
    if positive_int("n_signals", n_signals) < 2:
        raise ValueError(f"n_signals must be at least 2 (one class is no task), got {n_signals!r}")
    labels = torch.randint(n_signals, (batch_size,), generator=generator)
    noise = torch.randint(n_signals, n_signals + n_noise, (batch_size, distractors), generator=generator)
    ids = torch.cat([labels[:, None], noise], dim=1)
    return nn.functional.one_hot(ids, n_signals + n_noise).float(), labels


@dataclass
class MemoryRun:
    """What one training run measured: the step it solved the task at (None: not within budget)."""
    solved_at: int | None
    steps: list[int] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)


class FreshBatches:
    """``steps`` new training batches of the memory task on every pass (one "epoch" of ``fit``),
    drawn from one generator, so every pass continues the same seeded stream of data; with
    ``total``, the passes stop once that many batches have been drawn (the last one is shorter)."""

    def __init__(self, steps: int, batch_size: int, distractors: int, generator: torch.Generator,
                 total: int | None = None, **make):
        self.steps, self.batch_size, self.distractors = steps, batch_size, distractors
        self.generator, self.make, self.left = generator, make, total

    def __len__(self) -> int:
        return self.steps

    def __iter__(self):
        count = self.steps if self.left is None else min(self.steps, self.left)
        for _ in range(count):
            if self.left is not None:
                self.left -= 1
            yield first_symbol_batch(self.batch_size, self.distractors, generator=self.generator, **self.make)


def classification_loss(model, batch, state=None) -> BatchLoss:
    """Cross-entropy summed over the sequences of ``batch = (inputs, classes)``, and the number right."""
    x, y = batch
    logits = model(x)
    loss = nn.functional.cross_entropy(logits, y, reduction="sum")
    return BatchLoss(loss, len(y), {"accuracy": int((logits.argmax(dim=1) == y).sum())})


def steps_to_solve(model: nn.Module, distractors: int, *, budget: int, batch_size: int = 32,
                   lr: float = 3e-3, clip: float = 1.0, eval_every: int = 10, eval_size: int = 500,
                   target: float = 0.99, seed: int = 0, n_signals: int = 4, n_noise: int = 4) -> MemoryRun:
    """Train ``model`` with :func:`~lecture_utils.training.fit` on fresh batches until its accuracy
    on a fixed held-out batch reaches ``target`` or ``budget`` updates have been made; return
    the accuracy curve. One epoch of ``fit`` is ``eval_every`` updates (the last one fewer when
    ``budget`` is not a multiple of ``eval_every``), and the model is measured after each.

    The held-out batch and the training batches come from generators seeded by ``seed``, so
    every model in a comparison sees the same data.
    """
    budget, eval_every = positive_int("budget", budget), positive_int("eval_every", eval_every)
    make = dict(n_signals=n_signals, n_noise=n_noise)
    held_out = [first_symbol_batch(positive_int("eval_size", eval_size), distractors,
                                   generator=torch.Generator().manual_seed(seed + 1), **make)]
    train = FreshBatches(eval_every, positive_int("batch_size", batch_size), distractors,
                         torch.Generator().manual_seed(seed), total=budget, **make)
    run = MemoryRun(solved_at=None)

    def solved(epoch: int, history) -> bool:
        run.steps.append(min((epoch + 1) * eval_every, budget))
        run.accuracy.append(history.val_metrics["accuracy"][-1])
        if run.accuracy[-1] >= target:
            run.solved_at = run.steps[-1]
        return run.solved_at is not None

    fit(model, train, held_out, loss_fn=classification_loss, epochs=-(-budget // eval_every), lr=lr, clip=clip,
        on_epoch=solved, show_progress=False)
    return run
