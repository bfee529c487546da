"""The package's model classes, and the table checkpoints use to rebuild them by name."""
from __future__ import annotations

import torch
from torch import nn

CELLS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}

MODEL_CLASSES: dict[str, type[nn.Module]] = {}
"""Class name -> class, for every model a checkpoint can hold (see :mod:`~lecture_utils.checkpoint`)."""


def register_model(cls):
    """Class decorator: checkpoints can save and rebuild ``cls``. Its instances must keep
    ``self.config``, the constructor's keyword arguments as plain values."""
    if MODEL_CLASSES.get(cls.__name__, cls) is not cls:
        raise ValueError(f"another model class is already registered as {cls.__name__!r}")
    MODEL_CLASSES[cls.__name__] = cls
    return cls



@register_model
class CharRNN(nn.Module):
    """A language model: embedding -> recurrent layers -> linear scores over the vocabulary.

    "Char" for its first use; it reads word ids just as well (lecture 05's word model).

    ``num_conditions`` > 0 adds a learned condition vector (e.g. the gender of
    a name) that is concatenated to the input at every step, so one model can
    generate from several distributions. ``config`` holds every constructor
    argument: checkpoints store it and refuse a model built differently.
    """

    def __init__(self, vocab_size: int, hidden_size: int = 128, cell: str = "gru", num_layers: int = 1,
                 embedding_dim: int = 32, dropout: float = 0.0, num_conditions: int = 0,
                 condition_dim: int = 8):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"cell must be one of {sorted(CELLS)}, not {cell!r}")
        self.config = dict(vocab_size=vocab_size, hidden_size=hidden_size, cell=cell, num_layers=num_layers,
                           embedding_dim=embedding_dim, dropout=dropout, num_conditions=num_conditions,
                           condition_dim=condition_dim)
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.condition = nn.Embedding(num_conditions, condition_dim) if num_conditions else None
        input_size = embedding_dim + (condition_dim if num_conditions else 0)
        self.rnn = CELLS[cell](input_size, hidden_size, num_layers=num_layers, batch_first=True,
                               dropout=dropout if num_layers > 1 else 0.0)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, ids: torch.Tensor, hidden=None, condition: torch.Tensor | None = None):
        """``ids`` (batch, time) -> scores (batch, time, vocab) and the final hidden state."""
        x = self.embedding(ids)
        if self.condition is not None:
            if condition is None:
                raise ValueError("this model is conditioned: pass condition= (batch,) ids")
            cond = self.condition(condition)[:, None, :].expand(-1, ids.shape[1], -1)
            x = torch.cat([x, cond], dim=-1)
        elif condition is not None:
            raise ValueError("this model has no conditions (num_conditions=0)")
        out, hidden = self.rnn(self.dropout(x), hidden)
        return self.head(self.dropout(out)), hidden

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())
