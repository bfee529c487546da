"""Lecture 05: the Anna Karenina model's training, the shipped checkpoint, the notebook's hand-written
cells (made, initialised and computing as torch's), the unit probe (recorded states equal torch's, features of
a known text, correlations), and each exercise check, passing the reference solution and naming what is wrong
in a typical mistake."""
from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

import lecture_utils as lu
from lecture_utils import cells
from lecture_utils.checkpoint import load_checkpoint
from lecture_utils.data import REGISTRY
from lecture_utils.exercises import CheckFailed
from lecture_utils.l05_char_lm import (
    ANNA_MODEL,
    best_units,
    check_compressed_bytes,
    check_own_lstm,
    check_sampler,
    colour_text_html,
    correlate,
    record_states,
    sampler_probabilities,
    text_features,
    train_char_lm,
)
from lecture_utils.metrics import text_nll
from lecture_utils.models import CharRNN
from lecture_utils.sequences import split_contiguous
from lecture_utils.teach import teach_namespace
from lecture_utils.text import Vocab

from .conftest import ROOT, student_teach_namespace

NOTEBOOK = ROOT / "notebooks" / "05_lstm_anna_karenina.ipynb"
PRETRAINED = ROOT / "pretrained"


# --- the notebook's hand-written cells (from tests/test_lecture05_teach.py) ---------------------------


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


@pytest.mark.parametrize("kind, torch_cell, gates", [("LSTMCell", nn.LSTMCell, 4), ("GRUCell", nn.GRUCell, 3)])
@pytest.mark.parametrize("input_size, hidden", [(5, 16), (32, 64)])
def test_notebook_cells_make_and_initialise_their_parameters_as_torch(taught, kind, torch_cell, gates, input_size,
                                                                      hidden):
    """The parameters are made in the notebook (GatedCell), not in the package: torch's names and shapes, and
    torch's initialisation -- every one uniform in (-1/sqrt(H), 1/sqrt(H)), drawn in torch's order."""
    cell_class = taught[kind]
    assert issubclass(cell_class, taught["GatedCell"]) and cell_class.GATES == gates
    assert {"__init__", "reset_parameters"} <= set(vars(taught["GatedCell"]))  # shown, not inherited
    torch.manual_seed(3)
    cell = cell_class(input_size, hidden)
    torch.manual_seed(3)
    reference = torch_cell(input_size, hidden)
    shapes = {name: tuple(p.shape) for name, p in cell.named_parameters()}
    assert shapes == {"weight_ih": (gates * hidden, input_size), "weight_hh": (gates * hidden, hidden),
                      "bias_ih": (gates * hidden,), "bias_hh": (gates * hidden,)}
    assert shapes == {name: tuple(p.shape) for name, p in reference.named_parameters()}
    bound = 1 / math.sqrt(hidden)
    for name, p in cell.named_parameters():
        assert p.requires_grad, name
        assert p.abs().max() <= bound and p.abs().max() > 0.75 * bound, name    # the whole range, no more
        torch.testing.assert_close(p, getattr(reference, name), rtol=0, atol=0, msg=name)  # torch's very draws
    weights = torch.cat([p.detach().reshape(-1) for p in cell.parameters()])
    assert abs(weights.mean()) < 0.1 * bound and weights.std() == pytest.approx(bound / math.sqrt(3), rel=0.1)
    before = cell.weight_hh.detach().clone()
    cell.reset_parameters()                   # draws afresh, in the same range
    assert not torch.equal(before, cell.weight_hh) and cell.weight_hh.abs().max() <= bound


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
    model = CharRNN(37, hidden_size=19, cell=cell, embedding_dim=taught["EMBEDDING"])
    assert taught["count_parameters"](cell, 19, 37) == model.num_parameters()


def test_notebook_forget_bias_sets_the_forget_gate_of_every_layer(taught):
    lstm = nn.LSTM(3, 5, num_layers=2)
    taught["set_forget_bias"](lstm, 1.0)
    for k in range(2):
        total = getattr(lstm, f"bias_ih_l{k}") + getattr(lstm, f"bias_hh_l{k}")
        assert torch.equal(total[5:10], torch.ones(5))  # gate order i, f, g, o: f is the second block
        assert not torch.equal(total[:5], torch.ones(5))


# --- training (copied from tests/test_lm_toolkit.py) ----------------------------------------------------

TEXT = "мама мыла раму. раму мыла мама! " * 40


