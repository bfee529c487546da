"""The PyTorch toolkit shared by the torch lectures: vocabulary, model, training, sampling, checkpoints."""
from __future__ import annotations

import pandas as pd
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from lecture_utils.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from lecture_utils.models import CharRNN
from lecture_utils.names import BOUNDARY, PAD, name_tensors, split_names
from lecture_utils.sampling import generate_names, sample_next
from lecture_utils.text import Vocab, UnknownTokenError
from lecture_utils.training import evaluate, fit, padded_token_loss

NAMES = ["анна", "анастасия", "мария", "марина", "ольга", "олег", "иван", "ирина"]


@pytest.fixture
def vocab():
    return Vocab.build(NAMES, specials=(PAD, BOUNDARY))


def test_vocab_ids_are_stable_and_round_trip(vocab):
    assert vocab.tokens[:2] == [PAD, BOUNDARY] and vocab.tokens[2:] == sorted(set("".join(NAMES)))
    assert vocab.decode(vocab.encode("мария")) == "мария"
    assert vocab.decode([vocab.id(BOUNDARY), *vocab.encode("оля")], keep_specials=True) == "<b>оля"
    assert Vocab.from_dict(vocab.to_dict()) == vocab


def test_unknown_character_names_the_character(vocab):
    with pytest.raises(UnknownTokenError, match=r"'z' \(U\+007A\) at position 2 of 'анz'"):
        vocab.encode("анz")
    with pytest.raises(UnknownTokenError, match="'ё'"):
        vocab.encode("алё")


def test_empty_corpus_is_refused():
    with pytest.raises(ValueError, match="empty corpus"):
        Vocab.build([], specials=(PAD,))


def test_name_tensors_shift_by_one_and_pad(vocab):
    inputs, targets = name_tensors(["иван", "анастасия"], vocab)
    assert inputs.shape == targets.shape == (2, 10)
    assert vocab.decode(inputs[0], keep_specials=True) == "<b>иван" + "<pad>" * 5
    assert vocab.decode(targets[0], keep_specials=True) == "иван<b>" + "<pad>" * 5
    assert torch.equal(inputs[1, 1:], targets[1, :-1])


def test_split_is_fixed_by_the_seed():
    names = pd.DataFrame({"name": NAMES * 10})
    train_a, val_a = split_names(names, 0.2, seed=1)
    train_b, val_b = split_names(names, 0.2, seed=1)
    assert len(val_a) == 16 and len(train_a) == 64
    assert val_a.equals(val_b) and train_a.equals(train_b)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_model_shapes_and_conditioning(cell, vocab):
    model = CharRNN(len(vocab), hidden_size=16, cell=cell, num_layers=2, num_conditions=2)
    logits, _ = model(torch.zeros(3, 5, dtype=torch.long), condition=torch.tensor([0, 1, 1]))
    assert logits.shape == (3, 5, len(vocab))
    with pytest.raises(ValueError, match="conditioned"):
        model(torch.zeros(3, 5, dtype=torch.long))


def loaders(vocab):
    inputs, targets = name_tensors(NAMES, vocab)
    data = TensorDataset(inputs, targets)
    return DataLoader(data, batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(0)), \
        DataLoader(data, batch_size=8)


def test_training_lowers_the_loss_and_ignores_padding(vocab):
    torch.manual_seed(0)
    model = CharRNN(len(vocab), hidden_size=32, cell="gru")
    train, val = loaders(vocab)
    before = evaluate(model, val, padded_token_loss(vocab.id(PAD)))["loss"]
    seen = []
    history = fit(model, train, val, epochs=30, loss_fn=padded_token_loss(vocab.id(PAD)), lr=0.01,
                  on_epoch=lambda epoch, h: seen.append(epoch))
    assert seen == list(range(30))
    assert history.best_val < before / 3  # it memorises 8 names
    assert evaluate(model, val, padded_token_loss(vocab.id(PAD)))["loss"] == pytest.approx(history.best_val)  # best weights restored
    # padding is ignored: more padding columns leave the loss unchanged
    inputs, targets = name_tensors(NAMES, vocab)
    pad = torch.full((len(NAMES), 4), vocab.id(PAD))
    padded = [(torch.cat([inputs, pad], 1), torch.cat([targets, pad], 1))]
    assert evaluate(model, padded, padded_token_loss(vocab.id(PAD)))["loss"] == pytest.approx(evaluate(model, [(inputs, targets)], padded_token_loss(vocab.id(PAD)))["loss"])


