"""Sampling from a character model: temperature, top-k, a prompt and a stop token."""
from __future__ import annotations

import operator

import torch

from .text import Vocab, tokenize


def sample_next(logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None,
                generator: torch.Generator | None = None) -> torch.Tensor:
    """One id per row of ``logits`` (batch, vocab).

    Scores are divided by ``temperature`` (below 1 sharpens the distribution,
    towards the argmax; above 1 flattens it towards uniform); with ``top_k``
    only the k most likely ids can be drawn.
    """
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    if top_k is not None and not 1 <= top_k <= logits.shape[-1]:
        raise ValueError(f"top_k must lie in 1..{logits.shape[-1]}, got {top_k}")
    logits = logits.float() / temperature
    if top_k is not None:
        kth = torch.topk(logits, top_k, dim=-1).values[..., -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    probs = torch.softmax(logits, dim=-1)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)


def _count(name: str, value) -> int:
    """``value`` as an int >= 0 (Python, numpy or torch integer), or a ValueError naming it."""
    try:
        count = operator.index(value)
    except TypeError:
        count = -1
    if count < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return count


@torch.no_grad()
def sample(model, prompt_ids: list[int], n_samples: int, max_new: int, *, stop_id: int | None = None,
           temperature: float = 1.0, top_k: int | None = None, condition: torch.Tensor | None = None,
           generator: torch.Generator | None = None) -> list[list[int]]:
    """Continue ``prompt_ids`` ``n_samples`` times in parallel; returns the new ids of each sample.

    A sample ends at ``stop_id`` (not included) or after ``max_new`` ids.
    ``n_samples=0`` gives an empty list.
    """
    n_samples, max_new = _count("n_samples", n_samples), _count("max_new", max_new)
    if not prompt_ids:
        raise ValueError("the prompt must hold at least one id (e.g. the boundary token)")
    if n_samples == 0:  # a batch of zero rows would reach torch as a 1-D tensor
        return []
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    ids = torch.tensor([prompt_ids] * n_samples, device=device)
    kwargs = {} if condition is None else {"condition": condition.to(device)}
    logits, hidden = model(ids, **kwargs)
    logits = logits[:, -1]
    new = torch.empty(n_samples, 0, dtype=torch.long, device=device)
    done = torch.zeros(n_samples, dtype=torch.bool, device=device)
    for _ in range(max_new):
        # draw on the CPU so that a seeded CPU generator gives the same samples on any device
        step = sample_next(logits.cpu(), temperature, top_k, generator).to(device)
        new = torch.cat([new, step[:, None]], dim=1)
        if stop_id is not None:
            done |= step == stop_id
            if done.all():
                break
        logits, hidden = model(step[:, None], hidden, **kwargs)
        logits = logits[:, -1]
    model.train(was_training)
    result = []
    for row in new.tolist():
        result.append(row[:row.index(stop_id)] if stop_id is not None and stop_id in row else row)
    return result


def generate_names(model, vocab: Vocab, n: int, prefix: str = "", *, boundary: str = "<b>",
                   max_len: int = 20, temperature: float = 1.0, top_k: int | None = None,
                   condition: int | None = None, generator: torch.Generator | None = None) -> list[str]:
    """``n`` names that start with ``prefix``, sampled until the boundary token ends them.

    An unknown character in ``prefix`` raises :class:`~lecture_utils.text.UnknownTokenError`;
    ``n=0`` gives an empty list.
    """
    n = _count("n", n)
    if len(prefix) > max_len:
        raise ValueError(f"the prefix {prefix!r} ({len(prefix)} characters) is longer than max_len={max_len}")
    prompt = [vocab.id(boundary), *vocab.encode(prefix)]
    cond = None if condition is None else torch.full((n,), condition, dtype=torch.long)
    samples = sample(model, prompt, n, max_len - len(prefix), stop_id=vocab.id(boundary),
                     temperature=temperature, top_k=top_k, condition=cond, generator=generator)
    return [prefix + vocab.decode(ids) for ids in samples]


def generate_text(model, vocab: Vocab, prompt: str | list[str], length: int, *, temperature: float = 1.0,
                  top_k: int | None = None, generator: torch.Generator | None = None) -> str:
    """The prompt and ``length`` tokens sampled after it, as text.

    For a character vocabulary the prompt is a str; for a word vocabulary (``joiner=" "``)
    a list of tokens, or a str that is split with :func:`~lecture_utils.text.tokenize`.
    An unknown character raises :class:`~lecture_utils.text.UnknownTokenError`; an
    unknown word becomes the vocabulary's unknown token.
    """
    if isinstance(prompt, str) and vocab.joiner:
        prompt = tokenize(prompt)
    prompt_ids = vocab.encode(prompt)
    if not prompt_ids:
        raise ValueError("the prompt is empty: give at least one character or word to continue")
    new = sample(model, prompt_ids, 1, length, temperature=temperature, top_k=top_k, generator=generator)[0]
    return vocab.decode(prompt_ids + new)
