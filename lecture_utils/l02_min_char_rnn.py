"""Lecture 02: min-char-rnn in numpy -- the fast twins of the lecture's readable code.

* :class:`NumpyRNN`, :class:`NumpyLSTM` -- character-level vanilla RNN and LSTM, vectorised
  where the math allows it;
* :class:`Adagrad`, :class:`CharTrainer` -- min-char-rnn's training loop over B tracks of a text;
* :func:`sample_ids`, :func:`sample_text` -- sampling with temperature;
* :func:`grad_check` -- the numerical gradient check;
* :func:`training_curve` and ``SWEEPS`` -- the shipped runs (learning rates; RNN and LSTM over the
  text the source read), raw losses averaged per window (:func:`window_means`) and smoothed with the
  source's memory counted in characters (:func:`source_smoothing`); :func:`spread` prints them.

The math is min-char-rnn's (Karpathy): ``h_t = tanh(Wxh x_t + Whh h_{t-1} + bh)``,
the logits ``z_t = Why h_t + by`` (Karpathy's ``y``), softmax cross-entropy summed over the sequence. What is
vectorised, where the math allows it:

* ``Wxh x_t`` for a one-hot ``x_t`` is column ``x_t`` of ``Wxh``: a lookup of
  all time steps at once, no one-hot matrices;
* the output layer, the softmax and its gradient run on all time steps in one
  matrix product (they do not depend on each other);
* the weight gradients are one product over all time steps, after the time loop;
* buffers are allocated once per input shape and reused.

Only the recurrences themselves (``h_{t-1} -> h_t`` forward, ``dh_t -> dh_{t-1}``
backward) remain Python loops. Inputs may be one sequence ``(T,)`` or a batch
``(B, T)`` of independent streams; the loss is summed over time and averaged
over the batch, so one stream gives exactly min-char-rnn's numbers.

Parameter names and shapes follow min-char-rnn (column vectors): ``Wxh`` is
``(hidden, vocab)``, ``Why`` is ``(vocab, hidden)``. The gradients returned by
:meth:`loss_and_grads` live in reused buffers: copy them to keep them.
"""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .checks import non_negative, non_negative_int, optional_positive_int, positive, positive_int, short
from .experiments import Sweep, median_iqr
from .formatting import number
from .progress import progress
from .sequences import cut_into_tracks
from .text import Vocab