def test_low_temperature_gives_the_argmax():
    logits = torch.randn(50, 12, generator=torch.Generator().manual_seed(0))
    drawn = sample_next(logits, temperature=1e-4, generator=torch.Generator().manual_seed(1))
    assert torch.equal(drawn, logits.argmax(-1))


def test_temperature_and_top_k_shape_the_distribution():
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]])).repeat(20_000, 1)
    gen = torch.Generator().manual_seed(0)
    freq = torch.bincount(sample_next(logits, 1.0, generator=gen), minlength=4) / 20_000
    assert torch.allclose(freq, torch.tensor([0.5, 0.3, 0.15, 0.05]), atol=0.015)
    hot = torch.bincount(sample_next(logits, 3.0, generator=gen), minlength=4) / 20_000
    assert hot[3] > 0.15  # high temperature flattens towards uniform
    top2 = torch.bincount(sample_next(logits, 1.0, top_k=2, generator=gen), minlength=4)
    assert top2[2:].sum() == 0 and top2[0] / top2[:2].sum() == pytest.approx(0.5 / 0.8, abs=0.02)


@pytest.mark.parametrize("temperature", [0, -1.0])
def test_temperature_must_be_positive(temperature):
    with pytest.raises(ValueError, match="temperature must be positive"):
        sample_next(torch.zeros(1, 3), temperature)


def test_generated_names_repeat_with_a_seed_and_respect_the_prefix(vocab):
    torch.manual_seed(0)
    model = CharRNN(len(vocab), hidden_size=16)
    first = generate_names(model, vocab, 5, prefix="ма", generator=torch.Generator().manual_seed(3))
    again = generate_names(model, vocab, 5, prefix="ма", generator=torch.Generator().manual_seed(3))
    assert first == again and all(name.startswith("ма") for name in first)
    assert all(len(name) <= 20 for name in first)
    with pytest.raises(UnknownTokenError, match="'q'"):
        generate_names(model, vocab, 1, prefix="qa")


def test_checkpoint_round_trip_and_refusals(vocab, tmp_path):
    torch.manual_seed(0)
    model = CharRNN(len(vocab), hidden_size=16, cell="lstm")
    path = save_checkpoint(tmp_path / "names.pt", model, vocab, epoch=3)
    assert [p.name for p in tmp_path.iterdir()] == ["names.pt"]
    loaded, loaded_vocab, extra = load_checkpoint(path)
    assert loaded_vocab == vocab and extra == {"epoch": 3}
    for a, b in zip(model.state_dict().values(), loaded.state_dict().values()):
        assert torch.equal(a, b)

    other = CharRNN(len(vocab), hidden_size=16, cell="gru")
    before = {k: v.clone() for k, v in other.state_dict().items()}
    with pytest.raises(CheckpointError, match="another architecture.*cell: checkpoint 'lstm' vs model 'gru'"):
        load_checkpoint(path, model=other)
    assert all(torch.equal(before[k], v) for k, v in other.state_dict().items())  # untouched
    with pytest.raises(CheckpointError, match="another vocabulary"):
        load_checkpoint(path, vocab=Vocab.build(["xyz"], specials=(PAD, BOUNDARY)))

    (tmp_path / "broken.pt").write_bytes(path.read_bytes()[:100])
    with pytest.raises(CheckpointError, match="not a complete checkpoint of lecture_utils"):
        load_checkpoint(tmp_path / "broken.pt")
    torch.save({"weights": 1}, tmp_path / "foreign.pt")
    with pytest.raises(CheckpointError, match="is not a lecture_utils.checkpoint/2 checkpoint"):
        load_checkpoint(tmp_path / "foreign.pt")
