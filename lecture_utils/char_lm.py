"""Lecture 05's character language model: its configuration and training, shared by the
notebook's live run and ``make pretrain`` (tools/pretrain.py), so the shipped checkpoint
comes from the same code and settings as the curve the students watch."""
from __future__ import annotations

import torch

from .batching import TextWindows
from .models import CharRNN
from .training import History, evaluate, fit, stream_token_loss

ANNA_MODEL = dict(cell="lstm", num_layers=2, hidden_size=384, embedding_dim=48, dropout=0.25)
"""CharRNN arguments besides ``vocab_size``: 1.9 M weights, a checkpoint under 8 MB."""

ANNA_TRAINING = dict(batch_size=64, seq_len=100, lr=2e-3, lr_decay=0.9, clip=1.0)
"""64 tracks read 100 characters at a time; Adam at 2e-3, times 0.9 after every epoch."""


def train_char_lm(train_ids, val_ids, vocab_size: int, epochs: int, *, model_config: dict | None = None,
                  training: dict | None = None, max_seconds: float | None = None, device=None,
                  on_epoch=None, desc: str = "обучение") -> tuple[CharRNN, History]:
    """A fresh CharRNN trained on ``train_ids`` with the state carried across windows.

    ``model_config`` and ``training`` override single entries of ``ANNA_MODEL`` and
    ``ANNA_TRAINING``. Seed before calling for reproducible weights.
    """
    settings = {**ANNA_TRAINING, **(training or {})}
    model = CharRNN(vocab_size, **{**ANNA_MODEL, **(model_config or {})})
    if device is not None:
        model.to(device)
    train = TextWindows(train_ids, settings["batch_size"], settings["seq_len"])
    val = TextWindows(val_ids, min(16, len(val_ids) // 2), 256)
    history = fit(model, train, val, loss_fn=stream_token_loss, carry_state=True, epochs=epochs,
                  lr=settings["lr"], lr_decay=settings["lr_decay"], clip=settings["clip"],
                  max_seconds=max_seconds, on_epoch=on_epoch, desc=desc)
    return model, history


def text_nll(model, ids, batch_size: int = 16, seq_len: int = 256) -> float:
    """Mean negative log-likelihood of a text in nats per character, read as ``batch_size``
    tracks with the state carried (only the start of each track is read without context)."""
    batches = TextWindows(torch.as_tensor(ids), batch_size, seq_len)
    return evaluate(model, batches, stream_token_loss, carry_state=True)["loss"]
