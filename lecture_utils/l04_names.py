"""Lecture 04: names as training data -- a seeded split and teacher-forcing tensors with boundary tokens --,
the proper nouns of a novel for the exercise on other data, the checks of the exercises, and the shipped
comparison of RNN, GRU and LSTM at equal parameter counts (:func:`cell_run`, ``SWEEPS``: the learning rate of
each cell chosen on validation, then 10 seeds each, with and without the gender condition).

The generic parts live in the core (:func:`~lecture_utils.sequences.shuffle_split`,
:func:`~lecture_utils.sequences.teacher_forcing_pairs`, :func:`~lecture_utils.sampling.generate_names`);
this module names them for the lecture's data. The model, the training step and the sampling loop
are written in the notebook (cells tagged ``teach``); tests compare them with the package.
"""
from __future__ import annotations

import re
from collections import Counter

import pandas as pd
import torch

from .checks import non_negative_int, positive_int
from .exercises import CheckFailed, check_array, check_distribution, unsolved
from .experiments import Sweep
from .sequences import shuffle_split, teacher_forcing_pairs
from .text import BOUNDARY, PAD, Vocab

__all__ = ["BOUNDARY", "CELL_SETTINGS", "CELL_SIZES", "PAD", "SWEEPS", "cell_run", "check_top_k", "check_two_layers",
           "ends_in_a", "name_tensors", "proper_nouns", "split_names", "split_three", "top_k_probabilities"]


def split_names(names: pd.DataFrame | list[str], val_fraction: float, seed: int):
    """Shuffle the rows (of a DataFrame, or the items of a list) with ``seed`` and cut off
    ``val_fraction`` of them for validation: ``(train, validation)`` of the same type.

    ``val_fraction`` must lie strictly between 0 and 1 and leave both parts non-empty; ``seed``
    must be an integer (None would give another split on every run).
    """
    return shuffle_split(names, val_fraction, non_negative_int("seed", seed))


def name_tensors(names, vocab: Vocab) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs ``<b> + name`` and targets ``name + <b>``, padded with ``<pad>`` to one length.

    "анна" gives the input ``<b> а н н а`` and the target ``а н н а <b>``: the model
    learns the first letter from the boundary token and when to stop from the last.
    """
    if isinstance(names, str):
        raise TypeError(f"names must be a list of names, not one str ({names[:40]!r})")
    return teacher_forcing_pairs([vocab.encode(name) for name in names], vocab.id(BOUNDARY), vocab.id(PAD))


_MID_SENTENCE_CAPITAL = re.compile(r"(?<=[а-яё,;:] )([А-ЯЁ][а-яё]+)")
_LOWER_WORD = re.compile(r"(?<![А-ЯЁа-яё])[а-яё]+(?![А-ЯЁа-яё])")


def proper_nouns(text: str, min_count: int = 1) -> list[str]:
    """The words ``text`` writes with a capital letter in mid-sentence and never in lower case,
    lower-cased and sorted: names, patronymics, surnames and places, each case form on its own.

    "Mid-sentence" means after a lower-case letter or a comma, semicolon or colon and one space,
    so a capital that only starts a sentence is not taken. ``min_count`` drops the words seen
    fewer times (typos, one-off words).
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    min_count = positive_int("min_count", min_count)
    capitalised = Counter(_MID_SENTENCE_CAPITAL.findall(text))
    lower = set(_LOWER_WORD.findall(text))
    return sorted(word.lower() for word, n in capitalised.items()
                  if n >= min_count and word.lower() not in lower)


# ------------------------------------------------------------------ checks of the exercises


def check_two_layers(two_layer_rnn) -> bool:
    """Exercise 2: ``two_layer_rnn(x, rnn)`` gives the output ``out`` of ``rnn``, an
    ``nn.RNN(num_layers=2, batch_first=True)``, from its weights (layer by layer).

    Prints «не решено» while the function returns the placeholder, «верно» when its output equals
    torch's; raises :class:`~lecture_utils.exercises.CheckFailed` otherwise, saying so when the
    output is the first layer's alone.
    """
    name = "два слоя RNN"
    with torch.random.fork_rng(devices=[]):  # the student's random stream is left as it was
        torch.manual_seed(4)
        rnn = torch.nn.RNN(3, 5, num_layers=2, batch_first=True)
        x = torch.randn(2, 6, 3)
    with torch.no_grad():
        got = two_layer_rnn(x, rnn)
        if unsolved(got):
            return check_array(name, got, None)
        expected, _ = rnn(x)
        first = torch.nn.RNN(3, 5, batch_first=True)
        for weight in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(first, f"{weight}_l0").copy_(getattr(rnn, f"{weight}_l0"))
        first_out, _ = first(x)
    if isinstance(got, tuple):
        raise CheckFailed(f"{name}: верните один тензор out (batch, time, hidden), а не кортеж из {len(got)}")
    if hasattr(got, "shape") and tuple(got.shape) == tuple(first_out.shape) and \
            torch.allclose(torch.as_tensor(got, dtype=first_out.dtype), first_out, atol=1e-6):
        raise CheckFailed(f"{name}: это выход первого слоя; подайте его на вход второго слоя "
                          "(веса с окончанием _l1)")
    return check_array(name, got, expected, atol=1e-6)