def char_data(vocab_text=TEXT):
    vocab = Vocab.build([vocab_text])
    ids = torch.tensor(vocab.encode(vocab_text))
    return vocab, split_contiguous(ids, 0.2)


def test_train_char_lm_learns_and_text_nll_matches_history():
    vocab, (train, val) = char_data()
    torch.manual_seed(0)
    model, history = train_char_lm(train, val, len(vocab), 3, model_config=dict(hidden_size=32, num_layers=1,
                                                                                 dropout=0.0),
                                   training=dict(batch_size=4, seq_len=20, lr=1e-2))
    assert history.best_val < 1.0  # a periodic text is learned
    assert text_nll(model, val, batch_size=min(16, len(val) // 2), seq_len=256) == pytest.approx(history.best_val)


# --- the shipped checkpoint (from tests/test_pretrained.py) ---------------------------------------------


@pytest.fixture(scope="module")
def shipped():
    info = json.loads((PRETRAINED / "anna_lstm.json").read_text(encoding="utf-8"))
    model, vocab, extra = load_checkpoint(PRETRAINED / "anna_lstm.pt")
    return info, model, vocab, extra


def test_checkpoint_is_small_and_describes_itself(shipped):
    info, model, vocab, extra = shipped
    assert (PRETRAINED / "anna_lstm.pt").stat().st_size <= 8_000_000
    assert type(model) is CharRNN and info["model"] == ANNA_MODEL
    assert model.config == {**model.config, **ANNA_MODEL} and model.num_parameters() == info["parameters"]
    assert info["data_sha256"] == REGISTRY[info["data"]].sha256
    assert extra["epochs"] == info["epochs_run"] and extra["val_nll"] == pytest.approx(
        info["val_nll_nats_per_char"], abs=1e-4)
    assert {"command", "training_seconds", "device", "val_loss"} <= info.keys()


@pytest.mark.integration  # reads the whole validation text with the full model: seconds
def test_checkpoint_scores_the_validation_text_as_its_json_says(shipped):
    info, model, vocab, _ = shipped
    text = lu.load_text(info["data"])
    assert vocab == Vocab.build([text])  # the alphabet of this text, in this order
    _, val_ids = split_contiguous(torch.tensor(vocab.encode(text)), info["val_fraction"])
    assert text_nll(model, val_ids) == pytest.approx(info["val_nll_nats_per_char"], abs=2e-4)


# --- the unit probe -------------------------------------------------------------------------------------


def _model(cell, layers=2, vocab=11, hidden=7):
    torch.manual_seed(0)
    return CharRNN(vocab, hidden_size=hidden, cell=cell, num_layers=layers, embedding_dim=5,
                   dropout=0.3)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_recorded_states_equal_torch_on_every_prefix(cell):
    model = _model(cell)
    ids = torch.randint(0, 11, (3 * 9 + 2,), generator=torch.Generator().manual_seed(1))
    states = record_states(model, ids, n_tracks=3)
    assert sorted(states) == (["c1", "c2", "h1", "h2"] if cell == "lstm" else ["h1", "h2"])
    assert all(v.shape == (27, 7) for v in states.values())  # the 2 ids that do not fill a track dropped
    assert model.training, "the model's train/eval mode must be put back"
    model.eval()
    tracks = ids[:27].reshape(3, 9)
    with torch.no_grad():
        for track in range(3):
            for t in (0, 4, 8):
                _, state = model.rnn(model.embedding(tracks[track:track + 1, :t + 1]))
                h, c = state if cell == "lstm" else (state, None)
                row = track * 9 + t
                for layer in (0, 1):
                    np.testing.assert_allclose(states[f"h{layer + 1}"][row], h[layer, 0].numpy(),
                                               atol=1e-6)
                    if c is not None:
                        np.testing.assert_allclose(states[f"c{layer + 1}"][row], c[layer, 0].numpy(),
                                                   atol=1e-6)


def test_top_layer_matches_the_model_output_without_dropout():
    model = _model("lstm").eval()
    ids = torch.arange(40) % 11
    states = record_states(model, ids, n_tracks=4)
    with torch.no_grad():
        out, _ = model.rnn(model.embedding(ids.reshape(4, 10)))
    np.testing.assert_allclose(states["h2"], out.reshape(40, 7).numpy(), atol=1e-6)


def test_record_states_refuses_bad_input():
    model = _model("gru", layers=1)
    with pytest.raises(ValueError, match="n_tracks"):
        record_states(model, torch.arange(10), n_tracks=0)
    with pytest.raises(ValueError, match="too short"):
        record_states(model, torch.arange(3), n_tracks=4)
    with pytest.raises(ValueError, match="1-D"):
        record_states(model, torch.zeros(2, 5, dtype=torch.long), n_tracks=1)
    with pytest.raises(TypeError, match="CharRNN"):
        record_states(torch.nn.Linear(2, 2), torch.arange(4), n_tracks=1)
    conditioned = CharRNN(11, hidden_size=4, num_conditions=2)
    with pytest.raises(ValueError, match="condition"):
        record_states(conditioned, torch.arange(4), n_tracks=1)


TEXT = "Он сказал: «да».\n– Нет, – ответил он. – Иди.\nКонец"


def _where(text, mask):
    return "".join(ch if m else "_" for ch, m in zip(text, mask))


def test_text_features_of_a_known_text():
    f = text_features(TEXT)
    assert all(len(v) == len(TEXT) for v in f.values())
    assert _where(TEXT, f["quote"]) == "___________«да_____________________________________"[:len(TEXT)]
    line2 = TEXT.index("–")
    dialogue = _where(TEXT, f["dialogue_line"])
    assert dialogue[line2:TEXT.index("\n", line2)] == "– Нет, – ответил он. – Иди."
    assert set(dialogue[:line2] + dialogue[TEXT.index("\n", line2):]) == {"_"}
    speech = _where(TEXT, f["speech"])
    assert speech[line2:TEXT.index("\n", line2)] == "– Нет, " + "_" * len("– ответил он. ") + "– Иди."
    assert f["line_position"][TEXT.index("\n")] == 0
    assert f["line_position"][line2] == 1 and f["line_position"][line2 + 4] == 5
    word = TEXT.index("сказал")
    assert list(f["word_position"][word - 1:word + 7]) == [0, 1, 2, 3, 4, 5, 6, 0]
    assert _where(TEXT, f["space"]).count(" ") == TEXT.count(" ")


def test_nested_quotes_and_the_em_dash():
    f = text_features("«a «b» c» d\n— x")
    assert list(f["quote"][:11]) == [1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0]
    assert f["speech"][-1] == 1 and f["dialogue_line"][-1] == 1
    with pytest.raises(TypeError):
        text_features(["a"])


def test_correlate_matches_numpy_and_gives_zero_for_constant_units():
    rng = np.random.default_rng(0)
    feature = rng.normal(size=200)
    activations = np.column_stack([feature * 2 + rng.normal(size=200), -feature, np.ones(200),
                                   rng.normal(size=200)])
    r = correlate(activations, feature)
    np.testing.assert_allclose(correlate(activations.astype(np.float32), feature, chunk=3), r,
                               atol=1e-6)   # chunks of units and float32 input give the same
    for unit in (0, 1, 3):
        assert r[unit] == pytest.approx(np.corrcoef(activations[:, unit], feature)[0, 1], abs=1e-12)
    assert r[1] == pytest.approx(-1.0) and r[2] == 0.0
    assert correlate(activations, np.zeros(200)).tolist() == [0.0] * 4
    with pytest.raises(ValueError, match="shapes"):
        correlate(activations, feature[:10])


def test_best_units_finds_the_planted_unit():
    rng = np.random.default_rng(1)
    feature = (rng.random(500) > 0.5).astype(float)
    h1 = rng.normal(size=(500, 6))
    c2 = rng.normal(size=(500, 6))
    c2[:, 4] = -3 * feature + 0.1 * rng.normal(size=500)
    rows = best_units({"h1": h1, "c2": c2}, {"flag": feature})
    assert rows[0]["layer"] == "c2" and rows[0]["unit"] == 4 and rows[0]["r"] < -0.9
    with pytest.raises(ValueError, match="same text"):
        best_units({"h1": h1}, {"flag": feature[:100]})


def test_colour_text_html_escapes_and_colours_each_character():
    text = "a<b\n\nc"
    page = colour_text_html(text, [1.0, 0.0, -1.0, 0.5, 0.5, -2.0], scale=1.0,
                            title="unit <7>")
    assert "&lt;" in page and "<b" not in page.replace("<br>", "") and "unit &lt;7&gt;" in page
    assert page.count("<span") == len(text)
    assert page.count("<br>") == 1                # a blank line breaks the line only once
    colours = re.findall(r"background:(rgb\([^)]*\))", page)
    assert colours[0] == "rgb(255,102,102)" and colours[1] == "rgb(255,255,255)"  # 60 % at most
    assert colours[2] == "rgb(102,102,255)" and colours[5] == "rgb(102,102,255)"   # clipped at -1
    default = re.findall(r"background:(rgb\([^)]*\))", colour_text_html("ab", [1.0, -2.0]))
    assert default == ["rgb(255,178,178)", "rgb(102,102,255)"]   # scaled by the largest |value|
    assert "http" not in page and "<script" not in page
    with pytest.raises(ValueError, match="one value per character"):
        colour_text_html("abc", [1, 2])
    with pytest.raises(ValueError, match="finite"):
        colour_text_html("ab", [1, float("nan")])


# --- bad input the reliability review found (D9, D16, D17, D19), and more of the kind --------------------


@pytest.mark.parametrize("poison", [math.nan, math.inf, -math.inf])
def test_correlate_gives_nan_for_a_unit_that_is_not_a_number(poison):
    """Before: a unit with one NaN or inf got r = 0.0, "follows nothing"."""
    rng = np.random.default_rng(0)
    feature = rng.standard_normal(100)
    x = np.stack([2 * feature + 1, rng.standard_normal(100), -feature], axis=1)
    clean = correlate(x, feature)
    x[5, 0] = poison
    r = correlate(x, feature, chunk=2)
    assert math.isnan(r[0]) and r[1:].tolist() == pytest.approx(clean[1:].tolist(), abs=1e-12)


@pytest.mark.parametrize("poison", [math.nan, math.inf])
def test_correlate_refuses_a_feature_that_is_not_a_number(poison):
    rng = np.random.default_rng(0)
    feature = rng.standard_normal(100)
    feature[7] = poison
    with pytest.raises(ValueError, match=rf"the feature holds {poison} at position 7"):
        correlate(rng.standard_normal((100, 3)), feature)


def test_correlate_of_huge_activations_does_not_overflow():
    """float64 squares of 1e200 overflow: r would read 0 without scaling each unit first."""
    rng = np.random.default_rng(1)
    feature = rng.standard_normal(50)
    x = np.stack([feature, rng.standard_normal(50)], axis=1)
    np.testing.assert_allclose(correlate(x * 1e200, feature), correlate(x, feature), atol=1e-12)
    np.testing.assert_allclose(correlate(x, feature * 1e-300), correlate(x, feature), atol=1e-12)


def test_correlate_refuses_what_is_not_numbers():
    with pytest.raises(TypeError, match="activations must hold numbers"):
        correlate(np.array([["a", "b"], ["c", "d"]]), [1.0, 2.0])
    with pytest.raises(ValueError, match="chunk must be a positive integer, got 0"):
        correlate(np.zeros((3, 2)), [1.0, 2.0, 3.0], chunk=0)


def test_best_units_refuses_states_that_are_not_numbers():
    """Before: best_units ranked a unit holding NaN as uncorrelated and picked another."""
    rng = np.random.default_rng(0)
    feature = (rng.random(200) > 0.5).astype(float)
    h1 = rng.normal(size=(200, 4))
    h1[:, 2] = feature
    h1[10, 2] = math.nan
    with pytest.raises(ValueError, match=r"states\['h1'\] unit 2 holds NaN or inf"):
        best_units({"h1": h1}, {"flag": feature})


@pytest.mark.parametrize("states", [{}, None, []])
def test_best_units_needs_states(states):
    """Before: best_units({}, features) returned [None]."""
    with pytest.raises(ValueError, match="states must be a non-empty dict of recorded states"):
        best_units(states, {"flag": np.zeros(5)})


@pytest.mark.parametrize("scale, match", [(-2, "scale must be positive, got -2"), (0, "scale must be positive"),
                                          (math.nan, "scale must be a finite number, got nan"),
                                          (math.inf, "scale must be a finite number, got inf")])
def test_colour_text_html_refuses_a_scale_that_is_not_positive(scale, match):
    """Before: scale -2 or NaN silently became 1."""
    with pytest.raises(ValueError, match=match):
        colour_text_html("ab", [0.5, -0.5], scale=scale)


def test_colour_text_html_shows_a_colour_key():
    """The key names what the fullest red and blue mean, on those very colours, above the text."""
    page = colour_text_html("ab", [1.0, -1.0], scale=1.0, title="t",
                            key=("выше среднего", "ниже <среднего>", "шкала: 99-й перцентиль"))
    colours = re.findall(r"background:(rgb\([^)]*\))", page)
    assert colours[:2] == ["rgb(255,102,102)", "rgb(102,102,255)"]      # the key's swatches come first
    assert "выше среднего" in page and "ниже &lt;среднего&gt;" in page and "(шкала: 99-й перцентиль)" in page
    assert page.index("выше среднего") < page.index(">a<")
    assert "цвет фона" not in colour_text_html("ab", [1.0, -1.0])                # no key unless asked
    for bad in (("только красный",), "выше, ниже", ("a", 1)):
        with pytest.raises(TypeError, match="key must be a tuple of 2 or 3 strings"):
            colour_text_html("ab", [1.0, -1.0], key=bad)


def test_colour_text_html_checks_its_layout_arguments():
    assert colour_text_html("ab", [0.0, 0.0]).count("rgb(255,255,255)") == 2  # all zero: white, no scale error
    with pytest.raises(ValueError, match="font_size must be a positive integer, got 0"):
        colour_text_html("ab", [0.1, 0.2], font_size=0)
    with pytest.raises(TypeError, match="title must be a str, not int"):
        colour_text_html("ab", [0.1, 0.2], title=7)


@pytest.mark.parametrize("ids, error, match", [
    (torch.tensor([1, 2, 99, 3]), IndexError, "ids holds 99, outside 0..10"),
    (torch.tensor([1, 2, -1, 3]), ValueError, "negative id"),
    (torch.tensor([0.5, 1.7, 2.2, 3.9]), TypeError, "must be integer ids"),
])
def test_record_states_names_ids_the_model_does_not_know(ids, error, match):
    """D19: before, torch's own "index out of range in self"; float ids were truncated (D13)."""
    with pytest.raises(error, match=match):
        record_states(_model("lstm"), ids, n_tracks=2)


def tiny_ids(n=400, vocab=9):
    return torch.arange(n) % vocab


def test_train_char_lm_refuses_a_misspelt_setting():
    """D12: before, training={"learning_rate": ...} was ignored and the default lr used."""
    with pytest.raises(ValueError, match=r"unknown training setting\(s\) \['learning_rate'\]"):
        train_char_lm(tiny_ids(), tiny_ids(100), 9, 1, training=dict(learning_rate=1e9))


def test_train_char_lm_names_a_validation_text_too_short_to_score():
    """D17: before, "batch_size must be a positive integer, got 0" though no batch_size was passed."""
    with pytest.raises(ValueError, match="a text of 1 ids is too short to score"):
        train_char_lm(tiny_ids(), tiny_ids(1), 9, 1, model_config=dict(hidden_size=4, embedding_dim=2),
                      training=dict(batch_size=2, seq_len=10))


@pytest.mark.parametrize("which", ["train_ids", "val_ids"])
def test_train_char_lm_checks_the_ids_against_vocab_size_before_training(which):
    """D19: an id of the validation text the model does not know failed only after a whole epoch,
    in torch's own words; now before the first step, naming the text."""
    ids = {"train_ids": tiny_ids(), "val_ids": tiny_ids(100)}
    ids[which] = ids[which].clone()
    ids[which][5] = 12
    seen = []
    with pytest.raises(IndexError, match=rf"{which} holds 12, outside 0..8"):
        train_char_lm(ids["train_ids"], ids["val_ids"], 9, 1, on_epoch=lambda *a: seen.append(a),
                      model_config=dict(hidden_size=4, embedding_dim=2), training=dict(batch_size=2, seq_len=10))
    assert seen == []


# --- the exercises' checks, both ways ----------------------------------------------------------------


def test_check_sampler_passes_the_reference_solution_and_the_package(taught, capsys):
    from lecture_utils.sampling import sample_next

    assert check_sampler(taught["my_sample_next"]) is True
    assert check_sampler(sample_next) is True
    assert capsys.readouterr().out.count("sample_next: верно (τ = 1,0; τ = 0,5; τ = 2,0, top_k = 3") == 2


def _reference_sampler(logits, temperature=1.0, top_k=None, generator=None):
    scaled = logits / temperature
    if top_k is not None:
        scaled = scaled.masked_fill(scaled < torch.topk(scaled, top_k, dim=-1).values[:, -1:], -math.inf)
    return torch.multinomial(torch.softmax(scaled, dim=-1), 1, generator=generator).squeeze(-1)


def test_check_sampler_names_typical_mistakes():
    def greedy(logits, temperature=1.0, top_k=None, generator=None):
        return logits.argmax(dim=-1)

    def temperature_after_softmax(logits, temperature=1.0, top_k=None, generator=None):
        return torch.multinomial(torch.softmax(logits, dim=-1) / temperature, 1, generator=generator).squeeze(-1)

    def times_temperature(logits, temperature=1.0, top_k=None, generator=None):
        return _reference_sampler(logits * temperature, 1.0, top_k, generator)

    def top_k_ignored(logits, temperature=1.0, top_k=None, generator=None):
        return _reference_sampler(logits, temperature, None, generator)

    def one_draw_for_all(logits, temperature=1.0, top_k=None, generator=None):
        return _reference_sampler(logits[:1], temperature, top_k, generator).expand(len(logits))

    with pytest.raises(CheckFailed, match=r"τ = 1,0, top_k = None\): всегда самый вероятный номер: это argmax"):
        check_sampler(greedy)
    with pytest.raises(CheckFailed, match=r"τ = 0,5, top_k = None\): температура не действует: делите логиты на τ "
                                          "до softmax"):
        check_sampler(temperature_after_softmax)
    with pytest.raises(CheckFailed, match="логиты умножены на τ, а их нужно делить на τ"):
        check_sampler(times_temperature)
    with pytest.raises(CheckFailed, match=r"τ = 2,0, top_k = 3\): top-k не применён"):
        check_sampler(top_k_ignored)
    with pytest.raises(CheckFailed, match="все 4\u202f000 строк получили один и тот же номер"):
        check_sampler(one_draw_for_all)
    with pytest.raises(CheckFailed, match="для 4\u202f000 строк логитов нужно 4\u202f000 номеров "
                                          "\\(по одному на строку\\), получено 10"):
        check_sampler(lambda logits, *args: _reference_sampler(logits[:10], *args))


def test_sampler_probabilities_are_the_softmax_of_the_scaled_top_k():
    p = sampler_probabilities([2.0, 1.0, 0.0], temperature=0.5, top_k=2)
    np.testing.assert_allclose(p, [math.exp(4) / (math.exp(4) + math.exp(2)), math.exp(2) / (math.exp(4) + math.exp(2)),
                                   0.0])


def _small_lm():
    torch.manual_seed(0)
    return CharRNN(11, hidden_size=7, cell="lstm", num_layers=2, embedding_dim=5, dropout=0.3)


def test_check_own_lstm_passes_the_reference_solution(taught, capsys):
    model = _small_lm()
    ids = torch.randint(0, 11, (40,), generator=torch.Generator().manual_seed(2))
    assert check_own_lstm(taught["own_nll"], model, ids) is True
    assert model.training, "the check must give the model its mode back"
    assert "own_nll: верно" in capsys.readouterr().out


def test_check_own_lstm_names_typical_mistakes(taught):
    model, ids = _small_lm(), torch.randint(0, 11, (40,), generator=torch.Generator().manual_seed(2))
    own_nll = taught["own_nll"]
    layers = lambda m: [taught["LSTMCell"].from_torch(m.rnn, layer=k) for k in range(m.rnn.num_layers)]

    def unshifted(m, ids):  # each id scored against itself, not against the next one
        x = m.embedding(ids[None])
        for cell in layers(m):
            x, _ = taught["run_sequence"](cell, x)
        return F.cross_entropy(m.head(x)[0], ids).item()

    def first_layer_only(m, ids):
        x, _ = taught["run_sequence"](layers(m)[0], m.embedding(ids[None, :-1]))
        return F.cross_entropy(m.head(x)[0], ids[1:]).item()

    with pytest.raises(CheckFailed, match=r"own_nll: ожидалось .* \(CharRNN в eval\), получено .*"
                                          r"цель шага t — ids\[t \+ 1\]"):
        check_own_lstm(unshifted, model, ids)
    with pytest.raises(CheckFailed, match="слой k — LSTMCell.from_torch"):
        check_own_lstm(first_layer_only, model, ids)
    with pytest.raises(CheckFailed, match="это биты"):
        check_own_lstm(lambda m, i: own_nll(m, i) / math.log(2), model, ids)
    with pytest.raises(CheckFailed, match="это сумма по символам, а нужно среднее"):
        check_own_lstm(lambda m, i: own_nll(m, i) * (len(i) - 1), model, ids)
    with pytest.raises(CheckFailed, match="ожидалось одно число"):
        check_own_lstm(lambda m, i: torch.zeros(3), model, ids)


def test_check_compressed_bytes_passes_the_reference_and_names_typical_mistakes(taught, capsys):
    right = taught["compressed_bytes"]
    assert check_compressed_bytes(right) is True
    assert "compressed_bytes: верно" in capsys.readouterr().out
    assert right(1.3426, 170_759) == pytest.approx(41_344, abs=1)   # the number of the self-check block
    with pytest.raises(CheckFailed, match="потери в натах: переведите в биты"):
        check_compressed_bytes(lambda nll, n: nll * n / 8)
    with pytest.raises(CheckFailed, match="это биты, а не байты"):
        check_compressed_bytes(lambda nll, n: right(nll, n) * 8)
    with pytest.raises(CheckFailed, match="это килобайты: верните байты"):
        check_compressed_bytes(lambda nll, n: right(nll, n) / 1000)
    with pytest.raises(CheckFailed, match=r"compressed_bytes\(1,3426, 170 759\): ожидалось"):
        check_compressed_bytes(lambda nll, n: n / 8)


def test_the_students_edition_runs_the_exercises_unsolved(tmp_path, capsys):
    """With the solutions replaced by placeholders (tools/student.py), the teach cells still run,
    the exercise functions return None and every check says «не решено» instead of failing."""
    unsolved = student_teach_namespace(NOTEBOOK, tmp_path)
    assert unsolved["my_sample_next"](torch.zeros(2, 3)) is None
    assert check_sampler(unsolved["my_sample_next"]) is False
    assert check_own_lstm(unsolved["own_nll"], _small_lm(), torch.arange(20) % 11) is False
    assert check_compressed_bytes(unsolved["compressed_bytes"]) is False
    out = capsys.readouterr().out
    assert all(f"{name}: не решено" in out for name in ("sample_next", "own_nll", "compressed_bytes"))
    assert "GatedCell" in unsolved and "LSTMCell" in unsolved  # taught, not solved


# --------------------------------------------------------------------------- per position, and with a short context

@pytest.mark.parametrize("tracks, window", [(16, 256), (3, 7)])
def test_position_log_probs_average_to_text_nll_and_name_the_right_positions(tracks, window):
    from lecture_utils.metrics import position_log_probs

    torch.manual_seed(0)
    model = CharRNN(11, hidden_size=8, cell="lstm", num_layers=2, embedding_dim=4)
    ids = torch.randint(0, 11, (1000,))
    positions, log_probs = position_log_probs(model, ids, tracks, window)
    assert -log_probs.mean() == pytest.approx(text_nll(model, ids, tracks, window), rel=1e-6)
    length = 1000 // tracks
    assert len(positions) == tracks * (length - 1) and 0 not in positions and length not in positions
    # one track read in one piece from its start predicts the same ids with the same probabilities
    b = tracks - 1
    row = ids[b * length:(b + 1) * length]
    with torch.no_grad():
        logits, _ = model.eval()(row[None, :-1])
    expected = F.log_softmax(logits[0], -1).gather(-1, row[1:, None])[:, 0].double().numpy()
    np.testing.assert_allclose(log_probs[positions >= b * length], expected, rtol=1e-5, atol=1e-6)


def test_loss_with_context_reads_exactly_the_context_before_each_position():
    from lecture_utils.l05_char_lm import loss_with_context

    torch.manual_seed(1)
    model = CharRNN(9, hidden_size=6, cell="gru", embedding_dim=3)
    ids = torch.randint(0, 9, (300,))
    positions = np.array([5, 17, 120, 299])
    losses = loss_with_context(model, ids, positions, context=5, chunk=3)
    model.eval()
    for t, loss in zip(positions, losses):
        with torch.no_grad():
            logits, _ = model(ids[None, t - 5:t])
        assert loss == pytest.approx(-F.log_softmax(logits[0, -1], -1)[ids[t]].item(), rel=1e-6)
    with pytest.raises(ValueError, match="needs 5 ids before it"):
        loss_with_context(model, ids, [4], context=5)
    with pytest.raises(ValueError, match="non-empty"):
        loss_with_context(model, ids, [], context=5)
