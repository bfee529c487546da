"""Lecture 05: a character language model of «Анна Каренина» and what its units follow.

* :data:`ANNA_MODEL`, :data:`ANNA_TRAINING` -- the model and its training settings, read by the
  notebook's live run (a smaller hidden size, five minutes of ``fit`` on stretches of the text)
  and by :func:`train_char_lm`, which ``make pretrain`` (tools/pretrain.py) runs for hours: the
  shipped checkpoint has the settings of the curve the students watch, trained far longer;
* :func:`record_states` -- the hidden state ``h`` (and, for an LSTM, the cell state ``c``)
  of every layer after every character, as numpy arrays aligned with the text;
* :func:`text_features` -- visible features of the text read so far (inside a dialogue
  line, inside direct speech, inside «…», position in the line and in the word, a space);
* :func:`correlate` and :func:`best_units` -- Pearson's r of every unit with a feature,
  and the unit that follows each feature most closely;
* :func:`colour_text_html` -- the text as HTML spans with a background colour per
  character: inline styles only, so it renders offline in a notebook and in a slide deck;
* :func:`check_sampler`, :func:`check_own_lstm`, :func:`check_compressed_bytes` -- the checks of
  the exercises (exercises 1, 4 and 5), tested both ways in tests/test_l05_char_lm.py.
"""
from __future__ import annotations

import contextlib
import html
import io
import math
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from .checks import positive, positive_int, short
from .exercises import CheckFailed, _not_solved, _passed, _show, check_distribution, unsolved
from .formatting import number
from .metrics import scoring_windows
from .models import CharRNN, check_ids, device_of, eval_mode
from .sequences import TextWindows, as_id_tensor
from .training import History, fit, stream_token_loss

SHIPPED_CHECKPOINT = Path(__file__).resolve().parents[1] / "pretrained" / "anna_lstm.pt"
"""The checkpoint ``make pretrain`` writes and the notebook loads (its info: the same name, ``.json``)."""

ANNA_MODEL = dict(cell="lstm", num_layers=2, hidden_size=384, embedding_dim=48, dropout=0.25)
"""CharRNN arguments besides ``vocab_size``: 1.9 M weights, a checkpoint under 8 MB."""

ANNA_TRAINING = dict(batch_size=64, seq_len=100, lr=2e-3, lr_decay=0.9, clip=1.0)
"""64 tracks read 100 characters at a time; Adam at 2e-3, times 0.9 after every epoch."""


def train_char_lm(train_ids, val_ids, vocab_size: int, epochs: int, *, model_config: dict | None = None,
                  training: dict | None = None, max_seconds: float | None = None, device=None,
                  on_epoch=None, desc: str = "обучение") -> tuple[CharRNN, History]:
    """A fresh CharRNN trained on ``train_ids`` with the state carried across windows.

    ``model_config`` and ``training`` override single entries of ``ANNA_MODEL`` and
    ``ANNA_TRAINING`` (an unknown key is refused by name). The validation text is read as
    :func:`~lecture_utils.metrics.text_nll` reads it. Seed before calling for reproducible weights.
    """
    unknown = sorted(set(training or {}) - set(ANNA_TRAINING))
    if unknown:
        raise ValueError(f"unknown training setting(s) {unknown}: the settings are {sorted(ANNA_TRAINING)}")
    settings = {**ANNA_TRAINING, **(training or {})}
    vocab_size = positive_int("vocab_size", vocab_size)
    for name, ids in (("train_ids", train_ids), ("val_ids", val_ids)):
        # checked before training: an id the model does not know in val_ids would fail only after an epoch
        check_ids(as_id_tensor(ids, name), vocab_size, name)
    model = CharRNN(vocab_size, **{**ANNA_MODEL, **(model_config or {})})
    if device is not None:
        model.to(device)
    train = TextWindows(train_ids, settings["batch_size"], settings["seq_len"])
    val = scoring_windows(val_ids)
    history = fit(model, train, val, loss_fn=stream_token_loss, epochs=epochs,
                  lr=settings["lr"], lr_decay=settings["lr_decay"], clip=settings["clip"],
                  max_seconds=max_seconds, on_epoch=on_epoch, desc=desc)
    return model, history


