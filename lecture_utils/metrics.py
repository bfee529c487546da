"""Units of a language model's loss, and the loss of a model on a whole text.

A model that gives the next symbol probability p codes it in -ln p nats or -log2 p bits;
the mean over a text is its negative log-likelihood (NLL) per symbol. Perplexity exp(NLL)
is the size of a uniform choice that is as hard.
"""
from __future__ import annotations

import math

import numpy as np

from .checks import positive_int

LN2 = math.log(2.0)


def nats_to_bits(nats):
    """Nats per symbol -> bits per symbol (divide by ln 2)."""
    return nats / LN2


def bits_to_nats(bits):
    """Bits per symbol -> nats per symbol (multiply by ln 2)."""
    return bits * LN2


def perplexity(nats):
    """Perplexity exp(nats per symbol): the size of a uniform choice that is as hard.

    NLL is never negative, so a negative value is refused; a value too large for a float
    gives ``inf`` rather than an ``OverflowError``."""
    values = np.asarray(nats, dtype=float)
    if np.any(values < 0) or np.any(np.isnan(values)):
        raise ValueError(f"a negative log-likelihood per symbol is >= 0, got {nats!r}")
    with np.errstate(over="ignore"):
        result = np.exp(values)
    return float(result) if result.ndim == 0 else result  # a list or an array in, an array out


def perplexity_to_nats(ppl):
    """Nats per symbol of a perplexity (its natural logarithm); a perplexity is >= 1."""
    values = np.asarray(ppl, dtype=float)
    if np.any(values < 1) or np.any(np.isnan(values)):
        raise ValueError(f"a perplexity is at least 1 (one certain choice), got {ppl!r}")
    result = np.log(values)
    return float(result) if result.ndim == 0 else result  # a list or an array in, an array out


SCORING_TRACKS, SCORING_WINDOW = 16, 256
"""How a text is read to score it: 16 tracks in windows of 256 ids, the state carried."""


def scoring_windows(ids, batch_size: int = SCORING_TRACKS, seq_len: int = SCORING_WINDOW):
    """The windows a text is scored in: ``batch_size`` tracks (fewer for a text too short to
    give each track two ids) read ``seq_len`` ids at a time."""
    from .sequences import TextWindows

    batch_size, seq_len = positive_int("batch_size", batch_size), positive_int("seq_len", seq_len)
    if len(ids) < 4:
        raise ValueError(f"a text of {len(ids)} ids is too short to score (at least 4: two tracks of an "
                         "input and its target)")
    return TextWindows(ids, min(batch_size, len(ids) // 2), seq_len)


def text_nll(model, ids, batch_size: int = SCORING_TRACKS, seq_len: int = SCORING_WINDOW) -> float:
    """Mean negative log-likelihood of a text in nats per symbol, read as ``batch_size``
    tracks in windows of ``seq_len`` with the state carried (only the start of each track
    is read without context). Lecture 05 reads its validation text this way everywhere."""
    from .training import evaluate, stream_token_loss

    return evaluate(model, scoring_windows(ids, batch_size, seq_len), stream_token_loss)["loss"]


def position_log_probs(model, ids, batch_size: int = SCORING_TRACKS,
                       seq_len: int = SCORING_WINDOW) -> tuple[np.ndarray, np.ndarray]:
    """``(positions, log_probs)``: ln P of every id the model predicts when it reads ``ids`` as
    :func:`text_nll` does (so ``-log_probs.mean()`` is that loss), and its position in ``ids``.

    A track's first id and the ids after the last full track are not predicted; the positions
    say which are. For a model of a language model's shape: ``model(x, state) -> (logits, state)``.
    """
    import torch
    from torch.nn import functional as F

    from .models import eval_mode

    windows = scoring_windows(ids, batch_size, seq_len)
    tracks, length = windows.tracks.shape
    device = next(model.parameters()).device
    out = np.empty((tracks, length - 1))
    state = None
    with torch.no_grad(), eval_mode(model):
        for k, (inputs, targets) in enumerate(windows):
            logits, state = model(inputs.to(device), state)
            chosen = F.log_softmax(logits.float(), -1).gather(-1, targets.to(device)[..., None])[..., 0]
            out[:, k * seq_len:k * seq_len + inputs.shape[1]] = chosen.double().cpu().numpy()
    positions = np.arange(tracks)[:, None] * length + np.arange(1, length)[None, :]
    return positions.ravel(), out.ravel()
