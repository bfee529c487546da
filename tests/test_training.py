"""lecture_utils.training: fit and evaluate with a loss function, the state carried in the loop, the
settings checked, and training that blows up or is given degenerate input."""
from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from lecture_utils.l04_names import name_tensors
from lecture_utils.l05_char_lm import train_char_lm
from lecture_utils.models import CharRNN
from lecture_utils.sequences import TextWindows, split_contiguous
from lecture_utils.text import PAD, Vocab
from lecture_utils.training import (
    BatchLoss,
    History,
    detach_state,
    evaluate,
    fit,
    padded_token_loss,
    stream_token_loss,
)

from .conftest import NAMES, assert_same_weights, weights

TEXT = "мама мыла раму. раму мыла мама! " * 40


@pytest.fixture
def model(names_vocab):
    torch.manual_seed(0)
    return CharRNN(len(names_vocab), hidden_size=16)


def batches(vocab, names=NAMES):
    return [name_tensors(names, vocab)]


def names_loss(vocab):
    return padded_token_loss(vocab.id(PAD))


def char_data(text=TEXT):
    vocab = Vocab.build([text])
    ids = torch.tensor(vocab.encode(text))
    return vocab, split_contiguous(ids, 0.2)


class Scalar(nn.Module):
    """One weight w and the loss ``slope * w``: its gradient is ``slope``, whatever w is."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(()))


def linear_loss(model, batch, state=None) -> BatchLoss:
    (slope,) = batch
    return BatchLoss(slope * model.w, 1)


# --- training and evaluation -------------------------------------------------------------------


def test_training_lowers_the_loss_and_ignores_padding(names_vocab):
    torch.manual_seed(0)
    model = CharRNN(len(names_vocab), hidden_size=32, cell="gru")
    data = TensorDataset(*name_tensors(NAMES, names_vocab))
    train = DataLoader(data, batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(0))
    val = DataLoader(data, batch_size=8)
    loss_fn = names_loss(names_vocab)
    before = evaluate(model, val, loss_fn)["loss"]
    seen = []
    history = fit(model, train, val, epochs=30, loss_fn=loss_fn, lr=0.01,
                  on_epoch=lambda epoch, h: seen.append(epoch))
    assert seen == list(range(30))
    assert history.best_val < before / 3  # it memorises 8 names
    assert evaluate(model, val, loss_fn)["loss"] == pytest.approx(history.best_val)  # best weights restored
    # padding is ignored: more padding columns leave the loss unchanged
    inputs, targets = name_tensors(NAMES, names_vocab)
    pad = torch.full((len(NAMES), 4), names_vocab.id(PAD))
    padded = [(torch.cat([inputs, pad], 1), torch.cat([targets, pad], 1))]
    unpadded = evaluate(model, [(inputs, targets)], loss_fn)["loss"]
    assert evaluate(model, padded, loss_fn)["loss"] == pytest.approx(unpadded)


def test_evaluate_carries_the_state_as_if_it_read_each_track_at_once():
    """Windows with the state carried give the loss of one pass over the full tracks."""
    vocab, (train, _) = char_data()
    torch.manual_seed(0)
    model = CharRNN(len(vocab), hidden_size=16, cell="lstm", num_layers=2).eval()
    windows = TextWindows(train, 3, 7)
    carried = evaluate(model, windows, stream_token_loss)["loss"]
    whole = evaluate(model, TextWindows(train, 3, 10_000), stream_token_loss)["loss"]
    # each window alone, from a zero state, weighted by its number of targets
    fresh = sum(evaluate(model, [w], stream_token_loss)["loss"] * w[1].numel() for w in windows) / \
        sum(w[1].numel() for w in windows)
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

    windows, val_windows = TextWindows(train, 4, 16), TextWindows(val, 2, 16)
    history = fit(model, windows, val_windows, loss_fn=spy, epochs=2, lr=1e-2)
    per_epoch = len(windows) + len(val_windows)
    starts = [i for i, s in enumerate(seen) if s is None]
    assert starts == [0, len(windows), per_epoch, per_epoch + len(windows)]  # fresh at every pass, carried within
    assert len(seen) == 2 * per_epoch
    assert all(not s[0].requires_grad for s in seen if s is not None)  # detached
    assert history.val_loss[-1] < math.log(len(vocab)) - 0.5


def test_both_token_losses_take_the_state(names_vocab, model):
    """fit calls every loss as loss_fn(model, batch, state): no lambda around either loss."""
    inputs, targets = name_tensors(NAMES, names_vocab)
    loss_fn = names_loss(names_vocab)
    assert loss_fn(model, (inputs, targets), None).loss == loss_fn(model, (inputs, targets)).loss
    assert loss_fn(model, (inputs, targets), "ignored").state is None  # independent names: no state to carry
    first = stream_token_loss(model, (inputs[:, :4], targets[:, :4]), None)
    carried = stream_token_loss(model, (inputs[:, 4:], targets[:, 4:]), first.state)
    fresh = stream_token_loss(model, (inputs[:, 4:], targets[:, 4:]), None)
    assert carried.count == fresh.count == targets[:, 4:].numel() and carried.loss != fresh.loss


def test_fit_records_metrics_per_item_and_returns_the_best_epoch():
    class BagOfWords(nn.Module):
        """A classifier of fixed-length sequences, to show fit is not tied to language models."""

        def __init__(self, vocab_size: int, dim: int = 8):
            super().__init__()
            self.embedding = nn.EmbeddingBag(vocab_size, dim)
            self.out = nn.Linear(dim, 1)

        def forward(self, ids):
            return self.out(self.embedding(ids)).squeeze(-1)

    def classification_loss(model, batch, state=None):
        ids, labels = batch
        logits = model(ids)
        loss = nn.functional.binary_cross_entropy_with_logits(logits, labels.float(), reduction="sum")
        return BatchLoss(loss, len(labels), {"accuracy": int(((logits > 0) == labels.bool()).sum())})

    g = torch.Generator().manual_seed(0)
    ids = torch.randint(0, 10, (64, 6), generator=g)
    labels = (ids == 3).any(1).long()  # positive when token 3 occurs
    data = [(ids[i:i + 16], labels[i:i + 16]) for i in range(0, 64, 16)]
    torch.manual_seed(0)
    model = BagOfWords(10)
    history = fit(model, data, data, loss_fn=classification_loss, epochs=40, lr=0.05, lr_decay=0.9)
    assert set(history.val_metrics) == {"accuracy"} and len(history.train_metrics["accuracy"]) == 40
    assert 0 <= min(history.val_metrics["accuracy"]) and max(history.val_metrics["accuracy"]) <= 1
    assert history.val_metrics["accuracy"][history.best_epoch] > 0.85
    assert history.best_val == min(history.val_loss) and history.seconds > 0
    assert evaluate(model, data, classification_loss)["accuracy"] == history.val_metrics["accuracy"][
        history.best_epoch]


@pytest.mark.parametrize("decay", [1.0, 0.5])
def test_lr_decay_multiplies_the_step_every_epoch(decay):
    """Adam moves a weight with a constant gradient by exactly the learning rate per step."""
    model, positions = Scalar(), []
    fit(model, [(torch.tensor(1.0),)], [(torch.tensor(1.0),)], loss_fn=linear_loss, epochs=4, lr=0.1,
        lr_decay=decay, clip=None, on_epoch=lambda epoch, h: positions.append(model.w.item()))
    steps = [a - b for a, b in zip([0.0, *positions], positions)]
    assert steps == pytest.approx([0.1 * decay ** epoch for epoch in range(4)], rel=1e-4)


@pytest.mark.parametrize("clip, gradient", [(1.0, 1.0), (5.0, 5.0), (None, 100.0), (1e3, 100.0)])
def test_clip_bounds_the_gradients_norm_and_none_leaves_it(clip, gradient):
    model = Scalar()
    fit(model, [(torch.tensor(100.0),)], [(torch.tensor(1.0),)], loss_fn=linear_loss, epochs=1, clip=clip)
    assert model.w.grad.item() == pytest.approx(gradient, rel=1e-5)  # the gradient of the last update


@pytest.mark.parametrize("setting, value, match", [
    ("clip", 0, "clip must be positive, got 0"),  # nothing would learn
    ("clip", -1.0, "clip must be positive, got -1.0"),  # gradient ascent
    ("clip", math.nan, "clip must be a finite number, got nan"),  # it read "is lr too high?"
    ("lr_decay", 0, "lr_decay must be positive, got 0"),  # frozen after epoch 1
    ("lr_decay", -1.0, "lr_decay must be positive, got -1.0"),  # ascent from epoch 2
    ("max_seconds", -1, "max_seconds must be non-negative, got -1"),
    ("max_seconds", math.nan, "max_seconds must be a finite number, got nan"),  # was ignored
    ("epochs", True, "epochs must be a positive integer, got True"),
])
def test_fit_refuses_a_bad_setting_by_name_before_training(names_vocab, model, setting, value, match):
    before = weights(model)
    settings = {"epochs": 2, setting: value}
    with pytest.raises(ValueError, match=match):
        fit(model, batches(names_vocab), batches(names_vocab), loss_fn=names_loss(names_vocab), **settings)
    assert_same_weights(model, before)


def test_fit_stops_after_the_time_budget():
    vocab, (train, val) = char_data()
    model = CharRNN(len(vocab), hidden_size=8)
    history = fit(model, TextWindows(train, 2, 8), TextWindows(val, 2, 8), loss_fn=stream_token_loss, epochs=50,
                  max_seconds=0.0, show_progress=False)
    assert len(history.val_loss) == 1


def test_on_epoch_returning_true_stops_after_that_epoch(names_vocab, model):
    calls = []

    def stop_after_epoch_1(epoch, history):
        calls.append(epoch)
        return epoch == 1

    history = fit(model, batches(names_vocab), batches(names_vocab), loss_fn=names_loss(names_vocab), epochs=10,
                  on_epoch=stop_after_epoch_1)
    assert calls == [0, 1] and len(history.train_loss) == len(history.val_loss) == 2


def test_history_record_leaves_its_input_alone():
    history, train, val = History(), {"loss": 2.0, "accuracy": 0.5}, {"loss": 3.0, "accuracy": 0.25}
    history.record(train, val)
    history.record({"loss": 1.0, "accuracy": 0.75}, {"loss": 2.5, "accuracy": 0.5})
    assert train == {"loss": 2.0, "accuracy": 0.5} and val == {"loss": 3.0, "accuracy": 0.25}
    assert history.train_loss == [2.0, 1.0] and history.val_loss == [3.0, 2.5]
    assert history.train_metrics == {"accuracy": [0.5, 0.75]} and history.val_metrics == {"accuracy": [0.25, 0.5]}
    assert math.isnan(History().best_val)


def test_detach_state_keeps_the_structure():
    h = torch.ones(2, requires_grad=True) * 2
    out = detach_state((h, [h, None]))
    assert isinstance(out, tuple) and not out[0].requires_grad and out[1][1] is None
    assert detach_state(None) is None and not detach_state(h).requires_grad


def test_evaluate_restores_the_mode_and_needs_something_to_count(names_vocab, model):
    model.train()
    evaluate(model, batches(names_vocab), names_loss(names_vocab))
    assert model.training
    with pytest.raises(ValueError, match="nothing to evaluate on"):
        evaluate(model, [], names_loss(names_vocab))


# --- loss functions and models that fit cannot use ---------------------------------------------


def tensor_only(model, batch, state):
    return names_loss_of(model, batch).loss


def names_loss_of(model, batch):
    inputs, targets = batch
    logits, _ = model(inputs)
    return BatchLoss(nn.functional.cross_entropy(logits.transpose(1, 2), targets, reduction="sum"), targets.numel())


def per_item(model, batch, state):
    inputs, targets = batch
    logits, _ = model(inputs)
    return BatchLoss(nn.functional.cross_entropy(logits.transpose(1, 2), targets, reduction="none"), targets.numel())


def negative_count(model, batch, state):
    result = names_loss_of(model, batch)
    return BatchLoss(result.loss, -result.count)


def without_grad(model, batch, state):
    result = names_loss_of(model, batch)
    return BatchLoss(result.loss.detach(), result.count)


@pytest.mark.parametrize("loss_fn, error, match", [
    (tensor_only, TypeError, r"loss_fn must return a BatchLoss\(loss, count, ...\), got Tensor"),
    (per_item, ValueError, r"BatchLoss.loss must be a scalar tensor .* got Tensor of shape \(8, 10\)"),
    (negative_count, ValueError, r"BatchLoss.count .* must be a non-negative integer, got -80"),
    (without_grad, ValueError, "BatchLoss.loss has no gradient"),
])
def test_fit_explains_a_loss_function_it_cannot_use(names_vocab, model, loss_fn, error, match):
    before = weights(model)
    with pytest.raises(error, match=match):
        fit(model, batches(names_vocab), batches(names_vocab), loss_fn=loss_fn, epochs=1)
    assert_same_weights(model, before)


def test_fit_refuses_a_model_without_parameters(names_vocab):
    with pytest.raises(ValueError, match="Identity has no parameters"):
        fit(nn.Identity(), batches(names_vocab), batches(names_vocab), loss_fn=names_loss(names_vocab), epochs=1)


def test_a_carried_state_needs_batches_of_one_size():
    vocab, (train, _) = char_data()
    torch.manual_seed(0)
    model = CharRNN(len(vocab), hidden_size=8, cell="lstm")
    windows = list(TextWindows(train, 4, 16))
    short_last = windows[:2] + [(windows[2][0][:2], windows[2][1][:2])]
    with pytest.raises(ValueError, match="a batch of 2 rows cannot continue the state of 4 rows"):
        fit(model, short_last, windows, loss_fn=stream_token_loss, epochs=1)


def test_char_lm_training_refuses_an_unknown_setting():
    """A misspelt key used to be ignored: training ran at the default learning rate (D12)."""
    ids = torch.randint(0, 20, (3000,), generator=torch.Generator().manual_seed(0))
    with pytest.raises(ValueError, match=r"unknown training setting\(s\) \['learning_rate'\]"):
        train_char_lm(ids[:2500], ids[2500:], 20, 1, model_config=dict(hidden_size=8, embedding_dim=4),
                      training=dict(batch_size=8, seq_len=20, learning_rate=1e9))


# --- training that blows up ------------------------------------------------------------------


def test_fit_stops_at_a_nan_training_loss_and_keeps_the_weights(names_vocab, model):
    with torch.no_grad():
        model.head.bias[3] = math.nan  # every step's loss is NaN
    before = weights(model)
    with pytest.raises(FloatingPointError, match=r"training loss became nan in epoch 0, step 0 .*before fit"):
        fit(model, batches(names_vocab), batches(names_vocab), epochs=3, loss_fn=names_loss(names_vocab))
    assert_same_weights(model, before)


def test_fit_that_diverges_later_returns_to_its_best_epoch(names_vocab, model):
    val = batches(names_vocab)
    seen = []

    def poison_after_epoch_1(epoch, history):
        seen.append(history.val_loss[-1])
        if epoch == 1:
            with torch.no_grad():
                model.rnn.weight_hh_l0[0, 0] = math.inf

    with pytest.raises(FloatingPointError, match=r"epoch 2, step 0 .*best epoch so far \(1\)"):
        fit(model, batches(names_vocab), val, epochs=5, loss_fn=names_loss(names_vocab),
            on_epoch=poison_after_epoch_1)
    assert all(torch.isfinite(v).all() for v in model.state_dict().values())
    assert evaluate(model, val, names_loss(names_vocab))["loss"] == pytest.approx(min(seen))


def test_fit_refuses_a_nan_validation_loss_instead_of_keeping_it_as_best(names_vocab, model):
    with torch.no_grad():
        model.embedding.weight[names_vocab.id("г")] = math.nan  # only the validation name "олег" reads it
    before = weights(model)
    with pytest.raises(FloatingPointError, match="validation loss is nan after epoch 0"):
        fit(model, batches(names_vocab, ["анна", "иван"]), batches(names_vocab, ["олег"]), epochs=3,
            loss_fn=names_loss(names_vocab))
    assert_same_weights(model, before)


def test_fit_skips_batches_that_are_all_padding(names_vocab):
    """Such a batch has nothing to learn from: no optimizer step (Adam's momentum would move the weights)."""
    inputs, targets = name_tensors(NAMES, names_vocab)
    padding_only = (inputs[:2], torch.full_like(targets[:2], names_vocab.id(PAD)))
    trained = []
    for train in ([(inputs, targets)], [(inputs, targets), padding_only]):
        torch.manual_seed(0)
        model = CharRNN(len(names_vocab), hidden_size=16)
        history = fit(model, train, batches(names_vocab), epochs=3, loss_fn=names_loss(names_vocab))
        trained.append((history.train_loss, weights(model)))
    assert trained[0][0] == trained[1][0]
    assert_same_weights(model, trained[0][1])


class OneShot:
    """An iterable (not an iterator) that has batches only the first time it is read."""

    def __init__(self, items):
        self.items = items

    def __iter__(self):
        items, self.items = self.items, []
        return iter(items)


@pytest.mark.parametrize("make_train, epochs, error, match", [
    (lambda b: [], 2, ValueError, r"epoch 0: the training batches hold no counted item"),
    (lambda b: iter(b), 2, TypeError, r"train_batches is an iterator .* used up after one epoch"),
    (lambda b: OneShot(b), 2, ValueError, r"epoch 1: the training batches hold no counted item"),
    (lambda b: [(b[0][0], torch.zeros_like(b[0][1]))], 1, ValueError,
     r"hold no counted item .*every target is padding"),
    (lambda b: b, 0, ValueError, r"epochs must be a positive integer, got 0"),
])
def test_fit_explains_degenerate_input(names_vocab, model, make_train, epochs, error, match):
    before = weights(model)
    with pytest.raises(error, match=match):
        fit(model, make_train(batches(names_vocab)), batches(names_vocab), epochs=epochs,
            loss_fn=names_loss(names_vocab))
    if "epoch 1" not in match:  # no epoch finished: the model is as it came
        assert_same_weights(model, before)
