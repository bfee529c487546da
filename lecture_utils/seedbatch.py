"""Many seeds of a small recurrent network trained as one computation.

A claim about training rests on several seeds, and a small model leaves most of a CPU's matrix
units idle. :class:`SeedBatchedRNN` holds ``len(seeds)`` independent copies of a one-layer
recurrent network (tanh RNN, LSTM or GRU) with a linear readout; every parameter carries a
leading seed dimension, and one batched matrix product (``torch.baddbmm``) advances all copies at
once. Copy ``k`` starts from exactly the weights that ``torch.manual_seed(seeds[k])`` followed by
``nn.RNN``/``nn.LSTM``/``nn.GRU`` and ``nn.Linear`` would give, and computes what those torch
modules compute (tested), so a batched run of five seeds equals five runs of one seed.

The copies must not talk to each other during training either: the loss is the *sum* of the
copies' losses (each copy's gradient is its own), :func:`clip_per_seed` clips each copy's gradient
norm separately (as ``clip_grad_norm_`` would for one model), and Adam works element by element.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .checks import non_negative_int, positive_int

KINDS = {"rnn": (nn.RNN, 1), "lstm": (nn.LSTM, 4), "gru": (nn.GRU, 3)}
INITS = ("torch", "orthogonal")


class SeedBatchedRNN(nn.Module):
    """``len(seeds)`` copies of ``cell(input_size -> hidden_size) -> Linear(hidden_size -> output_size)``.

    ``kind`` is ``"rnn"`` (tanh), ``"lstm"`` or ``"gru"``, in torch's equations and gate order
    (LSTM: input, forget, candidate, output; GRU: reset, update, candidate, with the reset gate
    applied to ``W_hn h + b_hn``). ``init="orthogonal"`` replaces the recurrent matrix of a copy
    by a random orthogonal one (drawn after torch's initialisation, from the same seed);
    ``forget_bias`` (LSTM only) sets the forget gate's total bias, as
    :func:`lecture_utils.models.set_forget_bias` does.

    Input ``(seeds, batch, time, input_size)``; output ``(seeds, batch, output_size)`` read from
    the last step's state.
    """

    def __init__(self, kind: str, input_size: int, hidden_size: int, output_size: int, seeds: Sequence[int], *,
                 forget_bias: float | None = None, init: str = "torch"):
        super().__init__()
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {sorted(KINDS)}, got {kind!r}")
        if init not in INITS:
            raise ValueError(f"init must be one of {INITS}, got {init!r}")
        if forget_bias is not None and kind != "lstm":
            raise ValueError(f"forget_bias={forget_bias!r} needs an LSTM, not a {kind}")
        seeds = [non_negative_int("seed", s) for s in seeds]
        if not seeds or len(set(seeds)) != len(seeds):
            raise ValueError(f"seeds must be distinct and at least one, got {seeds!r}")
        self.kind, self.init, self.forget_bias, self.seeds = kind, init, forget_bias, tuple(seeds)
        self.input_size = positive_int("input_size", input_size)
        self.hidden_size = positive_int("hidden_size", hidden_size)
        self.output_size = positive_int("output_size", output_size)
        copies = [self.reference(seed) for seed in seeds]
        stack = lambda get: nn.Parameter(torch.stack([get(cell, head).detach() for cell, head in copies]))  # noqa: E731
        self.w_ih = stack(lambda cell, head: cell.weight_ih_l0.T)          # (S, I, G*H)
        self.w_hh = stack(lambda cell, head: cell.weight_hh_l0.T)          # (S, H, G*H)
        self.b_ih = stack(lambda cell, head: cell.bias_ih_l0[None, :])     # (S, 1, G*H)
        self.b_hh = stack(lambda cell, head: cell.bias_hh_l0[None, :])     # (S, 1, G*H)
        self.w_out = stack(lambda cell, head: head.weight.T)               # (S, H, O)
        self.b_out = stack(lambda cell, head: head.bias[None, :])          # (S, 1, O)

    def reference(self, seed: int) -> tuple[nn.Module, nn.Linear]:
        """The torch modules copy ``seed`` starts from: what the lecture would build for one seed."""
        module, _ = KINDS[self.kind]
        torch.manual_seed(seed)
        cell = module(self.input_size, self.hidden_size, batch_first=True)
        head = nn.Linear(self.hidden_size, self.output_size)
        with torch.no_grad():
            if self.init == "orthogonal":
                nn.init.orthogonal_(cell.weight_hh_l0)
            if self.forget_bias is not None:
                from .models import set_forget_bias
                set_forget_bias(cell, self.forget_bias)
        return cell, head

    @property
    def num_seeds(self) -> int:
        return len(self.seeds)

    def parameters_per_copy(self) -> int:
        return sum(p[0].numel() for p in self.parameters())

    def forward(self, x: torch.Tensor, *, return_states: bool = False):
        if x.dim() != 4 or x.shape[0] != self.num_seeds or x.shape[-1] != self.input_size:
            raise ValueError(f"input must be (seeds={self.num_seeds}, batch, time, {self.input_size}), "
                             f"got {tuple(x.shape)}")
        seeds, batch, steps, _ = x.shape
        hidden = self.hidden_size
        # the input's contribution to every step at once: (S, B*T, I) @ (S, I, G*H)
        # laid out time-first so that each step's slice is contiguous
        xs = torch.baddbmm(self.b_ih, x.transpose(1, 2).reshape(seeds, steps * batch, -1), self.w_ih)
        xs = xs.view(seeds, steps, batch, -1).transpose(0, 1).contiguous()
        h = x.new_zeros(seeds, batch, hidden)
        c = x.new_zeros(seeds, batch, hidden)
        states = []
        for xt in xs.unbind(dim=0):  # unbind, not xs[t]: its backward stacks once instead of
            hh = torch.baddbmm(self.b_hh, h, self.w_hh)  # adding T full-size zero tensors
            if self.kind == "rnn":
                h = torch.tanh(xt + hh)
            elif self.kind == "lstm":
                i, f, g, o = (xt + hh).chunk(4, dim=-1)
                c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                h = torch.sigmoid(o) * torch.tanh(c)
            else:
                xr, xz, xn = xt.chunk(3, dim=-1)
                hr, hz, hn = hh.chunk(3, dim=-1)
                r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
                n = torch.tanh(xn + r * hn)
                h = (1 - z) * n + z * h
            if return_states:
                states.append(h)
        out = torch.baddbmm(self.b_out, h, self.w_out)
        return (out, torch.stack(states, dim=2)) if return_states else out


def clip_per_seed(parameters: Sequence[torch.Tensor], max_norm: float) -> torch.Tensor:
    """Scale each seed's slice of the gradients so that its norm is at most ``max_norm``, exactly as
    ``torch.nn.utils.clip_grad_norm_`` scales one model's; returns the norms before clipping, ``(S,)``."""
    if not max_norm > 0:
        raise ValueError(f"max_norm must be positive, got {max_norm!r}")
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        raise ValueError("no parameter has a gradient: call backward() first")
    seeds = grads[0].shape[0]
    norms = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g.reshape(seeds, -1), dim=1)
                                                  for g in grads], dim=1), dim=1)
    scale = torch.clamp(max_norm / (norms + 1e-6), max=1.0)
    for g in grads:
        g.mul_(scale.view(seeds, *([1] * (g.dim() - 1))))
    return norms
