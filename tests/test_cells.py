"""Hand-written LSTM and GRU cells (lecture_utils.cells) against torch.nn.LSTM / torch.nn.GRU."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from lecture_utils.cells import GRUCell, LSTMCell, run_sequence, time_cells

KINDS = {"lstm": (LSTMCell, nn.LSTM), "gru": (GRUCell, nn.GRU)}
# (seed, batch, steps, input_size, hidden_size): batch 1 and single steps included
SHAPES = [(0, 1, 1, 1, 1), (1, 1, 9, 3, 5), (2, 4, 13, 10, 8), (3, 7, 6, 16, 32), (4, 2, 25, 5, 3)]
DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(
    not torch.cuda.is_available(), reason="no CUDA device"))]
TOL = dict(atol=1e-5, rtol=0)  # the bar: 1e-5 in float32, absolute


@pytest.fixture
def exact_cuda_float32(monkeypatch):
    """cuDNN's RNNs may use TF32 tensor cores (10-bit mantissa) by default: fine for
    training, but then no float32 implementation can match them to 1e-5."""
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", False)
    monkeypatch.setattr(torch.backends.cuda.matmul, "allow_tf32", False)


def torch_state(kind, state):
    """A cell's state (B, H) as the library module wants it: (num_layers=1, B, H)."""
    return tuple(s[None] for s in state) if kind == "lstm" else state[None]


def leaves(kind, batch, hidden, steps, input_size, device, generator):
    """Random input and initial state that require gradients, made on the CPU for
    the same numbers on every device."""
    def rand(*shape):
        return torch.randn(*shape, generator=generator).to(device).requires_grad_()
    x = rand(batch, steps, input_size)
    state = (rand(batch, hidden), rand(batch, hidden)) if kind == "lstm" else rand(batch, hidden)
    return x, state


def flat(state):
    return list(state) if isinstance(state, tuple) else [state]


def weighted_loss(outputs, final, generator):
    """A loss that weighs every output and final-state entry differently, so that a
    gradient sent to the wrong place cannot cancel out as it could under a plain sum."""
    tensors = [outputs, *flat(final)]
    weights = [torch.randn(t.shape, generator=generator).to(t.device) for t in tensors]
    return sum((t * w).sum() for t, w in zip(tensors, weights))


def both_ways(kind, seed, batch, steps, input_size, hidden, device, permute=None):
    """Outputs, final state and gradients of the hand-written cell and of the library module
    from the same weights, input and initial state.

    ``permute`` rearranges the hand-written cell's gate blocks after the copy, to show
    that the comparison catches a wrong gate order.
    """
    cell_class, module_class = KINDS[kind]
    torch.manual_seed(seed)
    module = module_class(input_size, hidden, batch_first=True).to(device)
    cell = cell_class.from_torch(module)
    if permute is not None:
        with torch.no_grad():
            for p in cell.parameters():
                p.copy_(p.view(cell.GATES, hidden, -1)[list(permute)].view_as(p))
    results = []
    for name, params in (("hand", cell.parameters()), ("torch", module.parameters())):
        generator = torch.Generator().manual_seed(seed)
        x, state = leaves(kind, batch, hidden, steps, input_size, device, generator)
        if name == "hand":
            outputs, final = run_sequence(cell, x, state)
        else:
            outputs, final = module(x, torch_state(kind, state))
            final = tuple(s[0] for s in final) if kind == "lstm" else final[0]
        inputs = [x, *flat(state), *params]
        grads = torch.autograd.grad(weighted_loss(outputs, final, generator), inputs)
        results.append((outputs, flat(final), grads))
    return results


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("seed, batch, steps, input_size, hidden", SHAPES)
@pytest.mark.parametrize("kind", KINDS)
def test_cell_matches_torch(kind, seed, batch, steps, input_size, hidden, device,
                            exact_cuda_float32):
    (out, final, grads), (ref_out, ref_final, ref_grads) = both_ways(
        kind, seed, batch, steps, input_size, hidden, device)
    assert out.shape == ref_out.shape == (batch, steps, hidden)
    assert out.dtype == torch.float32 and out.device.type == device
    torch.testing.assert_close(out, ref_out, **TOL)
    for mine, ref in zip(final, ref_final, strict=True):
        torch.testing.assert_close(mine, ref, **TOL)
    # gradients w.r.t. x, the initial state and weight_ih, weight_hh, bias_ih, bias_hh
    assert len(grads) == len(ref_grads) == 1 + len(final) + 4
    for mine, ref in zip(grads, ref_grads, strict=True):
        torch.testing.assert_close(mine, ref, **TOL)


