"""Training loop for the torch lectures: Adam, gradient clipping, history, best-model restore."""
from __future__ import annotations

import copy
import math
import numbers
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

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
        raise ValueError(f"no target tokens to evaluate on: the batches are empty, used up (an iterator "
                         f"read before), or every target is padding (pad_id={pad_id})")
    return total / count


def fit(model, train_batches: Iterable, val_batches: Iterable, *, epochs: int, pad_id: int,
        lr: float = 1e-2, clip: float = 1.0, weight_decay: float = 0.0, device=None,
        on_epoch: Callable[[int, History], None] | None = None, desc: str = "обучение") -> History:
    """Train with Adam and gradient-norm clipping; evaluate on ``val_batches`` after every epoch.

    Batches are ``(inputs, targets)`` or ``(inputs, targets, condition)`` tensors.
    ``on_epoch(epoch, history)`` is the evaluation hook (e.g. print samples).
    At the end the weights of the epoch with the lowest validation loss are put
    back, so a model that started to overfit is returned at its best.

    Both batch collections are read once per epoch: pass lists or DataLoaders, not
    generators. A training batch whose targets are all padding is skipped (it has
    nothing to learn from). Training stops with ``FloatingPointError`` as soon as a
    loss is NaN or infinite (diverged weights, e.g. a learning rate far too high),
    naming the epoch and step, before that step updates the weights. Whenever fit
    stops with an error (or Ctrl-C), the model is put back to its best epoch so far,
    or to the weights it came with if no epoch finished.
    """
    if not isinstance(epochs, numbers.Integral) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    for name, batches in (("train_batches", train_batches), ("val_batches", val_batches)):
        if epochs > 1 and isinstance(batches, Iterator):  # a generator would give nothing in epoch 1
            raise TypeError(f"{name} is an iterator ({type(batches).__name__}), used up after one epoch; "
                            "pass a list or a DataLoader, which can be read once per epoch")
    device = device or next(model.parameters()).device
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    history, best_state = History(), copy.deepcopy(model.state_dict())
    start = time.perf_counter()
    bar = progress(range(epochs), desc=desc, unit=" эпох")
    try:
        for epoch in bar:
            history.train_loss.append(_train_epoch(model, train_batches, optimizer, epoch, pad_id, clip,
                                                   device, history))
            history.val_loss.append(evaluate(model, val_batches, pad_id, device))
            if not math.isfinite(history.val_loss[-1]):
                raise FloatingPointError(
                    f"the validation loss is {history.val_loss[-1]} after epoch {epoch} (training loss "
                    f"{history.train_loss[-1]:.4g}): the weights hold NaN or infinite values; "
                    f"{_restored(history)}")
            if history.best_epoch < 0 or history.val_loss[-1] <= history.best_val:
                history.best_epoch = epoch
                best_state = copy.deepcopy(model.state_dict())
            bar.set_postfix(train=f"{history.train_loss[-1]:.3f}", val=f"{history.val_loss[-1]:.3f}")
            if on_epoch is not None:
                on_epoch(epoch, history)
    finally:  # also on errors: never leave diverged or half-trained weights behind
        bar.close()
        model.load_state_dict(best_state)
        history.seconds = time.perf_counter() - start
    return history


def _train_epoch(model, batches, optimizer, epoch: int, pad_id: int, clip: float, device,
                 history: History) -> float:
    """One pass over the training batches; returns the mean loss per target token."""
    model.train()
    total, count = 0.0, 0
    for step, batch in enumerate(batches):
        loss, n = token_nll(model, batch, pad_id, device)
        if n == 0:
            continue  # only padding: nothing to learn, yet Adam's momentum would move the weights
        value = loss.item()
        if not math.isfinite(value):
            lr = optimizer.param_groups[0]["lr"]
            raise FloatingPointError(
                f"the training loss became {value} in epoch {epoch}, step {step} (both counted from 0): "
                f"the weights diverged or hold NaN/inf (is lr={lr} too high?); {_restored(history)}")
        optimizer.zero_grad()
        (loss / n).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        total, count = total + value, count + n
    if count == 0:
        raise ValueError(f"epoch {epoch}: the training batches hold no target tokens (no batches, "
                         f"or every target is padding, pad_id={pad_id})")
    return total / count


def _restored(history: History) -> str:
    if history.best_epoch < 0:
        return "the model is put back to the weights it had before fit"
    return f"the model is put back to its best epoch so far ({history.best_epoch})"
