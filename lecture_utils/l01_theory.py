"""Lecture 01: small experiments on how gradients and memory flow through time.

* :func:`with_spectral_radius` -- rescale a recurrent matrix to a chosen spectral radius;
* :func:`cliff_loss` -- a one-weight RNN whose loss has a cliff (an exploding-gradient wall);
* :func:`adding_batch`, :func:`train_adding`, :data:`SWEEPS` -- the memory experiment: the adding
  problem (two marked values among T, predict their sum), every model of :data:`ADDING_MODELS`
  trained with five seeds at once (:mod:`lecture_utils.seedbatch`), shipped by ``make experiments``;
* :func:`gradient_at_first_step` -- how strongly the loss reaches back to the first input.

Why the adding problem: the marked value looks like every other value and may sit anywhere in the
first half, so the network must store a real number across up to T - 1 steps of inputs like it.
An earlier task of this lecture (one class symbol at step 0, then distractors from another
alphabet) could be solved by latching the first symbol into the state, which a plain RNN learns
quickly -- Hochreiter and Schmidhuber showed such tasks fall even to random weight guessing.
"""
from __future__ import annotations

import numpy as np
import torch

from .checks import positive_int
from .experiments import Sweep
from .seedbatch import SeedBatchedRNN, clip_per_seed


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
    """``(h_T - target)**2`` for the scalar RNN ``h_t = tanh(w h_{t-1} + bias)``, elementwise in ``w``.

    For ``w`` past about 1.59 the map gets a second, positive fixed point that keeps ``h_0 = 0.5``;
    below, the state falls to the negative one. Near that bifurcation ``h_T`` jumps, and the loss
    has a wall whose slope grows with ``steps``.
    """
    state = torch.full_like(w, start)
    for _ in range(steps):
        state = torch.tanh(w * state + bias)
    return (state - target) ** 2


# ------------------------------------------------------------------ the adding problem, many seeds at once

ADDING_CHANCE_MSE = 1 / 6
"""Always answering 1 (the mean of a sum of two U(0, 1) values) scores their variance, 2/12."""


