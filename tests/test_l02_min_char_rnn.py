"""The numpy RNN and LSTM of lecture 02: gradients, agreement with the notebook, torch, sampling, training."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import lecture_utils as lu
from lecture_utils.exercises import CheckFailed
from lecture_utils.experiments import load_results, made_on_this_cpu, reproduce, runs_of
from lecture_utils.l02_min_char_rnn import (
    LONG_SETTINGS,
    SWEEPS,
    Adagrad,
    CharTrainer,
    NumpyLSTM,
    NumpyRNN,
    check_top_k,
    grad_check,
    sample_ids,
    sample_text,
    source_smoothing,
    spread,
    top_k_distribution,
    training_curve,
    window_means,
)
from lecture_utils.teach import teach_namespace
from lecture_utils.text import UnknownTokenError, Vocab

from .conftest import NOTEBOOKS

LECTURE = next(nb for nb in NOTEBOOKS if nb.name.startswith("02_"))
SHAPES = [  # (vocab, hidden, time steps, batch)
    (7, 5, 6, 1),
    (11, 4, 9, 3),
    (5, 8, 1, 2),
]


@pytest.fixture(scope="module")
def lecture():
    return teach_namespace(LECTURE)


def random_model(cls, V, H, seed):
    """A model with weights large enough that every gradient is far from zero."""
    rng = np.random.default_rng(seed)
    model = cls(V, H, rng, scale=0.5)
    model.params["bh"][...] += rng.standard_normal(model.params["bh"].shape) * 0.3
    model.params["by"][...] = rng.standard_normal(V) * 0.3
    return model


def random_batch(model, V, T, B, seed):
    rng = np.random.default_rng(seed + 100)
    ids = rng.integers(V, size=(B, T + 1))
    state = model.zero_state(B)
    state = tuple(rng.standard_normal(s.shape) * 0.5 for s in state) if isinstance(state, tuple) \
        else rng.standard_normal(state.shape) * 0.5
    return ids[:, :-1], ids[:, 1:], state


@pytest.mark.parametrize("cls", [NumpyRNN, NumpyLSTM])
@pytest.mark.parametrize("V,H,T,B", SHAPES)
def test_gradients_match_finite_differences(cls, V, H, T, B):
    model = random_model(cls, V, H, seed=V * H)
    inputs, targets, state = random_batch(model, V, T, B, seed=T)
    _, grads, _ = model.loss_and_grads(inputs, targets, state, clip=None)
    analytic = {k: g.copy() for k, g in grads.items()}
    errors = grad_check(lambda: model.loss_and_grads(inputs, targets, state, clip=None)[0],
                        model.params, analytic, num_checks=None)
    assert max(errors.values()) < 1e-6, errors


def test_grad_check_catches_a_wrong_gradient():
    model = random_model(NumpyRNN, 7, 5, seed=0)
    inputs, targets, state = random_batch(model, 7, 6, 2, seed=0)
    _, grads, _ = model.loss_and_grads(inputs, targets, state, clip=None)
    wrong = {k: g.copy() for k, g in grads.items()}
    wrong["Whh"] *= 1.01
    errors = grad_check(lambda: model.loss_and_grads(inputs, targets, state, clip=None)[0],
                        model.params, wrong, num_checks=None)
    assert errors["Whh"] > 1e-3 and errors["Wxh"] < 1e-6


def torch_reference(model, inputs, targets, state):
    """The same loss in torch: nn.RNN / nn.LSTM on one-hot inputs, a linear layer, summed cross-entropy."""
    V, H = model.vocab_size, model.hidden_size
    B, T = inputs.shape
    lstm = isinstance(model, NumpyLSTM)
    net = (torch.nn.LSTM if lstm else torch.nn.RNN)(V, H).double()
    out_layer = torch.nn.Linear(H, V).double()
    with torch.no_grad():  # the LSTM's gate blocks are in torch's order i, f, g, o: copied as they are
        net.weight_ih_l0.copy_(torch.tensor(model.params["Wxh"]))
        net.weight_hh_l0.copy_(torch.tensor(model.params["Whh"]))
        net.bias_ih_l0.copy_(torch.tensor(model.params["bh"]))
        net.bias_hh_l0.zero_()
        out_layer.weight.copy_(torch.tensor(model.params["Why"]))
        out_layer.bias.copy_(torch.tensor(model.params["by"]))
    x = torch.nn.functional.one_hot(torch.tensor(inputs.T), V).double()  # (T, B, V)
    state0 = tuple(torch.tensor(s)[None] for s in state) if lstm else torch.tensor(state)[None]
    out, last = net(x, state0)
    scores = out_layer(out).reshape(T * B, V)
    loss = torch.nn.functional.cross_entropy(scores, torch.tensor(targets.T).reshape(-1), reduction="sum") / B
    loss.backward()
    grads = {"Wxh": net.weight_ih_l0.grad.numpy(), "Whh": net.weight_hh_l0.grad.numpy(),
             "bh": net.bias_ih_l0.grad.numpy(),
             "Why": out_layer.weight.grad.numpy(), "by": out_layer.bias.grad.numpy()}
    h_last = (last[0] if lstm else last)[0].detach().numpy()
    return loss.item(), grads, h_last


@pytest.mark.parametrize("cls", [NumpyRNN, NumpyLSTM])
@pytest.mark.parametrize("V,H,T,B", SHAPES)
def test_matches_torch_autograd(cls, V, H, T, B):
    model = random_model(cls, V, H, seed=V + H)
    inputs, targets, state = random_batch(model, V, T, B, seed=B)
    loss, grads, new_state = model.loss_and_grads(inputs, targets, state, clip=None)
    ref_loss, ref_grads, ref_h = torch_reference(model, inputs, targets, state)
    assert loss == pytest.approx(ref_loss, rel=1e-12)
    for name in grads:
        np.testing.assert_allclose(grads[name], ref_grads[name], rtol=1e-9, atol=1e-12, err_msg=name)
    h = new_state[0] if isinstance(new_state, tuple) else new_state
    np.testing.assert_allclose(h, ref_h, rtol=1e-12, atol=1e-14)


def test_torch_reference_is_not_trivially_equal():
    """The torch comparison would catch a wrong gate order (it is sensitive enough)."""
    model = random_model(NumpyLSTM, 7, 5, seed=1)
    inputs, targets, state = random_batch(model, 7, 6, 2, seed=1)
    loss, _, _ = model.loss_and_grads(inputs, targets, state, clip=None)
    H = 5
    Wxh = model.params["Wxh"]
    Wxh[...] = np.concatenate([Wxh[:2 * H], Wxh[3 * H:], Wxh[2 * H:3 * H]])  # swap g and o
    assert torch_reference(model, inputs, targets, state)[0] != pytest.approx(loss, rel=1e-6)


def test_lstm_equals_torch_lstm_with_weights_copied_block_for_block():
    """A student's port: the numpy LSTM's gate blocks W_xi, W_xf, W_xg, W_xo (and W_h*, b_*) copied
    into torch.nn.LSTM as weight_ih = [W_ii; W_if; W_ig; W_io], weight_hh = [W_hi; W_hf; W_hg; W_ho],
    bias_ih = [b_i; b_f; b_g; b_o] give the same outputs h_t and the same last (h, c), to 1e-6 in float64."""
    V, H, T, B = 7, 5, 9, 3
    model = random_model(NumpyLSTM, V, H, seed=12)
    ids = np.random.default_rng(12).integers(V, size=(B, T))
    rng = np.random.default_rng(13)
    h0, c0 = rng.standard_normal((B, H)) * 0.5, rng.standard_normal((B, H)) * 0.5
    blocks = {name: dict(zip("ifgo", np.split(model.params[name], 4))) for name in ("Wxh", "Whh", "bh")}
    net = torch.nn.LSTM(V, H, batch_first=True).double()
    with torch.no_grad():
        for torch_name, name in (("weight_ih_l0", "Wxh"), ("weight_hh_l0", "Whh"), ("bias_ih_l0", "bh")):
            getattr(net, torch_name).copy_(torch.tensor(np.concatenate([blocks[name][g] for g in "ifgo"])))
        net.bias_hh_l0.zero_()
        x = torch.nn.functional.one_hot(torch.tensor(ids), V).double()  # (B, T, V)
        out, (h_n, c_n) = net(x, (torch.tensor(h0)[None], torch.tensor(c0)[None]))
    state, outputs = (h0, c0), []
    for t in range(T):  # the numpy LSTM one step at a time: its h_t
        _, state = model.step(ids[:, t], state)
        outputs.append(state[0])
    np.testing.assert_allclose(np.stack(outputs, axis=1), out.numpy(), rtol=0, atol=1e-6)
    _, _, (h, c) = model.loss_and_grads(ids, ids, (h0, c0), clip=None)  # the training forward's last state
    np.testing.assert_allclose(h, h_n[0].numpy(), rtol=0, atol=1e-6)
    np.testing.assert_allclose(c, c_n[0].numpy(), rtol=0, atol=1e-6)
    np.testing.assert_allclose(state[1], c, rtol=0, atol=1e-12)


def test_lstm_initial_weights_are_the_draws_of_the_earlier_gate_order():
    """The LSTM once kept its blocks as i, f, o, g; it draws its weights in that order and moves the blocks,
    so every gate starts from the same random numbers as before and the shipped runs repeat."""
    V, H, scale = 6, 4, 0.01
    model = NumpyLSTM(V, H, np.random.default_rng(5))
    rng = np.random.default_rng(5)
    for name, shape in (("Wxh", (4 * H, V)), ("Whh", (4 * H, H)), ("Why", (V, H))):
        drawn = rng.standard_normal(shape) * scale
        if name != "Why":
            i, f, o, g = np.split(drawn, 4)
            drawn = np.concatenate([i, f, g, o])
        np.testing.assert_array_equal(model.params[name], drawn, err_msg=name)
    np.testing.assert_array_equal(model.params["bh"], np.r_[np.zeros(H), np.ones(H), np.zeros(2 * H)])


def test_gradients_are_clipped():
    model = random_model(NumpyRNN, 7, 5, seed=2)
    inputs, targets, state = random_batch(model, 7, 30, 1, seed=2)
    model.params["Why"][...] *= 40  # makes some gradients exceed 5
    _, raw, _ = model.loss_and_grads(inputs, targets, state, clip=None)
    assert max(np.abs(g).max() for g in raw.values()) > 5
    raw = {k: g.copy() for k, g in raw.items()}
    _, clipped, _ = model.loss_and_grads(inputs, targets, state, clip=5.0)
    for name in raw:
        np.testing.assert_array_equal(clipped[name], np.clip(raw[name], -5, 5))


@pytest.mark.parametrize("seed", [0, 1])
def test_notebook_rnn_loss_equals_package(lecture, seed):
    rng = np.random.default_rng(seed)
    V, H, T = 13, 10, 25
    model = random_model(NumpyRNN, V, H, seed)
    params = {k: v.copy() for k, v in model.params.items()}
    ids = rng.integers(V, size=T + 1)
    h0 = rng.standard_normal(H) * 0.5
    for clip in (None, 5.0):
        loss, grads, h = lecture["chunk_loss_and_grads"](params, ids[:-1], ids[1:], h0, clip=clip)
        fast_loss, fast_grads, fast_h = model.loss_and_grads(ids[:-1], ids[1:], h0[None], clip=clip)
        assert abs(loss - fast_loss) < 1e-10
        for name in grads:
            np.testing.assert_allclose(fast_grads[name], grads[name], rtol=0, atol=1e-10, err_msg=name)
        np.testing.assert_allclose(fast_h[0], h, rtol=0, atol=1e-12)


def test_notebook_lstm_loss_equals_package(lecture):
    rng = np.random.default_rng(5)
    V, H, T = 13, 10, 25
    model = random_model(NumpyLSTM, V, H, 5)
    params = {k: v.copy() for k, v in model.params.items()}
    ids = rng.integers(V, size=T + 1)
    h0, c0 = rng.standard_normal(H) * 0.5, rng.standard_normal(H) * 0.5
    loss, grads, h, c = lecture["lstm_chunk_loss_and_grads"](params, ids[:-1], ids[1:], h0, c0, clip=None)
    fast_loss, fast_grads, (fast_h, fast_c) = model.loss_and_grads(ids[:-1], ids[1:], (h0[None], c0[None]), clip=None)
    assert abs(loss - fast_loss) < 1e-10
    for name in grads:
        np.testing.assert_allclose(fast_grads[name], grads[name], rtol=0, atol=1e-10, err_msg=name)
    np.testing.assert_allclose(fast_h[0], h, atol=1e-12)
    np.testing.assert_allclose(fast_c[0], c, atol=1e-12)


@pytest.mark.parametrize("cls", [NumpyRNN, NumpyLSTM])
def test_notebook_loss_matches_torch_autograd(lecture, cls):
    """The lecture's readable forward and backward against torch, not only against the package."""
    V, H, T = 9, 6, 12
    model = random_model(cls, V, H, seed=11)
    inputs, targets, state = random_batch(model, V, T, 1, seed=11)
    params = {k: v.copy() for k, v in model.params.items()}
    if cls is NumpyLSTM:
        loss, grads, h, _ = lecture["lstm_chunk_loss_and_grads"](
            params, inputs[0], targets[0], state[0][0], state[1][0], clip=None)
    else:
        loss, grads, h = lecture["chunk_loss_and_grads"](params, inputs[0], targets[0], state[0], clip=None)
    ref_loss, ref_grads, ref_h = torch_reference(model, inputs, targets, state)
    assert loss == pytest.approx(ref_loss, rel=1e-12)
    for name in grads:
        np.testing.assert_allclose(grads[name], ref_grads[name], rtol=1e-9, atol=1e-12, err_msg=name)
    np.testing.assert_allclose(h, ref_h[0], rtol=1e-12, atol=1e-14)


