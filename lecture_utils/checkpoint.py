"""Saving and loading a CharRNN together with its vocabulary."""
from __future__ import annotations

from pathlib import Path

import torch

from .atomic import atomic_path
from .models import CharRNN
from .text import CharVocab

FORMAT = "lecture_utils.CharRNN/1"


class CheckpointError(RuntimeError):
    """A checkpoint is unreadable or belongs to another model or vocabulary."""


def save_checkpoint(path, model: CharRNN, vocab: CharVocab, **extra) -> Path:
    """Write model config, weights, vocabulary and ``extra`` atomically.

    The file is written next to ``path`` and renamed over it only when complete,
    so an interrupted save never destroys the previous checkpoint.
    """
    path = Path(path)
    payload = {"format": FORMAT, "config": dict(model.config), "vocab": vocab.to_dict(),
               "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()}, "extra": extra}
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)
    return path


def load_checkpoint(path, model: CharRNN | None = None, vocab: CharVocab | None = None,
                    device=None) -> tuple[CharRNN, CharVocab, dict]:
    """Load a checkpoint; returns ``(model, vocab, extra)``.

    With ``model`` (or ``vocab``) given, the checkpoint must have been saved from
    the same architecture (or vocabulary): otherwise a :class:`CheckpointError`
    says what differs, and ``model`` is left untouched.
    """
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # a truncated file, another format, not a file at all
        raise CheckpointError(f"{path} is not a readable checkpoint: {err}") from err
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a {FORMAT} checkpoint")
    saved_vocab = CharVocab.from_dict(payload["vocab"])
    if vocab is not None and vocab != saved_vocab:
        raise CheckpointError(
            f"{path} was saved with another vocabulary ({len(saved_vocab)} tokens, this one has {len(vocab)}; "
            f"only in the checkpoint: {sorted(set(saved_vocab.tokens) - set(vocab.tokens))[:10]}, "
            f"only here: {sorted(set(vocab.tokens) - set(saved_vocab.tokens))[:10]})")
    if model is not None:
        differences = {key: (payload["config"].get(key), value) for key, value in model.config.items()
                       if payload["config"].get(key) != value}
        if differences:
            details = ", ".join(f"{k}: checkpoint {a!r} vs model {b!r}" for k, (a, b) in differences.items())
            raise CheckpointError(f"{path} was saved from another architecture ({details})")
    else:
        model = CharRNN(**payload["config"])
    model.load_state_dict(payload["state_dict"])
    if device is not None:
        model.to(device)
    return model, saved_vocab, payload["extra"]
