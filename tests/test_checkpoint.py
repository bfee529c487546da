"""lecture_utils.checkpoint: round trips of any registered model, the class found by its module in a fresh
process, and refusals that name what is wrong and leave files and models untouched."""
from __future__ import annotations

import enum
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from torch import nn

from lecture_utils.checkpoint import FORMAT, CheckpointError, load_checkpoint, save_checkpoint
from lecture_utils.l06_sentiment import SentimentLSTM
from lecture_utils.models import MODEL_CLASSES, CharRNN, model_key, register_model
from lecture_utils.text import BOUNDARY, PAD, Vocab, tokenize
from lecture_utils.training import History

from .conftest import ROOT, assert_same_weights, weights

TEXT = "мама мыла раму. раму мыла мама! " * 40


@pytest.fixture
def model(names_vocab):
    torch.manual_seed(0)
    return CharRNN(len(names_vocab), hidden_size=16)


def rewrite(path, change) -> None:
    """Load the raw payload of a checkpoint, let ``change`` edit it, and save it back."""
    payload = torch.load(path, weights_only=True)
    change(payload)
    torch.save(payload, path)


# --- round trips -----------------------------------------------------------------------------


def test_checkpoint_round_trip_and_refusals(names_vocab, tmp_path):
    torch.manual_seed(0)
    model = CharRNN(len(names_vocab), hidden_size=16, cell="lstm")
    path = save_checkpoint(tmp_path / "names.pt", model, names_vocab, epoch=3)
    assert [p.name for p in tmp_path.iterdir()] == ["names.pt"]
    loaded, loaded_vocab, extra = load_checkpoint(path)
    assert type(loaded) is CharRNN and loaded.config == model.config
    assert loaded_vocab == names_vocab and extra == {"epoch": 3}
    for a, b in zip(model.state_dict().values(), loaded.state_dict().values()):
        assert torch.equal(a, b)

    other = CharRNN(len(names_vocab), hidden_size=16, cell="gru")
    before = weights(other)
    with pytest.raises(CheckpointError, match="another architecture.*cell: checkpoint 'lstm' vs model 'gru'"):
        load_checkpoint(path, model=other)
    assert_same_weights(other, before)
    with pytest.raises(CheckpointError, match="another vocabulary"):
        load_checkpoint(path, vocab=Vocab.build(["xyz"], specials=(PAD, BOUNDARY)))

    (tmp_path / "broken.pt").write_bytes(path.read_bytes()[:100])
    with pytest.raises(CheckpointError, match="not a complete checkpoint of lecture_utils"):
        load_checkpoint(tmp_path / "broken.pt")
    torch.save({"weights": 1}, tmp_path / "foreign.pt")
    with pytest.raises(CheckpointError, match=f"is not a {FORMAT} checkpoint"):
        load_checkpoint(tmp_path / "foreign.pt")


def test_a_word_model_and_its_vocabulary_round_trip(tmp_path):
    vocab = Vocab.build([tokenize(TEXT)], unk="<unk>", joiner=" ")
    torch.manual_seed(0)
    model = CharRNN(len(vocab), hidden_size=16, cell="gru")
    loaded, loaded_vocab, _ = load_checkpoint(save_checkpoint(tmp_path / "w.pt", model, vocab))
    assert loaded_vocab == vocab and loaded_vocab.unk == "<unk>" and loaded_vocab.joiner == " "
    ids = torch.tensor([vocab.encode(["мама", "мыла"])])
    assert torch.equal(loaded.eval()(ids)[0], model.eval()(ids)[0])


def test_a_sentiment_model_round_trips_with_its_config(tmp_path):
    torch.manual_seed(0)
    model = SentimentLSTM(12, 4, 3, bidirectional=True, pooling="max", embedding_scale=None)
    loaded, vocab, _ = load_checkpoint(save_checkpoint(tmp_path / "s.pt", model))
    assert type(loaded) is SentimentLSTM and loaded.config == model.config and vocab is None
    assert_same_weights(loaded, weights(model))


class BagOfWords(nn.Module):
    """A classifier of another module than the package's, registered only for a test."""

    def __init__(self, vocab_size: int, dim: int = 8):
        super().__init__()
        self.embedding = nn.EmbeddingBag(vocab_size, dim)
        self.out = nn.Linear(dim, 1)


