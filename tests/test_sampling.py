"""lecture_utils.sampling: temperature and top-k, names and texts, the model's mode kept, the padding token
never drawn, names cut at the length limit flagged, and bad ids named."""
from __future__ import annotations

import math

import pytest
import torch

from lecture_utils.models import CharRNN
from lecture_utils.sampling import Samples, generate_names, generate_text, sample, sample_next
from lecture_utils.text import BOUNDARY, PAD, UnknownTokenError, Vocab, tokenize

TEXT = "мама мыла раму. раму мыла мама! " * 40
UNTRAINED = pytest.mark.filterwarnings("ignore:.*names reached max_len:UserWarning")
"""An untrained model rarely draws the boundary token: some of its names are cut, with a warning."""


@pytest.fixture
def model(names_vocab):
    torch.manual_seed(0)
    return CharRNN(len(names_vocab), hidden_size=16)


def fed_ids(model) -> list[list[int]]:
    """Every ids tensor ``model`` reads from now on, as lists (a forward pre-hook)."""
    seen = []
    model.register_forward_pre_hook(lambda module, args: seen.extend(args[0].tolist()))
    return seen


# --- one draw --------------------------------------------------------------------------------


def test_low_temperature_gives_the_argmax():
    logits = torch.randn(50, 12, generator=torch.Generator().manual_seed(0))
    for temperature in (1e-4, 1e-45):  # the second overflows logits / temperature in float32
        drawn = sample_next(logits, temperature=temperature, generator=torch.Generator().manual_seed(1))
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


def test_minus_infinity_is_never_drawn():
    logits = torch.tensor([[0.0, -math.inf, 0.0]]).repeat(2000, 1)
    assert (sample_next(logits, 5.0, generator=torch.Generator().manual_seed(0)) != 1).all()


@pytest.mark.parametrize("kwargs, match", [
    ({"temperature": 0}, "temperature must be positive, got 0"),
    ({"temperature": -1.0}, "temperature must be positive, got -1.0"),
    ({"temperature": math.nan}, "temperature must be a finite number, got nan"),
    ({"temperature": "1"}, "temperature must be a finite number, got '1'"),
    ({"top_k": 2.5}, "top_k must be a positive integer, got 2.5"),
    ({"top_k": True}, "top_k must be a positive integer, got True"),
    ({"top_k": 0}, "top_k must be a positive integer, got 0"),
    ({"top_k": 4}, r"top_k must lie in 1\.\.3, got 4"),
])
def test_sample_next_names_a_bad_setting(kwargs, match):
    with pytest.raises(ValueError, match=match):
        sample_next(torch.zeros(2, 3), **kwargs)


@pytest.mark.parametrize("row, match", [
    ([0.0, math.nan, 1.0], "scores hold NaN or \\+inf"),  # broken weights: torch said "probability tensor ..."
    ([0.0, math.inf, 1.0], "scores hold NaN or \\+inf"),
    ([-math.inf, -math.inf, -math.inf], "no id can be drawn"),
])
def test_sample_next_refuses_scores_it_cannot_draw_from(row, match):
    with pytest.raises(ValueError, match=match):
        sample_next(torch.tensor([[0.0, 1.0, 2.0], row]))


# --- sampling from a model -------------------------------------------------------------------


@UNTRAINED
def test_generated_names_repeat_with_a_seed_and_respect_the_prefix(names_vocab, model):
    first = generate_names(model, names_vocab, 5, prefix="ма", generator=torch.Generator().manual_seed(3))
    again = generate_names(model, names_vocab, 5, prefix="ма", generator=torch.Generator().manual_seed(3))
    assert first == again and all(name.startswith("ма") for name in first)
    assert isinstance(first, Samples) and first.cut == again.cut and len(first.cut) == 5
    assert all(len(name) == 20 if cut else len(name) < 20 for name, cut in zip(first, first.cut))
    with pytest.raises(UnknownTokenError, match="'q'"):
        generate_names(model, names_vocab, 1, prefix="qa")


def test_generate_names_edge_counts(names_vocab, model):
    assert generate_names(model, names_vocab, 0) == []
    assert generate_names(model, names_vocab, 0, condition=None, prefix="ма") == []
    with pytest.raises(ValueError, match="n must be a non-negative integer, got -1"):
        generate_names(model, names_vocab, -1)
    with pytest.raises(ValueError, match="n must be a non-negative integer, got 2.5"):
        generate_names(model, names_vocab, 2.5)
    with pytest.raises(ValueError, match=r"prefix 'мари' \(4 characters\) is longer than max_len=3"):
        generate_names(model, names_vocab, 2, prefix="мари", max_len=3)


@pytest.mark.parametrize("training", [True, False])
def test_the_models_mode_is_restored_also_when_sampling_fails(model, training):
    model.train(training)
    calls = []

    def fail_on_the_third_step(module, args):
        calls.append(module.training)
        if len(calls) == 3:
            raise RuntimeError("stopped mid-way")

    model.register_forward_pre_hook(fail_on_the_third_step)
    with pytest.raises(RuntimeError, match="stopped mid-way"):
        sample(model, [1], 2, 5)
    assert calls == [False] * 3  # dropout off while sampling
    assert model.training is training


