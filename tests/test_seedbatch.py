"""seedbatch: copies of a small recurrent network trained as one computation equal torch's modules,
one seed at a time, in the forward pass, the gradients, the clipping and a few steps of training."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from lecture_utils.seedbatch import SeedBatchedRNN, clip_per_seed

KINDS = [("rnn", None, "torch"), ("rnn", None, "orthogonal"), ("lstm", 0.0, "torch"), ("lstm", 2.0, "torch"),
         ("gru", None, "torch")]


def torch_copy(model: SeedBatchedRNN, seed: int) -> tuple[nn.Module, nn.Linear]:
    return model.reference(seed)


def reference_output(cell, head, x):
    out, _ = cell(x)
    return head(out[:, -1])


@pytest.mark.parametrize("kind, forget_bias, init", KINDS)
def test_each_copy_computes_what_torch_computes(kind, forget_bias, init):
    seeds = [3, 0, 11]
    model = SeedBatchedRNN(kind, 3, 5, 2, seeds, forget_bias=forget_bias, init=init)
    x = torch.randn(len(seeds), 4, 6, 3, generator=torch.Generator().manual_seed(1))
    out = model(x)
    assert out.shape == (3, 4, 2)
    for k, seed in enumerate(seeds):
        cell, head = torch_copy(model, seed)
        torch.testing.assert_close(out[k], reference_output(cell, head, x[k]), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind, forget_bias, init", KINDS)
def test_each_copy_gets_torch_s_gradients(kind, forget_bias, init):
    seeds = [1, 2]
    model = SeedBatchedRNN(kind, 2, 4, 1, seeds, forget_bias=forget_bias, init=init)
    x = torch.randn(2, 3, 5, 2, generator=torch.Generator().manual_seed(2))
    y = torch.randn(2, 3)
    ((model(x).squeeze(-1) - y) ** 2).mean(dim=1).sum().backward()
    for k, seed in enumerate(seeds):
        cell, head = torch_copy(model, seed)
        ((reference_output(cell, head, x[k]).squeeze(-1) - y[k]) ** 2).mean().backward()
        pairs = [(model.w_hh, cell.weight_hh_l0.grad.T), (model.w_ih, cell.weight_ih_l0.grad.T),
                 (model.b_ih, cell.bias_ih_l0.grad[None]), (model.b_hh, cell.bias_hh_l0.grad[None]),
                 (model.w_out, head.weight.grad.T), (model.b_out, head.bias.grad[None])]
        for batched, expected in pairs:
            torch.testing.assert_close(batched.grad[k], expected, rtol=1e-4, atol=1e-6)


def test_the_initial_weights_are_torch_s_for_that_seed():
    model = SeedBatchedRNN("lstm", 2, 4, 1, [7], forget_bias=1.0)
    torch.manual_seed(7)
    lstm = nn.LSTM(2, 4, batch_first=True)
    torch.testing.assert_close(model.w_hh[0], lstm.weight_hh_l0.T)
    forget = slice(4, 8)
    assert torch.all(model.b_ih[0, 0, forget] + model.b_hh[0, 0, forget] == 1.0)


def test_orthogonal_init_gives_an_orthogonal_recurrent_matrix():
    model = SeedBatchedRNN("rnn", 2, 6, 1, [0, 1], init="orthogonal")
    for k in range(2):
        w = model.w_hh[k].detach()
        torch.testing.assert_close(w @ w.T, torch.eye(6), atol=1e-5, rtol=0)


def test_clip_per_seed_equals_clip_grad_norm_of_each_copy():
    params = [torch.zeros(3, 4, 5, requires_grad=True), torch.zeros(3, 1, 5, requires_grad=True)]
    scale = torch.tensor([0.01, 1.0, 50.0])
    grads = [torch.randn(3, 4, 5) * scale.view(3, 1, 1), torch.randn(3, 1, 5) * scale.view(3, 1, 1)]
    for p, g in zip(params, grads):
        p.grad = g.clone()
    norms = clip_per_seed(params, 1.0)
    for k in range(3):
        single = [torch.zeros(4, 5, requires_grad=True), torch.zeros(1, 5, requires_grad=True)]
        for p, g in zip(single, grads):
            p.grad = g[k].clone()
        expected_norm = nn.utils.clip_grad_norm_(single, 1.0)
        torch.testing.assert_close(norms[k], expected_norm)
        for p, q in zip(params, single):
            torch.testing.assert_close(p.grad[k], q.grad)
    assert norms[0] < 1 and torch.equal(params[0].grad[0], grads[0][0])  # a small gradient is left alone


def test_training_copies_together_equals_training_each_alone():
    def train(seeds):
        model = SeedBatchedRNN("gru", 2, 4, 1, seeds)
        opt = torch.optim.Adam(model.parameters(), lr=0.05)
        gens = [torch.Generator().manual_seed(100 + s) for s in seeds]
        for _ in range(15):
            x = torch.stack([torch.randn(8, 5, 2, generator=g) for g in gens])
            y = x[..., 0].sum(dim=2)
            loss = ((model(x).squeeze(-1) - y) ** 2).mean(dim=1).sum()
            opt.zero_grad()
            loss.backward()
            clip_per_seed(list(model.parameters()), 0.5)
            opt.step()
        return model

    together = train([0, 1, 2])
    for k, seed in enumerate([0, 1, 2]):
        alone = train([seed])
        for a, b in zip(together.parameters(), alone.parameters()):
            torch.testing.assert_close(a[k], b[0], rtol=1e-4, atol=1e-5)


def test_return_states():
    model = SeedBatchedRNN("rnn", 2, 3, 1, [0])
    out, states = model(torch.randn(1, 2, 4, 2), return_states=True)
    assert states.shape == (1, 2, 4, 3)
    torch.testing.assert_close(out, torch.baddbmm(model.b_out, states[:, :, -1], model.w_out))


@pytest.mark.parametrize("kwargs, match", [
    (dict(kind="elman"), "kind must be one of"),
    (dict(init="xavier"), "init must be one of"),
    (dict(kind="gru", forget_bias=1.0), "forget_bias=1.0 needs an LSTM"),
    (dict(seeds=[1, 1]), "distinct"),
    (dict(seeds=[]), "distinct"),
    (dict(seeds=[-1]), "seed"),
    (dict(hidden_size=0), "hidden_size"),
])
def test_bad_arguments_are_named(kwargs, match):
    args = dict(kind="rnn", input_size=2, hidden_size=3, output_size=1, seeds=[0]) | kwargs
    with pytest.raises((ValueError, TypeError), match=match):
        SeedBatchedRNN(**args)


def test_a_wrong_input_shape_is_named():
    model = SeedBatchedRNN("rnn", 2, 3, 1, [0, 1])
    with pytest.raises(ValueError, match=r"\(seeds=2, batch, time, 2\), got \(1, 4, 5, 2\)"):
        model(torch.zeros(1, 4, 5, 2))


def test_clip_needs_gradients_and_a_positive_norm():
    p = torch.zeros(2, 3, requires_grad=True)
    with pytest.raises(ValueError, match="backward"):
        clip_per_seed([p], 1.0)
    p.grad = torch.ones(2, 3)
    with pytest.raises(ValueError, match="max_norm must be positive, got 0"):
        clip_per_seed([p], 0)
