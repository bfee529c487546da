"""Lecture 03: binary addition with an RNN -- bit encoding, a batched forward pass, the training figure,
carries and carry chains, and the shipped BCE/MSE sweep.

Numbers are fed to the network least significant bit first, so that the carry
only ever flows forward in time. The lecture writes its single-example forward
pass and BPTT by hand; this module holds the batched forward pass used to
evaluate a trained network on many pairs at once (the tests check that both
compute the same thing), and a copy of the lecture's BPTT and SGD loop
(:func:`loss_and_grads`, :func:`train_sgd`; the tests check that they give the
notebook's weights bit for bit) for the sweep ``SWEEPS`` that
``make experiments SWEEP=03_loss_step`` runs: BCE and MSE at equal learning rate
and at equal step size, 10 seeds each, every trained net then measured on carry
chains, its state map and an ablation of its carry units (:func:`loss_comparison_run`).

Parameters are a dict with the course's names (lecture 02's keys), written with row vectors:
``h_t = σ(x_t W_xh + h_{t-1} W_hh + b_h)``, ``ŷ_t = σ(h_t W_hy + b_y)``; so ``Wxh`` is (inputs, H),
the transpose of lecture 01's column-vector ``W_xh``.
"""
from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np

from .checks import positive, positive_int, real, short
from .experiments import Sweep
from .formatting import number

PARAMETER_NAMES = ("Wxh", "Whh", "Why", "bh", "by")


def int_to_bits(values, width: int) -> np.ndarray:
    """Integers -> bits, least significant first: shape ``(..., width)``, dtype float64.

    Raises ``ValueError`` for negative numbers, numbers that need more than ``width`` bits
    and floats that are not whole (2.7 is not truncated to 2); ``TypeError`` for
    anything else that is not an integer (strings, booleans).
    """
    _check_width(width)
    values = np.asarray(values)
    if values.dtype.kind == "f":  # whole floats such as 3.0 are accepted
        fractional = values[~np.isfinite(values) | (values != np.round(values))]
        if fractional.size:
            raise ValueError(f"values must be whole numbers; got {fractional[0]} "
                             f"({fractional.size} such value(s))")
    elif values.dtype.kind not in "iu":
        raise TypeError(f"values must be integers, got an array of {values.dtype}")
    values = values.astype(np.int64)
    if np.any(values < 0) or np.any(values >> width):
        raise ValueError(f"every value must lie in [0, 2**{width}); got {values.min()}..{values.max()}")
    return ((values[..., None] >> np.arange(width)) & 1).astype(np.float64)


def _check_width(width) -> int:
    """A bit width of 1..62 (the sum of two such numbers still fits an int64), or a ValueError."""
    try:
        number = positive_int("width", width)
    except ValueError:
        number = 0
    if not 1 <= number <= 62:
        raise ValueError(f"width must be an integer in 1..62 (bits of an int64), got {width!r}")
    return number


def bits_to_int(bits) -> np.ndarray:
    """Bits (least significant first, last axis) -> integers; values >= 0.5 count as 1.

    Up to 63 bits the result is int64; more bits give exact Python integers (an object array),
    not an int64 that overflows into a negative number.
    """
    bits = np.asarray(bits)
    if bits.ndim == 0:
        raise ValueError(f"bits must have a last axis of bits, got the scalar {bits.item()!r}")
    if bits.dtype.kind not in "biuf":
        raise TypeError(f"bits must be numbers (0/1 or probabilities), got an array of {bits.dtype}")
    if bits.dtype.kind == "f" and not np.all(np.isfinite(bits)):
        raise ValueError("bits hold NaN or inf: a network with diverged weights? (NaN would read as 0)")
    bits = bits >= 0.5
    if bits.shape[-1] <= 63:
        return (bits.astype(np.int64) << np.arange(bits.shape[-1])).sum(axis=-1)
    weights = np.array([1 << i for i in range(bits.shape[-1])], dtype=object)
    return (bits.astype(object) * weights).sum(axis=-1)


