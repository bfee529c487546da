"""A task that needs memory across T steps: name the first symbol after T distractors.

Lecture 01 uses it to measure what the LSTM's forget-gate bias does to learning:
a sequence is one signal symbol (the class, one of ``n_signals``) followed by ``distractors``
random noise symbols; the model reads it all and must answer the class at the last step.
Nothing but the first step carries information, so the gradient that teaches the answer
has to travel back ``distractors`` steps.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn


def first_symbol_batch(batch_size: int, distractors: int, *, n_signals: int = 4, n_noise: int = 4,
                       generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """One-hot inputs ``(batch, distractors + 1, n_signals + n_noise)`` and the class of each sequence.

    Symbol ids ``0 .. n_signals-1`` are the signals (only at step 0); the rest are noise.
    """
    if batch_size < 1 or distractors < 0 or n_signals < 2 or n_noise < 1:
        raise ValueError(f"need batch_size >= 1, distractors >= 0, n_signals >= 2, n_noise >= 1; got "
                         f"{batch_size=}, {distractors=}, {n_signals=}, {n_noise=}")
    labels = torch.randint(n_signals, (batch_size,), generator=generator)
    noise = torch.randint(n_signals, n_signals + n_noise, (batch_size, distractors), generator=generator)
    ids = torch.cat([labels[:, None], noise], dim=1)
    return nn.functional.one_hot(ids, n_signals + n_noise).float(), labels


def set_forget_bias(lstm: nn.LSTM, value: float) -> None:
    """Make the forget gate's total bias ``value`` in every layer of ``lstm``.

    torch keeps two bias vectors per layer, ``bias_ih`` and ``bias_hh``, each split into the
    gates in the order input, forget, cell candidate, output; the forget gate sees their sum.
    The whole ``value`` goes to ``bias_ih``, and ``bias_hh``'s forget quarter is zeroed.
    """
    hidden = lstm.hidden_size
    with torch.no_grad():
        for name, bias in lstm.named_parameters():
            if name.startswith("bias_"):
                bias[hidden:2 * hidden] = value if name.startswith("bias_ih") else 0.0


class LastStepClassifier(nn.Module):
    """A recurrent layer (``"rnn"`` or ``"lstm"``) read out by a linear layer at the last step."""

    def __init__(self, cell: str, input_size: int, hidden_size: int, n_classes: int,
                 forget_bias: float | None = None):
        super().__init__()
        layers = {"rnn": nn.RNN, "lstm": nn.LSTM}
        if cell not in layers:
            raise ValueError(f"cell must be 'rnn' or 'lstm', got {cell!r}")
        if forget_bias is not None and cell != "lstm":
            raise ValueError(f"forget_bias={forget_bias} needs an LSTM, got cell={cell!r}")
        self.rnn = layers[cell](input_size, hidden_size, batch_first=True)
        if forget_bias is not None:
            set_forget_bias(self.rnn, forget_bias)
        self.head = nn.Linear(hidden_size, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outputs, _ = self.rnn(x)
        return self.head(outputs[:, -1])


@dataclass
class MemoryRun:
    """What one training run measured: the step it solved the task at (None: not within budget)."""
    solved_at: int | None
    steps: list[int] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)


def steps_to_solve(model: nn.Module, distractors: int, *, budget: int, batch_size: int = 32,
                   lr: float = 3e-3, clip: float = 1.0, eval_every: int = 10, eval_size: int = 500,
                   target: float = 0.99, seed: int = 0, n_signals: int = 4, n_noise: int = 4) -> MemoryRun:
    """Train ``model`` with Adam on fresh batches until its accuracy on a fixed held-out batch
    reaches ``target`` or ``budget`` updates have been made; return the accuracy curve.

    The held-out batch and the training batches come from generators seeded by ``seed``, so
    every model in a comparison sees the same data.
    """
    if budget < 1 or eval_every < 1:
        raise ValueError(f"budget and eval_every must be >= 1, got {budget=}, {eval_every=}")
    device = next(model.parameters()).device
    make = dict(n_signals=n_signals, n_noise=n_noise)
    x_eval, y_eval = first_symbol_batch(eval_size, distractors, generator=torch.Generator().manual_seed(seed + 1),
                                        **make)
    x_eval, y_eval = x_eval.to(device), y_eval.to(device)
    data = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    run = MemoryRun(solved_at=None)
    for step in range(1, budget + 1):
        x, y = first_symbol_batch(batch_size, distractors, generator=data, **make)
        loss = nn.functional.cross_entropy(model(x.to(device)), y.to(device))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        if step % eval_every == 0 or step == budget:
            with torch.no_grad():
                accuracy = (model(x_eval).argmax(dim=1) == y_eval).float().mean().item()
            run.steps.append(step)
            run.accuracy.append(accuracy)
            if accuracy >= target:
                run.solved_at = step
                break
    return run