class NumpyCharModel:
    """What the RNN and the LSTM share: parameters, the softmax output layer, clipping."""

    def __init__(self, shapes: dict[str, tuple[int, ...]], dtype=np.float64):
        if np.dtype(dtype).kind != "f":
            raise TypeError(f"dtype must be a floating-point type (float64, float32), got {np.dtype(dtype)}")
        # All parameters are views into one flat vector, and all gradients into another:
        # Adagrad and clipping then take a handful of array operations, not one per matrix.
        # Assign in place (``model.params["Whh"][...] = W``) to keep the views.
        self.shapes = shapes
        size = sum(int(np.prod(shape)) for shape in shapes.values())
        self.theta, self.dtheta = np.zeros(size, dtype), np.zeros(size, dtype)
        self.params, self.grads = self.unflatten(self.theta), self.unflatten(self.dtheta)
        self.vocab_size, self.hidden_size = shapes["Why"]
        self.dtype = np.dtype(dtype)
        self.touched_inputs = np.arange(self.vocab_size)  # rows of Wxh.T with a nonzero gradient
        self._shape = None

    def unflatten(self, vector: np.ndarray) -> dict[str, np.ndarray]:
        """Views of a flat vector laid out like ``theta``, one per parameter.

        ``Wxh`` comes first and is stored transposed, one row per character: the
        lookup of input columns reads contiguous rows, and the optimizer can
        update just the rows of the characters a chunk contains.
        """
        views, start = {}, 0
        for name, shape in self.shapes.items():
            block = vector[start:start + int(np.prod(shape))]
            views[name] = block.reshape(shape[::-1]).T if name == "Wxh" else block.reshape(shape)
            start += block.size
        return views

    def set_params(self, params: dict[str, np.ndarray]) -> None:
        """Copy parameters in (e.g. the lecture's hand-made ones); all or nothing.

        Every name and shape is checked before anything is copied, so parameters
        of another model (other sizes, an RNN's for an LSTM) leave this one untouched.
        """
        if set(params) != set(self.params):
            raise ValueError(f"expected parameters {sorted(self.params)}, got {sorted(params)}")
        for name, value in params.items():
            if np.shape(value) != self.params[name].shape:
                raise ValueError(f"{name}: expected shape {self.params[name].shape}, got {np.shape(value)}")
        for name, value in params.items():
            self.params[name][...] = value

    def _init_weights(self, rng: np.random.Generator, scale: float) -> None:
        """min-char-rnn's initialisation: small Gaussian weights, zero biases."""
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy Generator (np.random.default_rng(seed)), got {short(rng)}")
        scale = non_negative("scale", scale)
        for name, p in self.params.items():
            if name.startswith("W"):
                p[...] = rng.standard_normal(p.shape) * scale

    def loss_and_grads(self, inputs, targets, state, clip: float | None = 5.0):
        """Loss over the sequence(s), gradients of every parameter, and the last state.

        ``inputs``/``targets``: ids of shape ``(T,)`` or ``(B, T)``; ``state`` as from
        :meth:`zero_state` (``(B, H)`` arrays; ``(1, H)`` or ``(H,)`` start every stream
        from the same state). Gradients are clipped elementwise to ``[-clip, clip]``
        (``clip=None`` for the exact gradient, as a gradient check needs).
        """
        if clip is not None:
            clip = positive("clip", clip)  # a negative clip would turn every gradient into -clip
        inputs, targets = np.atleast_2d(inputs), np.atleast_2d(targets)
        if inputs.shape != targets.shape or inputs.ndim != 2 or inputs.size == 0:
            raise ValueError(f"inputs and targets must be ids of one shape, (T,) or (B, T) with T >= 1; "
                             f"got {inputs.shape} and {targets.shape}")
        if inputs.dtype.kind not in "iu" or targets.dtype.kind not in "iu":
            raise TypeError(f"ids must be integers; got inputs of {inputs.dtype}, targets of {targets.dtype}")
        # An id of V or -1 would silently read a neighbouring row of the weights and give a
        # wrong but finite loss. One min and max per array cost a few microseconds per call.
        if inputs.min() < 0 or targets.min() < 0 or inputs.max() >= self.vocab_size \
                or targets.max() >= self.vocab_size:
            raise ValueError(f"ids must lie in [0, {self.vocab_size}) for this model; got inputs "
                             f"{inputs.min()}..{inputs.max()}, targets {targets.min()}..{targets.max()}")
        self.check_state(state, inputs.shape[0])
        if inputs.shape != self._shape:  # new shape: new buffers, reused while it stays the same
            self._shape = inputs.shape
            T, B = inputs.shape[::-1]
            self._probs = np.empty((T * B, self.vocab_size), self.dtype)
            self._dh = np.empty((T, B, self.hidden_size), self.dtype)
            self._allocate(T, B)
        columns = inputs.T  # (T, B): time-major, so each time step is one row block
        hs = self._forward(columns, state)
        loss, dh = self._output_layer(hs, targets.T)
        new_state = self._backward(columns, dh)
        if clip is not None:
            np.clip(self.dtheta, -clip, clip, out=self.dtheta)
        return loss, self.grads, new_state

    def _output_layer(self, hs: np.ndarray, targets: np.ndarray):
        """Softmax cross-entropy on all time steps at once; returns the loss and dL/dh."""
        T, B, H = hs.shape
        flat_h = hs.reshape(T * B, H)
        scores = np.dot(flat_h, self.params["Why"].T, out=self._probs)
        scores += self.params["by"]
        scores -= scores.max(axis=1, keepdims=True)  # softmax is shift-invariant; exp cannot overflow
        probs = np.exp(scores, out=scores)
        probs /= probs.sum(axis=1, keepdims=True)
        target_entries = np.arange(0, probs.size, self.vocab_size) + targets.ravel()  # in probs.ravel()
        flat_probs = probs.reshape(-1)
        loss = float(-np.log(flat_probs[target_entries]).sum() / B)
        dy = probs  # dL/dscores = p - onehot(target), averaged over the batch
        flat_probs[target_entries] -= 1
        if B > 1:
            dy /= B
        np.dot(dy.T, flat_h, out=self.grads["Why"])
        dy.sum(axis=0, out=self.grads["by"])
        np.dot(dy, self.params["Why"], out=self._dh.reshape(T * B, H))
        return loss, self._dh

    def _input_gradient(self, columns: np.ndarray, dpre: np.ndarray) -> None:
        """dWxh for ``Wxh x_t`` with one-hot ``x_t``: each step's gradient goes to column ``x_t``.

        One ``bincount`` sums every step's row into the row of its character
        (steps that read the same character add up), in the order of the steps.
        """
        ids, rows = columns.ravel(), dpre.reshape(columns.size, -1)
        width = rows.shape[1]
        flat = (ids[:, None] * width + np.arange(width)).ravel()
        sums = np.bincount(flat, weights=rows.ravel(), minlength=self.vocab_size * width)
        self.grads["Wxh"].T[...] = sums.reshape(self.vocab_size, width)  # .T: one row per character
        self.touched_inputs = np.flatnonzero(np.bincount(ids, minlength=self.vocab_size))

    def step(self, ids: np.ndarray, state):
        """One time step for sampling: ids ``(B,)`` -> scores ``(B, V)`` and the next state."""
        raise NotImplementedError

    STATE_PARTS: tuple[str, ...] = ("h",)
    """The names of the arrays a state is made of (``h``; ``h`` and ``c`` for an LSTM)."""

    def check_state(self, state, batch_size: int) -> None:
        """Refuse a state that does not fit ``batch_size`` streams of this model, naming the shapes.

        Each part is ``(B, H)``, or ``(1, H)`` / ``(H,)``: one state every stream starts from.
        (Without this check numpy reports a broadcast error, or quietly broadcasts.)
        """
        parts = self.STATE_PARTS
        if len(parts) == 1:
            arrays = (state,)
            if isinstance(state, tuple):
                raise TypeError(f"the state of a {type(self).__name__} is one array h, got a tuple of "
                                f"{len(state)} (an LSTM's (h, c)?)")
        else:
            if not isinstance(state, (tuple, list)) or len(state) != len(parts):
                raise TypeError(f"the state of a {type(self).__name__} is a tuple ({', '.join(parts)}), got "
                                f"{type(state).__name__}: use zero_state(batch_size)")
            arrays = tuple(state)
        H = self.hidden_size
        for name, array in zip(parts, arrays):
            array = array if isinstance(array, np.ndarray) else np.asarray(array)
            if array.shape not in ((batch_size, H), (1, H), (H,)):
                raise ValueError(f"state {name} has shape {array.shape}, but {batch_size} stream(s) of this model "
                                 f"(hidden size {H}) need ({batch_size}, {H}) (or (1, {H}) / ({H},) for "
                                 f"one state shared by every stream); zero_state({batch_size}) gives one")
            if array.dtype.kind not in "fiu":
                raise TypeError(f"state {name} must hold numbers, got an array of {array.dtype}")

    def _zeros(self, batch_size: int) -> np.ndarray:
        return np.zeros((batch_size, self.hidden_size), self.dtype)

    def _scores(self, h: np.ndarray) -> np.ndarray:
        return h @ self.params["Why"].T + self.params["by"]

    def num_parameters(self) -> int:
        return sum(p.size for p in self.params.values())


