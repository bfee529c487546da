"""Lecture 05's hand-written cells, as the notebook shows them, against torch and the package."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from lecture_utils import cells
from tests.conftest import ROOT, teach_namespace

NOTEBOOK = ROOT / "notebooks" / "05_lstm_anna_karenina.ipynb"


@pytest.fixture(scope="module")
def taught():
    return teach_namespace(NOTEBOOK)


@pytest.mark.parametrize("kind, module_class", [("LSTMCell", nn.LSTM), ("GRUCell", nn.GRU)])
@pytest.mark.parametrize("batch, steps, input_size, hidden", [(1, 1, 3, 2), (4, 9, 5, 7), (3, 20, 8, 16)])
def test_notebook_cells_equal_torch_in_outputs_and_gradients(taught, kind, module_class, batch, steps,
                                                             input_size, hidden):
    torch.manual_seed(batch * 100 + steps)
    reference = module_class(input_size, hidden, batch_first=True)
    cell = taught[kind].from_torch(reference)
    assert type(cell) is taught[kind] and type(cell) is not getattr(cells, kind)  # the notebook's own code
    x = torch.randn(batch, steps, input_size, requires_grad=True)
    x_ref = x.detach().clone().requires_grad_()
    out, state = taught["run_sequence"](cell, x)
    out_ref, state_ref = reference(x_ref)
    torch.testing.assert_close(out, out_ref, atol=1e-5, rtol=0)
    h = state[0] if kind == "LSTMCell" else state
    torch.testing.assert_close(h, state_ref[0][0] if kind == "LSTMCell" else state_ref[0], atol=1e-5, rtol=0)
    weights = torch.randn_like(out)  # a random projection: no gradient can hide in a plain sum
    (out * weights).sum().backward()
    (out_ref * weights).sum().backward()
    torch.testing.assert_close(x.grad, x_ref.grad, atol=1e-5, rtol=0)
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        torch.testing.assert_close(getattr(cell, name).grad, getattr(reference, name + "_l0").grad,
                                   atol=1e-5, rtol=0, msg=name)


def test_notebook_cells_equal_the_package_cells(taught):
    torch.manual_seed(0)
    x = torch.randn(2, 6, 4)
    for kind in ("LSTMCell", "GRUCell"):
        package_cell = getattr(cells, kind)(4, 5)
        notebook_cell = taught[kind](4, 5)
        notebook_cell.load_state_dict(package_cell.state_dict())
        mine, _ = taught["run_sequence"](notebook_cell, x)
        theirs, _ = cells.run_sequence(package_cell, x)
        torch.testing.assert_close(mine, theirs, atol=1e-6, rtol=0)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_notebook_parameter_formula_counts_what_torch_allocates(taught, cell):
    from lecture_utils.models import CharRNN

    model = CharRNN(37, hidden_size=19, cell=cell, embedding_dim=taught["EMBEDDING"])
    assert taught["count_parameters"](cell, 19, 37) == model.num_parameters()


def test_notebook_forget_bias_sets_the_forget_gate_of_every_layer(taught):
    lstm = nn.LSTM(3, 5, num_layers=2)
    taught["set_forget_bias"](lstm, 1.0)
    for k in range(2):
        total = getattr(lstm, f"bias_ih_l{k}") + getattr(lstm, f"bias_hh_l{k}")
        assert torch.equal(total[5:10], torch.ones(5))  # gate order i, f, g, o: f is the second block
        assert not torch.equal(total[:5], torch.ones(5))
