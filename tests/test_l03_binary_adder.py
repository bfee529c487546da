"""The binary-addition lecture: bit helpers, and the notebook's hand-written BPTT."""
from __future__ import annotations

import math

import matplotlib
import numpy as np
import pytest
import torch

from lecture_utils import l03_binary_adder as ba
from lecture_utils.experiments import reproduce
from lecture_utils.l03_binary_adder import int_to_bits
from lecture_utils.teach import teach_namespace

from .conftest import ROOT

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
    params["bh"] = rng.normal(size=hidden)
    params["by"] = rng.normal(size=1)
    return params


def test_notebook_forward_matches_the_batched_forward(lecture):
    rng = np.random.default_rng(0)
    params = random_params(rng, hidden=7)
    x, _ = ba.encode_pairs(rng.integers(0, 2**11, 6), rng.integers(0, 2**11, 6), 12)
    states, probs = ba.forward_batch(params, x)
    for i in range(len(x)):
        h, y_hat = lecture["forward"](params, x[i])
        np.testing.assert_allclose(h[1:], states[i], rtol=0, atol=1e-12)
        np.testing.assert_allclose(y_hat, probs[i], rtol=0, atol=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_notebook_bptt_matches_torch_autograd(lecture, seed):
    rng = np.random.default_rng(seed)
    params = random_params(rng, hidden=int(rng.integers(2, 9)))
    width = int(rng.integers(3, 12))
    x, y = ba.encode_pairs(rng.integers(0, 2 ** (width - 1)), rng.integers(0, 2 ** (width - 1)), width)
    loss, grads, _ = lecture["loss_and_grads"](params, x, y)

    t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    h = torch.zeros(params["Whh"].shape[0], dtype=torch.float64)
    torch_loss = 0
    for step in range(width):
        h = torch.sigmoid(torch.tensor(x[step]) @ t["Wxh"] + h @ t["Whh"] + t["bh"])
        logit = h @ t["Why"] + t["by"]
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
    h = torch.zeros(5, dtype=torch.float64)
    torch_loss = 0
    for step in range(7):
        h = torch.sigmoid(torch.tensor(x[step]) @ t["Wxh"] + h @ t["Whh"] + t["bh"])
        y_hat = torch.sigmoid(h @ t["Why"] + t["by"])
        torch_loss = torch_loss + 0.5 * ((y_hat - torch.tensor(y[step])) ** 2).sum()
    torch_loss.backward()
    assert loss == pytest.approx(torch_loss.item(), rel=1e-10)
    for name in params:
        np.testing.assert_allclose(grads[name], t[name].grad.numpy(), rtol=1e-9, atol=1e-12)


def test_notebook_loss_rejects_an_unknown_loss_name(lecture):
    params = random_params(np.random.default_rng(0))
    with pytest.raises(ValueError, match="'hinge'"):
        lecture["loss_and_grads"](params, *ba.encode_pairs(3, 4, 4), "hinge")


# --- bad input: a clear error naming the value (copied from tests/test_bad_input.py) ----------------------


@pytest.mark.parametrize("values, error, match", [
    (2.7, ValueError, "whole numbers; got 2.7"),
    ([1, 2.5], ValueError, "whole numbers; got 2.5"),
    (math.inf, ValueError, "whole numbers; got inf"),
    ("3", TypeError, "values must be integers"),
])
def test_int_to_bits_refuses_fractions(values, error, match):
    assert int_to_bits(3.0, 4).tolist() == [1, 1, 0, 0]  # whole floats are fine
    with pytest.raises(error, match=match):
        int_to_bits(values, 8)


@pytest.mark.parametrize("width", [0, 64, 2.0])
def test_int_to_bits_refuses_bad_widths(width):
    with pytest.raises(ValueError, match=rf"width must be an integer in 1\.\.62 .*got {width}"):
        int_to_bits(1, width)


# --- bad input the reliability review found (D16, D20), and more of the kind ---------------------------


def test_bits_to_int_of_64_or_more_bits_is_exact():
    """Before: bits_to_int(np.ones(64)) overflowed int64 to -1."""
    assert ba.bits_to_int(np.ones(64)) == 2 ** 64 - 1
    assert ba.bits_to_int(np.ones(63)) == 2 ** 63 - 1 and ba.bits_to_int(np.ones(63)).dtype == np.int64
    wide = np.zeros((2, 70))
    wide[0, 69], wide[1, [0, 64]] = 1, 1
    assert ba.bits_to_int(wide).tolist() == [2 ** 69, 2 ** 64 + 1]


@pytest.mark.parametrize("bits, error, match", [
    (np.array([0.2, np.nan]), ValueError, "bits hold NaN or inf"),
    (np.array(["1", "0"]), TypeError, "bits must be numbers"),
    (1.0, ValueError, "bits must have a last axis"),
])
def test_bits_to_int_refuses_what_is_not_bits(bits, error, match):
    with pytest.raises(error, match=match):
        ba.bits_to_int(bits)


def test_width_refuses_a_bool_and_takes_a_numpy_integer():
    with pytest.raises(ValueError, match="width must be an integer in 1..62 .*got True"):
        int_to_bits(1, True)
    assert int_to_bits(5, np.int64(4)).tolist() == [1, 0, 1, 0]


def test_forward_batch_refuses_one_example_and_bad_params():
    """Before: a 2-D x gave the raw "not enough values to unpack"."""
    params = ba.init_params(4, np.random.default_rng(0))
    x, _ = ba.encode_pairs(3, 4, 8)
    with pytest.raises(ValueError, match=r"x must be a batch of shape \(B, T, 2\), got shape \(8, 2\).*x\[None\]"):
        ba.forward_batch(params, x)
    assert ba.forward_batch(params, x[None])[1].shape == (1, 8, 1)
    with pytest.raises(ValueError, match=r"params lacks \['by'\]"):
        ba.forward_batch({k: v for k, v in params.items() if k != "by"}, x[None])
    with pytest.raises(ValueError, match="params have shapes"):
        ba.forward_batch({**params, "bh": np.zeros(5)}, x[None])
    with pytest.raises(TypeError, match="params must be a dict"):
        ba.forward_batch([params], x[None])


def test_addition_accuracy_of_no_pairs_is_refused():
    """Before: nan with numpy's "Mean of empty slice" RuntimeWarning."""
    params = ba.init_params(4, np.random.default_rng(0))
    with pytest.raises(ValueError, match="addition_accuracy got no pairs"):
        ba.addition_accuracy(params, [], [], 8)
    one = ba.addition_accuracy(params, 3, 4, 8)  # one pair, and pairs of any shape, count
    grid = np.meshgrid(np.arange(4), np.arange(4))
    assert one in (0.0, 1.0)
    assert ba.addition_accuracy(params, *grid, 8) == ba.addition_accuracy(params, grid[0].ravel(),
                                                                          grid[1].ravel(), 8)


def test_encode_pairs_names_mismatched_lengths_and_a_sum_that_does_not_fit():
    with pytest.raises(ValueError, match=r"a and b must hold as many numbers .*\(3,\) and \(2,\)"):
        ba.encode_pairs([1, 2, 3], [1, 2], 8)
    with pytest.raises(ValueError, match=r"a \+ b must fit 8 bits .*largest sum is 256"):
        ba.encode_pairs([200, 1], [56, 1], 8)
    x, y = ba.encode_pairs([1, 2, 3], 4, 8)  # one number broadcasts
    assert ba.bits_to_int(y[..., 0]).tolist() == [5, 6, 7]


def test_init_params_checks_its_arguments():
    with pytest.raises(ValueError, match="hidden must be a positive integer, got 0"):
        ba.init_params(0, np.random.default_rng(0))
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        ba.init_params(4, 0)


def test_training_figure_checks_its_series():
    matplotlib.use("Agg")
    its = np.arange(0, 50, 10)
    whole, errors = np.linspace(0, 1, 5), np.full((5, 8), 0.2)
    fig = ba.accuracy_and_position_errors(its, whole, errors, until=30)
    assert len(fig.axes) == 3  # two panels and the colour bar
    with pytest.raises(ValueError, match="one whole_accuracy value and one row of position_error per iteration"):
        ba.accuracy_and_position_errors(its, whole[:4], errors)
    with pytest.raises(ValueError, match="iterations must be a non-empty 1-D sequence"):
        ba.accuracy_and_position_errors([], [], np.zeros((0, 8)))
    with pytest.raises(ValueError, match="until=-5.0 is before the first iteration"):
        ba.accuracy_and_position_errors(its, whole, errors, until=-5)
    with pytest.raises(ValueError, match="vmax must be positive"):
        ba.accuracy_and_position_errors(its, whole, errors, vmax=0)
    matplotlib.pyplot.close("all")


# --- the shipped sweep runs the lecture's own code; carries, chains, ablation --------------------------


def test_package_bptt_is_the_notebook_bptt_bit_for_bit(lecture):
    rng = np.random.default_rng(3)
    for loss in ("bce", "mse"):
        params = random_params(rng, hidden=6)
        x, y = ba.encode_pairs(rng.integers(0, 128), rng.integers(0, 128), 8)
        value, grads, y_hat = ba.loss_and_grads(params, x, y, loss)
        value_nb, grads_nb, y_hat_nb = lecture["loss_and_grads"](params, x, y, loss)
        assert value == value_nb and np.array_equal(y_hat, y_hat_nb)
        for name in params:
            assert np.array_equal(grads[name], grads_nb[name]), (loss, name)


def test_package_training_is_the_notebook_training(lecture):
    """The sweep's train_sgd and the notebook's train: the same weights after the same iterations."""
    x_watch, y_watch = ba.watch_set(44, count=64)

    def bit_errors(params):
        _, probs = ba.forward_batch(params, x_watch)
        wrong = (probs[..., 0] >= 0.5) != (y_watch[..., 0] >= 0.5)
        return wrong.mean(axis=0), wrong.any(axis=1).mean()

    lecture.update(N_ITER=300, HIDDEN=16, MAX_VALUE=128, WIDTH=8, EVAL_EVERY=50, bit_errors=bit_errors)
    for loss, lr in (("bce", 0.1), ("mse", 0.4)):
        params_nb, log_nb = lecture["train"](loss, lr, seed=5)
        params, log = ba.train_sgd(loss, lr, 5, iterations=300, watch=(x_watch, y_watch))
        for name in params:
            assert np.array_equal(params[name], params_nb[name]), (loss, name)
        np.testing.assert_array_equal(log["bit_error"], log_nb["bit_error"])
        assert log["right_sums"].tolist() == [round(64 * a) for a in log_nb["sum_accuracy"]]


def test_one_shipped_run_reproduces():
    sweep = ba.SWEEPS[0]
    fresh = reproduce(sweep, 2, 3)   # MSE at 0.4, seed 3: the quickest to converge
    assert fresh["converged_at"] == 1000


def test_carries_and_the_longest_chain():
    x, y = ba.encode_pairs(47, 21, 8)
    carry_in, carry_out = ba.carries(x)
    assert carry_out.tolist() == [1, 1, 1, 1, 1, 1, 0, 0]
    assert carry_in.tolist() == [0] + carry_out[:-1].tolist()
    # y_t = a_t xor b_t xor carry_in_t
    assert np.array_equal((x[:, 0] + x[:, 1] + carry_in) % 2, y[:, 0])
    assert ba.longest_carry_chain(x) == 3            # generate at 2, propagate at 3, 4, 5
    assert ba.longest_carry_chain(ba.encode_pairs(2 ** 31 - 1, 1, 32)[0]) == 30
    assert ba.longest_carry_chain(ba.encode_pairs(85, 42, 8)[0]) == 0   # no carry at all
    everything, _ = ba.encode_pairs(*(g.ravel() for g in np.meshgrid(np.arange(128), np.arange(128))), 8)
    assert ba.longest_carry_chain(everything).max() == 6


@pytest.mark.parametrize("length", [1, 2, 7, 30])
def test_chain_pairs_have_exactly_the_asked_longest_chain(length):
    a, b = ba.chain_pairs(length, 50, 32, np.random.default_rng(length))
    assert len(a) == len(b) == 50 and (a < 2 ** 31).all() and (b < 2 ** 31).all()
    assert (ba.longest_carry_chain(ba.encode_pairs(a, b, 32)[0]) == length).all()
    with pytest.raises(ValueError, match="needs width >= 32"):
        ba.chain_pairs(30, 1, 31, np.random.default_rng(0))


def test_settled_at_is_the_last_crossing():
    checks = [50, 100, 150, 200, 250]
    assert ba.settled_at([False, True, False, True, True], checks) == 200   # a relapse at 150
    assert ba.settled_at([True] * 5, checks) == 50
    assert ba.settled_at([True, True, True, True, False], checks) is None


def test_silencing_no_unit_is_the_forward_pass_and_silencing_all_leaves_the_bias():
    rng = np.random.default_rng(1)
    params = random_params(rng, hidden=5)
    x, y = ba.encode_pairs(rng.integers(0, 128, 10), rng.integers(0, 128, 10), 8)
    states, probs = ba.silenced_forward(params, x)
    np.testing.assert_array_equal(probs, ba.forward_batch(params, x)[1])
    states, probs = ba.silenced_forward(params, x, range(5))
    assert (states == 0).all() and np.allclose(probs, ba.sigmoid(params["by"]))
    assert ba.bit_error_by_position(params, x, y).shape == (8,)
    with pytest.raises(ValueError, match="hidden units 0..4"):
        ba.silenced_forward(params, x, [5])


def test_cutting_the_recurrent_path_replaces_only_the_carried_state():
    rng = np.random.default_rng(3)
    params = random_params(rng, hidden=5)
    x, y = ba.encode_pairs(rng.integers(0, 128, 12), rng.integers(0, 128, 12), 8)
    states, probs = ba.recurrence_cut_forward(params, x)            # nothing cut: the forward pass
    np.testing.assert_allclose(probs, ba.forward_batch(params, x)[1], rtol=1e-12)
    fill = np.array([0.3, 0.7])
    states, probs = ba.recurrence_cut_forward(params, x, [1, 3], fill)
    # by hand: h_{-1} = 0 untouched, then units 1 and 3 of the carried state replaced by the fill
    h = np.zeros((len(x), 5))
    for t in range(8):
        carried = h.copy()
        if t > 0:
            carried[:, [1, 3]] = fill
        h = ba.sigmoid(x[:, t] @ params["Wxh"] + carried @ params["Whh"] + params["bh"])
        np.testing.assert_allclose(states[:, t], h, rtol=1e-12)     # the unit still reaches the output
    np.testing.assert_allclose(probs, ba.sigmoid(states @ params["Why"] + params["by"]), rtol=1e-12)
    intact = ba.bit_error_by_position(params, x, y)
    cut = ba.bit_error_by_position(params, x, y, [1, 3])
    assert cut[0] == intact[0]                                      # position 0 receives no carry
    mean = ba.forward_batch(params, x)[0].reshape(-1, 5).mean(axis=0)[[1, 3]]
    np.testing.assert_array_equal(cut, ba.bit_error_by_position(params, x, y, [1, 3], fill=mean))
    assert ba.bit_error_by_position(params, x, y, [1, 3], fill=0).shape == (8,)
    with pytest.raises(ValueError, match="fill must be 'mean'"):
        ba.bit_error_by_position(params, x, y, [1], fill="median")
    with pytest.raises(ValueError, match="hidden units 0..4"):
        ba.recurrence_cut_forward(params, x, [7])


def test_shipped_ablation_leaves_position_0_and_both_state_maps_hold():
    from lecture_utils.experiments import load_results
    shipped = load_results(ba.SWEEPS[0])
    for run in shipped["runs"]:
        result = run["result"]
        assert result["error_carry_cut"][0] == result["error_others_cut"][0] == 0
        assert result["map_right_steps"] == [100, 100]
    held_01 = [run["result"]["map_right_steps_01"] == [100, 100] for run in shipped["runs"]]
    assert sum(held_01) >= 0.9 * len(held_01)


def test_carry_correlation_is_pearson():
    rng = np.random.default_rng(2)
    params = random_params(rng, hidden=4)
    x, _ = ba.encode_pairs(rng.integers(0, 128, 200), rng.integers(0, 128, 200), 8)
    states, _ = ba.forward_batch(params, x)
    _, carry_out = ba.carries(x)
    expected = [np.corrcoef(states[..., j].ravel(), carry_out.ravel())[0, 1] for j in range(4)]
    np.testing.assert_allclose(ba.carry_correlation(params, x), expected, rtol=1e-10)


def test_state_map_iterates_the_recurrence():
    rng = np.random.default_rng(4)
    params = random_params(rng, hidden=3)
    starts = ba.carry_states(params)
    states, outputs = ba.state_map(params, [1.0, 0.0], starts, 4)
    assert states.shape == (4, 2, 3) and outputs.shape == (4, 2)
    x = np.array([[1.0, 1.0], [1.0, 0.0], [1.0, 0.0]])      # 1+1, then (1, 0) twice
    h, y_hat = ba.forward_batch(params, x[None])
    np.testing.assert_allclose(states[1, 0], h[0, 2], rtol=1e-12)
    np.testing.assert_allclose(outputs[1, 0], y_hat[0, 2, 0], rtol=1e-12)
