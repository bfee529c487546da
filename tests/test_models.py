"""lecture_utils.models: the cell table, the model registry and its configs, the shared helpers, CharRNN and
LastStepClassifier."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from lecture_utils import models
from lecture_utils.l06_sentiment import SentimentLSTM
from lecture_utils.models import (
    CELLS,
    MODEL_CLASSES,
    CharRNN,
    LastStepClassifier,
    check_ids,
    device_of,
    eval_mode,
    model_key,
    num_parameters,
    register_model,
    set_forget_bias,
)


def test_the_cell_table_names_torchs_layers():
    assert CELLS == {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}
    for kind, layer in CELLS.items():
        assert isinstance(CharRNN(5, 4, cell=kind).rnn, layer)
        assert isinstance(LastStepClassifier(kind, 3, 4, 2).rnn, layer)
    with pytest.raises(ValueError, match="cell must be one of 'rnn', 'gru', 'lstm'; got 'transformer'"):
        CharRNN(5, cell="transformer")


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_char_rnn_shapes_and_conditioning(cell):
    model = CharRNN(11, hidden_size=16, cell=cell, num_layers=2, num_conditions=2)
    logits, _ = model(torch.zeros(3, 5, dtype=torch.long), condition=torch.tensor([0, 1, 1]))
    assert logits.shape == (3, 5, 11)
    with pytest.raises(ValueError, match="conditioned"):
        model(torch.zeros(3, 5, dtype=torch.long))
    with pytest.raises(ValueError, match="has no conditions"):
        CharRNN(11, hidden_size=16, cell=cell)(torch.zeros(3, 5, dtype=torch.long), condition=torch.tensor([0] * 3))


def test_char_rnn_names_an_id_outside_its_vocabulary():
    """torch's own message, "index out of range in self", names neither the id nor the size (D19)."""
    model = CharRNN(9, 8, num_conditions=2)
    with pytest.raises(IndexError, match=r"ids holds 99, outside 0\.\.8"):
        model(torch.tensor([[1, 99]]), condition=torch.tensor([0]))
    with pytest.raises(IndexError, match=r"ids holds -1, outside 0\.\.8"):
        model(torch.tensor([[-1, 2]]), condition=torch.tensor([0]))
    with pytest.raises(IndexError, match=r"condition holds 5, outside 0\.\.1"):
        model(torch.tensor([[1, 2]]), condition=torch.tensor([5]))
    with pytest.raises(TypeError, match="ids must be an integer tensor, got torch.float32"):
        model(torch.tensor([[1.0, 2.0]]), condition=torch.tensor([0]))


@pytest.mark.parametrize("ids", [torch.tensor([True]), [1, 2], torch.tensor([0.5])])
def test_check_ids_refuses_what_is_not_an_integer_tensor(ids):
    with pytest.raises(TypeError, match="tokens must be an integer tensor"):
        check_ids(ids, 5, "tokens")
    check_ids(torch.tensor([0, 4]), 5)
    check_ids(torch.zeros(0, dtype=torch.long), 5)


# --- the registry and model.config -----------------------------------------------------------


def test_config_is_the_constructors_arguments_with_defaults_filled_in():
    assert CharRNN(10, 16).config == dict(vocab_size=10, hidden_size=16, cell="gru", num_layers=1, embedding_dim=32,
                                          dropout=0.0, num_conditions=0, condition_dim=8)
    assert LastStepClassifier("lstm", 8, 4, n_classes=3).config == dict(cell="lstm", input_size=8, hidden_size=4,
                                                                         n_classes=3, forget_bias=None)


def test_config_equals_the_dicts_the_classes_used_to_write_by_hand():
    """Until the registry read the signature, CharRNN and SentimentLSTM wrote their config out by hand
    (afa8c22: models.py and sentiment.py); checkpoints saved then must compare equal now."""
    vocab_size, hidden_size, cell, num_layers, embedding_dim = 20, 24, "lstm", 2, 6
    dropout, num_conditions, condition_dim = 0.1, 2, 3
    old_char_rnn = dict(vocab_size=vocab_size, hidden_size=hidden_size, cell=cell, num_layers=num_layers,
                        embedding_dim=embedding_dim, dropout=dropout, num_conditions=num_conditions,
                        condition_dim=condition_dim)
    assert CharRNN(20, 24, "lstm", 2, embedding_dim=6, dropout=0.1, num_conditions=2,
                   condition_dim=3).config == old_char_rnn
    assert CharRNN(20).config == dict(vocab_size=20, hidden_size=128, cell="gru", num_layers=1, embedding_dim=32,
                                      dropout=0.0, num_conditions=0, condition_dim=8)

    embedding_dim, hidden_size, bidirectional, pooling, dropout = 8, 6, True, "max", 0.3
    pad_id, embedding_scale, word_dropout = 0, None, 0.1
    old_sentiment = dict(vocab_size=vocab_size, embedding_dim=embedding_dim, hidden_size=hidden_size,
                         bidirectional=bidirectional, pooling=pooling, dropout=dropout, pad_id=pad_id,
                         embedding_scale=embedding_scale, word_dropout=word_dropout)
    assert SentimentLSTM(20, 8, 6, bidirectional=True, pooling="max", dropout=0.3, embedding_scale=None,
                         word_dropout=0.1).config == old_sentiment
    assert SentimentLSTM(20).config == dict(vocab_size=20, embedding_dim=128, hidden_size=128, bidirectional=False,
                                            pooling="last", dropout=0.2, pad_id=0, embedding_scale=0.05,
                                            word_dropout=0.0)