def encode_pairs(a, b, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs ``x`` of shape ``(..., width, 2)`` (bits of a and b) and targets ``(..., width, 1)`` (bits of a+b)."""
    width = _check_width(width)
    try:
        a, b = np.broadcast_arrays(np.asarray(a), np.asarray(b))
    except ValueError:
        raise ValueError(f"a and b must hold as many numbers (or one of them one number): got shapes "
                         f"{np.shape(a)} and {np.shape(b)}") from None
    x = np.stack([int_to_bits(a, width), int_to_bits(b, width)], axis=-1)
    total = a.astype(np.int64) + b.astype(np.int64)  # both fit 62 bits: no overflow
    if np.any(total >> width):
        raise ValueError(f"a + b must fit {width} bits (below 2**{width}) to be a target; the largest sum is "
                         f"{total.max()}: use a larger width or smaller numbers")
    y = int_to_bits(total, width)[..., None]
    return x, y


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def init_params(hidden: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Weights uniform in [-1, 1) (as in the classic version of this demo), zero biases."""
    hidden = positive_int("hidden", hidden)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy Generator (np.random.default_rng(seed)), got {short(rng)}")
    return {
        "Wxh": rng.uniform(-1, 1, (2, hidden)),
        "Whh": rng.uniform(-1, 1, (hidden, hidden)),
        "Why": rng.uniform(-1, 1, (hidden, 1)),
        "bh": np.zeros(hidden),
        "by": np.zeros(1),
    }


def check_params(params) -> int:
    """The hidden size of ``params``, or an error naming the missing or misshapen parameter."""
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict with {', '.join(PARAMETER_NAMES)}, got {type(params).__name__}")
    missing = [name for name in PARAMETER_NAMES if name not in params]
    if missing:
        raise ValueError(f"params lacks {missing}: expected {', '.join(PARAMETER_NAMES)} (see init_params)")
    shapes = {name: np.shape(params[name]) for name in PARAMETER_NAMES}
    hidden = shapes["Whh"][0] if len(shapes["Whh"]) == 2 else -1
    outputs = shapes["Why"][1] if len(shapes["Why"]) == 2 else -1
    inputs = shapes["Wxh"][0] if len(shapes["Wxh"]) == 2 else -1
    expected = {"Wxh": (inputs, hidden), "Whh": (hidden, hidden), "Why": (hidden, outputs), "bh": (hidden,),
                "by": (outputs,)}
    if hidden < 1 or outputs < 1 or inputs < 1 or shapes != expected:
        raise ValueError(f"params have shapes {shapes}; with Wxh (inputs, H) they must be Wxh (inputs, H), "
                         "Whh (H, H), Why (H, outputs), bh (H,), by (outputs,)")
    return hidden


def forward_batch(params: dict[str, np.ndarray], x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Run the RNN over a batch ``x`` of shape ``(B, T, 2)``.

    Returns the hidden states ``(B, T, H)`` and the output probabilities ``(B, T, 1)``.
    The sequence length is free: a net trained on 8 bits can be run on 32.
    """
    hidden = check_params(params)
    x = np.asarray(x)
    if x.ndim != 3 or x.shape[2] != params["Wxh"].shape[0]:
        raise ValueError(f"x must be a batch of shape (B, T, {params['Wxh'].shape[0]}), got shape {x.shape}"
                         + (": one example of (T, 2)? pass x[None]" if x.ndim == 2 else ""))
    if x.dtype.kind not in "biuf":
        raise TypeError(f"x must hold numbers (bits), got an array of {x.dtype}")
    batch, steps, _ = x.shape
    states = np.empty((batch, steps, hidden))
    h = np.zeros((batch, hidden))
    for t in range(steps):
        h = sigmoid(x[:, t] @ params["Wxh"] + h @ params["Whh"] + params["bh"])
        states[:, t] = h
    return states, sigmoid(states @ params["Why"] + params["by"])


def addition_accuracy(params: dict[str, np.ndarray], a, b, width: int) -> float:
    """Share of pairs ``(a[i], b[i])`` whose every output bit is right (the whole sum, not single bits).

    ``a`` and ``b`` may have any (matching) shape; every pair counts once.
    """
    x, y = encode_pairs(a, b, width)
    x, y = x.reshape(-1, *x.shape[-2:]), y.reshape(-1, *y.shape[-2:])
    if len(x) == 0:
        raise ValueError("addition_accuracy got no pairs (a and b are empty): the share of right sums "
                         "is undefined")
    _, probs = forward_batch(params, x)
    return float(np.mean(bits_to_int(probs[..., 0]) == bits_to_int(y[..., 0])))


def accuracy_and_position_errors(iterations, whole_accuracy, position_error, *, until=None,
                                 whole_label: str = "верные суммы (все разряды)",
                                 whole_ylabel: str = "доля примеров, %",
                                 position_label: str = "разряд (0 — младший)", vmax: float = 100,
                                 mark=None, mark_label: str = "все суммы верны"):
    """Training of a sequence-to-sequence net seen two ways, side by side.

    Left: the share of outputs right at every position, as a line over ``iterations``.
    Right: ``position_error`` (checks x positions, shares 0..1) as a heatmap with
    a labelled colour bar, one row per position, so one sees which positions are
    learned first. ``until`` cuts both panels at that iteration; ``mark`` draws a dashed
    vertical line at that iteration on both (e.g. where every sum is right from then on).
    """
    iterations = np.asarray(iterations)
    whole, errors = np.asarray(whole_accuracy), np.asarray(position_error)
    if iterations.ndim != 1 or len(iterations) == 0:
        raise ValueError(f"iterations must be a non-empty 1-D sequence, got shape {iterations.shape}")
    if whole.shape != iterations.shape or errors.ndim != 2 or len(errors) != len(iterations):
        raise ValueError(f"need one whole_accuracy value and one row of position_error per iteration: "
                         f"{len(iterations)} iterations, whole_accuracy of shape {whole.shape}, position_error "
                         f"of shape {errors.shape} (iterations x positions)")
    vmax = positive("vmax", vmax)
    if until is not None:
        until = real("until", until)
    shown = iterations <= (iterations[-1] if until is None else until)
    if not shown.any():
        raise ValueError(f"until={until!r} is before the first iteration ({iterations[0]}): nothing to show")
    its = iterations[shown]
    step = its[1] - its[0] if len(its) > 1 else 1
    errors = 100 * errors[shown].T
    fig, (ax_whole, ax_pos) = plt.subplots(1, 2, figsize=(13, 4.3), gridspec_kw={"width_ratios": [2, 3]})
    ax_whole.plot(its, 100 * whole[shown])
    ax_whole.set(title=whole_label.capitalize(), xlabel="итерация", ylabel=whole_ylabel,
                 ylim=(-2, 102))
    ax_whole.grid(alpha=0.3)
    image = ax_pos.imshow(errors, origin="lower", aspect="auto", cmap="magma_r", vmin=0, vmax=vmax,
                          extent=(its[0] - step / 2, its[-1] + step / 2, -0.5, len(errors) - 0.5))
    ax_pos.set(title="Ошибки по разрядам", xlabel="итерация", ylabel=position_label,
               yticks=range(len(errors)))
    fig.colorbar(image, ax=ax_pos, label="неверных бит, %")
    if mark is not None:
        mark = real("mark", mark)
        shown_mark = number(int(mark)) if mark.is_integer() else number(mark)
        ax_whole.axvline(mark, color="tab:green", linestyle="--", label=f"{mark_label}: {shown_mark}")
        ax_pos.axvline(mark, color="tab:green", linestyle="--")
        ax_whole.legend(loc="center left")
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------ carries and carry chains


def carries(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The true carries of a batch ``x`` of shape ``(..., T, 2)``: arriving at each position
    (``κ_{t-1}``, 0 at position 0) and leaving it (``κ_t``), both of shape ``(..., T)``, 0/1 floats."""
    x = np.asarray(x)
    if x.ndim < 2 or x.shape[-1] != 2:
        raise ValueError(f"x must hold pairs of bits, shape (..., T, 2); got shape {x.shape}")
    a, b = x[..., 0] >= 0.5, x[..., 1] >= 0.5
    carry_in = np.zeros(a.shape, dtype=bool)
    carry_out = np.zeros(a.shape, dtype=bool)
    carry = np.zeros(a.shape[:-1], dtype=bool)
    for t in range(a.shape[-1]):
        carry_in[..., t] = carry
        carry = (a[..., t] & b[..., t]) | (carry & (a[..., t] ^ b[..., t]))
        carry_out[..., t] = carry
    return carry_in.astype(np.float64), carry_out.astype(np.float64)


def longest_carry_chain(x: np.ndarray) -> np.ndarray:
    """The longest run of *propagate* positions (``a_t ≠ b_t`` with an arriving carry) in each example
    of ``x`` ``(..., T, 2)``: the number of steps the net must carry the carry in its state alone.
    Where ``a_t = b_t = 1`` the carry is generated anew from the input, which ends a run."""
    x = np.asarray(x)
    carry_in, _ = carries(x)
    propagate = ((x[..., 0] >= 0.5) != (x[..., 1] >= 0.5)) & (carry_in > 0)
    run = np.zeros(propagate.shape[:-1], dtype=np.int64)
    longest = np.zeros_like(run)
    for t in range(propagate.shape[-1]):
        run = np.where(propagate[..., t], run + 1, 0)
        longest = np.maximum(longest, run)
    return longest


def chain_pairs(length: int, count: int, width: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``count`` random pairs ``a, b < 2**(width-1)`` whose longest carry chain is exactly ``length``.

    A carry is generated at a random position ``g`` (``a_g = b_g = 1``), followed by ``length``
    propagate positions (``a ≠ b``, which of the two is 1 drawn at random); every other bit is random,
    and pairs whose random bits make a longer chain elsewhere are drawn again.
    """
    width, length, count = _check_width(width), positive_int("length", length), positive_int("count", count)
    if length > width - 2:
        raise ValueError(f"a chain of {length} needs width >= {length + 2} (a generating position, the chain, "
                         f"and the top bit for the sum), got width {width}")
    a_out, b_out, have = [], [], 0
    while have < count:
        batch = max(2 * (count - have), 64)
        a = rng.integers(0, 2, size=(batch, width))
        b = rng.integers(0, 2, size=(batch, width))
        a[:, -1] = b[:, -1] = 0                              # the sum fits width bits
        start = rng.integers(0, width - 1 - length, size=batch)
        rows = np.arange(batch)
        a[rows, start] = b[rows, start] = 1                  # generate
        for offset in range(1, length + 1):                  # propagate: exactly one of the two is 1
            one = rng.integers(0, 2, size=batch)
            a[rows, start + offset], b[rows, start + offset] = one, 1 - one
        bits = np.stack([a, b], axis=-1)
        keep = longest_carry_chain(bits) == length
        a_out.append(bits_to_int(a[keep]))
        b_out.append(bits_to_int(b[keep]))
        have += int(keep.sum())
    return np.concatenate(a_out)[:count], np.concatenate(b_out)[:count]


# ------------------------------------------------------------------ the lecture's training, for the sweep


def loss_and_grads(params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray, loss: str = "bce"):
    """The lecture's hand-written BPTT for one example ``x (T, 2)``, ``y (T, 1)``: the same arithmetic as
    its ``teach`` cell (the tests check they agree bit for bit), so the shipped sweep runs the lecture's code.
    Returns the loss summed over the bits ("bce" or "mse": half the squared error), the gradients and ŷ."""
    steps, hidden = len(x), params["Whh"].shape[0]
    h = np.zeros((steps + 1, hidden))
    y_hat = np.zeros((steps, 1))
    for t in range(steps):
        h[t + 1] = sigmoid(x[t] @ params["Wxh"] + h[t] @ params["Whh"] + params["bh"])
        y_hat[t] = sigmoid(h[t + 1] @ params["Why"] + params["by"])
    if loss == "bce":
        value = -np.sum(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat))
        d_logit = y_hat - y
    elif loss == "mse":
        value = 0.5 * np.sum((y_hat - y) ** 2)
        d_logit = (y_hat - y) * y_hat * (1 - y_hat)
    else:
        raise ValueError(f"loss must be 'bce' or 'mse', got {loss!r}")
    grads = {name: np.zeros_like(weight) for name, weight in params.items()}
    dq_next = np.zeros(hidden)
    for t in reversed(range(steps)):
        dz = d_logit[t]
        grads["Why"] += np.outer(h[t + 1], dz)
        grads["by"] += dz
        dh = dz @ params["Why"].T + dq_next @ params["Whh"].T
        dq = dh * h[t + 1] * (1 - h[t + 1])
        grads["Wxh"] += np.outer(x[t], dq)
        grads["Whh"] += np.outer(h[t], dq)
        grads["bh"] += dq
        dq_next = dq
    return value, grads, y_hat


def watch_set(seed: int, count: int = 1024, max_value: int = 128, width: int = 8):
    """The fixed random pairs the lecture checks the net on during training: ``(x, y)``."""
    pairs = np.random.default_rng(seed).integers(0, max_value, size=(2, count))
    return encode_pairs(*pairs, width)


def settled_at(right: Sequence[bool], checks: Sequence[int]) -> int | None:
    """The first check from which on ``right`` holds at every later check (the *last* crossing, so a
    relapse does not count as learned); None if it does not hold at the last check."""
    right = np.asarray(right, dtype=bool)
    wrong = np.flatnonzero(~right)
    if len(wrong) and wrong[-1] == len(right) - 1:
        return None
    return int(checks[wrong[-1] + 1 if len(wrong) else 0])


def silenced_forward(params: dict[str, np.ndarray], x: np.ndarray, units: Sequence[int] = ()):
    """:func:`forward_batch` with the hidden ``units`` held at 0 at every step (an ablation: they reach
    neither the output nor the next step)."""
    hidden = check_params(params)
    units = _hidden_units(units, hidden)
    batch, steps, _ = x.shape
    states = np.empty((batch, steps, hidden))
    h = np.zeros((batch, hidden))
    for t in range(steps):
        h = sigmoid(x[:, t] @ params["Wxh"] + h @ params["Whh"] + params["bh"])
        h[:, units] = 0.0
        states[:, t] = h
    return states, sigmoid(states @ params["Why"] + params["by"])


def _hidden_units(units, hidden: int) -> list[int]:
    units = [int(u) for u in units]
    if any(not 0 <= u < hidden for u in units):
        raise ValueError(f"units must be hidden units 0..{hidden - 1}, got {units}")
    return units


def recurrence_cut_forward(params: dict[str, np.ndarray], x: np.ndarray, units: Sequence[int] = (),
                           fill=None):
    """:func:`forward_batch` with only the **recurrent path** of the hidden ``units`` cut: the carried
    state ``h_{t-1}`` of those units that feeds ``W_hh`` is replaced by ``fill`` (one value per unit, e.g.
    its mean activation; ``None``: 0) at every step ``t >= 1``. The units still reach the output on their
    own step, and ``h_{-1} = 0`` stays as it is (position 0 receives no carry)."""
    hidden = check_params(params)
    units = _hidden_units(units, hidden)
    fill = np.zeros(len(units)) if fill is None else np.broadcast_to(np.asarray(fill, dtype=float),
                                                                      (len(units),))
    batch, steps, _ = x.shape
    states = np.empty((batch, steps, hidden))
    h = np.zeros((batch, hidden))
    for t in range(steps):
        carried = h.copy()
        if t > 0:
            carried[:, units] = fill
        h = sigmoid(x[:, t] @ params["Wxh"] + carried @ params["Whh"] + params["bh"])
        states[:, t] = h
    return states, sigmoid(states @ params["Why"] + params["by"])


def bit_error_by_position(params, x, y, units: Sequence[int] = (), *, fill="mean") -> np.ndarray:
    """The share of wrong output bits at each position over the batch, with the recurrent path of
    ``units`` cut (:func:`recurrence_cut_forward`): their carried state is replaced by the unit's mean
    activation over ``x`` in the intact net (``fill="mean"``, mean-ablation), by 0 (``fill=0``) or by
    the given values."""
    units = _hidden_units(units, check_params(params))
    if isinstance(fill, str):
        if fill != "mean":
            raise ValueError(f"fill must be 'mean', a number or one value per unit, got {fill!r}")
        states, _ = forward_batch(params, x)
        fill = states.reshape(-1, states.shape[-1]).mean(axis=0)[units]
    _, probs = recurrence_cut_forward(params, x, units, fill)
    return ((probs[..., 0] >= 0.5) != (y[..., 0] >= 0.5)).mean(axis=0)


def carry_correlation(params, x) -> np.ndarray:
    """Pearson correlation of each hidden unit's activation with the leaving carry ``κ_t`` over ``x``."""
    states, _ = forward_batch(params, x)
    _, carry_out = carries(x)
    flat, target = states.reshape(-1, states.shape[-1]), carry_out.ravel()
    flat = flat - flat.mean(axis=0)
    target = target - target.mean()
    spread = np.sqrt((flat ** 2).sum(axis=0) * (target ** 2).sum())
    return np.divide(flat.T @ target, spread, out=np.zeros(flat.shape[1]), where=spread > 0)


def state_map(params, x_step, start: np.ndarray, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Iterate ``h ← σ(x W_xh + h W_hh + b_h)`` with the same input ``x_step`` for ``steps`` steps from
    ``start`` (one state or a batch): the states ``(steps, ..., H)`` and the outputs ``(steps, ...)``."""
    h = np.asarray(start, dtype=float)
    x_step = np.asarray(x_step, dtype=float)
    states, outputs = [], []
    for _ in range(positive_int("steps", steps)):
        h = sigmoid(x_step @ params["Wxh"] + h @ params["Whh"] + params["bh"])
        states.append(h)
        outputs.append(sigmoid(h @ params["Why"] + params["by"])[..., 0])
    return np.array(states), np.array(outputs)


def carry_states(params) -> np.ndarray:
    """Two states after the first position: with a carry (input 1+1) and without (0+0), shape (2, H)."""
    return sigmoid(np.array([[1.0, 1.0], [0.0, 0.0]]) @ params["Wxh"] + params["bh"])


def train_sgd(loss: str, lr: float, seed: int, *, hidden: int = 16, width: int = 8, max_value: int = 128,
              iterations: int = 10_000, eval_every: int = 50, watch=None, saturation: float = 0.05):
    """The lecture's training: SGD on one random pair per iteration, checked every ``eval_every`` on
    the watched pairs ``watch = (x, y)``. One seed gives one start and one stream of pairs.

    Returns the trained parameters and a log of numpy arrays per check: ``iteration``, ``right_sums``
    (watched sums right in every bit), ``bit_error`` (share of wrong bits per position), ``wrong_bits``
    and ``saturated_wrong`` (wrong bits whose output has ŷ(1−ŷ) < ``saturation``: confident and wrong),
    ``wrong_slope`` (the mean ŷ(1−ŷ) over the wrong bits, NaN when none is wrong).
    """
    if watch is None:
        raise ValueError("train_sgd needs the watched pairs: watch=watch_set(seed)")
    x_watch, y_watch = watch
    rng = np.random.default_rng(seed)
    params = init_params(hidden, rng)
    log = {"iteration": [], "right_sums": [], "bit_error": [], "wrong_bits": [], "saturated_wrong": [],
           "wrong_slope": []}
    for it in range(1, iterations + 1):
        a, b = rng.integers(0, max_value, size=2)
        x, y = encode_pairs(a, b, width)
        _, grads, _ = loss_and_grads(params, x, y, loss)
        for name in params:
            params[name] -= lr * grads[name]
        if it % eval_every == 0:
            _, probs = forward_batch(params, x_watch)
            p = probs[..., 0]
            wrong = (p >= 0.5) != (y_watch[..., 0] >= 0.5)
            log["iteration"].append(it)
            log["right_sums"].append(int((~wrong.any(axis=1)).sum()))
            log["bit_error"].append(wrong.mean(axis=0))
            log["wrong_bits"].append(int(wrong.sum()))
            slope = p * (1 - p)                   # the factor MSE's gradient carries and BCE's does not
            log["saturated_wrong"].append(int((wrong & (slope < saturation)).sum()))
            log["wrong_slope"].append(float(slope[wrong].mean()) if wrong.any() else None)
    return params, {key: np.array(values, dtype=float if key == "wrong_slope" else None)
                    for key, values in log.items()}


def loss_comparison_run(config: dict, seed: int) -> dict:
    """One run of the shipped BCE/MSE sweep: :func:`train_sgd` with ``config['loss']`` at ``config['lr']``,
    then the trained net measured: carry chains up to 30 positions, the state map with input (1, 0) from
    both carry states (and with input (0, 1)), and an ablation of the recurrent path of its two units most
    correlated with the carry.

    Plain numbers only (see :mod:`lecture_utils.experiments`); deterministic given the seed.
    """
    width, max_value = config["width"], config["max_value"]
    watch = watch_set(config["watch_seed"], config["watch_pairs"], max_value, width)
    params, log = train_sgd(config["loss"], config["lr"], seed, hidden=config["hidden"], width=width,
                            max_value=max_value, iterations=config["iterations"],
                            eval_every=config["eval_every"], watch=watch, saturation=config["saturation"])
    checks = log["iteration"]
    learned = settled_at(log["right_sums"] == config["watch_pairs"], checks)
    before = checks < (learned or config["iterations"] + 1)
    result = {
        "converged_at": learned,
        "right_sums": log["right_sums"].tolist(),
        "wrong_bits": log["wrong_bits"].tolist(),
        "saturated_wrong": log["saturated_wrong"].tolist(),
        "wrong_slope": [None if np.isnan(v) else round(float(v), 6) for v in log["wrong_slope"]],
        "position_settled_at": [settled_at(errors < config["position_level"], checks)
                                for errors in log["bit_error"].T],
        "position_error_before": [round(float(e), 6) for e in
                                  (log["bit_error"][before].mean(axis=0) if before.any()
                                   else np.zeros(width))],
    }
    # carry chains: accuracy against the longest chain in the pair
    chain_rng = np.random.default_rng(config["chain_seed"])
    result["chain_accuracy"] = [
        addition_accuracy(params, *chain_pairs(k, config["chain_pairs"], config["chain_width"], chain_rng),
                          config["chain_width"])
        for k in range(1, config["chain_width"] - 1)]
    # the state map with input (1, 0): does each carry state stay where it is?
    # (and the same with input (0, 1): a carry chain passes through both)
    for suffix, x_step in (("", [1.0, 0.0]), ("_01", [0.0, 1.0])):
        states, outputs = state_map(params, x_step, carry_states(params), config["map_steps"])
        result["map_distance_end" + suffix] = float(np.linalg.norm(states[-1, 0] - states[-1, 1]))
        result["map_change_end" + suffix] = float(np.abs(states[-1] - states[-2]).max())
        result["map_right_steps" + suffix] = [
            int(np.argmin(np.r_[outputs[:, 0] < 0.5, False])),    # carry: sum bit 0
            int(np.argmin(np.r_[outputs[:, 1] >= 0.5, False]))]   # no carry: sum bit 1
    # ablation: cut the recurrent path of the two units most correlated with the carry (their carried
    # state feeding W_hh replaced by the unit's mean activation), and of pairs of other units
    x_all, y_all = encode_pairs(*(g.ravel() for g in np.meshgrid(np.arange(max_value), np.arange(max_value))),
                                width)
    corr = carry_correlation(params, x_all)
    carry_units = [int(u) for u in np.argsort(-np.abs(corr))[:2]]
    others = [u for u in range(config["hidden"]) if u not in carry_units]
    control_rng = np.random.default_rng(config["chain_seed"] + seed)
    controls = [control_rng.choice(others, size=2, replace=False) for _ in range(config["control_pairs"])]
    result["carry_units"] = carry_units
    result["carry_unit_r"] = [round(float(corr[u]), 6) for u in carry_units]
    result["error_intact"] = bit_error_by_position(params, x_all, y_all).tolist()
    result["error_carry_cut"] = bit_error_by_position(params, x_all, y_all, carry_units).tolist()
    result["error_others_cut"] = np.mean(
        [bit_error_by_position(params, x_all, y_all, units) for units in controls], axis=0).tolist()
    return result


LOSS_CONFIGS = (
    {"loss": "bce", "lr": 0.1},
    {"loss": "mse", "lr": 0.1},
    {"loss": "mse", "lr": 0.4},
    {"loss": "bce", "lr": 0.025},
)
"""BCE and MSE at the lecture's learning rate 0.1, and each at the step that matches the other: MSE's
gradient is BCE's times ŷ(1−ŷ) ≤ 1/4, step by step, so each step's term of MSE's gradient at 0.4 is at
most BCE's at 0.1, and BCE's at 0.025 at least MSE's at 0.1."""

LOSS_SETTINGS = {"hidden": 16, "width": 8, "max_value": 128, "iterations": 10_000, "eval_every": 50,
                 "watch_seed": 44, "watch_pairs": 1024, "saturation": 0.05, "position_level": 0.05,
                 "chain_seed": 2024, "chain_pairs": 300, "chain_width": 32, "map_steps": 100,
                 "control_pairs": 10}
"""The lecture's protocol (16 units, pairs below 128, 10,000 iterations, a check every 50 on the 1,024
pairs drawn with seed 44) and the measurements of the trained net: chains of 1..30 propagate positions
in 32-bit pairs (300 pairs per length), 100 steps of the state map, 10 control pairs of units whose
recurrent path is cut."""

SWEEPS = [Sweep(lecture=3, name="loss_step", function="lecture_utils.l03_binary_adder:loss_comparison_run",
                configs=LOSS_CONFIGS, seeds=tuple(range(10)), fixed=LOSS_SETTINGS)]
