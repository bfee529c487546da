"""Lecture 01's taught code (numpy RNN forward, Jacobian products) against torch, and its helpers."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from lecture_utils import gradient_flow, memory_task

from .conftest import ROOT, teach_namespace

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
        def final_state(s):
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
    scaled = gradient_flow.with_spectral_radius(W, 1.3)
    assert np.isclose(np.max(np.abs(np.linalg.eigvals(scaled))), 1.3)
    with pytest.raises(ValueError, match="square"):
        gradient_flow.with_spectral_radius(np.ones((2, 3)), 1.0)
    with pytest.raises(ValueError, match="nilpotent"):
        gradient_flow.with_spectral_radius(np.triu(np.ones((3, 3)), 1), 1.0)


def test_cliff_loss_has_a_wall():
    w = torch.linspace(0.5, 3.0, 501, requires_grad=True)
    loss = gradient_flow.cliff_loss(w)
    (grad,) = torch.autograd.grad(loss.sum(), w)
    assert grad.abs().max() > 100 * grad[-1].abs()      # a steep wall among gentle slopes
    assert loss[0] > 1 and loss[-1] < 0.1


def test_first_symbol_batch():
    x, y = memory_task.first_symbol_batch(64, 9, generator=torch.Generator().manual_seed(0))
    assert x.shape == (64, 10, 8) and y.shape == (64,)
    assert torch.equal(x[:, 0].argmax(1), y)                 # the class is the first symbol
    assert (x[:, 1:].argmax(-1) >= 4).all()                  # the rest is noise
    with pytest.raises(ValueError, match="distractors=-1"):
        memory_task.first_symbol_batch(4, -1)


def test_set_forget_bias_sets_the_sum_of_both_biases():
    lstm = nn.LSTM(3, 5, num_layers=2)
    memory_task.set_forget_bias(lstm, 1.5)
    for layer in range(2):
        total = getattr(lstm, f"bias_ih_l{layer}") + getattr(lstm, f"bias_hh_l{layer}")
        assert torch.allclose(total[5:10], torch.full((5,), 1.5))
    with pytest.raises(ValueError, match="needs an LSTM"):
        memory_task.LastStepClassifier("rnn", 8, 4, 4, forget_bias=1.0)


def test_steps_to_solve_solves_the_trivial_task():
    torch.manual_seed(0)
    model = memory_task.LastStepClassifier("lstm", 8, 16, 4, forget_bias=1.0)
    run = memory_task.steps_to_solve(model, 0, budget=300, lr=0.02, eval_every=10)
    assert run.solved_at is not None and run.accuracy[-1] >= 0.99
    assert run.steps[-1] == run.solved_at