@pytest.mark.parametrize("kind", KINDS)
def test_larger_shape_matches_torch_to_float32_precision(kind):
    """At a size nearer the lecture's, a parameter's gradient sums B * T products and
    reaches tens (hundreds at B=64, T=100, H=256), so two correct float32 implementations
    summing in another order differ by ~1e-6 of its largest entry: the tolerance is 1e-5
    of that scale (absolute 1e-5 for anything of size <= 1, such as the outputs)."""
    (out, final, grads), (ref_out, ref_final, ref_grads) = both_ways(kind, 7, 16, 50, 48, 128, "cpu")
    for mine, ref in zip([out, *final, *grads], [ref_out, *ref_final, *ref_grads], strict=True):
        scale = max(1.0, ref.abs().max().item())
        torch.testing.assert_close(mine, ref, atol=1e-5 * scale, rtol=0)


@pytest.mark.parametrize("kind, permute", [("lstm", (1, 0, 2, 3)), ("lstm", (0, 1, 3, 2)),
                                           ("gru", (1, 0, 2))])
def test_wrong_gate_order_is_caught(kind, permute):
    """The comparison above bites: swapping two gate blocks (i <-> f, g <-> o, r <-> z)
    moves outputs and gradients far beyond the tolerance."""
    (out, _, grads), (ref_out, _, ref_grads) = both_ways(kind, 2, 4, 13, 10, 8, "cpu", permute)
    assert (out - ref_out).abs().max() > 1e-2
    assert max((g - r).abs().max() for g, r in zip(grads, ref_grads)) > 1e-2


def test_gru_reset_gate_placement_is_caught():
    """torch's GRU applies r after the matmul, r * (W_hn h + b_hn); the textbook variant
    W_hn (r * h) + b_hn is another model, and the comparison tells them apart."""
    torch.manual_seed(0)
    module = nn.GRU(10, 8, batch_first=True)
    cell = GRUCell.from_torch(module)
    x, h = torch.randn(4, 13, 10), torch.randn(4, 8)

    def textbook_step(x_t, h):
        x_r, x_z, x_n = (x_t @ cell.weight_ih.T + cell.bias_ih).chunk(3, dim=1)
        w_r, w_z, w_n = cell.weight_hh.chunk(3, dim=0)
        b_r, b_z, b_n = cell.bias_hh.chunk(3)
        r = torch.sigmoid(x_r + h @ w_r.T + b_r)
        z = torch.sigmoid(x_z + h @ w_z.T + b_z)
        n = torch.tanh(x_n + (r * h) @ w_n.T + b_n)
        return (1 - z) * n + z * h

    with torch.no_grad():
        reference = module(x, h[None])[0]
        torch.testing.assert_close(run_sequence(cell, x, h)[0], reference, **TOL)
        state, outputs = h, []
        for t in range(x.shape[1]):
            state = textbook_step(x[:, t], state)
            outputs.append(state)
        assert (torch.stack(outputs, 1) - reference).abs().max() > 1e-2


def test_two_stacked_cells_match_a_two_layer_module():
    """from_torch(module, layer=k) takes layer k: two cells in a row are a 2-layer nn.LSTM."""
    torch.manual_seed(5)
    module = nn.LSTM(6, 7, num_layers=2, batch_first=True)
    first, second = LSTMCell.from_torch(module, 0), LSTMCell.from_torch(module, 1)
    assert (first.input_size, second.input_size) == (6, 7)
    x = torch.randn(3, 11, 6)
    with torch.no_grad():
        outputs, (h, c) = module(x)
        middle, (h0, c0) = run_sequence(first, x)
        mine, (h1, c1) = run_sequence(second, middle)
    torch.testing.assert_close(mine, outputs, **TOL)
    torch.testing.assert_close(torch.stack([h0, h1]), h, **TOL)
    torch.testing.assert_close(torch.stack([c0, c1]), c, **TOL)