def top_k_probabilities(scores: torch.Tensor, k: int) -> torch.Tensor:
    """The distribution top-k sampling draws from: softmax over the ``k`` highest of ``scores``
    (vocab,), zero elsewhere."""
    k = positive_int("k", k)
    if scores.ndim != 1 or not 1 <= k <= len(scores):
        raise ValueError(f"scores must be one row (vocab,) and k in 1..{scores.shape[-1]}, got shape "
                         f"{tuple(scores.shape)} and k={k}")
    top = torch.topk(scores.float(), k)
    probabilities = torch.zeros(len(scores))
    probabilities[top.indices] = torch.softmax(top.values, dim=-1)
    return probabilities


def check_top_k(sample_top_k, k: int = 3, n: int = 3000) -> bool:
    """Exercise 3: ``sample_top_k(scores, k, generator)`` draws one id from the ``k`` highest scores,
    in proportion to their softmax. ``n`` draws on fixed scores are compared with that distribution
    by a chi-square test (:func:`~lecture_utils.exercises.check_distribution`)."""
    name = f"top-{k}"
    # the highest scores are not the first ids, so that "the first k ids" is caught too
    scores = torch.tensor([0.3, -1.0, 1.2, 0.1, 2.0, -0.5, 1.5, 0.8, -2.0, 1.0])
    generator = torch.Generator().manual_seed(1)
    first = sample_top_k(scores.clone(), k, generator)
    if unsolved(first):
        return check_distribution(name, None, [])
    draws = [first, *(sample_top_k(scores.clone(), k, generator) for _ in range(n - 1))]
    try:
        draws = [int(draw) for draw in draws]
    except (TypeError, ValueError, RuntimeError):
        raise CheckFailed(f"{name}: sample_top_k должна вернуть один номер символа (int), получено "
                          f"{type(first).__name__}: {first!r}"[:300]) from None
    return check_distribution(name, draws, top_k_probabilities(scores, k).numpy())


# --------------------------------------------------------------------------- shipped experiments

SPLIT_SEED = 42
"""The split of every run and of the notebook (the course's default seed)."""

CELL_SIZES = {"rnn": 199, "gru": 112, "lstm": 96}
"""Hidden sizes that give the three cells the same number of parameters (54 023, 53 841 and 54 177
with a 32-dimensional embedding over 33 tokens): the comparison is of cells, not of capacity."""

CELL_SETTINGS = dict(embedding_dim=32, dropout=0.3, epochs=60, batch_size=64, clip=1.0, samples=1000)
"""What every run of the cell sweeps shares: 60 epochs, enough for the validation curves to turn at the
chosen learning rates (not at 0.001, which this budget handicaps)."""

LEARNING_RATES = (0.001, 0.002, 0.005, 0.01)


def split_three(names: pd.DataFrame, seed: int = SPLIT_SEED):
    """``(train, validation, test)``: 70 / 15 / 15 % of the names, shuffled with ``seed``.

    Models and epochs are chosen on validation; test is read once, for the final table.
    """
    train, held_out = split_names(names, val_fraction=0.3, seed=seed)
    validation, test = split_names(held_out, val_fraction=0.5, seed=seed)
    return train, validation, test


def ends_in_a(names) -> float:
    """The share of names that end in «а» or «я» (most Russian female names do, few male ones)."""
    names = list(names)
    if not names:
        raise ValueError("no names to count")
    return sum(name.endswith(("а", "я")) for name in names) / len(names)


GENDER_IDS = {"f": 0, "m": 1}