def test_notebook_clipping_clips(lecture):
    model = random_model(NumpyRNN, 7, 5, seed=2)
    params = {k: v.copy() for k, v in model.params.items()}
    params["Why"] *= 40  # makes some gradients exceed 5
    ids = np.random.default_rng(2).integers(7, size=31)
    h0 = np.zeros(5)
    _, raw, _ = lecture["chunk_loss_and_grads"](params, ids[:-1], ids[1:], h0, clip=None)
    assert max(np.abs(g).max() for g in raw.values()) > 5
    _, clipped, _ = lecture["chunk_loss_and_grads"](params, ids[:-1], ids[1:], h0, clip=5.0)
    for name in raw:
        np.testing.assert_array_equal(clipped[name], np.clip(raw[name], -5, 5))


def test_notebook_training_loop_equals_trainer(lecture):
    rng = np.random.default_rng(6)
    V, H = 9, 8
    data = rng.integers(V, size=400)  # short, so the loop wraps around the end of the text
    model = NumpyRNN(V, H, rng)
    params = {k: v.copy() for k, v in model.params.items()}
    curve = lecture["train_readable"](data, params, 60, seq_length=10, learning_rate=0.1)
    trainer = CharTrainer(model, data, seq_length=10, lr=0.1)
    trainer.run(60)
    np.testing.assert_allclose(trainer.smooth_losses, curve, rtol=0, atol=1e-10)
    for name in params:
        np.testing.assert_allclose(model.params[name], params[name], rtol=0, atol=1e-10)