@torch.no_grad()
def loss_with_context(model, ids, positions, context: int, chunk: int = 512) -> np.ndarray:
    """-ln P of ``ids[t]`` for every ``t`` in ``positions`` when the model reads only the ``context``
    ids before ``t``, from a zero state: how much of a longer history a carried state really uses.

    Every position must have ``context`` ids before it (``t >= context``).
    """
    ids = as_id_tensor(ids, "ids")
    context = positive_int("context", context)
    positions = np.asarray(positions, dtype=np.int64)
    if positions.ndim != 1 or not positions.size:
        raise ValueError("positions must be a non-empty 1-D list of indices into ids")
    if positions.min() < context or positions.max() >= len(ids):
        raise ValueError(f"every position needs {context} ids before it and must lie in ids "
                         f"(0..{len(ids) - 1}); got {positions.min()}..{positions.max()}")
    device = device_of(model)
    offsets = np.arange(-context, 0)
    out = np.empty(len(positions))
    with eval_mode(model):
        for start in range(0, len(positions), chunk):
            at = positions[start:start + chunk]
            inputs = ids[torch.from_numpy(at[:, None] + offsets)].to(device)
            logits, _ = model(inputs)
            out[start:start + len(at)] = -F.log_softmax(logits[:, -1].float(), -1).gather(
                -1, ids[torch.from_numpy(at)].to(device)[:, None])[:, 0].double().cpu().numpy()
    return out


DASHES = "–—"
"""Dialogue dashes: the text of «Анна Каренина» uses the en dash, other texts the em dash."""


# --------------------------------------------------------------------------- recording

def record_states(model, ids, n_tracks: int = 64) -> dict[str, np.ndarray]:
    """Every unit's state after every id of ``ids``, read by ``model`` (a CharRNN) in eval mode.

    Returns ``{"h1": (N, H), "h2": ..., "c1": ..., "c2": ...}`` (``c`` only for an LSTM;
    layers counted from 1): row i is the state right after reading ``ids[i]``, the state
    from which the model predicts ``ids[i + 1]``.

    ``torch.nn.LSTM`` returns the states of every layer only at the last step, so the
    text is read one step at a time. To make that fast it is cut into ``n_tracks``
    contiguous tracks read side by side (each starts from a zero state, as in training);
    the tail that does not fill the tracks is dropped, so N = n_tracks * (len(ids) // n_tracks).
    """
    n_tracks = positive_int("n_tracks", n_tracks)
    ids = as_id_tensor(ids, "ids")
    if ids.ndim != 1:
        raise ValueError(f"ids must be 1-D (one text), got shape {tuple(ids.shape)}")
    length = len(ids) // n_tracks
    if length < 1:
        raise ValueError(f"a text of {len(ids)} ids is too short for {n_tracks} tracks")
    for part in ("embedding", "rnn"):
        if not hasattr(model, part):
            raise TypeError(f"record_states reads a CharRNN-like model with .embedding and .rnn, "
                            f"not a {type(model).__name__}")
    if getattr(model, "condition", None) is not None:
        raise ValueError("record_states does not feed conditions: use a model without num_conditions")
    check_ids(ids, model.embedding.num_embeddings, "ids")
    device = device_of(model)
    tracks = ids[:n_tracks * length].reshape(n_tracks, length).to(device)
    is_lstm = isinstance(model.rnn, torch.nn.LSTM)
    layers = model.rnn.num_layers
    shape = (n_tracks, length, model.rnn.hidden_size)
    h_steps = [torch.empty(shape, device=device) for _ in range(layers)]
    c_steps = [torch.empty(shape, device=device) for _ in range(layers)] if is_lstm else []
    with eval_mode(model), torch.no_grad():
        inputs = model.embedding(tracks)             # (tracks, length, embedding)
        state = None
        for t in range(length):
            _, state = model.rnn(inputs[:, t:t + 1], state)
            h, c = state if is_lstm else (state, None)
            for layer in range(layers):
                h_steps[layer][:, t] = h[layer]
                if is_lstm:
                    c_steps[layer][:, t] = c[layer]
    states = {}
    for kind, steps in (("h", h_steps), ("c", c_steps)):
        for layer, values in enumerate(steps, start=1):
            states[f"{kind}{layer}"] = values.reshape(n_tracks * length, -1).cpu().numpy()
    return states


# --------------------------------------------------------------------------- features

