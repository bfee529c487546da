"""Models shared by the lectures, the table of recurrent cell kinds, and the model registry.

* :data:`CELLS` -- the one table of cell kinds: ``"rnn"``, ``"gru"``, ``"lstm"`` -> torch's layer;
* :func:`register_model` -- a class decorator: the constructor's arguments become
  ``model.config`` (declared once, by the signature) and checkpoints can rebuild the class;
* :func:`num_parameters`, :func:`eval_mode`, :func:`device_of`, :func:`set_forget_bias`;
* :class:`CharRNN` -- embedding -> recurrent layers -> scores over a vocabulary (lectures 04, 05);
* :class:`LastStepClassifier` -- a recurrent layer read out at the last step (no lecture uses it since
  lecture 01 moved to the adding problem).
"""
from __future__ import annotations

import functools
import inspect
from contextlib import contextmanager

import torch
from torch import nn

from .checks import one_of, positive_int

CELLS: dict[str, type[nn.RNNBase]] = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}
"""Cell kind -> torch layer. The hand-written twins are in :mod:`~lecture_utils.cells`."""

MODEL_CLASSES: dict[str, type[nn.Module]] = {}
"""``"module:ClassName"`` -> class, for every registered model (see :mod:`~lecture_utils.checkpoint`)."""


def model_key(cls: type) -> str:
    """The name a checkpoint stores for ``cls``: where it lives and what it is called."""
    return f"{cls.__module__}:{cls.__qualname__}"


def register_model(cls):
    """Class decorator: checkpoints can save and rebuild ``cls``.

    The constructor's arguments, with their defaults filled in, become ``model.config``
    after ``__init__`` has run: the configuration is declared once, by the signature.
    Every argument must be a plain value (None, bool, int, float, str, or lists, tuples
    and dicts of these), as a checkpoint stores it, and have a name: ``*args`` and
    ``**kwargs`` are refused, as ``cls(**config)`` could not rebuild the model from them.
    Defining the class again (a re-run notebook cell, a reloaded module) replaces the
    earlier definition under the same ``"module:Class"``.
    """
    key = model_key(cls)
    init = cls.__init__
    signature = inspect.signature(init)
    for p in signature.parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise TypeError(f"{cls.__qualname__}.__init__ takes {'*' if p.kind is p.VAR_POSITIONAL else '**'}"
                            f"{p.name}: a registered model's arguments must be named, so that its config can "
                            "rebuild it")

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        init(self, *args, **kwargs)
        # A registered subclass records its own arguments; an unregistered one keeps its base's.
        if type(self) is cls or MODEL_CLASSES.get(model_key(type(self))) is not type(self):
            self.config = {name: value for name, value in list(bound.arguments.items())[1:]}

    cls.__init__ = __init__
    MODEL_CLASSES[key] = cls
    return cls


def num_parameters(model: nn.Module) -> int:
    """The number of trainable and frozen weights of ``model``."""
    return sum(p.numel() for p in model.parameters())


def device_of(model: nn.Module) -> torch.device:
    """The device of ``model``'s weights (a model without weights is refused by name)."""
    for parameter in model.parameters():
        return parameter.device
    raise ValueError(f"{type(model).__name__} has no parameters, so it has no device to run on")


