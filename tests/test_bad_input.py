"""The helper package under bad input and faults: a clear error naming the value, and nothing destroyed."""
from __future__ import annotations

import enum
import math
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch

import lecture_utils as lu
from lecture_utils.binary_adder import int_to_bits
from lecture_utils.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from lecture_utils.models import CharRNN
from lecture_utils.names import BOUNDARY, PAD, name_tensors, split_names
from lecture_utils.numpy_rnn import NumpyLSTM, NumpyRNN
from lecture_utils.numpy_train import CharTrainer, sample_ids
from lecture_utils.sampling import generate_names
from lecture_utils.text import Vocab
from lecture_utils.training import History, evaluate, fit, padded_token_loss

from .conftest import ROOT

NAMES = ["анна", "анастасия", "мария", "марина", "ольга", "олег", "иван", "ирина"]


@pytest.fixture
def vocab():
    return Vocab.build(NAMES, specials=(PAD, BOUNDARY))


@pytest.fixture
def model(vocab):
    torch.manual_seed(0)
    return CharRNN(len(vocab), hidden_size=16)


def batches(vocab, names=NAMES):
    return [name_tensors(names, vocab)]


def weights(model) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in model.state_dict().items()}


def assert_same_weights(model, before):
    for name, value in model.state_dict().items():
        torch.testing.assert_close(value, before[name], rtol=0, atol=0, equal_nan=True, msg=name)


# --- training that blows up ------------------------------------------------------------------


def test_fit_stops_at_a_nan_training_loss_and_keeps_the_weights(vocab, model):
    with torch.no_grad():
        model.head.bias[3] = math.nan  # every step's loss is NaN
    before = weights(model)
    with pytest.raises(FloatingPointError, match=r"training loss became nan in epoch 0, step 0 .*before fit"):
        fit(model, batches(vocab), batches(vocab), epochs=3, loss_fn=padded_token_loss(vocab.id(PAD)))
    assert_same_weights(model, before)


def test_fit_that_diverges_later_returns_to_its_best_epoch(vocab, model):
    val = batches(vocab)
    seen = []

    def poison_after_epoch_1(epoch, history):
        seen.append(history.val_loss[-1])
        if epoch == 1:
            with torch.no_grad():
                model.rnn.weight_hh_l0[0, 0] = math.inf

    with pytest.raises(FloatingPointError, match=r"epoch 2, step 0 .*best epoch so far \(1\)"):
        fit(model, batches(vocab), val, epochs=5, loss_fn=padded_token_loss(vocab.id(PAD)), on_epoch=poison_after_epoch_1)
    assert all(torch.isfinite(v).all() for v in model.state_dict().values())
    assert evaluate(model, val, padded_token_loss(vocab.id(PAD)))["loss"] == pytest.approx(min(seen))


def test_fit_refuses_a_nan_validation_loss_instead_of_keeping_it_as_best(vocab, model):
    with torch.no_grad():
        model.embedding.weight[vocab.id("г")] = math.nan  # only the validation name "олег" reads it
    before = weights(model)
    with pytest.raises(FloatingPointError, match="validation loss is nan after epoch 0"):
        fit(model, batches(vocab, ["анна", "иван"]), batches(vocab, ["олег"]), epochs=3, loss_fn=padded_token_loss(vocab.id(PAD)))
    assert_same_weights(model, before)


def test_fit_skips_batches_that_are_all_padding(vocab):
    """Such a batch has nothing to learn from: no optimizer step (Adam's momentum would move the weights)."""
    inputs, targets = name_tensors(NAMES, vocab)
    padding_only = (inputs[:2], torch.full_like(targets[:2], vocab.id(PAD)))
    trained = []
    for train in ([(inputs, targets)], [(inputs, targets), padding_only]):
        torch.manual_seed(0)
        model = CharRNN(len(vocab), hidden_size=16)
        history = fit(model, train, batches(vocab), epochs=3, loss_fn=padded_token_loss(vocab.id(PAD)))
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
    (lambda b: [(b[0][0], torch.zeros_like(b[0][1]))], 1, ValueError, r"hold no counted item .*every target is padding"),
    (lambda b: b, 0, ValueError, r"epochs must be a positive integer, got 0"),
])
def test_fit_explains_degenerate_input(vocab, model, make_train, epochs, error, match):
    before = weights(model)
    with pytest.raises(error, match=match):
        fit(model, make_train(batches(vocab)), batches(vocab), epochs=epochs, loss_fn=padded_token_loss(vocab.id(PAD)))
    if "epoch 1" not in match:  # no epoch finished: the model is as it came
        assert_same_weights(model, before)


def test_generate_names_edge_counts(vocab, model):
    assert generate_names(model, vocab, 0) == []
    assert generate_names(model, vocab, 0, condition=None, prefix="ма") == []
    with pytest.raises(ValueError, match="n must be a non-negative integer, got -1"):
        generate_names(model, vocab, -1)
    with pytest.raises(ValueError, match="n must be a non-negative integer, got 2.5"):
        generate_names(model, vocab, 2.5)
    with pytest.raises(ValueError, match=r"prefix 'мари' \(4 characters\) is longer than max_len=3"):
        generate_names(model, vocab, 2, prefix="мари", max_len=3)


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


# --- checkpoints -----------------------------------------------------------------------------