def text_features(text: str) -> dict[str, np.ndarray]:
    """Features of the text read so far, one float per character (row i: after reading text[i]).

    * ``dialogue_line`` -- 1 inside a line (paragraph) that starts with a dash, newline excluded;
    * ``speech`` -- 1 inside the words of a character in such a line: the opening dash
      starts them, every later dash with a space before it switches between speech
      and the author's words («– Да, – сказал он. – Нет.»), the end of the line ends them;
    * ``quote`` -- 1 between « and » (» itself counts as outside; nested quotes are counted);
    * ``line_position`` -- characters since the last newline (0 at a newline);
    * ``word_position`` -- letters read of the current word (0 when text[i] is not a letter);
    * ``space`` -- 1 when text[i] is a space (the next character starts a word).

    Every feature looks only at text[:i + 1], as the model does when it is in that state.
    """
    if not isinstance(text, str):
        raise TypeError(f"text_features takes a str, not {type(text).__name__}")
    n = len(text)
    names = ("dialogue_line", "speech", "quote", "line_position", "word_position", "space")
    features = {name: np.zeros(n, dtype=np.float32) for name in names}
    in_dialogue = in_speech = False
    quote_depth = line_pos = word_pos = 0
    for i, ch in enumerate(text):
        if ch == "\n":
            in_dialogue = in_speech = False
            line_pos = 0
        else:
            if line_pos == 0 and ch in DASHES:
                in_dialogue = in_speech = True
            elif in_dialogue and ch in DASHES and text[i - 1].isspace():
                in_speech = not in_speech
            line_pos += 1
        if ch == "«":
            quote_depth += 1
        elif ch == "»" and quote_depth:
            quote_depth -= 1
        word_pos = word_pos + 1 if ch.isalpha() else 0
        features["dialogue_line"][i] = in_dialogue
        features["speech"][i] = in_speech
        features["quote"][i] = quote_depth > 0
        features["line_position"][i] = line_pos
        features["word_position"][i] = word_pos
        features["space"][i] = ch == " "
    return features


# --------------------------------------------------------------------------- correlation

def correlate(activations, feature, chunk: int = 64) -> np.ndarray:
    """Pearson's r of every column of ``activations`` (N, units) with ``feature`` (N,).

    A unit (or feature) that never changes correlates with nothing: its r is 0, not NaN.
    A unit whose column holds NaN or inf gets r = NaN (its state is not a number, so nothing
    can be said of it; 0 would read as "follows nothing"); a feature with NaN or inf is refused.
    Computed in float64, ``chunk`` units at a time (a validation text of 10^5 characters
    times 10^3 float32 units would need gigabytes as one float64 array), each unit scaled
    by its largest value first, so that huge activations do not overflow the sums.
    """
    chunk = positive_int("chunk", chunk)
    x = np.asarray(activations)
    y = np.asarray(feature)
    if x.ndim != 2 or y.ndim != 1 or len(x) != len(y):
        raise ValueError(f"need activations (N, units) and a feature (N,), got shapes "
                         f"{x.shape} and {y.shape}")
    for name, array in (("activations", x), ("feature", y)):
        if array.dtype.kind not in "biuf":
            raise TypeError(f"{name} must hold numbers, got an array of {array.dtype}")
    y = y.astype(np.float64)
    if len(y) < 2:
        raise ValueError("a correlation needs at least two positions")
    if not np.all(np.isfinite(y)):
        bad = int(np.flatnonzero(~np.isfinite(y))[0])
        raise ValueError(f"the feature holds {y[bad]} at position {bad}: a correlation needs finite values")
    y = _centred_and_scaled(y[:, None])[:, 0]
    y_norm = np.sqrt(y @ y)
    r = np.zeros(x.shape[1])
    for start in range(0, x.shape[1], chunk):
        block = x[:, start:start + chunk].astype(np.float64)
        finite = np.isfinite(block).all(axis=0)
        block[:, ~finite] = 0.0
        block = _centred_and_scaled(block)
        denominator = np.sqrt((block * block).sum(axis=0)) * y_norm
        covariance = y @ block
        r[start:start + chunk] = np.divide(covariance, denominator, out=np.zeros_like(covariance),
                                           where=denominator > 0)
        r[start:start + chunk][~finite] = np.nan
    return np.clip(r, -1.0, 1.0)