def test_notebook_sampler_equals_package(lecture):
    model = random_model(NumpyRNN, 11, 6, seed=7)
    params = {k: v.copy() for k, v in model.params.items()}
    readable = lecture["generate_ids"](params, 3, 40, 0.8, rng=np.random.default_rng(8))
    assert sample_ids(model, [3], 40, 0.8, rng=np.random.default_rng(8)) == readable
    # a given state is where the readable sampler starts from, as the package's does
    h = np.random.default_rng(9).standard_normal(6)
    readable = lecture["generate_ids"](params, 3, 40, h=h.copy(), rng=np.random.default_rng(8))
    assert sample_ids(model, [3], 40, state=h[None], rng=np.random.default_rng(8)) == readable


@pytest.mark.parametrize("cls", [NumpyRNN, NumpyLSTM])
def test_step_matches_the_sequence_forward(cls):
    """Sampling's one-step forward is the same cell as the training forward."""
    model = random_model(cls, 7, 5, seed=9)
    ids = np.random.default_rng(9).integers(7, size=(2, 8))
    _, _, state = model.loss_and_grads(ids, ids, model.zero_state(2))
    stepped = model.zero_state(2)
    for t in range(8):
        _, stepped = model.step(ids[:, t], stepped)
    np.testing.assert_allclose(np.asarray(state), np.asarray(stepped), atol=1e-12)


@pytest.fixture
def tiny():
    vocab = Vocab.build(["абвг д"])
    return NumpyRNN(len(vocab), 8, np.random.default_rng(0)), vocab


def test_sampling_unknown_prompt_character(tiny):
    model, vocab = tiny
    with pytest.raises(UnknownTokenError, match=r"'z' \(U\+007A\) at position 1"):
        sample_text(model, vocab, "аz", 5)


