"""Binary addition with an RNN: bit encoding and a batched forward pass.

Numbers are fed to the network least significant bit first, so that the carry
only ever flows forward in time. The lecture writes its single-example forward
pass and BPTT by hand; this module holds the batched forward pass used to
evaluate a trained network on many pairs at once (the tests check that both
compute the same thing).

Parameters are a dict with the names of the theory lecture:
``s_t = σ(x_t U + s_{t-1} W + b)``, ``ŷ_t = σ(s_t V + c)``.
"""
from __future__ import annotations

import numpy as np


def int_to_bits(values, width: int) -> np.ndarray:
    """Integers -> bits, least significant first: shape ``(..., width)``, dtype float64.

    Raises ``ValueError`` for negative numbers, numbers that need more than ``width`` bits
    and floats that are not whole (2.7 is not truncated to 2); ``TypeError`` for
    anything else that is not an integer (strings, booleans).
    """
    if not isinstance(width, (int, np.integer)) or not 1 <= width <= 62:
        raise ValueError(f"width must be an integer in 1..62 (bits of an int64), got {width!r}")
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


def bits_to_int(bits) -> np.ndarray:
    """Bits (least significant first, last axis) -> integers; values >= 0.5 count as 1."""
    bits = np.asarray(bits) >= 0.5
    return (bits.astype(np.int64) << np.arange(bits.shape[-1])).sum(axis=-1)


def encode_pairs(a, b, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs ``x`` of shape ``(..., width, 2)`` (bits of a and b) and targets ``(..., width, 1)`` (bits of a+b)."""
    a, b = np.asarray(a), np.asarray(b)
    x = np.stack([int_to_bits(a, width), int_to_bits(b, width)], axis=-1)
    y = int_to_bits(a + b, width)[..., None]
    return x, y


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def init_params(hidden: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Weights uniform in [-1, 1) (as in the classic version of this demo), zero biases."""
    return {
        "U": rng.uniform(-1, 1, (2, hidden)),
        "W": rng.uniform(-1, 1, (hidden, hidden)),
        "V": rng.uniform(-1, 1, (hidden, 1)),
        "b": np.zeros(hidden),
        "c": np.zeros(1),
    }


def forward_batch(params: dict[str, np.ndarray], x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Run the RNN over a batch ``x`` of shape ``(B, T, 2)``.

    Returns the hidden states ``(B, T, H)`` and the output probabilities ``(B, T, 1)``.
    The sequence length is free: a net trained on 8 bits can be run on 32.
    """
    batch, steps, _ = x.shape
    hidden = params["W"].shape[0]
    states = np.empty((batch, steps, hidden))
    s = np.zeros((batch, hidden))
    for t in range(steps):
        s = sigmoid(x[:, t] @ params["U"] + s @ params["W"] + params["b"])
        states[:, t] = s
    return states, sigmoid(states @ params["V"] + params["c"])


def addition_accuracy(params: dict[str, np.ndarray], a, b, width: int) -> float:
    """Share of pairs whose every output bit is right (the whole sum, not single bits)."""
    x, y = encode_pairs(a, b, width)
    _, probs = forward_batch(params, x)
    return float(np.mean(bits_to_int(probs[..., 0]) == bits_to_int(y[..., 0])))