def _centred_and_scaled(columns: np.ndarray) -> np.ndarray:
    """Every column divided by its largest |value|, then minus its mean: r does not change, and
    neither the mean nor the sums of squares can overflow. A constant column becomes exactly 0."""
    constant = columns.max(axis=0) == columns.min(axis=0)
    largest = np.abs(columns).max(axis=0)
    largest[constant | (largest == 0)] = 1.0
    columns = columns / largest
    columns -= columns.mean(axis=0)
    columns[:, constant] = 0.0
    return columns


def best_units(states: dict[str, np.ndarray], features: dict[str, np.ndarray]) -> list[dict]:
    """For every feature, the unit (of any recorded layer and kind) with the largest |r|.

    Rows ``{"feature", "layer" ("c2", "h1", ...), "unit", "r"}``, in the order of ``features``.
    States that hold NaN or inf (a diverged model) are refused, naming the layer and unit,
    rather than ranked as uncorrelated.
    """
    if not isinstance(states, dict) or not states:
        raise ValueError(f"states must be a non-empty dict of recorded states (record_states gives one), "
                         f"got {short(states)}")
    if not isinstance(features, dict):
        raise TypeError(f"features must be a dict of features (text_features gives one), "
                        f"got {type(features).__name__}")
    rows = []
    for name, feature in features.items():
        best = None
        for layer, values in states.items():
            if len(values) != len(feature):
                raise ValueError(f"states[{layer!r}] has {len(values)} rows but feature {name!r} "
                                 f"{len(feature)}: record and describe the same text")
            r = correlate(values, feature)
            if np.isnan(r).any():
                unit = int(np.flatnonzero(np.isnan(r))[0])
                raise ValueError(f"states[{layer!r}] unit {unit} holds NaN or inf ({int(np.isnan(r).sum())} "
                                 "such unit(s)): the model's states are not numbers, so no unit can be ranked "
                                 "(a diverged model?)")
            unit = int(np.argmax(np.abs(r)))
            if best is None or abs(r[unit]) > abs(best["r"]):
                best = {"feature": name, "layer": layer, "unit": unit, "r": float(r[unit])}
        rows.append(best)
    return rows


# --------------------------------------------------------------------------- display

def _colour(value: float) -> str:
    """-1 -> light blue, 0 -> white, +1 -> light red: a diverging scale that stops at 60 %
    saturation, so black text stays readable on the strongest colour, also on a projector."""
    v = float(np.clip(value, -1.0, 1.0))
    fade = int(round(255 * (1 - 0.6 * abs(v))))
    return f"rgb(255,{fade},{fade})" if v >= 0 else f"rgb({fade},{fade},255)"