def adding_batch(batch_size: int, steps: int, *, generator: torch.Generator | None = None
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """The adding problem: inputs ``(batch, steps, 2)`` and targets ``(batch,)``.

    Channel 0 holds ``steps`` values drawn from U(0, 1); channel 1 marks two of them, one in the
    first half of the sequence and one in the second. The target is the sum of the two marked
    values, read after the last step, so the first mark must be kept across up to ``steps`` - 1
    steps of values that look exactly like it. Predicting the mean (1) scores
    :data:`ADDING_CHANCE_MSE`.
    """
    batch_size = positive_int("batch_size", batch_size)
    if positive_int("steps", steps) < 2:
        raise ValueError(f"steps must be at least 2 (two marks in two halves), got {steps!r}")
    values = torch.rand(batch_size, steps, generator=generator)
    half = steps // 2
    first = torch.randint(0, half, (batch_size,), generator=generator)
    second = torch.randint(half, steps, (batch_size,), generator=generator)
    marks = torch.zeros(batch_size, steps)
    rows = torch.arange(batch_size)
    marks[rows, first] = 1.0
    marks[rows, second] = 1.0
    return torch.stack([values, marks], dim=-1), (values * marks).sum(dim=1)


def adding_model(config: dict, seeds) -> SeedBatchedRNN:
    """The copies a configuration of the adding sweep trains: ``config`` names ``kind``, ``hidden``
    and optionally ``forget_bias`` and ``init``."""
    return SeedBatchedRNN(config["kind"], 2, config["hidden"], 1, seeds,
                          forget_bias=config.get("forget_bias"), init=config.get("init", "torch"))


def _seed_batches(seeds, batch_size: int, steps: int, generators) -> tuple[torch.Tensor, torch.Tensor]:
    pairs = [adding_batch(batch_size, steps, generator=g) for g in generators]
    return torch.stack([x for x, _ in pairs]), torch.stack([y for _, y in pairs])


def gradient_at_first_step(model, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Per copy, the mean over sequences of ``|dL/dx_1|``: how strongly the loss at the end reaches
    back to the input at the first step (``(seeds,)``; L is each sequence's squared error)."""
    x = x.clone().requires_grad_(True)
    with torch.enable_grad():
        pred = model(x).squeeze(-1)
        ((pred - y) ** 2).sum().backward(inputs=[x])
    return x.grad[:, :, 0].norm(dim=-1).mean(dim=1).detach()


def train_adding(config: dict, seeds, *, log_every: int | None = None) -> list[dict]:
    """Train one configuration of the adding problem for every seed at once; one dict per seed.

    ``config``: ``kind``, ``hidden``, ``steps`` (sequence length T), ``budget`` (updates),
    ``batch_size``, ``lr`` (Adam), ``clip`` (per copy), ``eval_every``, ``eval_size``,
    ``solved_mse`` and optionally ``forget_bias``, ``init``. Copy ``k`` draws its training batches
    from a generator seeded by ``seeds[k]`` and is measured on a held-out set seeded by
    ``10_000 + seeds[k]``, so every model sees the same data for the same seed, and a run with
    ``seeds=[s]`` equals the matching copy of a batched run.

    Each dict: the held-out MSE after every ``eval_every`` updates (``curve``), the first update
    count at which it fell below ``solved_mse`` (``solved_at``, None if never), the final MSE,
    and the gradient norm at the first step (:func:`gradient_at_first_step`) at initialisation
    and after training. Training stops early once every copy has solved the task (``trained``
    says after how many updates).
    """
    seeds = list(seeds)
    steps, batch_size = config["steps"], config["batch_size"]
    budget, eval_every = positive_int("budget", config["budget"]), positive_int("eval_every", config["eval_every"])
    model = adding_model(config, seeds)
    train_gens = [torch.Generator().manual_seed(s) for s in seeds]
    x_val, y_val = _seed_batches(seeds, config["eval_size"], steps,
                                 [torch.Generator().manual_seed(10_000 + s) for s in seeds])
    optimizer = torch.optim.Adam(model.parameters(), lr=config["lr"])

    def held_out_mse() -> list[float]:
        with torch.no_grad():
            return ((model(x_val).squeeze(-1) - y_val) ** 2).mean(dim=1).tolist()

    grad_init = gradient_at_first_step(model, x_val[:, :256], y_val[:, :256]).tolist()
    curve: list[list[float]] = [held_out_mse()]
    for update in range(1, budget + 1):
        x, y = _seed_batches(seeds, batch_size, steps, train_gens)
        loss = ((model(x).squeeze(-1) - y) ** 2).mean(dim=1).sum()  # copies' losses add; gradients stay apart
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        clip_per_seed(list(model.parameters()), config["clip"])
        optimizer.step()
        if update % eval_every == 0 or update == budget:
            curve.append(held_out_mse())
            if log_every and update % log_every == 0:
                print(f"{config['kind']} T={steps} update {update}: " + " ".join(f"{m:.4f}" for m in curve[-1]))
            solved_now = [min(point[k] for point in curve) < config["solved_mse"] for k in range(len(seeds))]
            if all(solved_now):  # every copy has solved it: the rest of the budget would measure nothing new
                break
    grad_end = gradient_at_first_step(model, x_val[:, :256], y_val[:, :256]).tolist()
    updates = [0] + [min(k * eval_every, budget) for k in range(1, len(curve))]
    trained = updates[-1]
    runs = []
    for k, seed in enumerate(seeds):
        mses = [point[k] for point in curve]
        solved = next((u for u, m in zip(updates, mses) if m < config["solved_mse"]), None)
        runs.append({"seed": seed, "updates": updates, "trained": trained, "curve": [round(m, 6) for m in mses],
                     "solved_at": solved, "final_mse": round(mses[-1], 6), "best_mse": round(min(mses), 6),
                     "grad_first_step_init": grad_init[k], "grad_first_step_end": grad_end[k]})
    return runs


ADDING_MODELS: dict[str, dict] = {
    "RNN": {"kind": "rnn", "hidden": 64},
    "RNN, ортогональная W_hh": {"kind": "rnn", "hidden": 64, "init": "orthogonal"},
    "RNN, 128 нейронов": {"kind": "rnn", "hidden": 128},
    "LSTM, b_f = 0": {"kind": "lstm", "hidden": 64, "forget_bias": 0.0},
    "LSTM, b_f = 1": {"kind": "lstm", "hidden": 64, "forget_bias": 1.0},
    "LSTM, b_f = 2": {"kind": "lstm", "hidden": 64, "forget_bias": 2.0},
    "GRU": {"kind": "gru", "hidden": 64},
}
"""The models the memory experiment compares, by the label the lecture shows. Equal hidden size (64)
for all, and a tanh RNN with 128 neurons, whose 17,025 parameters match the LSTM's 17,473."""

ADDING_LENGTHS = (20, 50, 100)
ADDING_SEEDS = (0, 1, 2, 3, 4)
ADDING_SETTINGS = {"batch_size": 64, "lr": 1e-3, "clip": 1.0, "budget": 5000, "eval_every": 100,
                   "eval_size": 500, "solved_mse": 0.01}
"""One protocol for every model: Adam at 1e-3, per-copy clipping at 1, batches of 64 fresh sequences,
5,000 updates at most, "solved" = held-out MSE below 0.01 (6 % of chance)."""


def adding_sweep(steps: int) -> Sweep:
    """The shipped sweep of the adding problem at sequence length ``steps``: every model x 5 seeds."""
    return Sweep(lecture=1, name=f"adding_t{steps:03d}", function="lecture_utils.l01_theory:train_adding",
                 configs=tuple(dict(model, steps=steps) for model in ADDING_MODELS.values()),
                 seeds=ADDING_SEEDS, fixed=ADDING_SETTINGS, batched=True)


SWEEPS = [adding_sweep(steps) for steps in ADDING_LENGTHS]