@pytest.mark.parametrize("temperature", [0, -1.0, float("nan")])
def test_sampling_temperature_must_be_positive(tiny, lecture, temperature):
    model, vocab = tiny
    with pytest.raises(ValueError, match=rf"temperature must be (positive|a finite number), got {temperature}"):
        sample_text(model, vocab, "а", 5, temperature)
    with pytest.raises(ValueError, match="temperature must be positive"):
        lecture["generate_ids"](model.params, 0, 5, temperature)


def test_sampling_needs_a_prompt(tiny):
    model, vocab = tiny
    with pytest.raises(ValueError, match="at least one character"):
        sample_text(model, vocab, "", 5)


def test_low_temperature_is_greedy(tiny):
    model, vocab = tiny
    model.params["by"][vocab.id("г")] = 3.0
    out = sample_text(model, vocab, "а", 20, temperature=1e-3, rng=np.random.default_rng(0))
    assert out == "а" + "г" * 20


def test_sampling_is_seeded(tiny):
    model, vocab = tiny
    a, b = (sample_text(model, vocab, "аб", 30, rng=np.random.default_rng(1)) for _ in range(2))
    assert a == b and len(a) == 32


def test_adagrad_matches_formula():
    rng = np.random.default_rng(0)
    param, g1, g2 = rng.standard_normal((3, 10))
    expected = param.copy()
    mem = g1 ** 2
    expected -= 0.1 * g1 / np.sqrt(mem + 1e-8)
    mem += g2 ** 2
    expected -= 0.1 * g2 / np.sqrt(mem + 1e-8)
    opt = Adagrad(param, lr=0.1)
    opt.step(param, g1)
    opt.step(param, g2)
    np.testing.assert_allclose(param, expected, rtol=1e-14)


def test_trainer_tracks_and_wraparound():
    data = np.arange(1000) % 7
    trainer = CharTrainer(NumpyRNN(7, 4, np.random.default_rng(0)), data, seq_length=10, batch_size=4)
    assert trainer.tracks.shape == (4, 250)
    for _ in range(24):
        trainer.step()
    assert trainer.position == 240
    trainer.step()  # 240 + 10 + 1 >= 250: back to the start with a fresh state
    assert trainer.position == 10 and len(trainer.smooth_losses) == 25


def test_trainer_learns_a_periodic_text():
    data = np.tile(np.arange(5), 400)
    trainer = CharTrainer(NumpyRNN(5, 16, np.random.default_rng(0)), data, seq_length=10, batch_size=4)
    trainer.run(300)
    assert np.mean(trainer.losses[-20:]) < 0.1 * trainer.losses[0]


@pytest.mark.parametrize("data,match", [
    (np.array([], dtype=int), "at least"),
    (np.zeros((10, 10), dtype=int), "1-D"),
    (np.array([0, 1, 7] * 20), r"ids must lie in \[0, 7\)"),
])
def test_trainer_rejects_bad_data(data, match):
    with pytest.raises(ValueError, match=match):
        CharTrainer(NumpyRNN(7, 4, np.random.default_rng(0)), data, seq_length=10)


def test_set_params_refuses_another_model_and_keeps_its_own():
    rnn = NumpyRNN(7, 4, np.random.default_rng(0))
    before = rnn.theta.copy()
    lstm = NumpyLSTM(7, 4, np.random.default_rng(1))
    with pytest.raises(ValueError, match=r"Wxh: expected shape \(4, 7\), got \(16, 7\)"):
        rnn.set_params(lstm.params)
    with pytest.raises(ValueError, match="expected parameters"):
        rnn.set_params({"Wxh": np.zeros((4, 7))})
    np.testing.assert_array_equal(rnn.theta, before)


def test_float32_model_is_close_to_float64():
    for cls in (NumpyRNN, NumpyLSTM):
        a = random_model(cls, 11, 6, seed=3)
        b = cls(11, 6, np.random.default_rng(0), dtype=np.float32)
        b.set_params(a.params)
        inputs, targets, state = random_batch(a, 11, 10, 3, seed=3)
        la, ga, _ = a.loss_and_grads(inputs, targets, state)
        ga = {k: v.copy() for k, v in ga.items()}
        lb, gb, _ = b.loss_and_grads(inputs, targets, state)
        assert b.theta.dtype == np.float32 and gb["Why"].dtype == np.float32
        assert lb == pytest.approx(la, rel=1e-5)
        for name in ga:
            np.testing.assert_allclose(gb[name], ga[name], rtol=1e-3, atol=1e-5)


def test_snapshot_resumes_the_same_run_in_the_notebook_loop(lecture):
    rng = np.random.default_rng(10)
    data = rng.integers(9, size=500)
    trainer = CharTrainer(NumpyRNN(9, 8, rng), data, seq_length=10)
    trainer.run(30)
    warm = trainer.snapshot()
    curve = lecture["train_readable"](data, warm["params"], 40, seq_length=10, resume=warm)
    trainer.run(40)
    np.testing.assert_allclose(trainer.smooth_losses[30:], curve, rtol=0, atol=1e-10)
    for name, value in warm["params"].items():
        np.testing.assert_allclose(trainer.model.params[name], value, rtol=0, atol=1e-10)


# --- bad input: a clear error naming the value (copied from tests/test_bad_input.py) ----------------------


def tiny_text():
    return np.tile(np.arange(7), 60)


