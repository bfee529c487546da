"""Lecture 01: its taught code (numpy RNN forward, Jacobian products, in the course notation) against torch,
and lecture_utils.l01_theory (spectral radius, the cliff, the adding problem trained with many seeds at once)."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch import nn

import lecture_utils
from lecture_utils import experiments, l01_theory
from lecture_utils.exercises import CheckFailed
from lecture_utils.teach import teach_namespace

from .conftest import ROOT

NOTEBOOK = ROOT / "notebooks" / "01_rnn_theory.ipynb"


@pytest.fixture(scope="module")
def lecture():
    return teach_namespace(NOTEBOOK)


ARGS = ("x", "h0", "W_xh", "W_hh", "b_h", "W_hy", "b_y")  # the lecture's order, in the course's notation


def random_rnn(rng):
    n_in, H, n_out, steps = rng.integers(1, 9, size=4)
    return dict(x=rng.normal(size=(steps, n_in)), h0=rng.normal(size=H),
                W_xh=rng.normal(size=(H, n_in)), W_hh=rng.normal(size=(H, H)) / np.sqrt(H),
                W_hy=rng.normal(size=(n_out, H)), b_h=rng.normal(size=H), b_y=rng.normal(size=n_out))


@pytest.mark.parametrize("seed", range(5))
def test_numpy_forward_matches_torch_rnn(lecture, seed):
    p = random_rnn(np.random.default_rng(seed))
    states, outputs = lecture["rnn_forward"](*(p[k] for k in ARGS))
    cell = nn.RNN(p["W_xh"].shape[1], len(p["h0"]), dtype=torch.float64)
    with torch.no_grad():
        cell.weight_ih_l0.copy_(torch.from_numpy(p["W_xh"]))
        cell.weight_hh_l0.copy_(torch.from_numpy(p["W_hh"]))
        cell.bias_ih_l0.copy_(torch.from_numpy(p["b_h"]))
        cell.bias_hh_l0.zero_()
        expected, _ = cell(torch.from_numpy(p["x"]), torch.from_numpy(p["h0"])[None])
        logits = expected @ torch.from_numpy(p["W_hy"]).T + torch.from_numpy(p["b_y"])
    np.testing.assert_allclose(states, expected.numpy(), atol=1e-12)
    np.testing.assert_allclose(outputs, torch.softmax(logits, -1).numpy(), atol=1e-12)
    np.testing.assert_allclose(outputs.sum(axis=1), 1.0)


def test_softmax_survives_large_logits(lecture):
    assert np.allclose(lecture["softmax"](np.array([1000.0, 1000.0])), [0.5, 0.5])


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("f", ["tanh", "linear"])
def test_state_jacobians_match_autograd(lecture, seed, f):
    p = random_rnn(np.random.default_rng(100 + seed))
    jacobians = lecture["state_jacobians"](*(p[k] for k in ARGS[:5]), f)
    assert len(jacobians) == len(p["x"])
    act = torch.tanh if f == "tanh" else (lambda a: a)
    W_xh, W_hh, b_h = (torch.from_numpy(p[k]) for k in ("W_xh", "W_hh", "b_h"))
    for steps, ours in enumerate(jacobians, start=1):
        def last_state(h, steps=steps):
            for x_t in torch.from_numpy(p["x"][:steps]):
                h = act(W_xh @ x_t + W_hh @ h + b_h)
            return h
        expected = torch.autograd.functional.jacobian(last_state, torch.from_numpy(p["h0"]))
        np.testing.assert_allclose(ours, expected.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_bptt_backward_matches_autograd_and_finite_differences(lecture, seed):
    rng = np.random.default_rng(200 + seed)
    p = random_rnn(rng)
    targets = rng.integers(len(p["b_y"]), size=len(p["x"]))
    loss, grads = lecture["rnn_backward"](p["x"], targets, *(p[k] for k in ARGS[1:]))
    params = {k: torch.tensor(p[k], requires_grad=True) for k in ARGS[2:]}
    h, expected = torch.from_numpy(p["h0"]), 0.0
    for x_t, y_t in zip(torch.from_numpy(p["x"]), targets):
        h = torch.tanh(params["W_xh"] @ x_t + params["W_hh"] @ h + params["b_h"])
        expected = expected - torch.log_softmax(params["W_hy"] @ h + params["b_y"], dim=0)[y_t]
    expected.backward()
    assert loss == pytest.approx(expected.item(), rel=1e-12)
    for name, param in params.items():
        np.testing.assert_allclose(grads[name], param.grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=name)
    # and one entry of W_hh by central differences, independent of torch
    i, j, eps = rng.integers(len(p["h0"])), rng.integers(len(p["h0"])), 1e-6
    plus, minus = p["W_hh"].copy(), p["W_hh"].copy()
    plus[i, j] += eps
    minus[i, j] -= eps
    loss_at = lambda W_hh: lecture["rnn_backward"](  # noqa: E731
        p["x"], targets, p["h0"], p["W_xh"], W_hh, p["b_h"], p["W_hy"], p["b_y"])[0]
    numeric = (loss_at(plus) - loss_at(minus)) / (2 * eps)
    assert grads["W_hh"][i, j] == pytest.approx(numeric, rel=1e-5, abs=1e-8)


def test_linear_jacobian_is_a_matrix_power(lecture):
    rng = np.random.default_rng(7)
    W_hh = rng.normal(size=(6, 6))
    jacobians = lecture["state_jacobians"](np.zeros((4, 2)), np.zeros(6), np.zeros((6, 2)), W_hh,
                                           np.zeros(6), "linear")
    np.testing.assert_allclose(jacobians[-1], np.linalg.matrix_power(W_hh, 4))


def test_state_jacobians_refuse_an_unknown_activation(lecture):
    """A name it does not know (say "relu", before exercise 2 is solved) is an error, not silently linear."""
    with pytest.raises(ValueError, match="activation must be 'tanh' or 'linear', got 'relu'"):
        lecture["state_jacobians"](np.zeros((3, 2)), np.zeros(4), np.zeros((4, 2)), np.eye(4), np.zeros(4), "relu")


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


# --- the adding problem, many seeds at once ------------------------------------------------------


def test_adding_batch_marks_one_value_in_each_half_and_sums_them():
    x, y = l01_theory.adding_batch(500, 30, generator=torch.Generator().manual_seed(0))
    assert x.shape == (500, 30, 2) and y.shape == (500,)
    marks = x[..., 1]
    assert torch.all(marks.sum(dim=1) == 2)
    assert torch.all(marks[:, :15].sum(dim=1) == 1) and torch.all(marks[:, 15:].sum(dim=1) == 1)
    torch.testing.assert_close(y, (x[..., 0] * marks).sum(dim=1))
    assert 0 <= x[..., 0].min() and x[..., 0].max() < 1


def test_adding_chance_level_is_the_variance_of_the_target():
    _, y = l01_theory.adding_batch(200_000, 4, generator=torch.Generator().manual_seed(1))
    assert abs(y.mean().item() - 1) < 0.01
    assert abs(((y - 1) ** 2).mean().item() - l01_theory.ADDING_CHANCE_MSE) < 0.003


@pytest.mark.parametrize("args, match", [((0, 5), "batch_size"),
                                         ((4, 1), r"steps must be at least 2 \(two marks in two halves\), got 1")])
def test_adding_batch_names_a_bad_size(args, match):
    with pytest.raises(ValueError, match=match):
        l01_theory.adding_batch(*args)


def tiny_adding(kind="lstm", **changes):
    config = dict(l01_theory.ADDING_SETTINGS, kind=kind, hidden=8, steps=6, budget=40, eval_every=10, eval_size=64,
                  batch_size=16, lr=0.01)
    if kind == "lstm":
        config["forget_bias"] = 1.0
    return config | changes


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_a_seed_trained_alone_equals_its_copy_in_a_batch(kind):
    together = l01_theory.train_adding(tiny_adding(kind), [0, 1, 2])
    alone = l01_theory.train_adding(tiny_adding(kind), [1])[0]
    assert together[1]["seed"] == alone["seed"] == 1
    np.testing.assert_allclose(together[1]["curve"], alone["curve"], rtol=1e-4, atol=1e-6)
    assert together[1]["updates"] == alone["updates"] == [0, 10, 20, 30, 40]
    assert together[0]["curve"] != together[1]["curve"]  # the seeds differ


def test_train_adding_learns_a_short_sum_and_records_when():
    (run,) = l01_theory.train_adding(tiny_adding("gru", budget=600, solved_mse=0.02, steps=4), [0])
    assert run["curve"][0] > 0.1 and run["best_mse"] < 0.02
    assert run["solved_at"] == next(u for u, m in zip(run["updates"], run["curve"]) if m < 0.02)
    assert run["trained"] == run["solved_at"] < 600  # stopped once every copy had solved it


def test_gradient_at_first_step_is_autograd_s_input_gradient():
    model = l01_theory.adding_model({"kind": "lstm", "hidden": 5, "forget_bias": 1.0}, [4, 9])
    x, y = l01_theory.adding_batch(3, 7, generator=torch.Generator().manual_seed(2))
    xs, ys = torch.stack([x, x]), torch.stack([y, y])
    got = l01_theory.gradient_at_first_step(model, xs, ys)
    for k, seed in enumerate([4, 9]):
        cell, head = model.reference(seed)
        inputs = x.clone().requires_grad_(True)
        out, _ = cell(inputs)
        ((head(out[:, -1]).squeeze(-1) - y) ** 2).sum().backward()
        torch.testing.assert_close(got[k], inputs.grad[:, 0].norm(dim=-1).mean(), rtol=1e-4, atol=1e-9)


def test_the_adding_sweeps_compare_one_protocol():
    for sweep, steps in zip(l01_theory.SWEEPS, l01_theory.ADDING_LENGTHS):
        assert sweep.batched and len(sweep.seeds) >= 5
        assert [c["steps"] for c in sweep.configs] == [steps] * len(l01_theory.ADDING_MODELS)
        assert not set(sweep.fixed) & {k for c in sweep.configs for k in c}  # the protocol is shared
    lstm = l01_theory.adding_model(l01_theory.ADDING_MODELS["LSTM, b_f = 1"], [0]).parameters_per_copy()
    rnn_128 = l01_theory.adding_model(l01_theory.ADDING_MODELS["RNN, 128 нейронов"], [0]).parameters_per_copy()
    assert (lstm, rnn_128) == (17473, 17025)
    assert l01_theory.ADDING_MODELS["RNN, ортогональная W_hh"]["init"] == "orthogonal"  # the notation's W_hh


# --- the shipped sweeps reproduce ------------------------------------------------------------------


def test_the_shortest_sweep_reproduces_one_configuration_exactly(one_thread):
    """One configuration of 01_adding_t020 (the GRU's, which stops early) re-run in full, all five
    seeds as one computation as make experiments ran it: every stored number comes back."""
    sweep = next(s for s in l01_theory.SWEEPS if s.configs[0]["steps"] == 20)
    gru = list(l01_theory.ADDING_MODELS).index("GRU")
    fresh = experiments.reproduce(sweep, gru, sweep.seeds[0], rtol=1e-5, atol=1e-7)
    assert fresh["solved_at"] is not None


@pytest.mark.parametrize("steps", [50, 100])
def test_the_longer_sweeps_reproduce_their_first_updates(steps, one_thread):
    """The T = 50 and T = 100 sweeps cost minutes per configuration, so the test re-runs the first
    300 updates of the tanh RNN's five seeds and compares the held-out curve with the stored one."""
    sweep = next(s for s in l01_theory.SWEEPS if s.configs[0]["steps"] == steps)
    shipped = experiments.load_results(sweep)
    config = dict(sweep.configs[0], **dict(sweep.fixed, budget=300))
    fresh = l01_theory.train_adding(config, sweep.seeds)
    for run, stored in zip(fresh, experiments.runs_of(shipped, 0)):
        points = len(run["curve"])
        np.testing.assert_allclose(run["curve"], stored["result"]["curve"][:points], rtol=1e-4, atol=1e-6)
        assert run["updates"] == stored["result"]["updates"][:points]


# --- exercise checks: each passes the reference solution and names a typical mistake --------------


def exercise_namespace(first_line: str) -> dict:
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    (source,) = ["".join(c["source"]) for c in cells if "".join(c["source"]).startswith(first_line)]
    rng = np.random.default_rng(3)
    namespace = dict(np=np, torch=torch, l01_theory=l01_theory, lu=lecture_utils, base_W=rng.normal(size=(6, 6)),
                     W_xh_demo=rng.normal(size=(6, 2)), x_demo=rng.normal(size=(12, 2)))
    exec(compile(source, NOTEBOOK.name, "exec"), namespace)  # defines the reference and runs its check
    return namespace


def test_exercise_2_check_passes_the_reference_and_names_a_missing_relu_slope(capsys):
    namespace = exercise_namespace("def relu_jacobians")
    assert "для ReLU: верно" in capsys.readouterr().out

    def no_slope(x, h0, W_xh, W_hh, b_h):  # the typical mistake: the product of W_hh alone, without [a_t > 0]
        J, jacobians = np.eye(len(h0)), []
        for _ in x:
            J = W_hh @ J
            jacobians.append(J)
        return jacobians

    with pytest.raises(CheckFailed, match=r"∂h_10/∂h_0 для ReLU\[\d+, \d+\]: ожидалось .*, получено"):
        namespace["check_relu_jacobians"](no_slope)
    assert namespace["check_relu_jacobians"](lambda *args: None) is False  # the student's edition: not solved
    assert "не решено" in capsys.readouterr().out