@pytest.mark.parametrize("cell_class, torch_class", [(LSTMCell, nn.LSTMCell), (GRUCell, nn.GRUCell)])
def test_single_step_matches_torch_cell(cell_class, torch_class):
    torch.manual_seed(3)
    reference = torch_class(5, 4)
    cell = cell_class.from_torch(reference)
    x = torch.randn(2, 5)
    state = (torch.randn(2, 4), torch.randn(2, 4)) if cell_class is LSTMCell else torch.randn(2, 4)
    with torch.no_grad():
        for mine, ref in zip(flat(cell(x, state)), flat(reference(x, state)), strict=True):
            torch.testing.assert_close(mine, ref, **TOL)
        # no state means zeros, as in torch
        for mine, ref in zip(flat(cell(x)), flat(reference(x)), strict=True):
            torch.testing.assert_close(mine, ref, **TOL)


@pytest.mark.parametrize("cell_class", [LSTMCell, GRUCell])
def test_gradcheck_float64(cell_class):
    """Finite differences in float64 on a tiny cell: gradients w.r.t. the input, the initial
    state and every parameter (passed as inputs through torch.func.functional_call)."""
    torch.manual_seed(0)
    cell = cell_class(3, 2).double()
    names = [name for name, _ in cell.named_parameters()]
    x = torch.randn(2, 4, 3, dtype=torch.float64, requires_grad=True)
    hidden = [torch.randn(2, 2, dtype=torch.float64, requires_grad=True)
              for _ in range(2 if cell_class is LSTMCell else 1)]
    params = [p.detach().clone().requires_grad_() for p in cell.parameters()]

    def f(x, *rest):
        state = tuple(rest[:len(hidden)]) if len(hidden) == 2 else rest[0]
        values = dict(zip(names, rest[len(hidden):]))
        step = lambda x_t, s: torch.func.functional_call(cell, values, (x_t, s))
        outputs = []
        for t in range(x.shape[1]):
            state = step(x[:, t], state)
            outputs.append(state[0] if isinstance(state, tuple) else state)
        return torch.stack(outputs, 1), *flat(state)

    assert torch.autograd.gradcheck(f, (x, *hidden, *params))


@pytest.mark.parametrize("cell_class", [LSTMCell, GRUCell])
def test_parameters_have_torchs_names_shapes_and_initialisation(cell_class):
    torch_class = {LSTMCell: nn.LSTMCell, GRUCell: nn.GRUCell}[cell_class]
    torch.manual_seed(0)
    cell, reference = cell_class(48, 256), torch_class(48, 256)
    assert [(n, p.shape) for n, p in cell.named_parameters()] == \
        [(n, p.shape) for n, p in reference.named_parameters()]
    bound = 256 ** -0.5
    for p in cell.parameters():
        # uniform on (-bound, bound): inside it, filling it (mean ~0, variance bound**2 / 3)
        assert p.abs().max() <= bound
        assert p.abs().max() > 0.99 * bound
        assert abs(p.mean()) < 0.05 * bound
        assert abs(p.var() / (bound ** 2 / 3) - 1) < 0.1


