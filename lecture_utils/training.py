"""One training loop for every torch lecture: the loss is a function, the state stays in the loop.

``fit`` knows nothing about the task. A *loss function* ``loss_fn(model, batch, state)``
runs the model on one batch and returns a :class:`BatchLoss`: the summed loss, how many
items it sums over (predicted tokens, reviews), optional summed metrics (correct
answers) and the recurrent state the next batch should start from. The loop keeps that
state, detached, and hands it to the next call: a language model read as one long text
(:func:`stream_token_loss`) continues where the previous window stopped, a loss of
independent examples (:func:`padded_token_loss`, lecture 06's review loss) ignores it and
returns none. Every epoch and every evaluation starts from ``state=None``.
"""
from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import torch
from torch.nn import functional as F

from .checks import non_negative, non_negative_int, positive, positive_int
from .formatting import number
from .models import check_ids, device_of, eval_mode
from .progress import progress


@dataclass
class BatchLoss:
    """What a loss function returns for one batch. ``loss`` and ``metrics`` are sums over
    ``count`` items, so that batches of different sizes average correctly."""

    loss: torch.Tensor
    count: int
    metrics: dict[str, float] = field(default_factory=dict)
    state: Any = None


@dataclass
class History:
    """Per-epoch means (loss per item, e.g. nats per token) and the best validation epoch."""

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    train_metrics: dict[str, list[float]] = field(default_factory=dict)
    val_metrics: dict[str, list[float]] = field(default_factory=dict)
    best_epoch: int = -1
    seconds: float = 0.0

    @property
    def best_val(self) -> float:
        return self.val_loss[self.best_epoch] if self.val_loss else math.nan

    def record(self, train: dict, val: dict) -> None:
        """Append one epoch's means (``{"loss": ..., **metrics}``); the dicts are left as given."""
        self.train_loss.append(train["loss"])
        self.val_loss.append(val["loss"])
        for target, values in ((self.train_metrics, train), (self.val_metrics, val)):
            for name, value in values.items():
                if name != "loss":
                    target.setdefault(name, []).append(value)


# ------------------------------------------------------------------ loss functions


def padded_token_loss(pad_id: int) -> Callable:
    """The loss of lecture 04: cross-entropy summed over the targets that are not padding.

    Batches are ``(inputs, targets)`` or ``(inputs, targets, condition)``.
    """
    def loss_fn(model, batch, state=None) -> BatchLoss:
        inputs, targets, *condition = batch
        logits, _ = model(inputs, condition=condition[0]) if condition else model(inputs)
        check_ids(targets[targets != pad_id], logits.shape[-1], "targets")
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                               ignore_index=pad_id, reduction="sum")
        return BatchLoss(loss, int((targets != pad_id).sum()))

    return loss_fn


def stream_token_loss(model, batch, state=None) -> BatchLoss:
    """The loss of a language model reading a text in windows (``TextWindows``):
    cross-entropy summed over every target, and the state to continue from."""
    inputs, targets = batch
    if state is not None:
        rows = (state[0] if isinstance(state, tuple) else state).shape[1]
        if rows != inputs.shape[0]:
            raise ValueError(f"a batch of {inputs.shape[0]} rows cannot continue the state of {rows} rows: "
                             "carried state needs every batch of the same size (TextWindows gives that)")
    logits, state = model(inputs, state)
    check_ids(targets, logits.shape[-1], "targets")
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="sum")
    return BatchLoss(loss, targets.numel(), state=state)


def detach_state(state):
    """The recurrent state cut off from the graph of the batch that produced it (a tensor,
    or the (h, c) tuple of an LSTM): the next batch starts from its values, and
    backpropagation stops at the window border instead of running through the whole text."""
    if state is None:
        return None
    if isinstance(state, torch.Tensor):
        return state.detach()
    return type(state)(detach_state(s) for s in state)


# ------------------------------------------------------------------ evaluation and training


def _to(batch, device):
    return tuple(t.to(device, non_blocking=True) if isinstance(t, torch.Tensor) else t for t in batch)


def _run(loss_fn, model, batch, state, device) -> BatchLoss:
    """One call of the loss function, its answer checked: a clear error instead of a raw one."""
    result = loss_fn(model, _to(batch, device), state)
    if not isinstance(result, BatchLoss):
        raise TypeError(f"loss_fn must return a BatchLoss(loss, count, ...), got {type(result).__name__}")
    if not (isinstance(result.loss, torch.Tensor) and result.loss.ndim == 0):
        raise ValueError(f"BatchLoss.loss must be a scalar tensor (the summed loss of the batch), got "
                         f"{type(result.loss).__name__} of shape {tuple(getattr(result.loss, 'shape', ()))}")
    result.count = non_negative_int("BatchLoss.count (the number of items the loss sums over)", result.count)
    return result


@torch.no_grad()
def evaluate(model, batches: Iterable, loss_fn: Callable, *, device=None) -> dict[str, float]:
    """``{"loss": mean loss per item, **mean metrics}`` over ``batches``, in eval mode (no dropout);
    the state is carried from batch to batch as in :func:`fit`."""
    device = device or device_of(model)
    with eval_mode(model):
        sums, count, state = {}, 0, None
        for batch in batches:
            result = _run(loss_fn, model, batch, state, device)
            state = result.state
            _accumulate(sums, result.loss.item(), result.metrics)
            count += result.count
    if count == 0:
        raise ValueError("nothing to evaluate on: the batches are empty, used up (an iterator read "
                         "before), or hold no counted item (e.g. every target is padding)")
    return {name: value / count for name, value in sums.items()}


