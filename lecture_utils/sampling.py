"""Sampling from a language model over characters or words: temperature, top-k, a prompt, a stop token.

* :func:`sample_next` -- one id per row of scores;
* :func:`sample` -- continue a prompt in parallel until a stop token or a length limit;
* :func:`generate_names` -- items between boundary tokens (lecture 04's names), from a prefix;
* :func:`generate_text` -- a prompt and what follows it, as text.

The model's mode is restored after sampling (also on an error), the padding token is never
drawn (its embedding is never trained), and a sample that reached the length limit before
its stop token is marked as cut.
"""
from __future__ import annotations

import warnings

import torch

from .checks import non_negative_int, positive, positive_int
from .models import device_of, eval_mode
from .text import BOUNDARY, PAD, Vocab, tokenize


class Samples(list):
    """The samples (lists of ids, or strings), and ``cut[i]``: sample i reached the length limit
    before its stop token, so it is a prefix of a longer sample rather than a whole one."""

    def __init__(self, items=(), cut=None):
        super().__init__(items)
        self.cut = list(cut) if cut is not None else [False] * len(self)


def sample_next(logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None,
                generator: torch.Generator | None = None) -> torch.Tensor:
    """One id per row of ``logits`` (batch, vocab).

    Scores are divided by ``temperature`` (below 1 sharpens the distribution,
    towards the argmax; above 1 flattens it towards uniform); with ``top_k``
    only the k most likely ids can be drawn. A score of ``-inf`` is never drawn.
    """
    temperature = positive("temperature", temperature)
    if top_k is not None:
        top_k = positive_int("top_k", top_k)
        if top_k > logits.shape[-1]:
            raise ValueError(f"top_k must lie in 1..{logits.shape[-1]}, got {top_k}")
    if torch.isnan(logits).any() or torch.isposinf(logits).any():
        raise ValueError("the model's scores hold NaN or +inf: its weights are broken (diverged training?)")
    if torch.isneginf(logits).all(dim=-1).any():
        raise ValueError("every score of a row is -inf: no id can be drawn (is every id banned?)")
    scaled = logits.float() / temperature
    if not torch.isfinite(scaled[torch.isfinite(logits)]).all():  # a tiny temperature overflowed
        top = logits.float().max(dim=-1, keepdim=True).values
        scaled = (logits.float() - top) / temperature
    if top_k is not None:
        kth = torch.topk(scaled, top_k, dim=-1).values[..., -1:]
        scaled = scaled.masked_fill(scaled < kth, float("-inf"))
    probs = torch.softmax(scaled, dim=-1)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)


@torch.no_grad()
def sample(model, prompt_ids: list[int], n_samples: int, max_new: int, *, stop_id: int | None = None,
           temperature: float = 1.0, top_k: int | None = None, condition: torch.Tensor | None = None,
           banned_ids=(), generator: torch.Generator | None = None) -> Samples:
    """Continue ``prompt_ids`` ``n_samples`` times in parallel; returns the new ids of each sample.

    A sample ends at ``stop_id`` (not included) or after ``max_new`` ids; with a ``stop_id``,
    ``result.cut[i]`` tells that sample i was cut at ``max_new``. ``banned_ids`` (e.g. the
    padding token) are never drawn. ``n_samples=0`` gives an empty list.
    """
    n_samples, max_new = non_negative_int("n_samples", n_samples), non_negative_int("max_new", max_new)
    positive("temperature", temperature)
    if not len(prompt_ids):
        raise ValueError("the prompt must hold at least one id (e.g. the boundary token)")
    if n_samples == 0:  # a batch of zero rows would reach torch as a 1-D tensor
        return Samples()
    device = device_of(model)
    banned = torch.tensor(sorted(set(int(i) for i in banned_ids)), dtype=torch.long)
    if stop_id is not None and stop_id in banned.tolist():
        raise ValueError(f"the stop id {stop_id} is also banned: no sample could end")
    with eval_mode(model):
        ids = torch.tensor([list(prompt_ids)] * n_samples, device=device)
        kwargs = {} if condition is None else {"condition": condition.to(device)}
        logits, hidden = model(ids, **kwargs)
        logits = logits[:, -1]
        size = logits.shape[-1]
        for name, values in (("banned_ids", banned.tolist()), ("stop_id", [] if stop_id is None else [stop_id])):
            outside = [i for i in values if not 0 <= i < size]
            if outside:
                raise ValueError(f"{name} holds {outside[0]}, outside the model's ids 0..{size - 1}")
        new = torch.empty(n_samples, 0, dtype=torch.long, device=device)
        done = torch.zeros(n_samples, dtype=torch.bool, device=device)
        for _ in range(max_new):
            # draw on the CPU so that a seeded CPU generator gives the same samples on any device
            scores = logits.cpu()
            if len(banned):
                scores = scores.index_fill(-1, banned, float("-inf"))
            step = sample_next(scores, temperature, top_k, generator).to(device)
            new = torch.cat([new, step[:, None]], dim=1)
            if stop_id is not None:
                done |= step == stop_id
                if done.all():
                    break
            logits, hidden = model(step[:, None], hidden, **kwargs)
            logits = logits[:, -1]
    rows, cut = [], []
    for row in new.tolist():
        ended = stop_id is not None and stop_id in row
        rows.append(row[:row.index(stop_id)] if ended else row)
        cut.append(stop_id is not None and not ended)
    return Samples(rows, cut)