def colour_text_html(text: str, values, *, scale: float | None = None, title: str = "",
                     key: tuple[str, ...] | None = None, font_size: int = 20, width_px: int = 1180) -> str:
    """``text`` as HTML, every character on a background coloured by its value (red +, blue −).

    ``values`` are divided by ``scale`` (a positive number; default: their largest absolute
    value) and clipped to [-1, 1]. A newline is shown as ↵ and breaks the line once (blank lines are not
    repeated, so a paragraph break costs no extra height). Inline styles only, no scripts
    or remote fonts: the result renders the same offline, in a notebook and in a deck.

    ``key`` -- (what red means, what blue means) and optionally a note on the scale: a line under the
    title with the fullest red and blue, so that a reader knows what the colours say.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}")
    values = np.asarray(values, dtype=np.float64)
    if values.shape != (len(text),):
        raise ValueError(f"need one value per character: {len(text)} characters, values of shape "
                         f"{values.shape}")
    if not np.all(np.isfinite(values)):
        raise ValueError("values must be finite (no NaN or inf)")
    if scale is None:
        scale = float(np.max(np.abs(values))) if len(values) else 1.0
        scale = scale if scale > 0 else 1.0  # all values 0: every character white
    else:
        scale = positive("scale", scale)
    font_size, width_px = positive_int("font_size", font_size), positive_int("width_px", width_px)
    if not isinstance(title, str):
        raise TypeError(f"title must be a str, not {type(title).__name__}")
    if key is not None and (not isinstance(key, tuple) or len(key) not in (2, 3)
                            or not all(isinstance(part, str) for part in key)):
        raise TypeError(f"key must be a tuple of 2 or 3 strings (red, blue[, note]), got {key!r}")
    parts = []
    for i, (ch, v) in enumerate(zip(text, values / scale)):
        shown = "↵" if ch == "\n" else html.escape(ch)
        parts.append(f'<span style="background:{_colour(v)}">{shown}</span>')
        if ch == "\n" and (i + 1 == len(text) or text[i + 1] != "\n"):
            parts.append("<br>")
    heading = f'<div style="font-weight:bold;margin-bottom:4px">{html.escape(title)}</div>' if title else ""
    if key is not None:
        swatches = [f'<span style="background:{_colour(sign)};padding:0 4px">{html.escape(label)}</span>'
                    for sign, label in zip((1.0, -1.0), key)]
        note = f" ({html.escape(key[2])})" if len(key) == 3 else ""
        heading += (f'<div style="font-size:{max(16, font_size - 4)}px;margin-bottom:4px">цвет фона: '
                    f'{swatches[0]} {swatches[1]}{note}</div>')
    return (f'<div style="max-width:{width_px}px;font-family:monospace;font-size:{font_size}px;'
            f'line-height:1.35;white-space:pre-wrap;overflow-wrap:anywhere;color:black">'
            f'{heading}{"".join(parts)}</div>')


# --------------------------------------------------------------------------- exercise checks
# Each check says «не решено» while the student's function is still the placeholder (it returns
# None), raises CheckFailed naming what is wrong, or prints «верно» (lecture_utils.exercises).

SAMPLER_LOGITS = (2.0, 1.0, 0.5, 0.0, -1.0)
"""The scores the sampler check draws from: five ids, the first the most likely."""

SAMPLER_CASES = ((1.0, None), (0.5, None), (2.0, 3))
"""(temperature, top_k) the sampler check tries: plain, sharpened, flattened and cut to the top 3."""


def sampler_probabilities(logits, temperature: float = 1.0, top_k: int | None = None) -> np.ndarray:
    """The distribution a sampler with ``temperature`` and ``top_k`` should draw from: softmax of
    the scores divided by the temperature, with every id outside the ``top_k`` best given 0."""
    scaled = torch.as_tensor(logits, dtype=torch.float64) / temperature
    if top_k is not None:
        kth = torch.topk(scaled, top_k).values[-1]
        scaled = scaled.masked_fill(scaled < kth, float("-inf"))
    return torch.softmax(scaled, dim=-1).numpy()


def _draws_fit(draws, probabilities) -> bool:
    """Whether ``draws`` pass the chi-square test against ``probabilities`` (quietly)."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return check_distribution("", draws, probabilities)
    except CheckFailed:
        return False


def check_sampler(sample_next, draws: int = 4000, seed: int = 0) -> bool:
    """Exercise 1: ``sample_next(logits, temperature, top_k, generator)`` draws one id per row of
    ``logits`` (batch, vocab) from softmax(logits / temperature), only among the ``top_k`` best.

    Each case of :data:`SAMPLER_CASES` gets ``draws`` identical rows of :data:`SAMPLER_LOGITS`;
    the draws are tested against the right distribution (chi-square), and a wrong one is named
    when it is a typical slip: the argmax, the temperature after softmax, top-k left out."""
    name = "sample_next"
    generator = torch.Generator().manual_seed(seed)
    logits = torch.tensor(SAMPLER_LOGITS)
    for temperature, top_k in SAMPLER_CASES:
        case = f"{name}(τ = {number(temperature)}, top_k = {top_k})"
        got = sample_next(logits.expand(draws, -1).clone(), temperature, top_k, generator)
        if unsolved(got):
            return _not_solved(name)
        got = np.asarray(got.detach().cpu() if hasattr(got, "detach") else got).reshape(-1)
        if got.shape != (draws,):
            raise CheckFailed(f"{case}: для {number(draws)} строк логитов нужно {number(draws)} номеров (по одному "
                              f"на строку), получено {number(got.size)}")
        want = sampler_probabilities(logits, temperature, top_k)
        if _draws_fit(got, want):
            continue
        if len(set(got.tolist())) == 1:
            why = ("всегда самый вероятный номер: это argmax, а нужно тянуть номер случайно с его вероятностью "
                   "(torch.multinomial(probs, 1, generator=generator))" if got[0] == int(np.argmax(want))
                   else f"все {number(draws)} строк получили один и тот же номер {got[0]}: "
                        "тяните номер для каждой строки")
            raise CheckFailed(f"{case}: {why}")
        hints = [(temperature != 1, sampler_probabilities(logits), "температура не действует: делите логиты на τ "
                  "до softmax (вероятности, делённые на τ, снова нормируются, и τ пропадает)"),
                 (temperature != 1, sampler_probabilities(logits * temperature),
                  "логиты умножены на τ, а их нужно делить на τ"),
                 (top_k is not None, sampler_probabilities(logits, temperature),
                  "top-k не применён: до softmax поставьте −inf всем логитам вне k наибольших")]
        for applies, other, why in hints:
            if applies and _draws_fit(got, other):
                raise CheckFailed(f"{case}: {why}")
        check_distribution(case, got, want)  # raises, naming the outcome furthest off
    cases = "; ".join(f"τ = {number(t)}" + (f", top_k = {k}" if k else "") for t, k in SAMPLER_CASES)
    return _passed(name, f" ({cases}: по {number(draws)} выборок)")