def _accumulate(sums: dict, loss: float, metrics: dict) -> None:
    sums["loss"] = sums.get("loss", 0.0) + loss
    for name, value in metrics.items():
        sums[name] = sums.get(name, 0.0) + float(value)


def fit(model, train_batches: Iterable, val_batches: Iterable, *, loss_fn: Callable, epochs: int,
        lr: float = 1e-3, clip: float | None = 1.0, weight_decay: float = 0.0, lr_decay: float = 1.0,
        max_seconds: float | None = None, device=None,
        on_epoch: Callable[[int, History], bool | None] | None = None, desc: str = "обучение",
        show_progress: bool = True) -> History:
    """Train with Adam and gradient-norm clipping; evaluate on ``val_batches`` after every epoch.

    ``loss_fn(model, batch, state)`` returns a :class:`BatchLoss`; the batch's tensors are
    already on the model's device, ``state`` is what the previous batch's call returned,
    detached (None at the start of every epoch and evaluation). ``clip`` bounds the
    gradient's norm (None: no clipping). ``lr_decay`` multiplies the learning rate after
    every epoch. With ``max_seconds``, no new epoch starts once that much time has passed
    (a budget, not a deadline: the epoch under way finishes). ``on_epoch(epoch, history)``
    runs after every evaluation (e.g. to print a sample); when it returns True, training
    stops there. ``show_progress=False`` hides the progress bar (many short runs). At the end
    the weights of the epoch with the lowest validation loss are put back, so a model that
    started to overfit is returned at its best.

    Both batch collections are read once per epoch: pass lists, ``TextWindows`` or
    DataLoaders, not generators. A training batch with no counted item is skipped.
    Training stops with ``FloatingPointError`` as soon as a loss is NaN or infinite
    (diverged weights, e.g. a learning rate far too high), naming the epoch and step,
    before that step updates the weights. Whenever fit stops with an error (or
    Ctrl-C), the model is put back to its best epoch so far, or to the weights it
    came with if no epoch finished.
    """
    epochs = positive_int("epochs", epochs)
    non_negative("lr", lr)
    lr_decay = positive("lr_decay", lr_decay)
    clip = None if clip is None else positive("clip", clip)
    max_seconds = None if max_seconds is None else non_negative("max_seconds", max_seconds)
    for name, batches in (("train_batches", train_batches), ("val_batches", val_batches)):
        if epochs > 1 and isinstance(batches, Iterator):  # a generator would give nothing in epoch 1
            raise TypeError(f"{name} is an iterator ({type(batches).__name__}), used up after one epoch; "
                            "pass a list or a DataLoader, which can be read once per epoch")
    device = device or device_of(model)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    schedule = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=lr_decay)
    history, best_state = History(), copy.deepcopy(model.state_dict())
    steps = len(train_batches) * epochs if hasattr(train_batches, "__len__") else None
    start = time.perf_counter()
    bar = progress(total=steps, desc=desc, unit=" шаг", disable=not show_progress)
    try:
        for epoch in range(epochs):
            model.train()
            sums, count, state = {}, 0, None
            for step, batch in enumerate(train_batches):
                result = _run(loss_fn, model, batch, state, device)
                state = detach_state(result.state)
                bar.update()
                if result.count == 0:
                    continue  # only padding: nothing to learn, yet Adam's momentum would move the weights
                value = result.loss.item()
                if not math.isfinite(value):
                    raise FloatingPointError(
                        f"the training loss became {value} in epoch {epoch}, step {step} (both counted from 0): "
                        f"the weights diverged or hold NaN/inf (is lr={optimizer.param_groups[0]['lr']:.3g} "
                        f"too high?); {_restored(history)}")
                if not result.loss.requires_grad:
                    raise ValueError("BatchLoss.loss has no gradient: compute it from the model's output "
                                     "(not under torch.no_grad(), not via .item())")
                optimizer.zero_grad()
                (result.loss / result.count).backward()
                if clip is not None:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
                optimizer.step()
                _accumulate(sums, value, result.metrics)
                count += result.count
                if step % 20 == 0:
                    bar.set_postfix_str(f"эпоха {epoch + 1}, потери {number(sums['loss'] / count, 3)}",
                                       refresh=False)
            if count == 0:
                raise ValueError(f"epoch {epoch}: the training batches hold no counted item (no batches, "
                                 "or every target is padding)")
            train = {name: value / count for name, value in sums.items()}
            val = evaluate(model, val_batches, loss_fn, device=device)
            if not math.isfinite(val["loss"]):
                raise FloatingPointError(
                    f"the validation loss is {val['loss']} after epoch {epoch} (training loss "
                    f"{train['loss']:.4g}): the weights hold NaN or infinite values; {_restored(history)}")
            history.record(train, val)
            if history.best_epoch < 0 or history.val_loss[-1] <= history.best_val:
                history.best_epoch = epoch
                best_state = copy.deepcopy(model.state_dict())
            schedule.step()
            bar.set_postfix_str(f"эпоха {epoch + 1}, обуч. {number(history.train_loss[-1], 3)}, "
                                f"вал. {number(history.val_loss[-1], 3)}")
            if on_epoch is not None and on_epoch(epoch, history):
                break
            if max_seconds is not None and time.perf_counter() - start > max_seconds:
                break
    finally:  # also on errors: never leave diverged or half-trained weights behind
        bar.close()
        model.load_state_dict(best_state)
        history.seconds = time.perf_counter() - start
    return history


def _restored(history: History) -> str:
    if history.best_epoch < 0:
        return "the model is put back to the weights it had before fit"
    return f"the model is put back to its best epoch so far ({history.best_epoch})"