class NumpyRNN(NumpyCharModel):
    """min-char-rnn: a vanilla tanh RNN over characters. State: ``h`` of shape ``(B, H)``."""

    def __init__(self, vocab_size: int, hidden_size: int, rng: np.random.Generator,
                 scale: float = 0.01, dtype=np.float64):
        H, V = positive_int("hidden_size", hidden_size), positive_int("vocab_size", vocab_size)
        super().__init__({"Wxh": (H, V), "Whh": (H, H), "Why": (V, H), "bh": (H,), "by": (V,)}, dtype)
        self._init_weights(rng, scale)

    def zero_state(self, batch_size: int = 1) -> np.ndarray:
        return self._zeros(batch_size)

    def _allocate(self, T: int, B: int) -> None:
        H = self.hidden_size
        self._hs = np.empty((T + 1, B, H), self.dtype)
        self._pre = np.empty((T, B, H), self.dtype)
        self._dpre = np.empty((T, B, H), self.dtype)
        self._dtanh = np.empty((T, B, H), self.dtype)
        # Per-step views, made once: with one stream the time loops are bound by Python
        # and numpy call overhead, not arithmetic (one stream gets 1-D vectors: a little
        # less overhead than (1, H) matrices). Hence also ``.dot`` methods, not np.dot,
        # and positional ``out`` arguments in the loops.
        steps = (lambda a: list(a[:, 0])) if B == 1 else list
        self._h_t, self._pre_t, self._dpre_t = steps(self._hs), steps(self._pre), steps(self._dpre)
        self._dh_t, self._dtanh_t = steps(self._dh), steps(self._dtanh)
        self._dh_next_t = steps(np.empty((1, B, H), self.dtype))[0]  # dL/dh_{t+1}, one step's worth

    def _forward(self, columns, h0):
        p, hs, pre = self.params, self._hs, self._pre
        hs[0] = h0
        np.take(p["Wxh"].T, columns, axis=0, out=pre)  # the columns of Wxh that one-hot inputs pick
        pre += p["bh"]
        h, pre, Whh_T, add, tanh = self._h_t, self._pre_t, p["Whh"].T, np.add, np.tanh
        for t in range(len(pre)):
            h[t].dot(Whh_T, out=h[t + 1])
            add(h[t + 1], pre[t], h[t + 1])
            tanh(h[t + 1], h[t + 1])
        return hs[1:]

    def _backward(self, columns, dh):
        p, hs, dpre = self.params, self._hs, self._dpre
        dtanh = np.multiply(hs[1:], hs[1:], out=self._dtanh)
        np.subtract(1, dtanh, out=dtanh)  # tanh' = 1 - h^2, for all steps at once
        # ``dh`` is ``self._dh`` (from the output layer): its per-step views were made in _allocate.
        dh, dpre_t, dtanh, dh_next = self._dh_t, self._dpre_t, self._dtanh_t, self._dh_next_t
        Whh, add, multiply = p["Whh"], np.add, np.multiply
        for t in reversed(range(len(dh))):
            if t < len(dh) - 1:
                add(dh[t], dh_next, dh[t])  # from the output at t and from h_{t+1}
            multiply(dh[t], dtanh[t], dpre_t[t])
            dpre_t[t].dot(Whh, out=dh_next)
        T, B, H = dpre.shape
        flat = dpre.reshape(T * B, H)
        np.dot(flat.T, hs[:-1].reshape(T * B, H), out=self.grads["Whh"])
        flat.sum(axis=0, out=self.grads["bh"])
        self._input_gradient(columns, dpre)
        return hs[-1].copy()

    def step(self, ids, h):
        h = np.tanh(self.params["Wxh"].T[ids] + h @ self.params["Whh"].T + self.params["bh"])
        return self._scores(h), h


