"""Hand-written LSTM and GRU cells in torch, and how fast they are next to torch's (lectures 05 and on).

The cells keep torch's parameter names and layout (``weight_ih`` (G*H, I), ``weight_hh``
(G*H, H), ``bias_ih``, ``bias_hh``; LSTM gate blocks i, f, g, o; GRU blocks r, z, n), so
weights copied from ``nn.LSTM`` / ``nn.GRU`` give the same outputs and gradients:
``tests/test_cells.py`` checks it. One step is ``cell(x, state) -> state``; an LSTM's
state is the pair ``(h, c)``, a GRU's is ``h``. :func:`run_sequence` loops over time,
:func:`time_cells` measures that loop against the library modules.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from .checks import one_of, positive_int
from .models import CELLS
from .timing import best_of


class RecurrentCell(nn.Module):
    """What the LSTM and GRU cells share: parameters, initialisation, shape checks, weight copy.

    A subclass sets ``GATES`` (blocks stacked in the weight matrices), ``STATE_PARTS`` and
    ``STATE_DOC`` (what its state is), ``TORCH_TYPES`` (the library modules it can copy
    from) and writes ``forward`` and ``zero_state``.
    """

    GATES: int
    STATE_PARTS: int
    STATE_DOC: str
    TORCH_TYPES: tuple[type[nn.Module], ...]

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        input_size, hidden_size = positive_int("input_size", input_size), positive_int("hidden_size", hidden_size)
        self.input_size, self.hidden_size = input_size, hidden_size
        # All gates in one matrix: one matmul per step computes every gate's pre-activation.
        rows = self.GATES * hidden_size
        self.weight_ih = nn.Parameter(torch.empty(rows, input_size))
        self.weight_hh = nn.Parameter(torch.empty(rows, hidden_size))
        # Two biases, though their sum is all that matters: it keeps torch's layout.
        self.bias_ih = nn.Parameter(torch.empty(rows))
        self.bias_hh = nn.Parameter(torch.empty(rows))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # torch's rule: the bound shrinks with H, so a unit's summed input stays of order one.
        bound = 1 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}"

    def _check(self, x: torch.Tensor, state) -> None:
        """Refuse wrong shapes with a message naming them: a broadcast would hide the bug."""
        name = type(self).__name__
        if x.dim() != 2 or x.shape[1] != self.input_size:
            raise ValueError(f"{name} expects x of shape (batch, {self.input_size}), "
                             f"got {tuple(x.shape)}")
        if x.dtype != self.weight_ih.dtype:
            raise TypeError(f"{name} holds {self.weight_ih.dtype} weights but x is {x.dtype}: convert one of "
                            f"them (x.to({self.weight_ih.dtype}) or cell.to(x.dtype))")
        is_pair = isinstance(state, (tuple, list))
        parts = tuple(state) if is_pair else (state,)
        if (is_pair != (self.STATE_PARTS > 1) or len(parts) != self.STATE_PARTS
                or not all(isinstance(s, torch.Tensor) for s in parts)):
            got = f"a {type(state).__name__} of {len(parts)}" if is_pair else type(state).__name__
            raise TypeError(f"{name}'s state must be {self.STATE_DOC}, got {got}")
        for s in parts:
            if s.shape != (x.shape[0], self.hidden_size):
                raise ValueError(f"{name} expects state tensors of shape ({x.shape[0]}, "
                                 f"{self.hidden_size}) for a batch of {x.shape[0]}, "
                                 f"got {tuple(s.shape)}")

    @classmethod
    def from_torch(cls, module: nn.Module, layer: int = 0) -> RecurrentCell:
        """A hand-written cell holding a copy of layer ``layer`` of ``module``'s weights
        (``nn.LSTM`` / ``nn.GRU``, forward direction, or ``nn.LSTMCell`` / ``nn.GRUCell``),
        on the module's device and dtype."""
        if not isinstance(module, cls.TORCH_TYPES):
            names = " or ".join(f"nn.{t.__name__}" for t in cls.TORCH_TYPES)
            raise TypeError(f"{cls.__name__}.from_torch copies from {names}, "
                            f"not {type(module).__name__}")
        if isinstance(module, nn.RNNBase):
            if not 0 <= layer < module.num_layers:
                raise ValueError(f"layer must be in 0..{module.num_layers - 1}, not {layer}")
            if getattr(module, "proj_size", 0):
                raise ValueError("an LSTM with proj_size > 0 has no hand-written counterpart here")
            if not module.bias:
                raise ValueError("the module has no biases (bias=False); this cell always has them")
            suffix = f"_l{layer}"
        elif layer != 0:
            raise ValueError(f"a single {type(module).__name__} has only layer 0, not {layer}")
        else:
            suffix = ""
        source = {name: getattr(module, name + suffix)
                  for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
        rows, input_size = source["weight_ih"].shape
        cell = cls(input_size, rows // cls.GATES)
        cell.to(device=source["weight_ih"].device, dtype=source["weight_ih"].dtype)
        with torch.no_grad():
            for name, value in source.items():
                getattr(cell, name).copy_(value)
        return cell


class LSTMCell(RecurrentCell):
    """One LSTM step: input, forget and output gates around a cell state ``c``."""

    GATES = 4
    STATE_PARTS, STATE_DOC = 2, "a pair (h, c) of (batch, hidden) tensors"
    TORCH_TYPES = (nn.LSTM, nn.LSTMCell)

    def zero_state(self, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.weight_hh.new_zeros(batch_size, self.hidden_size)
        return h, h.clone()

    def forward(self, x: torch.Tensor, state=None) -> tuple[torch.Tensor, torch.Tensor]:
        """``x`` (B, I), ``state`` = (h, c), each (B, H), or None for zeros -> new (h, c)."""
        state = self.zero_state(x.shape[0]) if state is None else state
        self._check(x, state)
        h, c = state
        gates = x @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T + self.bias_hh
        i, f, g, o = gates.chunk(4, dim=1)  # torch's block order
        # c is updated by addition, not squashed through a matrix: the gradient along
        # c_t -> c_{t-1} is only multiplied by f, which lets it survive many steps.
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        return h, c


class GRUCell(RecurrentCell):
    """One GRU step: an update gate ``z`` mixes the old state with a candidate ``n``."""

    GATES = 3
    STATE_PARTS, STATE_DOC = 1, "one (batch, hidden) tensor h"
    TORCH_TYPES = (nn.GRU, nn.GRUCell)

    def zero_state(self, batch_size: int) -> torch.Tensor:
        return self.weight_hh.new_zeros(batch_size, self.hidden_size)

    def forward(self, x: torch.Tensor, state=None) -> torch.Tensor:
        """``x`` (B, I), ``state`` = h (B, H) or None for zeros -> new h."""
        h = self.zero_state(x.shape[0]) if state is None else state
        self._check(x, h)
        x_r, x_z, x_n = (x @ self.weight_ih.T + self.bias_ih).chunk(3, dim=1)
        h_r, h_z, h_n = (h @ self.weight_hh.T + self.bias_hh).chunk(3, dim=1)
        r = torch.sigmoid(x_r + h_r)
        z = torch.sigmoid(x_z + h_z)
        # torch (like cuDNN) applies r after the matmul, r * (W_hn h + b_hn), not W_hn (r * h):
        # then all three blocks of h come out of one matmul.
        n = torch.tanh(x_n + r * h_n)
        return (1 - z) * n + z * h


def run_sequence(cell: RecurrentCell, x: torch.Tensor, state=None):
    """Run ``cell`` over a batch_first sequence ``x`` (B, T, I).

    Returns the outputs (B, T, H) -- the hidden state after every step, as ``nn.LSTM`` /
    ``nn.GRU`` return them -- and the final state (``(h, c)`` for an LSTM, ``h`` for a GRU).
    """
    if x.dim() != 3 or x.shape[2] != cell.input_size or x.shape[1] == 0:
        raise ValueError(f"run_sequence expects x of shape (batch, time, {cell.input_size}) with time >= 1, "
                         f"got {tuple(x.shape)}")
    outputs = []
    for t in range(x.shape[1]):  # step t needs the state of step t - 1: no way around a loop
        state = cell(x[:, t], state)
        outputs.append(state[0] if isinstance(state, tuple) else state)
    return torch.stack(outputs, dim=1), state


HAND_WRITTEN = {"lstm": LSTMCell, "gru": GRUCell}
"""Cell kind (a key of :data:`~lecture_utils.models.CELLS`) -> its hand-written twin."""


def time_cells(shapes=((64, 100, 48, 256),), kinds=("lstm", "gru"), repeats: int = 3,
               device=None, seed: int = 0) -> list[dict]:
    """Time forward + backward of the hand-written loop against the library module.

    ``shapes``: (batch, steps, input_size, hidden_size) tuples. Both implementations get
    the same weights and input; after one warm-up call each, each is timed ``repeats`` times
    with :func:`~lecture_utils.timing.best_of` (the least disturbed run counts). The caller's
    random state is left as it was.
    Returns one dict per kind and shape: ``cell, device, batch, steps, input_size,
    hidden_size, hand_ms, torch_ms, ratio`` (hand / torch: how many times slower).
    """
    device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    repeats = positive_int("repeats", repeats)
    for kind in kinds:
        one_of("kind", kind, HAND_WRITTEN)
    rows = []
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for kind in kinds:
            cell_class, module_class = HAND_WRITTEN[kind], CELLS[kind]
            for batch, steps, input_size, hidden_size in shapes:
                module = module_class(input_size, hidden_size, batch_first=True).to(device)
                cell = cell_class.from_torch(module)
                x = torch.randn(batch, steps, input_size).to(device).requires_grad_()
                runs = {
                    "hand": lambda cell=cell, x=x: run_sequence(cell, x)[0].sum().backward(),
                    "torch": lambda module=module, x=x: module(x)[0].sum().backward(),
                }
                # one warm-up call each: first-call allocations, cuDNN's choice of algorithm
                best = {name: best_of(fn, repeats, warmup=1, device=device) for name, fn in runs.items()}
                rows.append(dict(cell=kind, device=device.type, batch=batch, steps=steps,
                                 input_size=input_size, hidden_size=hidden_size,
                                 hand_ms=1e3 * best["hand"], torch_ms=1e3 * best["torch"],
                                 ratio=best["hand"] / best["torch"]))
    return rows