def _check_vocab_fits(model, vocab: Vocab) -> None:
    size = getattr(model, "vocab_size", None) or getattr(model, "config", {}).get("vocab_size")
    if size is not None and size != len(vocab):
        raise ValueError(f"the vocabulary has {len(vocab)} tokens but the model scores {size}: "
                         "they come from different runs or files")


def generate_names(model, vocab: Vocab, n: int, prefix: str = "", *, boundary: str = BOUNDARY,
                   max_len: int = 20, temperature: float = 1.0, top_k: int | None = None,
                   condition: int | None = None, generator: torch.Generator | None = None) -> Samples:
    """``n`` names that start with ``prefix``, sampled until the boundary token ends them.

    A name that reaches ``max_len`` characters without the boundary token is cut there: the
    result's ``cut`` flags mark it and a warning says how many. An unknown character in
    ``prefix`` raises :class:`~lecture_utils.text.UnknownTokenError`; ``n=0`` gives an empty list.
    """
    n, max_len = non_negative_int("n", n), positive_int("max_len", max_len)
    _check_vocab_fits(model, vocab)
    if len(prefix) > max_len:
        raise ValueError(f"the prefix {prefix!r} ({len(prefix)} characters) is longer than max_len={max_len}")
    prompt = [vocab.id(boundary), *vocab.encode(prefix)]
    cond = None if condition is None else torch.full((n,), condition, dtype=torch.long)
    banned = [vocab.id(PAD)] if PAD in vocab else []
    samples = sample(model, prompt, n, max_len - len(prefix), stop_id=vocab.id(boundary),
                     temperature=temperature, top_k=top_k, condition=cond, banned_ids=banned,
                     generator=generator)
    if any(samples.cut):
        warnings.warn(f"{sum(samples.cut)} of {n} names reached max_len={max_len} without the boundary "
                      "token and were cut there", stacklevel=2)
    return Samples([prefix + vocab.decode(ids) for ids in samples], samples.cut)


def generate_text(model, vocab: Vocab, prompt: str | list[str], length: int, *, temperature: float = 1.0,
                  top_k: int | None = None, generator: torch.Generator | None = None) -> str:
    """The prompt and ``length`` tokens sampled after it, as text.

    For a character vocabulary the prompt is a str; for a word vocabulary (``joiner=" "``)
    a list of tokens, or a str that is split with :func:`~lecture_utils.text.tokenize`.
    An unknown character raises :class:`~lecture_utils.text.UnknownTokenError`; an
    unknown word becomes the vocabulary's unknown token. The padding token is never drawn.
    """
    length = non_negative_int("length", length)
    _check_vocab_fits(model, vocab)
    if isinstance(prompt, str) and vocab.joiner:
        prompt = tokenize(prompt)
    prompt_ids = vocab.encode(prompt)
    if not prompt_ids:
        raise ValueError("the prompt is empty: give at least one character or word to continue")
    banned = [vocab.id(PAD)] if PAD in vocab else []
    new = sample(model, prompt_ids, 1, length, temperature=temperature, top_k=top_k, banned_ids=banned,
                 generator=generator)[0]
    return vocab.decode(prompt_ids + new)