def test_wrong_shapes_are_named():
    cell = LSTMCell(4, 3)
    with pytest.raises(ValueError, match=r"x of shape \(batch, 4\), got \(2, 5\)"):
        cell(torch.zeros(2, 5))
    with pytest.raises(ValueError, match=r"x of shape \(batch, 4\), got \(4,\)"):
        cell(torch.zeros(4))
    with pytest.raises(ValueError, match=r"shape \(2, 3\) for a batch of 2, got \(1, 3\)"):
        cell(torch.zeros(2, 4), (torch.zeros(1, 3), torch.zeros(2, 3)))
    with pytest.raises(ValueError, match=r"shape \(2, 3\) for a batch of 2, got \(2, 4\)"):
        GRUCell(4, 3)(torch.zeros(2, 4), torch.zeros(2, 4))
    with pytest.raises(TypeError, match=r"pair \(h, c\) of \(batch, hidden\) tensors, got Tensor"):
        cell(torch.zeros(2, 4), torch.zeros(2, 3))
    with pytest.raises(TypeError, match="one .* tensor h, got a tuple of 2"):
        GRUCell(4, 3)(torch.zeros(2, 4), (torch.zeros(2, 3), torch.zeros(2, 3)))
    with pytest.raises(ValueError, match=r"\(batch, time, 4\) with time >= 1, got \(2, 4\)"):
        run_sequence(cell, torch.zeros(2, 4))
    with pytest.raises(ValueError, match="hidden_size must be a positive integer, got 0"):
        GRUCell(4, 0)


def test_sizes_are_counts_of_any_integer_type_but_not_bools():
    cell = LSTMCell(np.int64(4), torch.tensor(3))
    assert (cell.input_size, cell.hidden_size) == (4, 3) and type(cell.hidden_size) is int
    with pytest.raises(ValueError, match="input_size must be a positive integer, got True"):
        GRUCell(True, 3)
    with pytest.raises(ValueError, match="hidden_size must be a positive integer, got 2.0"):
        GRUCell(3, 2.0)


def test_from_torch_refuses_what_it_cannot_copy():
    with pytest.raises(TypeError, match="copies from nn.LSTM or nn.LSTMCell, not GRU"):
        LSTMCell.from_torch(nn.GRU(3, 4))
    with pytest.raises(ValueError, match=r"layer must be in 0\.\.1, not 2"):
        GRUCell.from_torch(nn.GRU(3, 4, num_layers=2), layer=2)
    with pytest.raises(ValueError, match="proj_size"):
        LSTMCell.from_torch(nn.LSTM(3, 4, proj_size=2))
    with pytest.raises(ValueError, match="bias=False"):
        GRUCell.from_torch(nn.GRU(3, 4, bias=False))
    with pytest.raises(ValueError, match="only layer 0"):
        GRUCell.from_torch(nn.GRUCell(3, 4), layer=1)


def test_from_torch_copies_not_shares():
    module = nn.LSTM(3, 4)
    cell = LSTMCell.from_torch(module)
    with torch.no_grad():
        cell.weight_ih.zero_()
    assert module.weight_ih_l0.abs().sum() > 0


def test_time_cells_reports_both_and_leaves_the_random_state_alone():
    torch.manual_seed(1)
    expected = torch.rand(3)
    torch.manual_seed(1)
    rows = time_cells(shapes=[(2, 3, 4, 5)], repeats=1, device="cpu")
    assert torch.equal(torch.rand(3), expected)
    assert [r["cell"] for r in rows] == ["lstm", "gru"]
    for r in rows:
        assert r["hand_ms"] > 0 and r["torch_ms"] > 0
        assert r["ratio"] == pytest.approx(r["hand_ms"] / r["torch_ms"])
        assert (r["batch"], r["steps"], r["input_size"], r["hidden_size"]) == (2, 3, 4, 5)
    with pytest.raises(ValueError, match="kind must be one of"):
        time_cells(kinds=["rnn"])


def test_run_sequence_refuses_an_empty_sequence_and_a_foreign_dtype():
    cell = LSTMCell(3, 4)
    with pytest.raises(ValueError, match=r"time >= 1, got \(2, 0, 3\)"):
        run_sequence(cell, torch.zeros(2, 0, 3))
    with pytest.raises(TypeError, match="torch.float32 weights but x is torch.float64"):
        run_sequence(cell, torch.zeros(2, 5, 3, dtype=torch.float64))
    with pytest.raises(TypeError, match="but x is torch.int64"):
        cell(torch.zeros(2, 3, dtype=torch.long))
