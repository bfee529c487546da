"""lecture_utils.metrics: units of a language model's loss, and the NLL of a whole text."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from lecture_utils.metrics import (
    SCORING_TRACKS,
    SCORING_WINDOW,
    bits_to_nats,
    nats_to_bits,
    perplexity,
    perplexity_to_nats,
    scoring_windows,
    text_nll,
)
from lecture_utils.models import CharRNN
from lecture_utils.sequences import TextWindows

# --- units -----------------------------------------------------------------------------------------------


def test_units():  # moved here from tests/test_lm_baselines.py with the units themselves
    assert nats_to_bits(math.log(2)) == pytest.approx(1.0)
    assert bits_to_nats(2.0) == pytest.approx(2 * math.log(2))
    assert nats_to_bits(bits_to_nats(1.37)) == pytest.approx(1.37)
    assert perplexity(math.log(7)) == pytest.approx(7.0)
    assert perplexity_to_nats(perplexity(1.3)) == pytest.approx(1.3)
    np.testing.assert_allclose(perplexity(np.log([2.0, 5.0])), [2.0, 5.0])
    np.testing.assert_allclose(perplexity_to_nats(np.array([1.0, math.e])), [0.0, 1.0])
    assert isinstance(perplexity(1.0), float) and isinstance(perplexity(np.array([1.0])), np.ndarray)


def test_perplexity_of_a_huge_loss_is_inf_not_an_overflow_error():
    """U2b: before, perplexity(1000) raised a raw OverflowError."""
    assert perplexity(1000) == math.inf
    assert perplexity(0) == 1.0


@pytest.mark.parametrize("nats", [-0.1, math.nan, np.array([0.5, -1.0])])
def test_perplexity_refuses_a_negative_or_nan_loss(nats):
    with pytest.raises(ValueError, match="a negative log-likelihood per symbol is >= 0"):
        perplexity(nats)


@pytest.mark.parametrize("ppl", [0, 0.5, -3, math.nan])
def test_perplexity_to_nats_refuses_a_perplexity_below_1(ppl):
    """U2: before, perplexity_to_nats(0) raised a raw "math domain error"."""
    with pytest.raises(ValueError, match="a perplexity is at least 1"):
        perplexity_to_nats(ppl)


# --- scoring a text ----------------------------------------------------------------------------------------


def test_scoring_windows_use_fewer_tracks_for_a_short_text():
    assert SCORING_TRACKS == 16 and SCORING_WINDOW == 256
    windows = scoring_windows(torch.arange(1000) % 7)
    assert isinstance(windows, TextWindows) and windows.tracks.shape[0] == SCORING_TRACKS
    assert scoring_windows(torch.arange(10)).tracks.shape[0] == 5  # two ids per track at least
    assert scoring_windows(torch.arange(4)).tracks.shape == (2, 2)


@pytest.mark.parametrize("kwargs, match", [
    ({"ids": torch.arange(3)}, "a text of 3 ids is too short to score"),
    ({"ids": torch.arange(1)}, "a text of 1 ids is too short to score"),
    ({"ids": torch.arange(100), "batch_size": 0}, "batch_size must be a positive integer, got 0"),
    ({"ids": torch.arange(100), "seq_len": 2.5}, "seq_len must be a positive integer, got 2.5"),
])
def test_scoring_windows_name_what_is_wrong(kwargs, match):
    with pytest.raises(ValueError, match=match):
        scoring_windows(**kwargs)


def whole_track_nll(model, ids, tracks):
    """The same NLL the slow, obvious way: every track read in one pass, no windows."""
    length = len(ids) // tracks
    rows = torch.as_tensor(ids)[:tracks * length].reshape(tracks, length)
    with torch.no_grad():
        logits, _ = model.eval()(rows[:, :-1])
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), rows[:, 1:].reshape(-1)).item()


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_text_nll_carries_the_state_across_windows(cell):
    torch.manual_seed(0)
    model = CharRNN(11, hidden_size=16, cell=cell, num_layers=2, dropout=0.3)
    ids = torch.randint(0, 11, (601,), generator=torch.Generator().manual_seed(1))
    nll = text_nll(model, ids, batch_size=3, seq_len=7)
    assert model.training  # the model's mode is put back
    assert nll == pytest.approx(whole_track_nll(model, ids, 3), rel=1e-5)
    assert nll < math.log(11) + 0.5


def test_text_nll_names_ids_the_model_does_not_know():
    """D19/CL4b: before, torch's own "index out of range in self"."""
    ids = torch.arange(100) % 11
    ids[0] = 11  # an input id (an id read only as a target gives torch's "Target 11 is out of bounds")
    with pytest.raises(IndexError, match="holds 11, outside 0..10"):
        text_nll(CharRNN(11, hidden_size=4), ids)
    with pytest.raises(ValueError, match="a text of 2 ids is too short to score"):
        text_nll(CharRNN(11, hidden_size=4), torch.arange(2))


def test_perplexity_takes_lists_and_arrays():
    assert np.allclose(perplexity([0.0, 1.0]), [1.0, np.e])
    assert np.allclose(perplexity_to_nats([1.0, np.e]), [0.0, 1.0])


def test_text_nll_names_a_target_outside_the_model():
    torch.manual_seed(0)
    model = CharRNN(10, 8)
    ids = torch.randint(0, 10, (200,))
    ids[-1] = 11  # read only as a target, never as an input
    with pytest.raises(IndexError, match="targets holds 11"):
        text_nll(model, ids, batch_size=2, seq_len=50)
