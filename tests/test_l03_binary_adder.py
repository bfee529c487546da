"""The binary-addition lecture: bit helpers, and the notebook's hand-written BPTT."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from lecture_utils import binary_adder as ba

from .conftest import ROOT, teach_namespace

NOTEBOOK = ROOT / "notebooks" / "03_binary_addition.ipynb"


@pytest.fixture(scope="module")
def lecture():
    return teach_namespace(NOTEBOOK)


def test_bits_round_trip_least_significant_first():
    assert ba.int_to_bits(6, 4).tolist() == [0, 1, 1, 0]
    values = np.arange(256)
    assert np.array_equal(ba.bits_to_int(ba.int_to_bits(values, 8)), values)
    assert ba.bits_to_int(np.array([0.2, 0.7, 0.51])) == 6


@pytest.mark.parametrize("bad", [-1, 256])
def test_bits_reject_values_that_do_not_fit(bad):
    with pytest.raises(ValueError, match="2\\*\\*8"):
        ba.int_to_bits(bad, 8)


def test_encode_pairs_targets_are_the_sum():
    x, y = ba.encode_pairs(np.array([3, 100]), np.array([5, 27]), 8)
    assert x.shape == (2, 8, 2) and y.shape == (2, 8, 1)
    assert ba.bits_to_int(y[..., 0]).tolist() == [8, 127]


def random_params(rng, hidden=5):
    params = ba.init_params(hidden, rng)
    params["b"] = rng.normal(size=hidden)
    params["c"] = rng.normal(size=1)
    return params


def test_notebook_forward_matches_the_batched_forward(lecture):
    rng = np.random.default_rng(0)
    params = random_params(rng, hidden=7)
    x, _ = ba.encode_pairs(rng.integers(0, 2**11, 6), rng.integers(0, 2**11, 6), 12)
    states, probs = ba.forward_batch(params, x)
    for i in range(len(x)):
        s, y_hat = lecture["forward"](params, x[i])
        np.testing.assert_allclose(s[1:], states[i], rtol=0, atol=1e-12)
        np.testing.assert_allclose(y_hat, probs[i], rtol=0, atol=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_notebook_bptt_matches_torch_autograd(lecture, seed):
    rng = np.random.default_rng(seed)
    params = random_params(rng, hidden=int(rng.integers(2, 9)))
    width = int(rng.integers(3, 12))
    x, y = ba.encode_pairs(rng.integers(0, 2 ** (width - 1)), rng.integers(0, 2 ** (width - 1)), width)
    loss, grads, _ = lecture["loss_and_grads"](params, x, y)

    t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    s = torch.zeros(params["W"].shape[0], dtype=torch.float64)
    torch_loss = 0
    for step in range(width):
        s = torch.sigmoid(torch.tensor(x[step]) @ t["U"] + s @ t["W"] + t["b"])
        logit = s @ t["V"] + t["c"]
        torch_loss = torch_loss + torch.nn.functional.binary_cross_entropy_with_logits(
            logit, torch.tensor(y[step]), reduction="sum")
    torch_loss.backward()
    assert loss == pytest.approx(torch_loss.item(), rel=1e-10)
    for name in params:
        np.testing.assert_allclose(grads[name], t[name].grad.numpy(), rtol=1e-9, atol=1e-12)


def test_notebook_bptt_matches_finite_differences(lecture):
    rng = np.random.default_rng(7)
    params = random_params(rng, hidden=4)
    x, y = ba.encode_pairs(45, 77, 8)
    _, grads, _ = lecture["loss_and_grads"](params, x, y)
    eps = 1e-6
    for name, value in params.items():
        for index in np.ndindex(value.shape):
            old = value[index]
            value[index] = old + eps
            plus = lecture["loss_and_grads"](params, x, y)[0]
            value[index] = old - eps
            minus = lecture["loss_and_grads"](params, x, y)[0]
            value[index] = old
            numeric = (plus - minus) / (2 * eps)
            assert abs(numeric - grads[name][index]) <= 1e-6 * max(1.0, abs(numeric)), (name, index)


def test_untrained_net_does_not_add():
    params = ba.init_params(16, np.random.default_rng(0))
    a, b = np.meshgrid(np.arange(128), np.arange(128))
    assert ba.addition_accuracy(params, a.ravel(), b.ravel(), 8) < 0.05


@pytest.mark.parametrize("seed", range(2))
def test_notebook_squared_error_gradient_matches_torch_autograd(lecture, seed):
    rng = np.random.default_rng(seed)
    params = random_params(rng, hidden=5)
    x, y = ba.encode_pairs(rng.integers(0, 64), rng.integers(0, 64), 7)
    loss, grads, _ = lecture["loss_and_grads"](params, x, y, "mse")

    t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    s = torch.zeros(5, dtype=torch.float64)
    torch_loss = 0
    for step in range(7):
        s = torch.sigmoid(torch.tensor(x[step]) @ t["U"] + s @ t["W"] + t["b"])
        y_hat = torch.sigmoid(s @ t["V"] + t["c"])
        torch_loss = torch_loss + 0.5 * ((y_hat - torch.tensor(y[step])) ** 2).sum()
    torch_loss.backward()
    assert loss == pytest.approx(torch_loss.item(), rel=1e-10)
    for name in params:
        np.testing.assert_allclose(grads[name], t[name].grad.numpy(), rtol=1e-9, atol=1e-12)


def test_notebook_loss_rejects_an_unknown_loss_name(lecture):
    params = random_params(np.random.default_rng(0))
    with pytest.raises(ValueError, match="'hinge'"):
        lecture["loss_and_grads"](params, *ba.encode_pairs(3, 4, 4), "hinge")