def cell_run(config: dict, seed: int) -> dict:
    """One run of the cell sweeps: ``config["cell"]`` with the hidden size of :data:`CELL_SIZES`
    (or ``config["hidden"]``),
    Adam at ``config["lr"]``, conditioned on gender when ``config["gender"]``.

    The seed fixes the initial weights (``torch.manual_seed(seed)`` right before the model is built)
    and, through a generator of its own, the order of the batches, which is then the same for every
    cell; the dropout masks draw from torch's global generator and so differ between cells.
    Returns the per-epoch training and validation losses (nats per character, dropout off for
    validation), the best epoch and, with ``config["report_test"]``, the test loss of the best epoch's
    weights; and the share of 1 000 sampled names ending in а/я (per gender for a conditioned model).
    """
    from torch.utils.data import DataLoader, TensorDataset

    from .data import load_names
    from .models import CharRNN
    from .sampling import generate_names
    from .training import evaluate, fit, padded_token_loss

    train, validation, test = split_three(load_names(), config.get("split_seed", SPLIT_SEED))
    vocab = Vocab.build(train.name, specials=(PAD, BOUNDARY))  # from the training names only
    gender = bool(config.get("gender", False))

    def tensors(frame):
        parts = name_tensors(frame.name, vocab)
        if gender:
            parts = (*parts, torch.tensor(frame.gender.map(GENDER_IDS).to_numpy()))
        return parts

    torch.manual_seed(seed)
    model = CharRNN(len(vocab), hidden_size=config.get("hidden", CELL_SIZES[config["cell"]]), cell=config["cell"],
                    embedding_dim=config["embedding_dim"], dropout=config["dropout"],
                    num_conditions=2 if gender else 0, num_layers=config.get("num_layers", 1))
    order = torch.Generator().manual_seed(seed)
    batches = DataLoader(TensorDataset(*tensors(train)), batch_size=config["batch_size"], shuffle=True,
                         generator=order)
    val_batches = [tensors(validation)]
    loss_fn = padded_token_loss(vocab.id(PAD))
    history = fit(model, batches, val_batches, loss_fn=loss_fn, epochs=config["epochs"], lr=config["lr"],
                  clip=config["clip"], show_progress=False)
    result = {"parameters": model.num_parameters(), "val_loss": history.val_loss,
              "train_loss": history.train_loss, "best_epoch": history.best_epoch + 1,
              "best_val": history.best_val}
    if config.get("report_test"):
        result["test"] = evaluate(model, [tensors(test)], loss_fn)["loss"]
    sampler = torch.Generator().manual_seed(seed)
    if gender:
        for code, condition in GENDER_IDS.items():
            names = generate_names(model, vocab, config["samples"], condition=condition, generator=sampler)
            result[f"ends_in_a_{code}"] = ends_in_a(names)
    else:
        result["ends_in_a"] = ends_in_a(generate_names(model, vocab, config["samples"], generator=sampler))
    return result


def chosen_learning_rates(results: dict) -> dict[str, float]:
    """Each cell's learning rate in the results of the ``cells_lr`` sweep: the lowest median over
    seeds of the best validation loss (the test names are not read)."""
    import numpy as np

    from .experiments import runs_of

    best: dict[str, tuple[float, float]] = {}
    for index, config in enumerate(results["declaration"]["configs"]):
        median = float(np.median([run["result"]["best_val"] for run in runs_of(results, index)]))
        if config["cell"] not in best or median < best[config["cell"]][0]:
            best[config["cell"]] = (median, config["lr"])
    return {cell: lr for cell, (_, lr) in best.items()}


FINAL_LR = {"rnn": 0.002, "gru": 0.002, "lstm": 0.01}
"""The learning rates :func:`chosen_learning_rates` picks from the shipped ``cells_lr`` results
(a test checks that they are still its choice)."""

SWEEPS = [
    Sweep(lecture=4, name="cells_lr", function="lecture_utils.l04_names:cell_run",
          configs=tuple({"cell": cell, "lr": lr} for cell in CELL_SIZES for lr in LEARNING_RATES),
          seeds=(0, 1, 2), fixed=CELL_SETTINGS, datasets=("russian_names",)),
    Sweep(lecture=4, name="cells", function="lecture_utils.l04_names:cell_run",
          configs=tuple({"cell": cell, "lr": FINAL_LR[cell]} for cell in CELL_SIZES)
          + ({"cell": "lstm", "lr": FINAL_LR["lstm"], "gender": True},),
          seeds=tuple(range(10)), fixed=dict(CELL_SETTINGS, report_test=True), datasets=("russian_names",)),
    Sweep(lecture=4, name="cells_exercises", function="lecture_utils.l04_names:cell_run",
          configs=tuple({"cell": cell, "lr": FINAL_LR[cell], "hidden": 128} for cell in CELL_SIZES)
          + tuple({"cell": cell, "lr": FINAL_LR[cell], "num_layers": 2} for cell in CELL_SIZES),
          seeds=(0, 1, 2), fixed=CELL_SETTINGS, datasets=("russian_names",)),
]