class NumpyLSTM(NumpyCharModel):
    """An LSTM over characters. State: ``(h, c)``, each ``(B, H)``.

    The gate blocks are in torch's order (``torch.nn.LSTM``, lectures 01 and 05): input ``i``,
    forget ``f`` (sigmoids), candidate ``g`` (tanh), output ``o`` (sigmoid):
    ``a = Wxh x_t + Whh h_{t-1} + bh = [a_i; a_f; a_g; a_o]`` of size 4H (the lecture's notation),
    ``c_t = f*c_{t-1} + i*g``, ``h_t = o*tanh(c_t)``. So ``Wxh`` is torch's ``weight_ih_l0``,
    ``Whh`` its ``weight_hh_l0`` and ``bh`` the sum ``bias_ih_l0 + bias_hh_l0``, block for block.
    The forget-gate bias starts at 1 so that early on the cell remembers instead of forgetting.
    """

    STATE_PARTS = ("h", "c")

    DRAWN_ORDER = "ifog"
    """The block order in which the initial weights are drawn: the order this class used before it
    took torch's. The drawn blocks are moved to torch's order, so each gate gets the same random
    numbers as before and the shipped runs (``results/02_rnn_lstm.json``) repeat."""

    def __init__(self, vocab_size: int, hidden_size: int, rng: np.random.Generator,
                 scale: float = 0.01, dtype=np.float64):
        H, V = positive_int("hidden_size", hidden_size), positive_int("vocab_size", vocab_size)
        super().__init__({"Wxh": (4 * H, V), "Whh": (4 * H, H), "Why": (V, H), "bh": (4 * H,), "by": (V,)},
                         dtype)
        self._init_weights(rng, scale)
        drawn = {gate: slice(k * H, (k + 1) * H) for k, gate in enumerate(self.DRAWN_ORDER)}
        to_torch = np.r_[tuple(drawn[gate] for gate in "ifgo")]  # rows of the drawn blocks, in i, f, g, o
        for name in ("Wxh", "Whh"):
            self.params[name][...] = self.params[name][to_torch]
        self.params["bh"][H:2 * H] = 1.0  # b_f: the forget gate's block is the second in both orders
        self._drawn_rows = np.argsort(to_torch)  # torch's rows in the drawn order: see _backward

    def zero_state(self, batch_size: int = 1):
        return self._zeros(batch_size), self._zeros(batch_size)

    def _allocate(self, T: int, B: int) -> None:
        H = self.hidden_size
        self._hs = np.empty((T + 1, B, H), self.dtype)
        self._cs = np.empty((T + 1, B, H), self.dtype)
        self._tanh_c = np.empty((T, B, H), self.dtype)
        self._gates = np.empty((T, B, 4, H), self.dtype)  # activated i, f, g, o
        self._dz = np.empty((T, B, 4, H), self.dtype)     # dL/d(pre-activation)
        self._dc_factor = np.empty((T, B, 4, H), self.dtype)
        self._do_factor = np.empty((T, B, H), self.dtype)
        self._dh_to_dc = np.empty((T, B, H), self.dtype)
        self._dc = np.empty((B, H), self.dtype)
        self._dh_next = np.empty((B, H), self.dtype)
        self._dc_next = np.empty((B, H), self.dtype)
        self._dz_drawn = np.empty((B, 4 * H), self.dtype)

    @staticmethod
    def _sigmoid_(x: np.ndarray) -> None:
        """sigmoid in place, as (1 + tanh(x/2)) / 2: one ufunc pass, and no overflow of exp."""
        x *= 0.5
        np.tanh(x, out=x)
        x += 1
        x *= 0.5

    def _forward(self, columns, state):
        p, hs, cs, gates = self.params, self._hs, self._cs, self._gates
        hs[0], cs[0] = state
        pre = p["Wxh"].T[columns]
        pre += p["bh"]
        Whh_T = p["Whh"].T
        for t in range(len(columns)):
            z = gates[t].reshape(-1, 4 * self.hidden_size)
            np.dot(hs[t], Whh_T, out=z)
            z += pre[t]
            self._sigmoid_(gates[t, :, :2])  # i, f
            self._sigmoid_(gates[t, :, 3])   # o
            np.tanh(gates[t, :, 2], out=gates[t, :, 2])  # g
            i, f, g, o = gates[t, :, 0], gates[t, :, 1], gates[t, :, 2], gates[t, :, 3]
            np.multiply(f, cs[t], out=cs[t + 1])
            cs[t + 1] += i * g
            np.tanh(cs[t + 1], out=self._tanh_c[t])
            np.multiply(o, self._tanh_c[t], out=hs[t + 1])
        return hs[1:]

    def _backward(self, columns, dh):
        p, gates, cs, tanh_c, dz = self.params, self._gates, self._cs, self._tanh_c, self._dz
        i, f, g, o = (gates[:, :, k] for k in range(4))
        # Everything that does not depend on the recurrence, for all steps at once:
        # dz_i = dc*g*i(1-i), dz_f = dc*c_prev*f(1-f), dz_g = dc*i*(1-g^2), dz_o = dh*tanh(c)*o(1-o).
        dc_factor, do_factor, dh_to_dc = self._dc_factor, self._do_factor, self._dh_to_dc
        dc_factor[:, :, 0] = g * i * (1 - i)
        dc_factor[:, :, 1] = cs[:-1] * f * (1 - f)
        dc_factor[:, :, 2] = i * (1 - g ** 2)
        dc_factor[:, :, 3] = 0
        np.multiply(tanh_c, o * (1 - o), out=do_factor)
        np.multiply(o, 1 - tanh_c ** 2, out=dh_to_dc)
        dc, dh_next, dc_next = self._dc, self._dh_next, self._dc_next
        dh_next.fill(0)
        dc_next.fill(0)
        # dL/dh_{t-1} = dz_t @ Whh sums over the four blocks. The sum runs over them in the order the
        # weights were drawn (i, f, o, g), as before the blocks took torch's order: in float32 the order
        # of a sum changes its last bits, and the shipped runs repeat bit for bit only in this order.
        rows, dz_drawn = self._drawn_rows, self._dz_drawn
        Whh_drawn = p["Whh"][rows]
        for t in reversed(range(len(columns))):
            dh[t] += dh_next
            np.multiply(dh[t], dh_to_dc[t], out=dc)
            dc += dc_next
            np.multiply(dc[:, None, :], dc_factor[t], out=dz[t])
            np.multiply(dh[t], do_factor[t], out=dz[t, :, 3])
            np.take(dz[t].reshape(len(dc), -1), rows, axis=1, out=dz_drawn)
            np.dot(dz_drawn, Whh_drawn, out=dh_next)
            np.multiply(dc, f[t], out=dc_next)
        T, B, H = tanh_c.shape
        flat = dz.reshape(T * B, 4 * H)
        np.dot(flat.T, self._hs[:-1].reshape(T * B, H), out=self.grads["Whh"])
        flat.sum(axis=0, out=self.grads["bh"])
        self._input_gradient(columns, dz)
        return self._hs[-1].copy(), cs[-1].copy()

    def step(self, ids, state):
        h, c = state
        H = self.hidden_size
        z = self.params["Wxh"].T[ids] + h @ self.params["Whh"].T + self.params["bh"]
        i, f, o = (1 / (1 + np.exp(-z[:, k * H:(k + 1) * H])) for k in (0, 1, 3))
        c = f * c + i * np.tanh(z[:, 2 * H:3 * H])
        h = o * np.tanh(c)
        return self._scores(h), (h, c)


# --------------------------------------------------------------------------- training


