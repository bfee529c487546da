"""The shipped lecture 05 checkpoint loads, is what its JSON says, and is as good as it says."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import lecture_utils as lu
from lecture_utils.batching import split_contiguous
from lecture_utils.char_lm import ANNA_MODEL, text_nll
from lecture_utils.checkpoint import load_checkpoint
from lecture_utils.data import REGISTRY
from lecture_utils.models import CharRNN
from lecture_utils.text import Vocab

PRETRAINED = Path(__file__).resolve().parents[1] / "pretrained"


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


def test_checkpoint_scores_the_validation_text_as_its_json_says(shipped):
    info, model, vocab, _ = shipped
    text = lu.load_text(info["data"])
    assert vocab == Vocab.build([text])  # the alphabet of this text, in this order
    _, val_ids = split_contiguous(torch.tensor(vocab.encode(text)), info["val_fraction"])
    assert text_nll(model, val_ids) == pytest.approx(info["val_nll_nats_per_char"], abs=2e-4)