@contextmanager
def eval_mode(model: nn.Module):
    """``with eval_mode(model):`` -- dropout off inside, the model's own mode restored after,
    also when the block raises."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


def set_forget_bias(lstm: nn.LSTM, value: float) -> None:
    """Make the forget gate's total bias ``value`` in every layer of ``lstm``.

    torch keeps two bias vectors per layer, ``bias_ih`` and ``bias_hh``, each split into the
    gates in the order input, forget, cell candidate, output; the forget gate sees their sum.
    The whole ``value`` goes to ``bias_ih``, and ``bias_hh``'s forget quarter is zeroed.
    """
    if not isinstance(lstm, nn.LSTM):
        raise TypeError(f"set_forget_bias needs an nn.LSTM, got {type(lstm).__name__}")
    hidden = lstm.hidden_size
    with torch.no_grad():
        for name, bias in lstm.named_parameters():
            if name.startswith("bias_"):
                bias[hidden:2 * hidden] = value if name.startswith("bias_ih") else 0.0


@register_model
class CharRNN(nn.Module):
    """A language model: embedding -> recurrent layers -> linear scores over the vocabulary.

    "Char" for its first use; it reads word ids just as well (lecture 05's word model).

    ``num_conditions`` > 0 adds a learned condition vector (e.g. the gender of
    a name) that is concatenated to the input at every step, so one model can
    generate from several distributions.
    """

    def __init__(self, vocab_size: int, hidden_size: int = 128, cell: str = "gru", num_layers: int = 1,
                 embedding_dim: int = 32, dropout: float = 0.0, num_conditions: int = 0,
                 condition_dim: int = 8):
        super().__init__()
        one_of("cell", cell, CELLS)
        self.vocab_size = positive_int("vocab_size", vocab_size)
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.condition = nn.Embedding(num_conditions, condition_dim) if num_conditions else None
        input_size = embedding_dim + (condition_dim if num_conditions else 0)
        self.rnn = CELLS[cell](input_size, hidden_size, num_layers=num_layers, batch_first=True,
                               dropout=dropout if num_layers > 1 else 0.0)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, ids: torch.Tensor, hidden=None, condition: torch.Tensor | None = None):
        """``ids`` (batch, time) -> scores (batch, time, vocab) and the final hidden state."""
        check_ids(ids, self.vocab_size, "ids")
        x = self.embedding(ids)
        if self.condition is not None:
            if condition is None:
                raise ValueError("this model is conditioned: pass condition= (batch,) ids")
            check_ids(condition, self.condition.num_embeddings, "condition")
            cond = self.condition(condition)[:, None, :].expand(-1, ids.shape[1], -1)
            x = torch.cat([x, cond], dim=-1)
        elif condition is not None:
            raise ValueError("this model has no conditions (num_conditions=0)")
        out, hidden = self.rnn(self.dropout(x), hidden)
        return self.head(self.dropout(out)), hidden

    def num_parameters(self) -> int:
        return num_parameters(self)


def check_ids(ids: torch.Tensor, size: int, name: str = "ids") -> None:
    """An integer tensor with every value in ``0..size-1``, or an error naming the first bad one
    (torch's own message, "index out of range in self", names nothing)."""
    if not isinstance(ids, torch.Tensor) or ids.dtype in (torch.bool,) or ids.is_floating_point() \
            or ids.is_complex():
        raise TypeError(f"{name} must be an integer tensor, got "
                        f"{ids.dtype if isinstance(ids, torch.Tensor) else type(ids).__name__}")
    if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= size):
        bad = ids[(ids < 0) | (ids >= size)].flatten()[0].item()
        raise IndexError(f"{name} holds {bad}, outside 0..{size - 1}: the model knows {size} of them "
                         "(a vocabulary larger than the model's, or ids from another vocabulary?)")


@register_model
class LastStepClassifier(nn.Module):
    """A recurrent layer of any kind of :data:`CELLS` read out by a linear layer at the last step.

    ``forget_bias`` (LSTM only) sets the forget gate's bias with :func:`set_forget_bias`.
    """

    def __init__(self, cell: str, input_size: int, hidden_size: int, n_classes: int,
                 forget_bias: float | None = None):
        super().__init__()
        one_of("cell", cell, CELLS)
        if forget_bias is not None and cell != "lstm":
            raise ValueError(f"forget_bias={forget_bias} needs an LSTM, got cell={cell!r}")
        self.rnn = CELLS[cell](input_size, hidden_size, batch_first=True)
        if forget_bias is not None:
            set_forget_bias(self.rnn, forget_bias)
        self.head = nn.Linear(hidden_size, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outputs, _ = self.rnn(x)
        return self.head(outputs[:, -1])
