"""The generalised torch toolkit: one Vocab for characters and words, text windows with a
carried state, fit with a loss function and metrics, checkpoints of any registered model."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from lecture_utils.batching import TextWindows, cut_into_tracks, split_contiguous
from lecture_utils.char_lm import text_nll, train_char_lm
from lecture_utils.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from lecture_utils.models import MODEL_CLASSES, CharRNN, register_model
from lecture_utils.sampling import generate_text
from lecture_utils.text import UnknownTokenError, Vocab, tokenize
from lecture_utils.training import BatchLoss, detach_state, evaluate, fit, stream_token_loss

TEXT = "мама мыла раму. раму мыла мама! " * 40


# --- vocabulary and tokenizer ----------------------------------------------------------------


def test_tokenize_separates_punctuation_and_keeps_inner_hyphens():
    assert tokenize("Все смешалось в доме Облонских.") == ["все", "смешалось", "в", "доме", "облонских", "."]
    assert tokenize("— Кто-то сказал: «don't»!", lower=False) == ["—", "Кто-то", "сказал", ":", "«", "don't",
                                                                   "»", "!"]
    with pytest.raises(TypeError, match="takes a str, not bytes"):
        tokenize(b"text")


def test_word_vocab_with_unknown_token_min_freq_and_max_size():
    words = tokenize("a a a b b c d d d d .")
    vocab = Vocab.build([words], unk="<unk>", min_freq=2, joiner=" ")
    assert vocab.tokens == ["<unk>", ".", "a", "b", "c", "d"][:1] + ["a", "b", "d"]
    assert vocab.encode(["d", "c", "zzz", "<unk>"]) == [3, 0, 0, 0]
    assert vocab.decode(vocab.encode(["a", "c"])) == "a <unk>"
    top2 = Vocab.build([words], specials=("<pad>",), unk="<unk>", max_size=2, joiner=" ")
    assert top2.tokens == ["<pad>", "<unk>", "a", "d"] and top2.counts["d"] == 4
    assert Vocab.from_dict(top2.to_dict()) == top2 and Vocab.from_dict(top2.to_dict()).joiner == " "


def test_vocab_without_unknown_token_names_the_unknown_word():
    vocab = Vocab.build([["a", "b"]], joiner=" ")
    with pytest.raises(UnknownTokenError, match=r"token 'c' at position 1 .*no unknown token"):
        vocab.encode(["a", "c"])
    with pytest.raises(ValueError, match="leave out 1 tokens .* give an unknown token"):
        Vocab.build([["a", "a", "b"]], min_freq=2)
    with pytest.raises(TypeError, match="not one str"):
        Vocab.build("abc")
    with pytest.raises(ValueError, match="min_freq must be a positive integer, got 0"):
        Vocab.build([["a"]], unk="<unk>", min_freq=0)


# --- windows over a text ----------------------------------------------------------------------


def test_split_is_contiguous_and_windows_continue_each_track():
    ids = torch.arange(1003)
    train, val = split_contiguous(ids, 0.1)
    assert torch.equal(torch.cat([train, val]), ids) and len(val) == 100
    windows = TextWindows(train, batch_size=4, seq_len=30)
    assert windows.tracks.shape == (4, 225)
    assert len(windows) == 8 and windows[-1][0].shape == (4, 14)  # 224 inputs per track: 7 × 30 + 14
    inputs = torch.cat([x for x, _ in windows], dim=1)
    targets = torch.cat([y for _, y in windows], dim=1)
    for b in range(4):  # every track reads its stretch of the text in order, targets one step ahead
        assert torch.equal(inputs[b], ids[b * 225:b * 225 + 224])
        assert torch.equal(targets[b], ids[b * 225 + 1:b * 225 + 225])
    with pytest.raises(ValueError, match="too short for 4 tracks"):
        TextWindows(torch.arange(7), 4, 3)
    with pytest.raises(ValueError, match="val_fraction must lie strictly between 0 and 1"):
        split_contiguous(ids, 1.0)


def test_numpy_trainer_reads_the_same_tracks():
    ids = np.arange(50)
    assert np.array_equal(cut_into_tracks(ids, 3), TextWindows(ids, 3, 5).tracks.numpy())


# --- fit with a carried state and metrics ------------------------------------------------------


def char_data(vocab_text=TEXT):
    vocab = Vocab.build([vocab_text])
    ids = torch.tensor(vocab.encode(vocab_text))
    return vocab, split_contiguous(ids, 0.2)


def test_carried_state_equals_reading_the_whole_track_at_once():
    """Windows with the state carried give the loss of one pass over the full tracks."""
    vocab, (train, _) = char_data()
    torch.manual_seed(0)
    model = CharRNN(len(vocab), hidden_size=16, cell="lstm", num_layers=2).eval()
    windows = TextWindows(train, 3, 7)
    carried = evaluate(model, windows, stream_token_loss, carry_state=True)["loss"]
    whole = evaluate(model, TextWindows(train, 3, 10_000), stream_token_loss)["loss"]
    fresh = evaluate(model, windows, lambda m, b: stream_token_loss(m, b))["loss"]
    assert carried == pytest.approx(whole, rel=1e-5)
    assert abs(fresh - whole) > 1e-4 > 10 * abs(carried - whole)  # dropping the state changes the loss


def test_fit_carries_a_detached_state_from_batch_to_batch():
    vocab, (train, val) = char_data()
    torch.manual_seed(0)
    model = CharRNN(len(vocab), hidden_size=32, cell="lstm")
    seen = []

    def spy(model, batch, state):
        seen.append(state)
        return stream_token_loss(model, batch, state)

    windows = TextWindows(train, 4, 16)
    history = fit(model, windows, TextWindows(val, 2, 16), loss_fn=spy, epochs=2, lr=1e-2, carry_state=True)
    per_epoch = len(windows) + len(TextWindows(val, 2, 16))
    starts = [i for i, s in enumerate(seen) if s is None]
    assert starts == [0, len(windows), per_epoch, per_epoch + len(windows)]  # fresh at every pass
    assert all(not s[0].requires_grad for s in seen if s is not None)  # detached
    assert history.val_loss[-1] < math.log(len(vocab)) - 0.5


def test_train_char_lm_learns_and_text_nll_matches_history():
    vocab, (train, val) = char_data()
    torch.manual_seed(0)
    model, history = train_char_lm(train, val, len(vocab), 3, model_config=dict(hidden_size=32, num_layers=1,
                                                                                 dropout=0.0),
                                   training=dict(batch_size=4, seq_len=20, lr=1e-2))
    assert history.best_val < 1.0  # a periodic text is learned
    assert text_nll(model, val, batch_size=min(16, len(val) // 2), seq_len=256) == pytest.approx(history.best_val)


class Majority(nn.Module):
    """A classifier of fixed-length sequences, to show fit is not tied to language models."""

    def __init__(self, vocab_size: int, dim: int = 8):
        super().__init__()
        self.config = dict(vocab_size=vocab_size, dim=dim)
        self.embedding = nn.EmbeddingBag(vocab_size, dim)
        self.out = nn.Linear(dim, 1)

    def forward(self, ids):
        return self.out(self.embedding(ids)).squeeze(-1)


def classification_loss(model, batch):
    ids, labels = batch
    logits = model(ids)
    loss = nn.functional.binary_cross_entropy_with_logits(logits, labels.float(), reduction="sum")
    return BatchLoss(loss, len(labels), {"accuracy": int(((logits > 0) == labels.bool()).sum())})


def test_fit_records_metrics_per_item_and_decays_the_learning_rate():
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(0, 10, (64, 6), generator=g)
    labels = (ids == 3).any(1).long()  # positive when token 3 occurs
    data = [(ids[i:i + 16], labels[i:i + 16]) for i in range(0, 64, 16)]
    torch.manual_seed(0)
    model = Majority(10)
    lrs = []
    history = fit(model, data, data, loss_fn=classification_loss, epochs=40, lr=0.05, lr_decay=0.9,
                  on_epoch=lambda e, h: lrs.append(e))
    assert set(history.val_metrics) == {"accuracy"} and len(history.train_metrics["accuracy"]) == 40
    assert 0 <= min(history.val_metrics["accuracy"]) and max(history.val_metrics["accuracy"]) <= 1
    assert history.val_metrics["accuracy"][history.best_epoch] > 0.85
    assert evaluate(model, data, classification_loss)["accuracy"] == history.val_metrics["accuracy"][
        history.best_epoch]


def test_fit_stops_after_the_time_budget():
    vocab, (train, val) = char_data()
    model = CharRNN(len(vocab), hidden_size=8)
    history = fit(model, TextWindows(train, 2, 8), TextWindows(val, 2, 8), loss_fn=stream_token_loss,
                  carry_state=True, epochs=50, max_seconds=0.0)
    assert len(history.val_loss) == 1


def test_detach_state_keeps_the_structure():
    h = torch.ones(2, requires_grad=True) * 2
    out = detach_state((h, [h, None]))
    assert isinstance(out, tuple) and not out[0].requires_grad and out[1][1] is None


# --- checkpoints of any registered model ----------------------------------------------------------


def test_checkpoint_of_another_registered_class_without_vocab(tmp_path):
    register_model(Majority)
    try:
        torch.manual_seed(0)
        model = Majority(10, dim=4)
        path = save_checkpoint(tmp_path / "m.pt", model, note="tiny")
        loaded, vocab, extra = load_checkpoint(path)
        assert type(loaded) is Majority and vocab is None and extra == {"note": "tiny"}
        assert torch.equal(loaded.out.weight, model.out.weight)
        with pytest.raises(CheckpointError, match="holds a Majority, not a CharRNN"):
            load_checkpoint(path, model=CharRNN(10))
        with pytest.raises(CheckpointError, match="another architecture .*dim: checkpoint 4 vs model 5"):
            load_checkpoint(path, model=Majority(10, dim=5))
    finally:
        del MODEL_CLASSES["Majority"]
    with pytest.raises(CheckpointError, match="'Majority', which is not a model class of this package"):
        load_checkpoint(path)


def test_unregistered_models_are_refused_before_writing(tmp_path):
    class Local(nn.Module):
        config = {}

    with pytest.raises(TypeError, match="Local is not a registered model class"):
        save_checkpoint(tmp_path / "x.pt", Local())
    assert not (tmp_path / "x.pt").exists()
    with pytest.raises(ValueError, match="already registered as 'CharRNN'"):
        register_model(type("CharRNN", (nn.Module,), {}))


def test_word_model_checkpoint_and_generation(tmp_path):
    words = tokenize(TEXT)
    vocab = Vocab.build([words], unk="<unk>", joiner=" ")
    torch.manual_seed(0)
    model = CharRNN(len(vocab), hidden_size=16, cell="gru")
    path = save_checkpoint(tmp_path / "w.pt", model, vocab)
    loaded, loaded_vocab, _ = load_checkpoint(path)
    assert loaded_vocab == vocab and loaded_vocab.unk == "<unk>"
    g1, g2 = (torch.Generator().manual_seed(5) for _ in range(2))
    a = generate_text(model, vocab, "мама мыла", 6, top_k=3, generator=g1)
    b = generate_text(loaded, loaded_vocab, ["мама", "мыла"], 6, top_k=3, generator=g2)
    assert a == b and a.startswith("мама мыла ") and len(a.split()) == 8
    assert generate_text(model, vocab, "папа", 0) == "<unk>"  # an unknown word is kept visible
    with pytest.raises(ValueError, match="the prompt is empty"):
        generate_text(model, vocab, "", 3)