@UNTRAINED
def test_the_padding_token_is_never_drawn(names_vocab, model):
    """Its embedding is never trained; here the model even puts almost all probability on it."""
    pad = names_vocab.id(PAD)
    with torch.no_grad():
        model.head.bias[pad] = 30.0
    fed = fed_ids(model)
    names = generate_names(model, names_vocab, 20, max_len=8, generator=torch.Generator().manual_seed(0))
    assert len(names) == 20 and fed and not any(pad in row for row in fed)
    text_vocab = Vocab.build([tokenize(TEXT)], specials=(PAD,), unk="<unk>", joiner=" ")
    torch.manual_seed(0)
    word_model = CharRNN(len(text_vocab), hidden_size=8)
    with torch.no_grad():
        word_model.head.bias[text_vocab.id(PAD)] = 30.0
    fed = fed_ids(word_model)
    text = generate_text(word_model, text_vocab, "мама", 10, generator=torch.Generator().manual_seed(0))
    assert len(text.split()) == 11 and not any(text_vocab.id(PAD) in row for row in fed)


def test_names_cut_at_the_length_limit_are_flagged_with_a_warning(names_vocab, model):
    with torch.no_grad():
        model.head.bias[names_vocab.id(BOUNDARY)] = -30.0  # no name ever ends
    with pytest.warns(UserWarning, match="3 of 3 names reached max_len=6 without the boundary token"):
        names = generate_names(model, names_vocab, 3, prefix="ма", max_len=6,
                               generator=torch.Generator().manual_seed(0))
    assert names.cut == [True] * 3 and [len(name) for name in names] == [6] * 3
    with torch.no_grad():
        model.head.bias[names_vocab.id(BOUNDARY)] = 30.0  # every name ends at once
    names = generate_names(model, names_vocab, 3, prefix="ма", max_len=6)
    assert names == ["ма"] * 3 and names.cut == [False] * 3


def test_sample_marks_cut_samples_only_with_a_stop_id(model):
    with torch.no_grad():
        model.head.bias[2] = 30.0
    assert sample(model, [1], 2, 3).cut == [False, False]  # no stop id: a length is all there is
    ended = sample(model, [1], 2, 3, stop_id=2)
    assert ended == [[], []] and ended.cut == [False, False]
    cut = sample(model, [1], 2, 3, stop_id=4)
    assert cut == [[2, 2, 2]] * 2 and cut.cut == [True, True]
    with pytest.raises(ValueError, match="the stop id 2 is also banned"):
        sample(model, [1], 2, 3, stop_id=2, banned_ids=[2])


def test_word_generation_continues_a_prompt_of_words_or_a_string():
    vocab = Vocab.build([tokenize(TEXT)], unk="<unk>", joiner=" ")
    torch.manual_seed(0)
    model = CharRNN(len(vocab), hidden_size=16, cell="gru")
    g1, g2 = (torch.Generator().manual_seed(5) for _ in range(2))
    a = generate_text(model, vocab, "мама мыла", 6, top_k=3, generator=g1)
    b = generate_text(model, vocab, ["мама", "мыла"], 6, top_k=3, generator=g2)
    assert a == b and a.startswith("мама мыла ") and len(a.split()) == 8
    assert generate_text(model, vocab, "папа", 0) == "<unk>"  # an unknown word is kept visible
    with pytest.raises(ValueError, match="the prompt is empty"):
        generate_text(model, vocab, "", 3)
    with pytest.raises(ValueError, match="length must be a non-negative integer, got 2.5"):
        generate_text(model, vocab, "мама", 2.5)


# --- ids the model does not know (D19: torch said "index out of range in self") -----------------


@pytest.mark.parametrize("prompt, bad", [([99], 99), ([1, -1], -1)])
def test_a_prompt_id_outside_the_model_is_named(prompt, bad):
    with pytest.raises(IndexError, match=rf"ids holds {bad}, outside 0\.\.8"):
        sample(CharRNN(9, 8), prompt, 2, 5)


@UNTRAINED
def test_a_condition_the_model_does_not_have_is_named(names_vocab):
    model = CharRNN(len(names_vocab), 8, num_conditions=2)
    assert len(generate_names(model, names_vocab, 2, condition=1, generator=torch.Generator().manual_seed(0))) == 2
    with pytest.raises(IndexError, match=r"condition holds 5, outside 0\.\.1"):
        generate_names(model, names_vocab, 2, condition=5)


def test_a_vocabulary_of_another_size_than_the_model_is_named(names_vocab):
    small = CharRNN(len(names_vocab) - 3, 8)
    match = rf"the vocabulary has {len(names_vocab)} tokens but the model scores {len(names_vocab) - 3}"
    with pytest.raises(ValueError, match=match):
        generate_names(small, names_vocab, 2)
    with pytest.raises(ValueError, match=match):
        generate_text(small, names_vocab, "ма", 2)


def test_banned_and_stop_ids_outside_the_model_are_named():
    torch.manual_seed(0)
    model = CharRNN(6, 8)
    with pytest.raises(ValueError, match=r"banned_ids holds 9, outside the model's ids 0..5"):
        sample(model, [1], 2, 3, banned_ids=[0, 9])
    with pytest.raises(ValueError, match=r"stop_id holds 6, outside the model's ids 0..5"):
        sample(model, [1], 2, 3, stop_id=6)