class Adagrad:
    """``mem += g**2; param -= lr * g / sqrt(mem + eps)``, in place, as in min-char-rnn.

    Works on one array: the numpy models keep their parameters in one flat vector
    (``model.theta``, gradients in ``model.dtheta``), so :class:`CharTrainer` needs
    two optimizers, one for the rows of ``Wxh`` and one for everything else.
    """

    def __init__(self, param: np.ndarray, lr: float = 0.1, eps: float = 1e-8):
        self.lr, self.eps = positive("lr", lr), positive("eps", eps)
        self.memory = np.zeros_like(param)
        self._scratch = np.empty_like(param)

    def step(self, param: np.ndarray, grad: np.ndarray, rows: np.ndarray | None = None) -> None:
        """Update ``param`` in place; with ``rows``, only those rows (the others have zero gradient,
        so the dense update would leave them unchanged anyway)."""
        if rows is not None:
            g = grad[rows]
            memory = self.memory[rows] + g * g
            self.memory[rows] = memory
            param[rows] -= self.lr * g / np.sqrt(memory + self.eps)
            return
        scratch = self._scratch
        np.multiply(grad, grad, out=scratch)
        self.memory += scratch
        np.add(self.memory, self.eps, out=scratch)
        np.sqrt(scratch, out=scratch)
        np.divide(grad, scratch, out=scratch)
        scratch *= self.lr
        param -= scratch


class CharTrainer:
    """min-char-rnn's training loop: consecutive chunks of ``seq_length`` characters, the
    hidden state carried from chunk to chunk (reset at the end of the text), Adagrad,
    and the smoothed loss ``smooth = 0.999 * smooth + 0.001 * loss``.

    ``batch_size`` > 1 cuts the text into that many equal tracks read side by side:
    each update then sees ``batch_size`` chunks, and the loss stays "per chunk of
    ``seq_length`` characters" (averaged over the tracks), so it compares with
    min-char-rnn's. ``batch_size=1`` is min-char-rnn exactly.
    """

    def __init__(self, model: NumpyCharModel, data, seq_length: int = 25, lr: float = 0.1,
                 batch_size: int = 1, clip: float = 5.0):
        seq_length = positive_int("seq_length", seq_length)
        batch_size = positive_int("batch_size", batch_size)
        lr = positive("lr", lr)
        clip = None if clip is None else positive("clip", clip)  # clip <= 0 would freeze or reverse learning
        if not isinstance(model, NumpyCharModel):
            raise TypeError(f"CharTrainer trains a NumpyRNN or NumpyLSTM, not a {type(model).__name__}")
        data = np.asarray(data)
        if data.ndim != 1 or len(data) // batch_size < seq_length + 2:
            raise ValueError(f"need a 1-D array of ids with at least {batch_size * (seq_length + 2)} "
                             f"characters for batch_size={batch_size}, seq_length={seq_length}; "
                             f"got shape {data.shape}")
        if data.dtype.kind not in "iu":
            raise TypeError(f"data must be integer ids, got dtype {data.dtype}")
        if data.min() < 0 or data.max() >= model.vocab_size:
            raise ValueError(f"ids must lie in [0, {model.vocab_size}) for this model; "
                             f"got {data.min()}..{data.max()}")
        self.tracks = cut_into_tracks(data, batch_size)
        self.model, self.seq_length, self.clip = model, seq_length, clip
        # Wxh (stored as one row per character, first in theta) only gets gradient in the
        # rows of the characters a chunk contains: its optimizer updates just those rows.
        n_input = model.params["Wxh"].size
        self._input = (model.theta[:n_input].reshape(model.vocab_size, -1),
                       model.dtheta[:n_input].reshape(model.vocab_size, -1))
        self._rest = model.theta[n_input:], model.dtheta[n_input:]
        self.input_optimizer, self.optimizer = Adagrad(self._input[0], lr), Adagrad(self._rest[0], lr)
        self.state = model.zero_state(batch_size)
        self.position = 0
        self.iteration = 0
        self.smooth_loss = -np.log(1.0 / model.vocab_size) * seq_length  # loss of a uniform guess
        self.losses: list[float] = []
        self.smooth_losses: list[float] = []

    def snapshot(self) -> dict:
        """Copies of what the loop carries from one iteration to the next, per parameter
        where it applies: to continue the same run with another implementation
        (the lecture's one-track RNN loop, hence ``h_prev`` of the first track)."""
        memory = self.model.unflatten(np.concatenate([self.input_optimizer.memory.ravel(), self.optimizer.memory]))
        return {"params": {k: v.copy() for k, v in self.model.params.items()}, "memory": memory,
                "h_prev": np.array(self.state[0]), "position": self.position, "smooth_loss": self.smooth_loss}

    def step(self) -> float:
        """One update on the next chunk(s); returns its loss.

        A loss that is not finite (NaN or infinite: the weights diverged, e.g. with a
        learning rate far too high) raises ``FloatingPointError`` before the update:
        the parameters, Adagrad's memory and the loss curves keep the last good step's values.
        """
        T, p = self.seq_length, self.position
        if p + T + 1 >= self.tracks.shape[1]:  # end of the text: start over with a fresh state
            p = self.position = 0
            self.state = self.model.zero_state(len(self.tracks))
        loss, _, state = self.model.loss_and_grads(
            self.tracks[:, p:p + T], self.tracks[:, p + 1:p + T + 1], self.state, self.clip)
        if not math.isfinite(loss):
            raise FloatingPointError(
                f"the loss became {loss} at iteration {self.iteration} (counting from 0, text position {p}): "
                f"the weights diverged or hold NaN/inf; try a lower lr than {self.input_optimizer.lr}")
        self.state = state
        self.input_optimizer.step(*self._input, rows=self.model.touched_inputs)
        self.optimizer.step(*self._rest)
        self.smooth_loss = self.smooth_loss * 0.999 + loss * 0.001
        self.losses.append(loss)
        self.smooth_losses.append(self.smooth_loss)
        self.position += T
        self.iteration += 1
        return loss

    def run(self, iterations: int, callback: Callable[[CharTrainer], None] | None = None,
            desc: str = "обучение") -> None:
        """``iterations`` more updates with a progress bar showing the smoothed loss;
        ``callback(trainer)`` after each one (to sample at chosen iterations, say)."""
        bar = progress(range(non_negative_int("iterations", iterations)), desc=desc)
        for _ in bar:
            self.step()
            if self.iteration % 50 == 0:
                bar.set_postfix_str(f"сглаженные потери {number(self.smooth_loss, 2)}", refresh=False)
            if callback is not None:
                callback(self)
        bar.set_postfix_str(f"сглаженные потери {number(self.smooth_loss, 2)}")
        bar.close()