def test_checkpoint_of_another_registered_class_without_vocab(tmp_path):
    key = model_key(BagOfWords)
    register_model(BagOfWords)
    try:
        torch.manual_seed(0)
        model = BagOfWords(10, dim=4)
        path = save_checkpoint(tmp_path / "m.pt", model, note="tiny")
        loaded, vocab, extra = load_checkpoint(path)  # registered in this process: found without an import
        assert type(loaded) is BagOfWords and vocab is None and extra == {"note": "tiny"}
        assert torch.equal(loaded.out.weight, model.out.weight)
        with pytest.raises(CheckpointError, match=f"holds a {key}, not a lecture_utils.models:CharRNN"):
            load_checkpoint(path, model=CharRNN(10))
        with pytest.raises(CheckpointError, match="another architecture .*dim: checkpoint 4 vs model 5"):
            load_checkpoint(path, model=BagOfWords(10, dim=5))
    finally:
        del MODEL_CLASSES[key]
    with pytest.raises(CheckpointError, match=f"'{key}', which is not a model class of lecture_utils"):
        load_checkpoint(path)


def test_unregistered_models_are_refused_before_writing(tmp_path):
    class Local(nn.Module):
        config = {}

    with pytest.raises(TypeError, match="Local is not a registered model class"):
        save_checkpoint(tmp_path / "x.pt", Local())
    assert not (tmp_path / "x.pt").exists()


# --- the class found by its module, in a fresh process ----------------------------------------

THROWAWAY = '''
import torch
from torch import nn

from lecture_utils.models import register_model


@register_model
class Tiny(nn.Module):
    def __init__(self, n: int, scale: float = 1.0):
        super().__init__()
        self.layer = nn.Linear(n, n)
        with torch.no_grad():
            self.layer.weight.mul_(scale)
'''

EXTEND_PACKAGE = "import sys, torch, lecture_utils\nlecture_utils.__path__.append(sys.argv[1])\n"

SAVE = EXTEND_PACKAGE + textwrap.dedent('''
    from lecture_utils.checkpoint import save_checkpoint
    from lecture_utils.l99_throwaway import Tiny
    torch.manual_seed(0)
    model = Tiny(3, scale=0.5)
    save_checkpoint(sys.argv[2], model, note="throwaway")
    torch.save(model.state_dict(), sys.argv[3])
''')

LOAD = EXTEND_PACKAGE + textwrap.dedent('''
    from lecture_utils.checkpoint import load_checkpoint
    assert "lecture_utils.l99_throwaway" not in sys.modules
    model, vocab, extra = load_checkpoint(sys.argv[2])
    reference = torch.load(sys.argv[3], weights_only=True)
    same = model.state_dict().keys() == reference.keys() and all(
        torch.equal(value, reference[name]) for name, value in model.state_dict().items())
    print(f"{type(model).__module__}:{type(model).__name__}", model.config, vocab, extra, same)
''')


def run_python(code: str, *args) -> str:
    done = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_new_lectures_model_loads_in_a_fresh_process_without_any_edit_here(tmp_path):
    """A model registered in a module of the package (here a throwaway ``l99_throwaway``, added to the
    package's path for the two processes only) is rebuilt by a process that never imported that module."""
    package_dir = tmp_path / "extra_modules"
    package_dir.mkdir()
    (package_dir / "l99_throwaway.py").write_text(THROWAWAY, encoding="utf-8")
    checkpoint, reference = tmp_path / "tiny.pt", tmp_path / "reference.pt"
    run_python(SAVE, package_dir, checkpoint, reference)
    assert run_python(LOAD, package_dir, checkpoint, reference) == (
        "lecture_utils.l99_throwaway:Tiny {'n': 3, 'scale': 0.5} None {'note': 'throwaway'} True")


