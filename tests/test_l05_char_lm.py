"""lecture_utils.unit_probe: recorded states equal torch's, features of a known text, correlations."""
import re

import numpy as np
import pytest
import torch

from lecture_utils.models import CharRNN
from lecture_utils.unit_probe import (best_units, colour_text_html, correlate, record_states,
                                      text_features)


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