@pytest.mark.parametrize("poison", ["nan weight", "huge lr"])
def test_char_trainer_stops_when_the_loss_is_not_finite(poison):
    model = NumpyRNN(7, 8, np.random.default_rng(0))
    trainer = CharTrainer(model, tiny_text(), seq_length=10, lr=1e6 if poison == "huge lr" else 0.1)
    if poison == "nan weight":
        model.params["Whh"][0, 0] = math.nan
    with np.errstate(all="ignore"), pytest.raises(FloatingPointError) as caught:
        for _ in range(20):
            trainer.step()
    good = len(trainer.losses)
    assert f"at iteration {good} " in str(caught.value) and "lower lr than" in str(caught.value)
    assert all(map(math.isfinite, trainer.losses + trainer.smooth_losses))
    params = {k: v.copy() for k, v in model.params.items()}
    with np.errstate(all="ignore"), pytest.raises(FloatingPointError):
        trainer.step()  # the failed step changed nothing: it fails again
    for name, value in params.items():
        np.testing.assert_array_equal(model.params[name], value)


@pytest.mark.parametrize("kwargs, match", [
    ({"seq_length": 0}, "seq_length must be a positive integer, got 0"),
    ({"seq_length": -5}, "seq_length must be a positive integer, got -5"),
    ({"batch_size": 0}, "batch_size must be a positive integer, got 0"),
    ({"seq_length": 2.5}, "seq_length must be a positive integer, got 2.5"),
])
def test_char_trainer_refuses_bad_sizes(kwargs, match):
    with pytest.raises(ValueError, match=match):
        CharTrainer(NumpyRNN(7, 4, np.random.default_rng(0)), tiny_text(), **kwargs)


@pytest.mark.parametrize("cls", [NumpyRNN, NumpyLSTM])
@pytest.mark.parametrize("which, bad", [("targets", 7), ("targets", -1), ("inputs", -1), ("inputs", 7)])
def test_numpy_models_refuse_ids_outside_the_vocabulary(cls, which, bad):
    model = cls(7, 4, np.random.default_rng(0))
    ids = {"inputs": np.array([[1, 2, 3]]), "targets": np.array([[2, 3, 4]])}
    ids[which][0, 1] = bad
    with pytest.raises(ValueError, match=r"ids must lie in \[0, 7\) for this model"):
        model.loss_and_grads(ids["inputs"], ids["targets"], model.zero_state(1))


def test_numpy_models_refuse_float_ids_and_empty_sequences():
    model = NumpyRNN(7, 4, np.random.default_rng(0))
    with pytest.raises(TypeError, match="ids must be integers"):
        model.loss_and_grads(np.array([1.0, 2.0]), np.array([2, 3]), model.zero_state(1))
    with pytest.raises(ValueError, match="T >= 1"):
        model.loss_and_grads(np.array([], dtype=int), np.array([], dtype=int), model.zero_state(1))


@pytest.mark.parametrize("prompt, error, match", [
    ([2, -1], ValueError, r"prompt id -1 at position 1 is outside .* \[0, 7\)"),
    ([7], ValueError, r"prompt id 7 at position 0"),
    ([1.0], TypeError, r"prompt ids must be integers; got 1.0 at position 0"),
])
def test_numpy_sampler_refuses_bad_prompt_ids(prompt, error, match):
    with pytest.raises(error, match=match):
        sample_ids(NumpyRNN(7, 4, np.random.default_rng(0)), prompt, 5)


def test_numpy_sampling_follows_the_global_seed():
    model = NumpyRNN(7, 4, np.random.default_rng(0))

    def draw():
        lu.seed_everything(5)
        return sample_ids(model, [1], 40), sample_ids(model, [1], 40)

    first, again = draw(), draw()
    assert first == again and first[0] != first[1]


# --- bad input the reliability review found (D16, D20, the numpy rows), and more of the kind ----------


@pytest.mark.parametrize("n, match", [(-5, "n must be a non-negative integer, got -5"),
                                      (2.5, "n must be a non-negative integer, got 2.5"),
                                      (True, "n must be a non-negative integer, got True")])
def test_sampler_refuses_a_negative_or_fractional_count(tiny, n, match):
    """Before: n=-5 returned the prompt alone, 2.5 a raw TypeError from range()."""
    model, vocab = tiny
    with pytest.raises(ValueError, match=match):
        sample_ids(model, [1], n)
    with pytest.raises(ValueError, match=match):
        sample_text(model, vocab, "а", n)
    assert sample_ids(model, [1], np.int64(3), rng=np.random.default_rng(0)) == \
        sample_ids(model, [1], 3, rng=np.random.default_rng(0))  # numpy integers are counts too
    assert sample_ids(model, [1], 0) == []


@pytest.mark.parametrize("cls", [NumpyRNN, NumpyLSTM])
@pytest.mark.parametrize("poison, match", [
    ("nan weight", "scores hold NaN after 0 sampled id"),
    ("inf bias", "scores hold inf after 0 sampled id"),
    ("tiny temperature", "temperature 1e-320 is too small"),
])
def test_sampler_names_why_it_cannot_draw(cls, poison, match):
    """Before: numpy's raw "Probabilities contain NaN" from rng.choice."""
    model = cls(7, 4, np.random.default_rng(0))
    temperature = 1e-320 if poison == "tiny temperature" else 1.0
    if poison == "nan weight":
        model.params["Why"][2, 1] = math.nan
    elif poison == "inf bias":
        model.params["by"][3] = math.inf
    else:
        model.params["by"][3] = 1.0  # scores far from 0: divided by 1e-320 they overflow
    with np.errstate(all="ignore"), pytest.raises(ValueError, match=match):
        sample_ids(model, [1], 5, temperature=temperature, rng=np.random.default_rng(0))


def test_a_very_low_temperature_that_fits_a_float_is_greedy(tiny):
    model, vocab = tiny
    model.params["by"][vocab.id("г")] = 3.0
    assert sample_text(model, vocab, "а", 10, temperature=1e-300, rng=np.random.default_rng(0)) == "а" + "г" * 10


