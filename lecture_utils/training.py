"""Training loop for the torch lectures: Adam, gradient clipping, history, best-model restore."""
from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable

import torch
from torch.nn import functional as F

from .progress import progress


@dataclass
class History:
    """Per-epoch mean losses (nats per predicted token) and the best validation epoch."""

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    best_epoch: int = -1
    seconds: float = 0.0

    @property
    def best_val(self) -> float:
        return self.val_loss[self.best_epoch] if self.val_loss else math.nan


def _unpack(batch, device):
    inputs, targets, *rest = (t.to(device) for t in batch)
    return inputs, targets, (rest[0] if rest else None)


def token_nll(model, batch, pad_id: int, device) -> tuple[torch.Tensor, int]:
    """Summed cross-entropy over the non-padding targets of a batch, and their number."""
    inputs, targets, condition = _unpack(batch, device)
    logits, _ = model(inputs, condition=condition) if condition is not None else model(inputs)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                           ignore_index=pad_id, reduction="sum")
    return loss, int((targets != pad_id).sum())


@torch.no_grad()
def evaluate(model, batches: Iterable, pad_id: int, device=None) -> float:
    """Mean negative log-likelihood per target token (nats) over ``batches``."""
    device = device or next(model.parameters()).device
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    for batch in batches:
        loss, n = token_nll(model, batch, pad_id, device)
        total, count = total + loss.item(), count + n
    model.train(was_training)
    if count == 0:
        raise ValueError("no target tokens to evaluate on")
    return total / count


def fit(model, train_batches: Iterable, val_batches: Iterable, *, epochs: int, pad_id: int,
        lr: float = 1e-2, clip: float = 1.0, weight_decay: float = 0.0, device=None,
        on_epoch: Callable[[int, History], None] | None = None, desc: str = "обучение") -> History:
    """Train with Adam and gradient-norm clipping; evaluate on ``val_batches`` after every epoch.

    Batches are ``(inputs, targets)`` or ``(inputs, targets, condition)`` tensors.
    ``on_epoch(epoch, history)`` is the evaluation hook (e.g. print samples).
    At the end the weights of the epoch with the lowest validation loss are put
    back, so a model that started to overfit is returned at its best.
    """
    device = device or next(model.parameters()).device
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    history, best_state = History(), None
    start = time.perf_counter()
    bar = progress(range(epochs), desc=desc, unit=" эпох")
    for epoch in bar:
        model.train()
        total, count = 0.0, 0
        for batch in train_batches:
            loss, n = token_nll(model, batch, pad_id, device)
            optimizer.zero_grad()
            (loss / n).backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            optimizer.step()
            total, count = total + loss.item(), count + n
        history.train_loss.append(total / count)
        history.val_loss.append(evaluate(model, val_batches, pad_id, device))
        if history.val_loss[-1] <= history.best_val or history.best_epoch < 0:
            history.best_epoch = epoch
            best_state = copy.deepcopy(model.state_dict())
        bar.set_postfix(train=f"{history.train_loss[-1]:.3f}", val=f"{history.val_loss[-1]:.3f}")
        if on_epoch is not None:
            on_epoch(epoch, history)
    model.load_state_dict(best_state)
    history.seconds = time.perf_counter() - start
    return history