def test_a_module_outside_the_package_is_never_imported(model, names_vocab, tmp_path, monkeypatch):
    (tmp_path / "outside_module.py").write_text("open(__file__ + '.imported', 'w').close()\nclass Tiny: pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    path = save_checkpoint(tmp_path / "m.pt", model, names_vocab)
    rewrite(path, lambda payload: payload.update(model_class="outside_module:Tiny"))
    with pytest.raises(CheckpointError, match="'outside_module:Tiny', which is not a model class of lecture_utils: "
                                              "loading imports only this package's modules"):
        load_checkpoint(path)
    assert "outside_module" not in sys.modules and not (tmp_path / "outside_module.py.imported").exists()


@pytest.mark.parametrize("key, match", [
    ("lecture_utils.l98_missing:Model", "its module cannot be imported"),
    ("lecture_utils.models:Nope", "not a registered model class"),
    ("lecture_utils.models.CharRNN", "not as 'module:Class': a damaged file"),
    (5, "not as 'module:Class': a damaged file"),
])
def test_a_class_that_cannot_be_found_is_named(model, names_vocab, tmp_path, key, match):
    path = save_checkpoint(tmp_path / "m.pt", model, names_vocab)
    rewrite(path, lambda payload: payload.update(model_class=key))
    with pytest.raises(CheckpointError, match=match):
        load_checkpoint(path)


def test_a_checkpoint_of_an_older_format_says_so(model, names_vocab, tmp_path):
    path = save_checkpoint(tmp_path / "m.pt", model, names_vocab)
    rewrite(path, lambda payload: payload.update(format="lecture_utils.checkpoint/2", model_class="CharRNN"))
    with pytest.raises(CheckpointError, match=r"lecture_utils.checkpoint/2 checkpoint of an older version of the "
                                              r"course; this one reads lecture_utils.checkpoint/3: run the cell"):
        load_checkpoint(path)


# --- refusals at save time -------------------------------------------------------------------


def test_a_vocabulary_of_another_size_than_the_model_is_refused_and_the_old_file_kept(names_vocab, tmp_path):
    """Saved, it loaded as a model and a vocabulary that disagree (D3)."""
    torch.manual_seed(0)
    path = save_checkpoint(tmp_path / "mm.pt", CharRNN(len(names_vocab), 8), names_vocab, run=1)
    old = path.read_bytes()
    for size in (len(names_vocab) + 3, len(names_vocab) - 1):
        with pytest.raises(ValueError, match=rf"vocabulary has {len(names_vocab)} tokens but the model was built "
                                             rf"for vocab_size={size}"):
            save_checkpoint(path, CharRNN(size, 8), names_vocab, run=2)
    sentiment_vocab = Vocab.build([["good", "bad"]], specials=("<pad>",), unk="<unk>", joiner=" ")
    with pytest.raises(ValueError, match="vocabulary has 4 tokens but the model was built for vocab_size=7"):
        save_checkpoint(path, SentimentLSTM(len(sentiment_vocab) + 3, 4, 4), sentiment_vocab)
    assert path.read_bytes() == old and [p.name for p in tmp_path.iterdir()] == ["mm.pt"]
    assert load_checkpoint(path)[2] == {"run": 1}


@pytest.mark.parametrize("poison", [float("nan"), float("inf")])
def test_weights_that_are_not_finite_are_refused_and_the_old_file_kept(model, names_vocab, tmp_path, poison):
    path = save_checkpoint(tmp_path / "m.pt", model, names_vocab)
    old = path.read_bytes()
    with torch.no_grad():
        model.rnn.weight_hh_l0[0, 0] = poison
    with pytest.raises(ValueError, match=r"weights hold NaN or infinite values \(rnn.weight_hh_l0\)"):
        save_checkpoint(path, model, names_vocab)
    assert path.read_bytes() == old and [p.name for p in tmp_path.iterdir()] == ["m.pt"]


def test_checkpoint_extras_of_every_allowed_type_round_trip(names_vocab, model, tmp_path):
    extra = {"none": None, "flag": True, "epoch": 3, "loss": 2.5, "name": "имена", "weights": torch.arange(3.0),
             "curve": [1.0, 0.5], "pair": (1, "a"), "nested": {"a": {"b": [None, (2,)]}, 7: "int key"},
             "np_float": np.float64(1.25), "np_int": np.int64(4), "np_bool": np.bool_(False), "np_str": np.str_("x"),
             "gpu_or_not": torch.ones(2, requires_grad=True)}
    path = save_checkpoint(tmp_path / "a.pt", model, names_vocab, **extra)
    _, _, loaded = load_checkpoint(path)
    assert loaded.keys() == extra.keys()
    for key, value in extra.items():
        if isinstance(value, torch.Tensor):
            assert torch.equal(loaded[key], value.detach())
        else:
            plain = value.item() if isinstance(value, np.generic) else value  # numpy scalars are stored as Python's
            assert loaded[key] == plain and type(loaded[key]) is type(plain)


class Color(enum.IntEnum):
    RED = 1


@pytest.mark.parametrize("bad, where, kind", [
    ({"history": History()}, r"extra\['history'\]", "lecture_utils.training.History"),
    ({"curve": np.array([1.0, 2.0])}, r"extra\['curve'\]", "numpy.ndarray"),
    ({"seen": {1, 2}}, r"extra\['seen'\]", "builtins.set"),
    ({"deep": {"list": [1, Color.RED]}}, r"extra\['deep'\]\['list'\]\[1\]", ".*Color"),
    ({"when": np.datetime64("2024-01-01")}, r"extra\['when'\]", "datetime.date"),
])
def test_checkpoint_refuses_unloadable_extras_before_writing(names_vocab, model, tmp_path, bad, where, kind):
    path = save_checkpoint(tmp_path / "names.pt", model, names_vocab, epoch=1)
    old = path.read_bytes()
    with pytest.raises(TypeError, match=rf"{where} is a {kind}.*cannot hold"):
        save_checkpoint(path, model, names_vocab, **bad)
    assert path.read_bytes() == old and [p.name for p in tmp_path.iterdir()] == ["names.pt"]
    assert load_checkpoint(path)[2] == {"epoch": 1}


# --- refusals at load time -------------------------------------------------------------------


def test_checkpoint_with_a_wrong_shape_leaves_the_model_untouched(names_vocab, model, tmp_path):
    path = save_checkpoint(tmp_path / "names.pt", model, names_vocab)
    rewrite(path, lambda payload: payload["state_dict"].update({"head.bias": torch.zeros(len(names_vocab) + 1)}))
    target = CharRNN(len(names_vocab), hidden_size=16)
    before = weights(target)
    with pytest.raises(CheckpointError, match=rf"head.bias: checkpoint \({len(names_vocab) + 1},\) vs model "
                                              rf"\({len(names_vocab)},\)"):
        load_checkpoint(path, model=target)
    assert_same_weights(target, before)
    with pytest.raises(CheckpointError, match="does not fit this model's weights"):
        load_checkpoint(path)


def _vocab(change):
    return lambda payload: change(payload["vocab"])


@pytest.mark.parametrize("damage, match", [
    (_vocab(lambda vocab: vocab["tokens"].append(vocab["tokens"][-1])), "damaged vocabulary"),
    (_vocab(lambda vocab: vocab.pop("specials")), "damaged vocabulary: .*no 'specials'"),
    (lambda payload: payload.update(vocab="abc"), "damaged vocabulary"),
    (lambda payload: payload["config"].update(vocab_size=-3), "config CharRNN does not accept: vocab_size"),
    (lambda payload: payload["config"].update(embedding_dim=-2), "config CharRNN does not accept: .*negative"),
    (lambda payload: payload["config"].update(hidden=8), "config CharRNN does not accept: .*'hidden'"),
    (lambda payload: payload.update(config=[16]), "damaged config or weights"),
])
def test_a_damaged_vocabulary_or_config_is_a_checkpoint_error(names_vocab, model, tmp_path, damage, match):
    path = save_checkpoint(tmp_path / "m.pt", model, names_vocab)
    rewrite(path, damage)
    with pytest.raises(CheckpointError, match=match):
        load_checkpoint(path)


@pytest.mark.parametrize("content", ["empty", "truncated", "half", "text"])
def test_incomplete_or_foreign_file_is_named(names_vocab, model, tmp_path, content):
    good = save_checkpoint(tmp_path / "good.pt", model, names_vocab).read_bytes()
    data = {"empty": b"", "truncated": good[:100], "half": good[:len(good) // 2], "text": b"name,count\n"}[content]
    path = tmp_path / "bad.pt"
    path.write_bytes(data)
    with pytest.raises(CheckpointError, match=rf"{path} is not a complete checkpoint of lecture_utils"):
        load_checkpoint(path)


def test_missing_checkpoint_is_named(tmp_path):
    with pytest.raises(CheckpointError, match=rf"no checkpoint file at {tmp_path / 'none.pt'}"):
        load_checkpoint(tmp_path / "none.pt")
    with pytest.raises(CheckpointError, match="no checkpoint file at"):
        load_checkpoint(tmp_path)  # a directory
