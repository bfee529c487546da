"""Saving and loading any model of the package together with its vocabulary.

A checkpoint holds the model's class name and ``config`` (its constructor's keyword
arguments), so :func:`load_checkpoint` can rebuild it from ``MODEL_CLASSES`` alone,
or check that a model built by hand is the same architecture before loading.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .atomic import atomic_path
from torch import nn

from .models import MODEL_CLASSES
from .text import Vocab

FORMAT = "lecture_utils.checkpoint/2"
PLAIN = (type(None), bool, int, float, str)


class CheckpointError(RuntimeError):
    """A checkpoint is unreadable or belongs to another model or vocabulary."""


def _model_classes() -> dict:
    from . import sentiment  # noqa: F401  (registers lecture 06's classifier)

    return MODEL_CLASSES


def save_checkpoint(path, model: nn.Module, vocab: Vocab | None = None, **extra) -> Path:
    """Write the model's class, config and weights, the vocabulary and ``extra`` atomically.

    The model's class must be registered (``@register_model``), so that loading can rebuild it.

    ``extra`` values may be None, bool, int, float, str, tensors, and lists, tuples
    and dicts of these: what :func:`load_checkpoint` (``weights_only``, which runs no
    pickled code) can read back. Numpy scalars (``np.mean`` gives them) are stored as
    Python numbers; anything else raises ``TypeError`` before the file is touched.
    The file is written next to ``path`` and renamed over it only when complete,
    so an interrupted save never destroys the previous checkpoint.
    """
    path = Path(path)
    name = type(model).__name__
    if _model_classes().get(name) is not type(model):
        raise TypeError(f"{name} is not a registered model class ({', '.join(sorted(MODEL_CLASSES))}): "
                        "decorate it with @register_model so that a checkpoint can rebuild it")
    payload = {"format": FORMAT, "model_class": name, "config": _plain(dict(model.config), "config"),
               "vocab": None if vocab is None else vocab.to_dict(),
               "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
               "extra": _plain(extra, "extra")}
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)
    return path


def _plain(value, where: str):
    """``value`` with numpy scalars turned into Python ones; TypeError for anything not loadable."""
    if isinstance(value, np.generic):
        value = value.item()
    if type(value) in PLAIN:  # exact types: a subclass (an IntEnum, say) would be pickled by name
        return value
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if type(value) in (list, tuple):
        return type(value)(_plain(v, f"{where}[{i}]") for i, v in enumerate(value))
    if type(value) is dict:
        return {_plain(k, f"a key of {where}"): _plain(v, f"{where}[{k!r}]") for k, v in value.items()}
    raise TypeError(f"{where} is a {type(value).__module__}.{type(value).__qualname__}, which a checkpoint "
                    "cannot hold; use None, bool, int, float, str, tensors, and lists, tuples or dicts of them")


def load_checkpoint(path, model: nn.Module | None = None, vocab: Vocab | None = None,
                    device=None) -> tuple[nn.Module, Vocab | None, dict]:
    """Load a checkpoint; returns ``(model, vocab, extra)``.

    Without ``model``, the model is rebuilt from the saved class name and config.
    With ``model`` (or ``vocab``) given, the checkpoint must have been saved from
    the same class and config (or vocabulary) and hold a tensor of the right shape
    for every weight: otherwise a :class:`CheckpointError` says what differs, and
    ``model`` is left untouched.
    """
    if not Path(path).is_file():
        raise CheckpointError(f"there is no checkpoint file at {path}")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # a truncated file, another format
        raise CheckpointError(f"{path} is not a complete checkpoint of lecture_utils (truncated, or another "
                              f"kind of file): {type(err).__name__}: {str(err)[:200]}") from err
    if not isinstance(payload, dict) or payload.get("format") != FORMAT \
            or not {"model_class", "config", "vocab", "state_dict", "extra"} <= payload.keys():
        raise CheckpointError(f"{path} is not a {FORMAT} checkpoint")
    saved_vocab = None if payload["vocab"] is None else Vocab.from_dict(payload["vocab"])
    if vocab is not None and saved_vocab is None:
        raise CheckpointError(f"{path} was saved without a vocabulary, but one was given to compare with")
    if vocab is not None and vocab != saved_vocab:
        raise CheckpointError(
            f"{path} was saved with another vocabulary ({len(saved_vocab)} tokens, this one has {len(vocab)}; "
            f"only in the checkpoint: {sorted(set(saved_vocab.tokens) - set(vocab.tokens))[:10]}, "
            f"only here: {sorted(set(vocab.tokens) - set(saved_vocab.tokens))[:10]})")
    name = payload["model_class"]
    if model is not None and type(model).__name__ != name:
        raise CheckpointError(f"{path} holds a {name}, not a {type(model).__name__}")
    if model is not None:
        differences = {key: (payload["config"].get(key), value) for key, value in model.config.items()
                       if payload["config"].get(key) != value}
        if differences:
            details = ", ".join(f"{k}: checkpoint {a!r} vs model {b!r}" for k, (a, b) in differences.items())
            raise CheckpointError(f"{path} was saved from another architecture ({details})")
    else:
        if name not in _model_classes():
            raise CheckpointError(f"{path} holds a {name!r}, which is not a model class of this package "
                                  f"({', '.join(sorted(MODEL_CLASSES))})")
        try:
            model = MODEL_CLASSES[name](**payload["config"])
        except (TypeError, ValueError) as err:
            raise CheckpointError(f"{path} holds a config {name} does not accept: {err}") from err
    _check_tensors(path, payload["state_dict"], model)
    model.load_state_dict(payload["state_dict"])
    if device is not None:
        model.to(device)
    return model, saved_vocab, payload["extra"]


def _check_tensors(path, saved: dict, model: nn.Module) -> None:
    """Every weight present with its shape, nothing more: load_state_dict would otherwise
    copy the good tensors in before complaining about a bad one."""
    expected = {name: tuple(t.shape) for name, t in model.state_dict().items()}
    found = {name: tuple(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__
             for name, t in saved.items()}
    problems = [f"{name}: checkpoint {found.get(name, 'missing')} vs model {shape}"
                for name, shape in expected.items() if found.get(name) != shape]
    problems += [f"{name}: only in the checkpoint" for name in found.keys() - expected.keys()]
    if problems:
        raise CheckpointError(f"{path} does not fit this model's weights ({len(problems)} problem(s): "
                              f"{'; '.join(problems[:5])})")
