"""Saving and loading any model of the package together with its vocabulary.

A checkpoint holds where the model's class lives (``"lecture_utils.models:CharRNN"``) and
its ``config`` (the constructor's arguments), so :func:`load_checkpoint` can rebuild it in a
fresh process: it imports that module (only modules of this package) and finds the class in
the registry that ``@register_model`` fills. A new lecture's model therefore needs no edit
here. Given a model built by hand, loading checks that it is the same architecture first.
"""
from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .atomic import atomic_path
from .models import MODEL_CLASSES, model_key
from .text import Vocab

FORMAT = "lecture_utils.checkpoint/3"
PACKAGE = __name__.rpartition(".")[0]
PLAIN = (type(None), bool, int, float, str)


class CheckpointError(RuntimeError):
    """A checkpoint is unreadable or belongs to another model or vocabulary."""


def _model_class(path, key: str) -> type[nn.Module]:
    """The registered class ``key`` ("module:Name"), importing its module if it is one of this package's."""
    if not isinstance(key, str) or ":" not in key:
        raise CheckpointError(f"{path} names its model class as {key!r}, not as 'module:Class': a damaged file")
    module, _, _ = key.partition(":")
    if key not in MODEL_CLASSES:
        if module != PACKAGE and not module.startswith(PACKAGE + "."):
            raise CheckpointError(f"{path} holds a {key!r}, which is not a model class of {PACKAGE}: "
                                  "loading imports only this package's modules")
        try:
            importlib.import_module(module)
        except ImportError as err:
            raise CheckpointError(f"{path} holds a {key!r}, but its module cannot be imported: {err}") from err
    if key not in MODEL_CLASSES:
        raise CheckpointError(f"{path} holds a {key!r}, which is not a registered model class "
                              f"({', '.join(sorted(MODEL_CLASSES))})")
    return MODEL_CLASSES[key]


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
    key = model_key(type(model))
    if MODEL_CLASSES.get(key) is not type(model):
        raise TypeError(f"{type(model).__name__} is not a registered model class: "
                        "decorate it with @register_model so that a checkpoint can rebuild it")
    size = getattr(model, "vocab_size", None) or model.config.get("vocab_size")  # SentimentLSTM: in config only
    if vocab is not None and size is not None and size != len(vocab):
        raise ValueError(f"the vocabulary has {len(vocab)} tokens but the model was built for "
                         f"vocab_size={size}: they would not fit together when loaded")
    broken = [name for name, t in model.state_dict().items()
              if t.is_floating_point() and not bool(torch.isfinite(t).all())]
    if broken:
        raise ValueError(f"the model's weights hold NaN or infinite values ({', '.join(broken[:5])}): "
                         "a checkpoint of them could never be used")
    payload = {"format": FORMAT, "model_class": key, "config": _plain(dict(model.config), "config"),
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
    if isinstance(payload, dict) and str(payload.get("format", "")).startswith("lecture_utils.checkpoint/") \
            and payload.get("format") != FORMAT:
        raise CheckpointError(f"{path} is a {payload['format']} checkpoint of an older version of the course; "
                              f"this one reads {FORMAT}: run the cell (or make pretrain) that saved it again")
    if not isinstance(payload, dict) or payload.get("format") != FORMAT \
            or not {"model_class", "config", "vocab", "state_dict", "extra"} <= payload.keys():
        raise CheckpointError(f"{path} is not a {FORMAT} checkpoint")
    try:
        saved_vocab = None if payload["vocab"] is None else Vocab.from_dict(payload["vocab"])
    except Exception as err:  # whatever a damaged dict makes from_dict raise
        raise CheckpointError(f"{path} holds a damaged vocabulary: {type(err).__name__}: {err}") from err
    if not isinstance(payload["config"], dict) or not isinstance(payload["state_dict"], dict):
        raise CheckpointError(f"{path} holds a damaged config or weights")
    if vocab is not None and saved_vocab is None:
        raise CheckpointError(f"{path} was saved without a vocabulary, but one was given to compare with")
    if vocab is not None and vocab != saved_vocab:
        raise CheckpointError(
            f"{path} was saved with another vocabulary ({len(saved_vocab)} tokens, this one has {len(vocab)}; "
            f"only in the checkpoint: {sorted(set(saved_vocab.tokens) - set(vocab.tokens))[:10]}, "
            f"only here: {sorted(set(vocab.tokens) - set(saved_vocab.tokens))[:10]})")
    key = payload["model_class"]
    if model is not None and model_key(type(model)) != key:
        raise CheckpointError(f"{path} holds a {key}, not a {model_key(type(model))}")
    if model is not None:
        differences = {name: (payload["config"].get(name, "absent"), value) for name, value in model.config.items()
                       if payload["config"].get(name, "absent") != value}
        if differences:
            details = ", ".join(f"{k}: checkpoint {a!r} vs model {b!r}" for k, (a, b) in differences.items())
            raise CheckpointError(f"{path} was saved from another architecture ({details}); "
                                  "load_checkpoint(path) without a model rebuilds the saved one")
    else:
        cls = _model_class(path, key)
        try:
            model = cls(**payload["config"])
        except Exception as err:  # ours (TypeError, ValueError) or torch's (a negative size: RuntimeError)
            raise CheckpointError(f"{path} holds a config {cls.__name__} does not accept: {err}") from err
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