def test_classes_are_registered_by_module_and_name():
    assert MODEL_CLASSES["lecture_utils.models:CharRNN"] is CharRNN
    assert MODEL_CLASSES["lecture_utils.models:LastStepClassifier"] is LastStepClassifier
    assert MODEL_CLASSES["lecture_utils.l06_sentiment:SentimentLSTM"] is SentimentLSTM
    assert model_key(CharRNN) == "lecture_utils.models:CharRNN"


@pytest.fixture
def registry(monkeypatch):
    """MODEL_CLASSES as it was, whatever a test registers."""
    monkeypatch.setattr(models, "MODEL_CLASSES", dict(MODEL_CLASSES))
    return models.MODEL_CLASSES


def test_a_registered_subclass_records_its_own_arguments(registry):
    @register_model
    class Base(nn.Module):
        def __init__(self, size: int, scale: float = 1.0):
            super().__init__()
            self.layer = nn.Linear(size, size)

    @register_model
    class Wide(Base):
        def __init__(self, width: int = 3):
            super().__init__(width * 2, scale=0.5)

    assert Base(4).config == {"size": 4, "scale": 1.0}
    assert Wide().config == {"width": 3}
    assert registry[model_key(Wide)] is Wide and model_key(Wide).endswith(":" + Wide.__qualname__)


def test_defining_a_class_again_replaces_it(registry):
    """A re-run notebook cell or a reloaded module defines the class again under the same name."""
    def define(hidden):
        @register_model
        class Again(nn.Module):
            def __init__(self, size: int = hidden):
                super().__init__()

        return Again

    first, second = define(2), define(3)
    assert model_key(first) == model_key(second) and registry[model_key(second)] is second
    assert second().config == {"size": 3}


@pytest.mark.parametrize("signature", ["self, *sizes", "self, size, **options"])
def test_arguments_without_names_are_refused(registry, signature):
    namespace = {"nn": nn}
    exec(f"class Loose(nn.Module):\n    def __init__({signature}):\n        super().__init__()", namespace)
    with pytest.raises(TypeError, match=r"Loose.__init__ takes \*+(sizes|options): .* must be named"):
        register_model(namespace["Loose"])
    assert "Loose" not in str(list(registry))


# --- helpers ---------------------------------------------------------------------------------


def test_num_parameters_counts_every_weight():
    assert num_parameters(nn.Linear(3, 2)) == 3 * 2 + 2
    frozen = nn.Linear(4, 1)
    frozen.weight.requires_grad_(False)
    assert num_parameters(frozen) == 5
    model = CharRNN(10, hidden_size=4, cell="rnn", embedding_dim=3)
    expected = 10 * 3 + (4 * 3 + 4 * 4 + 4 + 4) + (10 * 4 + 10)  # embedding, RNN layer, head
    assert num_parameters(model) == model.num_parameters() == expected


def test_device_of_a_model_and_of_one_without_weights():
    assert device_of(nn.Linear(2, 2)) == torch.device("cpu")
    with pytest.raises(ValueError, match="ReLU has no parameters"):
        device_of(nn.ReLU())


@pytest.mark.parametrize("training", [True, False])
def test_eval_mode_restores_the_mode_also_after_an_error(training):
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5)).train(training)
    with eval_mode(model) as inside:
        assert inside is model and not model.training and not model[1].training
    assert model.training is training and model[1].training is training
    with pytest.raises(RuntimeError, match="boom"), eval_mode(model):
        raise RuntimeError("boom")
    assert model.training is training and model[1].training is training


def test_set_forget_bias_sets_the_sum_of_both_biases():
    lstm = nn.LSTM(3, 5, num_layers=2)
    before = {name: p.detach().clone() for name, p in lstm.named_parameters()}
    set_forget_bias(lstm, 1.5)
    for layer in range(2):
        total = getattr(lstm, f"bias_ih_l{layer}") + getattr(lstm, f"bias_hh_l{layer}")
        assert torch.allclose(total[5:10], torch.full((5,), 1.5))
        for name in (f"bias_ih_l{layer}", f"bias_hh_l{layer}"):  # the other gates are left alone
            changed = getattr(lstm, name).detach() != before[name]
            assert not changed[:5].any() and not changed[10:].any()
    with pytest.raises(TypeError, match="needs an nn.LSTM, got GRU"):
        set_forget_bias(nn.GRU(3, 5), 1.0)


def test_last_step_classifier_reads_the_last_step():
    torch.manual_seed(0)
    model = LastStepClassifier("gru", 8, 4, 3)
    x = torch.randn(2, 6, 8)
    outputs, _ = model.rnn(x)
    assert torch.equal(model(x), model.head(outputs[:, -1]))
    lstm = LastStepClassifier("lstm", 8, 4, 3, forget_bias=2.0)
    assert torch.allclose((lstm.rnn.bias_ih_l0 + lstm.rnn.bias_hh_l0)[4:8], torch.full((4,), 2.0))
    with pytest.raises(ValueError, match="needs an LSTM"):
        LastStepClassifier("rnn", 8, 4, 4, forget_bias=1.0)


def test_an_unregistered_subclass_keeps_its_bases_config():
    class Wider(SentimentLSTM):  # e.g. a benchmark's variant: not registered, not saved
        pass

    model = Wider(12, embedding_dim=6, hidden_size=5)
    assert model.config["vocab_size"] == 12 and model.config["hidden_size"] == 5