def test_checkpoint_extras_of_every_allowed_type_round_trip(vocab, model, tmp_path):
    extra = {"none": None, "flag": True, "epoch": 3, "loss": 2.5, "name": "имена", "weights": torch.arange(3.0),
             "curve": [1.0, 0.5], "pair": (1, "a"), "nested": {"a": {"b": [None, (2,)]}, 7: "int key"},
             "np_float": np.float64(1.25), "np_int": np.int64(4), "np_bool": np.bool_(False), "np_str": np.str_("x"),
             "gpu_or_not": torch.ones(2, requires_grad=True)}
    path = save_checkpoint(tmp_path / "a.pt", model, vocab, **extra)
    _, _, loaded = load_checkpoint(path)
    assert loaded.keys() == extra.keys()
    for key, value in extra.items():
        if isinstance(value, torch.Tensor):
            assert torch.equal(loaded[key], value.detach())
        else:
            assert loaded[key] == value and type(loaded[key]) is type(getattr(value, "item", lambda: value)())


class Color(enum.IntEnum):
    RED = 1


@pytest.mark.parametrize("bad, where, kind", [
    ({"history": History()}, r"extra\['history'\]", "lecture_utils.training.History"),
    ({"curve": np.array([1.0, 2.0])}, r"extra\['curve'\]", "numpy.ndarray"),
    ({"seen": {1, 2}}, r"extra\['seen'\]", "builtins.set"),
    ({"deep": {"list": [1, Color.RED]}}, r"extra\['deep'\]\['list'\]\[1\]", ".*Color"),
    ({"when": np.datetime64("2024-01-01")}, r"extra\['when'\]", "datetime.date"),
])
def test_checkpoint_refuses_unloadable_extras_before_writing(vocab, model, tmp_path, bad, where, kind):
    path = save_checkpoint(tmp_path / "names.pt", model, vocab, epoch=1)
    old = path.read_bytes()
    with pytest.raises(TypeError, match=rf"{where} is a {kind}.*cannot hold"):
        save_checkpoint(path, model, vocab, **bad)
    assert path.read_bytes() == old and [p.name for p in tmp_path.iterdir()] == ["names.pt"]
    assert load_checkpoint(path)[2] == {"epoch": 1}


def test_checkpoint_with_a_wrong_shape_leaves_the_model_untouched(vocab, model, tmp_path):
    path = save_checkpoint(tmp_path / "names.pt", model, vocab)
    payload = torch.load(path, weights_only=True)
    payload["state_dict"]["head.bias"] = torch.zeros(len(vocab) + 1)
    torch.save(payload, path)
    target = CharRNN(len(vocab), hidden_size=16)
    before = weights(target)
    with pytest.raises(CheckpointError, match=rf"head.bias: checkpoint \({len(vocab) + 1},\) vs model "
                                              rf"\({len(vocab)},\)"):
        load_checkpoint(path, model=target)
    assert_same_weights(target, before)
    with pytest.raises(CheckpointError, match="does not fit this model's weights"):
        load_checkpoint(path)


@pytest.mark.parametrize("content", ["empty", "truncated", "half", "text"])
def test_incomplete_or_foreign_file_is_named(vocab, model, tmp_path, content):
    good = save_checkpoint(tmp_path / "good.pt", model, vocab).read_bytes()
    data = {"empty": b"", "truncated": good[:100], "half": good[:len(good) // 2], "text": b"name,count\n"}[content]
    path = tmp_path / "bad.pt"
    path.write_bytes(data)
    with pytest.raises(CheckpointError, match=rf"{path} is not a complete checkpoint of lecture_utils"):
        load_checkpoint(path)


def test_missing_checkpoint_is_named(tmp_path):
    with pytest.raises(CheckpointError, match=rf"no checkpoint file at {tmp_path / 'none.pt'}"):
        load_checkpoint(tmp_path / "none.pt")


# --- numbers ---------------------------------------------------------------------------------


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


@pytest.mark.parametrize("ids, error, match", [
    ([-1], ValueError, r"id -1 at position 0 is not in the vocabulary \(ids 0..3\)"),
    ([0, 4], ValueError, r"id 4 at position 1"),
    ([1.9], TypeError, r"ids must be integers; got 1.9 at position 0"),
    (torch.tensor([1.0]), TypeError, r"got tensor\(1.\)"),
    (np.array([2.0]), TypeError, "ids must be integers"),
])
def test_decode_refuses_ids_outside_the_vocabulary_and_non_integers(ids, error, match):
    vocab = Vocab.build(["абв"], specials=(PAD,))
    assert vocab.decode(torch.tensor([1, 3])) == vocab.decode(np.array([1, 3])) == "ав"
    with pytest.raises(error, match=match):
        vocab.decode(ids)


@pytest.mark.parametrize("fraction", [0, 1, -0.2, 1.2, math.nan])
def test_split_names_refuses_fractions_outside_0_1(fraction):
    with pytest.raises(ValueError, match="val_fraction must lie strictly between 0 and 1"):
        split_names(pd.DataFrame({"name": NAMES}), fraction, seed=0)


def test_split_names_refuses_an_empty_part():
    with pytest.raises(ValueError, match="leaves 0 for validation and 3 for training"):
        split_names(pd.DataFrame({"name": NAMES[:3]}), 0.1, seed=0)


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


# --- seeding ---------------------------------------------------------------------------------

def test_seed_everything_seeds_torch_imported_after_it():
    """In a fresh process: seed (twice: the last seed counts), then import torch. Its first
    weights must be those that seeding an already imported torch gives."""
    code = ("import lecture_utils as lu; lu.seed_everything(7); lu.seed_everything(11)\n"
            "import torch\n"
            "first = torch.nn.Linear(3, 2).weight.tolist()\n"
            "lu.seed_everything(11)\n"
            "print(first == torch.nn.Linear(3, 2).weight.tolist())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.stdout.strip() == "True", out.stderr


def test_numpy_sampling_follows_the_global_seed():
    model = NumpyRNN(7, 4, np.random.default_rng(0))

    def draw():
        lu.seed_everything(5)
        return sample_ids(model, [1], 40), sample_ids(model, [1], 40)

    first, again = draw(), draw()
    assert first == again and first[0] != first[1]