@pytest.mark.parametrize("prompt, error, match", [
    (3, TypeError, "prompt_ids must be a 1-D sequence of ids"),
    ("аб", TypeError, "prompt_ids must be a 1-D sequence of ids .*vocab.encode"),
    (np.array([[1, 2]]), TypeError, "prompt_ids must be a 1-D sequence"),
    ([True], TypeError, "prompt ids must be integers; got True"),
])
def test_sampler_refuses_prompts_that_are_not_ids(tiny, prompt, error, match):
    model, _ = tiny
    with pytest.raises(error, match=match):
        sample_ids(model, prompt, 3)


def test_sampler_refuses_a_seed_for_a_generator_and_a_state_of_another_shape(tiny):
    model, _ = tiny
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        sample_ids(model, [1], 3, rng=42)
    with pytest.raises(ValueError, match=r"state h has shape \(1, 5\).*need \(1, 8\)"):
        sample_ids(model, [1], 3, state=np.zeros((1, 5)))
    one = sample_ids(model, [1], 5, state=np.full(8, 0.3), rng=np.random.default_rng(2))
    assert one == sample_ids(model, [1], 5, state=np.full((1, 8), 0.3), rng=np.random.default_rng(2))


@pytest.mark.parametrize("cls", [NumpyRNN, NumpyLSTM])
@pytest.mark.parametrize("shape, match", [
    ((2, 4), r"state h has shape \(2, 4\), but 3 stream\(s\) .*hidden size 4\) need \(3, 4\)"),  # N3d
    ((3, 8), r"state h has shape \(3, 8\), but 3 stream\(s\)"),  # N3f
    ((3, 4, 1), r"state h has shape \(3, 4, 1\)"),
])
def test_numpy_models_refuse_a_state_of_another_batch_or_hidden_size(cls, shape, match):
    """Before: numpy's raw "could not broadcast input array from shape (2,4) into shape (3,4)"."""
    model = cls(5, 4, np.random.default_rng(0))
    ids = np.zeros((3, 6), dtype=int)
    state = np.zeros(shape)
    state = (state, np.zeros((3, 4))) if cls is NumpyLSTM else state
    with pytest.raises(ValueError, match=match):
        model.loss_and_grads(ids, ids, state)


def test_a_state_shared_by_every_stream_is_still_accepted():
    """(1, H) or (H,): every stream starts from the same state, as numpy broadcasting always gave."""
    model = NumpyRNN(5, 4, np.random.default_rng(0))
    ids = np.random.default_rng(1).integers(5, size=(3, 6))
    h = np.random.default_rng(2).standard_normal(4)
    losses = [model.loss_and_grads(ids, ids, state)[0] for state in (h, h[None], np.tile(h, (3, 1)))]
    assert losses[0] == losses[1] == losses[2]


def test_numpy_models_refuse_the_state_of_the_other_kind():
    rnn, lstm = NumpyRNN(5, 4, np.random.default_rng(0)), NumpyLSTM(5, 4, np.random.default_rng(0))
    ids = np.zeros((2, 3), dtype=int)
    with pytest.raises(TypeError, match=r"NumpyRNN is one array h, got a tuple of 2 \(an LSTM's"):
        rnn.loss_and_grads(ids, ids, lstm.zero_state(2))
    with pytest.raises(TypeError, match=r"NumpyLSTM is a tuple \(h, c\), got ndarray"):
        lstm.loss_and_grads(ids, ids, rnn.zero_state(2))


@pytest.mark.parametrize("clip", [0, -1.0, math.nan])
def test_clip_must_be_positive(clip):
    """A negative clip would set every gradient to -clip, 0 freeze the model: refused in both places."""
    model = NumpyRNN(7, 4, np.random.default_rng(0))
    with pytest.raises(ValueError, match="clip must be"):
        CharTrainer(model, tiny_text(), seq_length=10, clip=clip)
    with pytest.raises(ValueError, match="clip must be"):
        model.loss_and_grads(np.array([1, 2]), np.array([2, 3]), model.zero_state(1), clip=clip)
    CharTrainer(model, tiny_text(), seq_length=10, clip=None).step()  # no clipping: the lecture's exercise


@pytest.mark.parametrize("kwargs, error, match", [
    ({"lr": 0}, ValueError, "lr must be positive, got 0"),
    ({"lr": -0.1}, ValueError, "lr must be positive, got -0.1"),
    ({"lr": math.nan}, ValueError, "lr must be a finite number, got nan"),
    ({"batch_size": np.int64(2)}, None, None),
])
def test_char_trainer_checks_the_learning_rate(kwargs, error, match):
    model = NumpyRNN(7, 4, np.random.default_rng(0))
    if error is None:
        assert CharTrainer(model, tiny_text(), seq_length=10, **kwargs).tracks.shape == (2, 210)
        return
    with pytest.raises(error, match=match):
        CharTrainer(model, tiny_text(), seq_length=10, **kwargs)


def test_char_trainer_run_refuses_a_negative_number_of_iterations():
    trainer = CharTrainer(NumpyRNN(7, 4, np.random.default_rng(0)), tiny_text(), seq_length=10)
    with pytest.raises(ValueError, match="iterations must be a non-negative integer, got -3"):
        trainer.run(-3)
    trainer.run(0)
    assert trainer.iteration == 0


@pytest.mark.parametrize("args, error, match", [
    ((0, 4), ValueError, "vocab_size must be a positive integer, got 0"),
    ((7, -1), ValueError, "hidden_size must be a positive integer, got -1"),
    ((7, 2.5), ValueError, "hidden_size must be a positive integer, got 2.5"),
])
@pytest.mark.parametrize("cls", [NumpyRNN, NumpyLSTM])
def test_numpy_models_check_their_sizes(cls, args, error, match):
    with pytest.raises(error, match=match):
        cls(*args, np.random.default_rng(0))