def sample_ids(model: NumpyCharModel, prompt_ids, n: int, temperature: float = 1.0,
               rng: np.random.Generator | None = None, state=None) -> list[int]:
    """Feed ``prompt_ids`` (at least one), then draw ``n`` ids, each fed back as the next input.

    The distribution is ``softmax(scores / temperature)``: below 1 it sharpens
    towards the most likely character, above 1 it flattens towards uniform.
    Without ``rng`` the draws follow numpy's global generator, which
    :func:`~lecture_utils.config.seed_everything` seeds. ``state``: where to start
    (``(1, H)`` arrays as from ``model.zero_state(1)``; default: zeros).
    """
    if not isinstance(model, NumpyCharModel):
        raise TypeError(f"sample_ids samples a NumpyRNN or NumpyLSTM, not a {type(model).__name__}")
    n = non_negative_int("n", n)
    temperature = positive("temperature", temperature)
    if isinstance(prompt_ids, (str, bytes)) or not hasattr(prompt_ids, "__iter__") \
            or (hasattr(prompt_ids, "ndim") and prompt_ids.ndim != 1):
        raise TypeError(f"prompt_ids must be a 1-D sequence of ids (encode a text with vocab.encode), "
                        f"got {short(prompt_ids)}")
    prompt_ids = list(prompt_ids)
    if not prompt_ids:
        raise ValueError("the prompt must contain at least one character")
    for position, i in enumerate(prompt_ids):
        # -1 would silently read the last row of the weights, 2.0 pass as an id
        if not isinstance(i, (int, np.integer)) or isinstance(i, (bool, np.bool_)):
            raise TypeError(f"prompt ids must be integers; got {i!r} at position {position}")
        if not 0 <= i < model.vocab_size:
            raise ValueError(f"prompt id {i} at position {position} is outside this model's "
                             f"vocabulary [0, {model.vocab_size})")
    if rng is None:  # a generator seeded from the global one: a seeded notebook repeats its samples
        rng = np.random.default_rng(np.random.randint(2**32))
    elif not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy Generator (np.random.default_rng(seed)) or None, got {short(rng)}")
    if state is None:
        state = model.zero_state(1)
    else:
        model.check_state(state, 1)
    for i in prompt_ids:
        scores, state = model.step(np.array([i]), state)
    out = []
    for _ in range(n):
        out.append(int(rng.choice(model.vocab_size, p=_probabilities(scores[0], temperature, len(out)))))
        scores, state = model.step(np.array(out[-1:]), state)
    return out


def _probabilities(scores: np.ndarray, temperature: float, position: int) -> np.ndarray:
    """``softmax(scores / temperature)``, or an error that says why it cannot be computed."""
    if not np.all(np.isfinite(scores)):
        bad = "NaN" if np.isnan(scores).any() else "inf"
        raise ValueError(f"the model's scores hold {bad} after {position} sampled id(s): its weights (or the "
                         "state) hold NaN or inf (a training run that diverged?)")
    with np.errstate(over="ignore"):
        z = scores / temperature
    if not np.all(np.isfinite(z)):
        raise ValueError(f"temperature {temperature!r} is too small: scores / temperature overflow a float "
                         f"(largest score {np.abs(scores).max():.3g}); a temperature like 1e-3 already "
                         "picks the most likely id")
    probs = np.exp(z - z.max())
    probs /= probs.sum()
    return probs


def sample_text(model: NumpyCharModel, vocab: Vocab, prompt: str, n: int, temperature: float = 1.0,
                rng: np.random.Generator | None = None) -> str:
    """The prompt followed by ``n`` sampled characters. A prompt character outside the
    vocabulary raises :class:`~lecture_utils.text.UnknownTokenError` naming it."""
    ids = sample_ids(model, vocab.encode(prompt), n, temperature, rng)
    return prompt + vocab.decode(ids)


