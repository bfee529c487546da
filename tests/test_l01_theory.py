"""Lecture 01: its taught code (numpy RNN forward, Jacobian products) against torch, and lecture_utils.l01_theory
(spectral radius, the cliff, the memory task trained with fit)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from lecture_utils import l01_theory
from lecture_utils.models import LastStepClassifier
from lecture_utils.teach import teach_namespace

from .conftest import ROOT

NOTEBOOK = ROOT / "notebooks" / "01_rnn_theory.ipynb"


@pytest.fixture(scope="module")
def lecture():
    return teach_namespace(NOTEBOOK)


def random_rnn(rng):
    n_in, n_h, n_out, steps = rng.integers(1, 9, size=4)
    return dict(x=rng.normal(size=(steps, n_in)), s0=rng.normal(size=n_h),
                U=rng.normal(size=(n_h, n_in)), W=rng.normal(size=(n_h, n_h)) / np.sqrt(n_h),
                V=rng.normal(size=(n_out, n_h)), b=rng.normal(size=n_h), c=rng.normal(size=n_out))


@pytest.mark.parametrize("seed", range(5))
def test_numpy_forward_matches_torch_rnn(lecture, seed):
    p = random_rnn(np.random.default_rng(seed))
    states, outputs = lecture["rnn_forward"](p["x"], p["s0"], p["U"], p["W"], p["V"], p["b"], p["c"])
    cell = nn.RNN(p["U"].shape[1], len(p["s0"]), dtype=torch.float64)
    with torch.no_grad():
        cell.weight_ih_l0.copy_(torch.from_numpy(p["U"]))
        cell.weight_hh_l0.copy_(torch.from_numpy(p["W"]))
        cell.bias_ih_l0.copy_(torch.from_numpy(p["b"]))
        cell.bias_hh_l0.zero_()
        expected, _ = cell(torch.from_numpy(p["x"]), torch.from_numpy(p["s0"])[None])
        logits = expected @ torch.from_numpy(p["V"]).T + torch.from_numpy(p["c"])
    np.testing.assert_allclose(states, expected.numpy(), atol=1e-12)
    np.testing.assert_allclose(outputs, torch.softmax(logits, -1).numpy(), atol=1e-12)
    np.testing.assert_allclose(outputs.sum(axis=1), 1.0)


def test_softmax_survives_large_logits(lecture):
    assert np.allclose(lecture["softmax"](np.array([1000.0, 1000.0])), [0.5, 0.5])


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("f", ["tanh", "linear"])
def test_state_jacobians_match_autograd(lecture, seed, f):
    p = random_rnn(np.random.default_rng(100 + seed))
    jacobians = lecture["state_jacobians"](p["W"], p["U"], p["b"], p["x"], p["s0"], f)
    assert len(jacobians) == len(p["x"])
    act = torch.tanh if f == "tanh" else (lambda a: a)
    W, U, b = (torch.from_numpy(p[k]) for k in "WUb")
    for steps, ours in enumerate(jacobians, start=1):
        def final_state(s, steps=steps):
            for x_t in torch.from_numpy(p["x"][:steps]):
                s = act(b + W @ s + U @ x_t)
            return s
        expected = torch.autograd.functional.jacobian(final_state, torch.from_numpy(p["s0"]))
        np.testing.assert_allclose(ours, expected.numpy(), rtol=1e-10, atol=1e-12)


def test_linear_jacobian_is_a_matrix_power(lecture):
    rng = np.random.default_rng(7)
    W = rng.normal(size=(6, 6))
    jacobians = lecture["state_jacobians"](W, np.zeros((6, 2)), np.zeros(6), np.zeros((4, 2)),
                                           np.zeros(6), "linear")
    np.testing.assert_allclose(jacobians[-1], np.linalg.matrix_power(W, 4))


def test_with_spectral_radius():
    W = np.random.default_rng(0).normal(size=(10, 10))
    scaled = l01_theory.with_spectral_radius(W, 1.3)
    assert np.isclose(np.max(np.abs(np.linalg.eigvals(scaled))), 1.3)
    with pytest.raises(ValueError, match="square"):
        l01_theory.with_spectral_radius(np.ones((2, 3)), 1.0)
    with pytest.raises(ValueError, match="nilpotent"):
        l01_theory.with_spectral_radius(np.triu(np.ones((3, 3)), 1), 1.0)


def test_cliff_loss_has_a_wall():
    w = torch.linspace(0.5, 3.0, 501, requires_grad=True)
    loss = l01_theory.cliff_loss(w)
    (grad,) = torch.autograd.grad(loss.sum(), w)
    assert grad.abs().max() > 100 * grad[-1].abs()      # a steep wall among gentle slopes
    assert loss[0] > 1 and loss[-1] < 0.1


def test_first_symbol_batch():
    x, y = l01_theory.first_symbol_batch(64, 9, generator=torch.Generator().manual_seed(0))
    assert x.shape == (64, 10, 8) and y.shape == (64,)
    assert torch.equal(x[:, 0].argmax(1), y)                 # the class is the first symbol
    assert (x[:, 1:].argmax(-1) >= 4).all()                  # the rest is noise
    with pytest.raises(ValueError, match="distractors must be a non-negative integer, got -1"):
        l01_theory.first_symbol_batch(4, -1)



# --- steps_to_solve: the memory task trained with fit ----------------------------------------


def hand_written_steps_to_solve(model, distractors, *, budget, batch_size=32, lr=3e-3, clip=1.0, eval_every=10,
                                eval_size=500, target=0.99, seed=0):
    """The loop steps_to_solve ran before it used fit (afa8c22), kept as the oracle: (solved_at, steps, accuracy)."""
    x_eval, y_eval = l01_theory.first_symbol_batch(eval_size, distractors,
                                                   generator=torch.Generator().manual_seed(seed + 1))
    data = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    steps, accuracies = [], []
    for step in range(1, budget + 1):
        x, y = l01_theory.first_symbol_batch(batch_size, distractors, generator=data)
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        if step % eval_every == 0 or step == budget:
            with torch.no_grad():
                accuracy = (model(x_eval).argmax(dim=1) == y_eval).float().mean().item()
            steps.append(step)
            accuracies.append(accuracy)
            if accuracy >= target:
                return step, steps, accuracies
    return None, steps, accuracies


def memory_model(cell="lstm"):
    torch.manual_seed(0)
    return LastStepClassifier(cell, 8, 16, 4, forget_bias=1.0 if cell == "lstm" else None)


def test_steps_to_solve_solves_the_trivial_task_and_stops_at_the_first_success():
    run = l01_theory.steps_to_solve(memory_model(), 0, budget=300, lr=0.02, eval_every=10)
    assert run.solved_at is not None and run.accuracy[-1] >= 0.99
    assert run.steps == list(range(10, run.solved_at + 1, 10))  # measured every 10 updates, then stopped
    assert all(accuracy < 0.99 for accuracy in run.accuracy[:-1])


@pytest.mark.parametrize("cell, distractors, budget, eval_every", [
    ("lstm", 10, 400, 10),  # solved within the budget (at 80)
    ("rnn", 12, 25, 10),    # not solved; the budget is not a multiple of eval_every: measured at 10, 20, 25
])
def test_steps_to_solve_measures_what_the_hand_written_loop_measured(cell, distractors, budget, eval_every):
    expected = hand_written_steps_to_solve(memory_model(cell), distractors, budget=budget, lr=0.02,
                                           eval_every=eval_every)
    run = l01_theory.steps_to_solve(memory_model(cell), distractors, budget=budget, lr=0.02, eval_every=eval_every)
    assert (run.solved_at, run.steps) == expected[:2]
    assert run.accuracy == pytest.approx(expected[2], abs=1e-6)  # a float32 mean then, right / 500 in float64 now
    if cell == "lstm":
        assert run.solved_at is not None
    else:
        assert run.solved_at is None and run.steps == [10, 20, 25]


def test_steps_to_solve_checks_its_counts():
    for name in ("budget", "eval_every", "eval_size", "batch_size"):
        with pytest.raises(ValueError, match=f"{name} must be a positive integer, got 0"):
            l01_theory.steps_to_solve(memory_model(), 0, **{"budget": 10, name: 0})


@pytest.mark.parametrize("args, match", [
    ((True, 3), "batch_size must be a positive integer"),
    ((2.5, 3), "batch_size must be a positive integer"),
    ((4, -1), "distractors must be a non-negative integer"),
])
def test_first_symbol_batch_names_a_bad_size(args, match):
    with pytest.raises(ValueError, match=match):
        l01_theory.first_symbol_batch(*args)
    with pytest.raises(ValueError, match="n_signals must be at least 2"):
        l01_theory.first_symbol_batch(4, 3, n_signals=1)