def check_own_lstm(own_nll, model, ids) -> bool:
    """Exercise 4: ``own_nll(model, ids)`` -- the mean loss (nats per character) of ``ids[1:]``, each
    predicted from the ids before it, computed with hand-written cells -- equals ``model``'s own
    (a CharRNN, in eval mode: no dropout)."""
    name = "own_nll"
    ids = as_id_tensor(ids, "ids").to(device_of(model))
    with eval_mode(model), torch.no_grad():
        got = own_nll(model, ids)
        if unsolved(got):
            return _not_solved(name)
        logits, _ = model(ids[None, :-1])
        want = F.cross_entropy(logits[0], ids[1:]).item()
    if not isinstance(got, (int, float, np.number)) and not (hasattr(got, "item") and np.size(got) == 1):
        raise CheckFailed(f"{name}: ожидалось одно число (средние потери, нат на символ), получено "
                          f"{type(got).__name__}")
    value = float(got.item() if hasattr(got, "item") else got)
    if math.isclose(value, want, rel_tol=1e-4, abs_tol=1e-6):
        return _passed(name, f" ({_show(round(value, 6))} нат на символ, как у CharRNN)")
    typical = [(want / math.log(2), "это биты: потери в натах — cross_entropy без деления на ln 2"),
               (want * (len(ids) - 1), "это сумма по символам, а нужно среднее")]
    for other, why in typical:
        if math.isclose(value, other, rel_tol=1e-4):
            raise CheckFailed(f"{name}: {_show(value)} — {why}")
    raise CheckFailed(f"{name}: ожидалось {_show(want)} (CharRNN в eval), получено {_show(value)}. Проверьте: "
                      "слой k — LSTMCell.from_torch(model.rnn, layer=k), вход слоя 1 — выходы слоя 0, "
                      "логиты — model.head(выходы последнего слоя), цель шага t — ids[t + 1]")


def check_compressed_bytes(compressed_bytes) -> bool:
    """Exercise 5: ``compressed_bytes(nll_nats, n_chars)`` -- the size in bytes of ``n_chars``
    characters coded by an arithmetic coder with a model whose loss is ``nll_nats`` nats per
    character: nll / ln 2 bits per character, 8 bits per byte."""
    name = "compressed_bytes"
    for nll, n_chars in ((1.3426, 170_759), (math.log(2), 8), (2.5, 1000)):
        got = compressed_bytes(nll, n_chars)
        if unsolved(got):
            return _not_solved(name)
        value = float(got.item() if hasattr(got, "item") else got)
        want = nll / math.log(2) * n_chars / 8
        if math.isclose(value, want, rel_tol=1e-6):
            continue
        case = f"{name}({_show(nll)}, {number(n_chars)})"
        typical = [(nll * n_chars / 8, "потери в натах: переведите в биты (nats_to_bits, деление на ln 2)"),
                   (want * 8, "это биты, а не байты: в байте 8 бит"),
                   (want / 1000, "это килобайты: верните байты"), (want / 1024, "это кибибайты: верните байты"),
                   (nll * n_chars, "наты на весь текст: переведите в биты и разделите на 8")]
        for other, why in typical:
            if math.isclose(value, other, rel_tol=1e-6):
                raise CheckFailed(f"{case}: {_show(value)} — {why}")
        raise CheckFailed(f"{case}: ожидалось {_show(want)} байт, получено {_show(value)}")
    return _passed(name)