def grad_check(loss: Callable[[], float], params: dict[str, np.ndarray], grads: dict[str, np.ndarray],
               num_checks: int | None = 10, delta: float = 1e-5,
               rng: np.random.Generator | None = None, *, nonzero: bool = False,
               worst: bool = False) -> dict[str, float]:
    """Compare analytic gradients with central differences ``(L(w+δ) - L(w-δ)) / 2δ``.

    ``loss()`` recomputes the loss from ``params`` (which are nudged in place and
    restored); ``grads`` are the analytic gradients at the unperturbed ``params``.
    Checks ``num_checks`` random entries of every parameter (``None``: all of them)
    and returns, per parameter, the relative error ``|a - n| / (|a| + |n|)`` of the
    checked entries as vectors. Float64 and correct gradients give about 1e-9.

    ``nonzero=True`` draws the entries (without repeats) among those whose analytic
    gradient is not zero: most of a sparse gradient is zero (``Wxh`` gets gradient only
    in the columns of the characters a chunk contains), and a check of zeros checks little.
    (A bug that leaves a nonzero entry at zero is then missed; the default draws from all.)
    ``worst=True`` returns the largest relative error of a single checked entry instead of
    the error of the vectors, so that one wrong entry among many right ones shows
    (an entry whose two values are both 0 counts as exact).
    """
    num_checks = optional_positive_int("num_checks", num_checks)
    delta = positive("delta", delta)
    missing = sorted(set(params) - set(grads))
    if missing:
        raise ValueError(f"grads has no gradient for {missing}: pass one per parameter")
    rng = rng if rng is not None else np.random.default_rng(0)
    errors = {}
    for name, param in params.items():
        if nonzero:
            candidates = np.flatnonzero(np.asarray(grads[name]).ravel())
            candidates = candidates if candidates.size else np.arange(param.size)
            idx = candidates if num_checks is None or num_checks >= candidates.size \
                else np.sort(rng.choice(candidates, size=num_checks, replace=False))
        else:
            idx = np.arange(param.size) if num_checks is None else rng.integers(param.size, size=num_checks)
        numeric = np.empty(len(idx))
        for k, i in enumerate(idx):
            at = np.unravel_index(i, param.shape)  # the parameter itself is nudged, whatever its layout
            old = param[at]
            param[at] = old + delta
            plus = loss()
            param[at] = old - delta
            minus = loss()
            param[at] = old
            numeric[k] = (plus - minus) / (2 * delta)
        analytic = grads[name][np.unravel_index(idx, param.shape)]
        if worst:
            sizes = np.abs(analytic) + np.abs(numeric)
            entry = np.divide(np.abs(analytic - numeric), sizes, out=np.zeros(len(idx)), where=sizes > 0)
            errors[name] = float(entry.max())
            continue
        scale = np.linalg.norm(analytic) + np.linalg.norm(numeric)
        errors[name] = float(np.linalg.norm(analytic - numeric) / scale) if scale > 0 else 0.0
    return errors


# --------------------------------------------------------------------------- shipped experiments


def window_means(values, window: int) -> np.ndarray:
    """The mean of each consecutive block of ``window`` values (a last, shorter block is dropped).

    Raw losses averaged over equal windows of iterations: with an equal number of characters per
    iteration, equal windows of characters read. Unlike the smoothed loss, a window mean remembers
    nothing from before its window, so curves that started at different times compare fairly.
    """
    window = positive_int("window", window)
    values = np.asarray(values, dtype=float)
    blocks = len(values) // window
    return values[:blocks * window].reshape(blocks, window).mean(axis=1)


def source_smoothing(losses, start: float, chars_per_iteration: int, source_chars: int = 25) -> np.ndarray:
    """min-char-rnn's smoothed loss (``0.999`` per iteration of ``source_chars`` characters), with its
    memory counted in characters: decay ``0.999 ** (chars_per_iteration / source_chars)`` per iteration.

    An iteration over 32 tracks reads 800 characters, 32 of the source's iterations: smoothed per
    iteration, its loss would remember 32 times more text (and its start at ``25 ln V`` 32 times
    longer) than the source's. Smoothed this way, both remember the same ~25 000 characters.
    """
    decay = 0.999 ** (positive_int("chars_per_iteration", chars_per_iteration)
                      / positive_int("source_chars", source_chars))
    smooth, out = float(start), np.empty(len(losses))
    for k, loss in enumerate(losses):
        smooth = decay * smooth + (1 - decay) * loss
        out[k] = smooth
    return out


def training_curve(config: dict, seed: int) -> dict:
    """One run of the lecture's long training, for a shipped sweep: raw losses averaged per window.

    ``config``: ``model`` (``"RNN"`` or ``"LSTM"``), ``lr``, ``iterations``, ``window`` (iterations
    per averaged window), ``batch_size`` (tracks), ``seq_length``, ``hidden_size``, ``dtype``, ``clip``;
    optionally ``at_chars``, numbers of characters read at which to report the source-like smoothed
    loss. The weights start from ``np.random.default_rng(seed)`` and the text is read from its start,
    so the run is determined by the seed.

    Returns, per window of ``window`` iterations (``window * batch_size * seq_length`` characters):
    ``loss``, the mean raw loss (per chunk of ``seq_length`` characters, averaged over the tracks);
    ``saturated``, the mean share of hidden units with ``|h| > 0.99``; ``source_smooth``, the
    source-like smoothed loss (:func:`source_smoothing`) at the window's end. With ``at_chars``,
    ``source_smooth_at``: that smoothed loss after the iteration nearest to each number of characters.
    """
    classes = {"RNN": NumpyRNN, "LSTM": NumpyLSTM}
    if config["model"] not in classes:
        raise ValueError(f"model must be one of {sorted(classes)}, got {config['model']!r}")
    data, vocab_size = _karamazov_ids()
    model = classes[config["model"]](vocab_size, config["hidden_size"], np.random.default_rng(seed),
                                     dtype=np.dtype(config["dtype"]))
    trainer = CharTrainer(model, data, config["seq_length"], config["lr"], batch_size=config["batch_size"],
                          clip=config["clip"])
    iterations = positive_int("iterations", config["iterations"])
    saturated = np.empty(iterations)
    for k in range(iterations):
        trainer.step()
        h = trainer.state[0] if isinstance(trainer.state, tuple) else trainer.state
        saturated[k] = np.mean(np.abs(h) > 0.99)
    window, chars = config["window"], config["batch_size"] * config["seq_length"]
    start = config["seq_length"] * math.log(vocab_size)  # a uniform guess, where CharTrainer starts too
    smooth = source_smoothing(trainer.losses, start, chars, config["seq_length"])
    ends = np.arange(window, iterations + 1, window)
    result = {"loss": np.round(window_means(trainer.losses, window), 5).tolist(),
              "saturated": np.round(window_means(saturated, window), 5).tolist(),
              "source_smooth": np.round(smooth[ends - 1], 5).tolist()}
    if "at_chars" in config:
        at = [min(max(round(c / chars), 1), iterations) for c in config["at_chars"]]
        result["source_smooth_at"] = [round(float(smooth[k - 1]), 5) for k in at]
    return result