def test_numpy_models_check_their_generator_scale_and_dtype():
    assert NumpyRNN(np.int64(7), np.int64(4), np.random.default_rng(0)).hidden_size == 4  # D21: numpy ints
    with pytest.raises(TypeError, match=r"rng must be a numpy Generator .*got 0"):
        NumpyRNN(7, 4, 0)
    with pytest.raises(ValueError, match="scale must be non-negative, got -0.1"):
        NumpyLSTM(7, 4, np.random.default_rng(0), scale=-0.1)
    with pytest.raises(TypeError, match="dtype must be a floating-point type"):
        NumpyRNN(7, 4, np.random.default_rng(0), dtype=np.int32)


def test_grad_check_checks_its_arguments():
    model = random_model(NumpyRNN, 7, 5, seed=0)
    inputs, targets, state = random_batch(model, 7, 6, 2, seed=0)
    _, grads, _ = model.loss_and_grads(inputs, targets, state, clip=None)

    def loss():
        return model.loss_and_grads(inputs, targets, state, clip=None)[0]

    with pytest.raises(ValueError, match="num_checks must be a positive integer, got 0"):
        grad_check(loss, model.params, grads, num_checks=0)
    with pytest.raises(ValueError, match="delta must be positive"):
        grad_check(loss, model.params, grads, delta=0)
    with pytest.raises(ValueError, match=r"no gradient for \['Why', 'by'\]"):
        grad_check(loss, model.params, {k: v for k, v in grads.items() if k not in ("Why", "by")})


