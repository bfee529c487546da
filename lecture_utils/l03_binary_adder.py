"""Lecture 03: binary addition with an RNN -- bit encoding, a batched forward pass, the training figure.

Numbers are fed to the network least significant bit first, so that the carry
only ever flows forward in time. The lecture writes its single-example forward
pass and BPTT by hand; this module holds the batched forward pass used to
evaluate a trained network on many pairs at once (the tests check that both
compute the same thing).

Parameters are a dict with the names of the theory lecture:
``s_t = σ(x_t U + s_{t-1} W + b)``, ``ŷ_t = σ(s_t V + c)``.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .checks import positive, positive_int, real, short

PARAMETER_NAMES = ("U", "W", "V", "b", "c")


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
        "U": rng.uniform(-1, 1, (2, hidden)),
        "W": rng.uniform(-1, 1, (hidden, hidden)),
        "V": rng.uniform(-1, 1, (hidden, 1)),
        "b": np.zeros(hidden),
        "c": np.zeros(1),
    }


def check_params(params) -> int:
    """The hidden size of ``params``, or an error naming the missing or misshapen parameter."""
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict with {', '.join(PARAMETER_NAMES)}, got {type(params).__name__}")
    missing = [name for name in PARAMETER_NAMES if name not in params]
    if missing:
        raise ValueError(f"params lacks {missing}: expected {', '.join(PARAMETER_NAMES)} (see init_params)")
    shapes = {name: np.shape(params[name]) for name in PARAMETER_NAMES}
    hidden = shapes["W"][0] if len(shapes["W"]) == 2 else -1
    outputs = shapes["V"][1] if len(shapes["V"]) == 2 else -1
    inputs = shapes["U"][0] if len(shapes["U"]) == 2 else -1
    expected = {"U": (inputs, hidden), "W": (hidden, hidden), "V": (hidden, outputs), "b": (hidden,),
                "c": (outputs,)}
    if hidden < 1 or outputs < 1 or inputs < 1 or shapes != expected:
        raise ValueError(f"params have shapes {shapes}; with U (inputs, H) they must be U (inputs, H), W (H, H), "
                         "V (H, outputs), b (H,), c (outputs,)")
    return hidden


def forward_batch(params: dict[str, np.ndarray], x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Run the RNN over a batch ``x`` of shape ``(B, T, 2)``.

    Returns the hidden states ``(B, T, H)`` and the output probabilities ``(B, T, 1)``.
    The sequence length is free: a net trained on 8 bits can be run on 32.
    """
    hidden = check_params(params)
    x = np.asarray(x)
    if x.ndim != 3 or x.shape[2] != params["U"].shape[0]:
        raise ValueError(f"x must be a batch of shape (B, T, {params['U'].shape[0]}), got shape {x.shape}"
                         + (": one example of (T, 2)? pass x[None]" if x.ndim == 2 else ""))
    if x.dtype.kind not in "biuf":
        raise TypeError(f"x must hold numbers (bits), got an array of {x.dtype}")
    batch, steps, _ = x.shape
    states = np.empty((batch, steps, hidden))
    s = np.zeros((batch, hidden))
    for t in range(steps):
        s = sigmoid(x[:, t] @ params["U"] + s @ params["W"] + params["b"])
        states[:, t] = s
    return states, sigmoid(states @ params["V"] + params["c"])


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
                                 position_label: str = "разряд (0 — младший)", vmax: float = 60):
    """Training of a sequence-to-sequence net seen two ways, side by side.

    Left: the share of outputs right at every position, as a line over ``iterations``.
    Right: ``position_error`` (checks x positions, shares 0..1) as a heatmap with
    a labelled colour bar, one row per position, so one sees which positions are
    learned first. ``until`` cuts both panels at that iteration.
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
    ax_whole.set(title=whole_label.capitalize(), xlabel="итерация", ylabel="доля примеров, %",
                 ylim=(-2, 102))
    ax_whole.grid(alpha=0.3)
    image = ax_pos.imshow(errors, origin="lower", aspect="auto", cmap="magma_r", vmin=0, vmax=vmax,
                          extent=(its[0] - step / 2, its[-1] + step / 2, -0.5, len(errors) - 0.5))
    ax_pos.set(title="Ошибки по разрядам", xlabel="итерация", ylabel=position_label,
               yticks=range(len(errors)))
    fig.colorbar(image, ax=ax_pos, label="неверных бит, %")
    fig.tight_layout()
    return fig