def spread(values, digits: int = 1, *, each: bool = False) -> str:
    """Every seed's value summarised as «median [lower quartile–upper quartile]», decimal commas:
    ``spread([55.6, 56.2, 54.8, 55.8, 56.9])`` is «55,8 [55,6–56,2]». ``each=True`` adds every value in
    seed order (quartiles of five seeds hide the extremes): «55,8 [55,6–56,2] (55,6 56,2 54,8 55,8 56,9)»."""
    median, low, high = median_iqr(values)
    text = f"{number(median, digits)} [{number(low, digits)}–{number(high, digits)}]"
    if each:
        text += " (" + " ".join(number(float(v), digits) for v in np.ravel(values)) + ")"
    return text


TOP_K_SCORES = np.array([2.0, 0.5, 1.5, -1.0, 1.0, 0.0])
"""The scores on which :func:`check_top_k` tries a student's top-k sampler (k = 3: ids 0, 2 and 4)."""


def top_k_distribution(scores, k: int) -> np.ndarray:
    """softmax(scores) with all but the ``k`` most probable ids set to 0, renormalised to sum 1."""
    scores = np.asarray(scores, dtype=float)
    if not 1 <= k <= scores.size:
        raise ValueError(f"k must be in 1..{scores.size}, got {k}")
    p = np.exp(scores - scores.max())
    keep = np.argsort(-scores, kind="stable")[:k]
    out = np.zeros_like(p)
    out[keep] = p[keep]
    return out / out.sum()


def check_top_k(sample_top_k, k: int = 3, draws: int = 3000) -> bool:
    """Lecture 02, exercise 4: ``sample_top_k(scores, k, rng)`` must return one id drawn from the ``k``
    most probable ids of ``softmax(scores)`` in proportion to their renormalised probabilities. Draws
    ``draws`` ids on :data:`TOP_K_SCORES` and tests their frequencies (:func:`check_distribution`)."""
    from lecture_utils.exercises import CheckFailed, check_distribution, unsolved

    name = f"top-{k}"
    rng = np.random.default_rng(0)
    samples = []
    for _ in range(draws):
        try:
            drawn = sample_top_k(TOP_K_SCORES.copy(), k, rng)
        except ValueError as error:
            if "sum to 1" in str(error):
                raise CheckFailed(f"{name}: вероятности k символов не нормированы: после обнуления "
                                  "остальных разделите их на сумму, чтобы она стала 1") from error
            raise
        if unsolved(drawn):
            return check_distribution(name, None, top_k_distribution(TOP_K_SCORES, k))
        if np.ndim(drawn) != 0:
            raise CheckFailed(f"{name}: функция должна вернуть один номер символа, а вернула {drawn!r}")
        samples.append(int(drawn))
    if len(set(samples)) == 1:
        raise CheckFailed(f"{name}: все {draws} выборок — символ {samples[0]}: это жадный выбор (argmax), "
                          "а нужен случайный выбор среди k самых вероятных")
    return check_distribution(name, samples, top_k_distribution(TOP_K_SCORES, k))


LONG_SETTINGS = {"hidden_size": 100, "seq_length": 25, "batch_size": 32, "dtype": "float32", "clip": 5.0}
"""The lecture's long training: min-char-rnn's sizes, 32 tracks, float32 weights."""

SOURCE_POINTS = {0: 124.6, 10**4: 59.3, 10**5: 49.8, 5 * 10**5: 46.2}
"""The source notebook's smoothed loss (per 25 characters) at these iterations of 25 characters."""

SWEEP_SEEDS = (0, 1, 2, 3, 4)

SWEEPS = [
    Sweep(lecture=2, name="learning_rate", function="lecture_utils.l02_min_char_rnn:training_curve",
          configs=tuple({"model": "RNN", "lr": lr, "iterations": 1000, "window": 50} for lr in (0.2, 0.1, 0.05)),
          seeds=SWEEP_SEEDS, fixed=LONG_SETTINGS, datasets=("karamazov_ru",)),
    Sweep(lecture=2, name="rnn_lstm", function="lecture_utils.l02_min_char_rnn:training_curve",
          configs=({"model": "RNN", "lr": 0.05, "iterations": 16000, "window": 50,
                    "at_chars": [25 * n for n in SOURCE_POINTS if n > 0]},
                   {"model": "LSTM", "lr": 0.05, "iterations": 6000, "window": 50}),
          seeds=SWEEP_SEEDS, fixed=LONG_SETTINGS, datasets=("karamazov_ru",)),
]
"""The shipped sweeps: the learning rates compared at 32 tracks (1000 iterations), and the long runs:
the RNN over the 12.5 million characters the source read in 5e5 iterations, the LSTM with the same
settings over 6000 iterations, about the time the RNN takes for its 16 000 on one core."""


_TEXT_IDS: dict[str, tuple[np.ndarray, int]] = {}


def _karamazov_ids() -> tuple[np.ndarray, int]:
    """The lecture's text as ids and the size of its vocabulary (read once per process)."""
    if "karamazov_ru" not in _TEXT_IDS:
        from .data import load_text

        text = load_text("karamazov_ru")
        vocab = Vocab.build([text])
        _TEXT_IDS["karamazov_ru"] = np.array(vocab.encode(text)), len(vocab)
    return _TEXT_IDS["karamazov_ru"]