def test_grad_check_sampling_nonzero_entries_and_reporting_the_worst():
    """nonzero=True checks only entries with a gradient; worst=True shows one wrong entry among many right ones."""
    V, H = 30, 5
    model = random_model(NumpyRNN, V, H, seed=3)
    inputs, targets, state = random_batch(model, 4, 6, 1, seed=3)  # ids < 4: most columns of Wxh get nothing
    _, grads, _ = model.loss_and_grads(inputs, targets, state, clip=None)
    grads = {k: g.copy() for k, g in grads.items()}
    nudged = []

    def loss():
        nudged.append(np.flatnonzero(model.params["Wxh"] != saved))
        return model.loss_and_grads(inputs, targets, state, clip=None)[0]

    saved = model.params["Wxh"].copy()
    grad_check(loss, {"Wxh": model.params["Wxh"]}, grads, num_checks=8, nonzero=True)
    touched = {int(i) for entries in nudged for i in entries}
    assert len(touched) == 8 and all(grads["Wxh"].ravel()[i] != 0 for i in touched)
    assert np.count_nonzero(grads["Wxh"]) < 0.2 * grads["Wxh"].size

    def full_loss():
        return model.loss_and_grads(inputs, targets, state, clip=None)[0]

    wrong = {k: g.copy() for k, g in grads.items()}
    typical = np.argsort(np.abs(grads["Why"]).ravel())[grads["Why"].size // 2]
    wrong["Why"].flat[typical] *= -1  # one entry of 150, of a typical size, has the wrong sign
    norm = grad_check(full_loss, model.params, wrong, num_checks=None)
    worst = grad_check(full_loss, model.params, wrong, num_checks=None, worst=True)
    right = grad_check(full_loss, model.params, grads, num_checks=None, nonzero=True, worst=True)
    assert worst["Why"] == pytest.approx(1.0) and norm["Why"] < 0.1
    assert max(right.values()) < 1e-5


def test_grad_check_catches_the_source_notebooks_dWhh_bug(lecture):
    """The lecture's demo: dWhh from the new state h_t instead of h_(t-1) (the source notebook's bug)
    differs from the right backward pass in dWhh only, and the check flags exactly that."""
    V, H, T = 9, 6, 12
    model = random_model(NumpyRNN, V, H, seed=4)
    params = {k: v.copy() for k, v in model.params.items()}
    ids = np.random.default_rng(4).integers(V, size=T + 1)
    h0 = np.random.default_rng(5).standard_normal(H) * 0.5
    states, probs = lecture["rnn_forward"](params, ids[:-1], h0)
    right = lecture["rnn_backward"](params, ids[:-1], ids[1:], states, probs)
    bug = lecture["rnn_backward_with_bug"](params, ids[:-1], ids[1:], states, probs)
    assert [k for k in right if not np.array_equal(right[k], bug[k])] == ["Whh"]

    def loss():
        return lecture["chunk_loss_and_grads"](params, ids[:-1], ids[1:], h0, clip=None)[0]

    right_errors = grad_check(loss, params, right, num_checks=20, nonzero=True, worst=True)
    bug_errors = grad_check(loss, params, bug, num_checks=20, nonzero=True, worst=True)
    assert max(right_errors.values()) < 1e-5
    assert bug_errors["Whh"] > 1e-2 and all(bug_errors[k] == right_errors[k] for k in params if k != "Whh")


def test_window_means_and_the_source_smoothing():
    np.testing.assert_allclose(window_means([1, 2, 3, 4, 5], 2), [1.5, 3.5])  # the short last block is dropped
    assert window_means([1.0], 2).size == 0
    losses = np.full(400, 50.0)
    mine = source_smoothing(losses, 123.0, 800)  # 32 source iterations per iteration
    theirs = source_smoothing(np.full(400 * 32, 50.0), 123.0, 25)  # the source itself: one per iteration
    np.testing.assert_allclose(mine, theirs[31::32])  # the same memory, counted in characters
    assert mine[311] == pytest.approx(50 + 73 * 0.999 ** (312 * 32))  # the start is forgotten per character
    with pytest.raises(ValueError, match="window must be a positive integer"):
        window_means([1.0], 0)


def test_a_shipped_run_is_determined_by_its_seed():
    config = dict(LONG_SETTINGS, model="LSTM", lr=0.05, iterations=6, window=3, at_chars=[1600, 10**9])
    first, again = training_curve(config, 7), training_curve(config, 7)
    assert first == again and first != training_curve(config, 8)
    assert len(first["loss"]) == len(first["saturated"]) == len(first["source_smooth"]) == 2
    assert first["source_smooth_at"] == [first["source_smooth_at"][0], first["source_smooth"][-1]]
    with pytest.raises(ValueError, match="model must be one of"):
        training_curve(dict(config, model="GRU"), 0)


def test_the_learning_rate_sweep_reproduces_one_run():
    """One shipped run of 02_learning_rate (η = 0.05, seed 0: 1000 iterations, a few seconds) re-run
    and compared number by number with results/02_learning_rate.json."""
    sweep = next(s for s in SWEEPS if s.name == "learning_rate")
    index = [config["lr"] for config in sweep.configs].index(0.05)
    shipped = load_results(sweep)
    if made_on_this_cpu(shipped):
        fresh = reproduce(sweep, index, sweep.seeds[0], rtol=1e-5, atol=1e-7)
    else:  # float32 numpy: another CPU model's BLAS kernels change even the first window (84 vs 91 on AMD)
        fresh = sweep.run_config(index, [sweep.seeds[0]])[0]
        stored = runs_of(shipped, index)[0]["result"]
        assert_same_course(fresh["loss"], stored["loss"])
    assert len(fresh["loss"]) == 20


def assert_same_course(fresh, stored, rtol=0.05):
    """A curve run on another CPU model than the shipped one: the mean over its windows and the mean of
    its last quarter agree with the shipped curve's to `rtol` (a wrong learning rate, model or data moves
    them by far more; the window-by-window path is chaotic and differs from the first window on)."""
    fresh, stored = np.asarray(fresh, float), np.asarray(stored, float)[:len(fresh)]
    quarter = max(1, len(fresh) // 4)
    np.testing.assert_allclose([fresh.mean(), fresh[-quarter:].mean()],
                               [stored.mean(), stored[-quarter:].mean()], rtol=rtol)


@pytest.mark.parametrize("model", ["RNN", "LSTM"])
def test_the_long_runs_reproduce_their_first_windows(model):
    """The long runs of 02_rnn_lstm cost a minute each: re-run the first 300 iterations of seed 0
    and compare them with the first windows shipped (a window's numbers do not depend on later ones)."""
    sweep = next(s for s in SWEEPS if s.name == "rnn_lstm")
    index = [config["model"] for config in sweep.configs].index(model)
    config = dict(sweep.configs[index], **sweep.fixed, iterations=300)
    config.pop("at_chars", None)
    fresh = training_curve(config, sweep.seeds[0])
    results = load_results(sweep)
    shipped = next(run["result"] for run in runs_of(results, index) if run["seed"] == sweep.seeds[0])
    if not made_on_this_cpu(results):
        assert_same_course(fresh["loss"], shipped["loss"])
        return
    for key, values in fresh.items():
        np.testing.assert_allclose(values, shipped[key][:len(values)], rtol=1e-5, atol=1e-7, err_msg=key)


# ------------------------------------------------------------------ exercise 4's check, both ways


def test_check_top_k_passes_the_reference_solution(lecture, capsys):
    assert check_top_k(lecture["sample_top_k"]) is True
    assert "top-3: верно (χ²" in capsys.readouterr().out


def test_check_top_k_names_typical_mistakes(lecture):
    softmax = lecture["softmax"]

    def greedy(scores, k, rng):
        return int(np.argmax(scores))

    def not_renormalised(scores, k, rng):  # the others set to 0, the k kept as they are
        p = softmax(scores)
        p[np.argsort(p)[:-k]] = 0
        return int(rng.choice(len(p), p=p))

    def every_id(scores, k, rng):  # k forgotten
        return int(rng.choice(len(scores), p=softmax(scores)))

    with pytest.raises(CheckFailed, match=r"top-3: все 3\u202f?000 выборок — символ 0: это жадный выбор"):
        check_top_k(greedy)
    with pytest.raises(CheckFailed, match="top-3: вероятности k символов не нормированы"):
        check_top_k(not_renormalised)
    with pytest.raises(CheckFailed, match=r"top-3: исход \d выпал \d+ раз, а его вероятность 0"):
        check_top_k(every_id)
    with pytest.raises(CheckFailed, match="должна вернуть один номер символа"):
        check_top_k(lambda scores, k, rng: np.array([0, 2]))


def test_top_k_distribution_and_spread_with_every_seed():
    np.testing.assert_allclose(top_k_distribution([0.0, 2.0, 1.0], 2),
                               np.r_[0, np.exp(2), np.exp(1)] / (np.exp(2) + np.exp(1)))
    with pytest.raises(ValueError, match="k must be in 1..3"):
        top_k_distribution([0.0, 2.0, 1.0], 4)
    assert spread([55.6, 56.2, 54.8, 55.8, 56.9], each=True) == "55,8 [55,6–56,2] (55,6 56,2 54,8 55,8 56,9)"


def test_the_students_edition_leaves_exercise_4_unsolved(tmp_path, capsys):
    """With the solution replaced by a placeholder (tools/student.py), sample_top_k returns None and
    the check says «не решено» instead of failing."""
    from .conftest import student_teach_namespace

    unsolved = student_teach_namespace(LECTURE, tmp_path)
    assert unsolved["sample_top_k"](np.zeros(4), 2, np.random.default_rng(0)) is None
    assert check_top_k(unsolved["sample_top_k"]) is False
    assert "top-3: не решено" in capsys.readouterr().out
