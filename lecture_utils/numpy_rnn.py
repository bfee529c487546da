"""Character-level vanilla RNN and LSTM in numpy: the fast twins of lecture 02's readable code.

The math is min-char-rnn's (Karpathy): ``h_t = tanh(Wxh x_t + Whh h_{t-1} + bh)``,
``y_t = Why h_t + by``, softmax cross-entropy summed over the sequence. What is
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

import numpy as np


class NumpyCharModel:
    """What the RNN and the LSTM share: parameters, the softmax output layer, clipping."""

    def __init__(self, shapes: dict[str, tuple[int, ...]], dtype=np.float64):
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
        for name, p in self.params.items():
            if name.startswith("W"):
                p[...] = rng.standard_normal(p.shape) * scale

    def loss_and_grads(self, inputs, targets, state, clip: float | None = 5.0):
        """Loss over the sequence(s), gradients of every parameter, and the last state.

        ``inputs``/``targets``: ids of shape ``(T,)`` or ``(B, T)``; ``state`` as from
        :meth:`zero_state`. Gradients are clipped elementwise to ``[-clip, clip]``
        (``clip=None`` for the exact gradient, as a gradient check needs).
        """
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
        H, V = hidden_size, vocab_size
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

    Gates in the order input, forget, output (sigmoids), candidate ``g`` (tanh):
    ``z = Wxh x_t + Whh h_{t-1} + bh`` of size 4H, ``c_t = f*c_{t-1} + i*g``,
    ``h_t = o*tanh(c_t)``. The forget-gate bias starts at 1 so that early on the
    cell remembers instead of forgetting.
    """

    def __init__(self, vocab_size: int, hidden_size: int, rng: np.random.Generator,
                 scale: float = 0.01, dtype=np.float64):
        H, V = hidden_size, vocab_size
        super().__init__({"Wxh": (4 * H, V), "Whh": (4 * H, H), "Why": (V, H), "bh": (4 * H,), "by": (V,)},
                         dtype)
        self._init_weights(rng, scale)
        self.params["bh"][H:2 * H] = 1.0

    def zero_state(self, batch_size: int = 1):
        return self._zeros(batch_size), self._zeros(batch_size)

    def _allocate(self, T: int, B: int) -> None:
        H = self.hidden_size
        self._hs = np.empty((T + 1, B, H), self.dtype)
        self._cs = np.empty((T + 1, B, H), self.dtype)
        self._tanh_c = np.empty((T, B, H), self.dtype)
        self._gates = np.empty((T, B, 4, H), self.dtype)  # activated i, f, o, g
        self._dz = np.empty((T, B, 4, H), self.dtype)     # dL/d(pre-activation)
        self._dc_factor = np.empty((T, B, 4, H), self.dtype)
        self._do_factor = np.empty((T, B, H), self.dtype)
        self._dh_to_dc = np.empty((T, B, H), self.dtype)
        self._dc = np.empty((B, H), self.dtype)
        self._dh_next = np.empty((B, H), self.dtype)
        self._dc_next = np.empty((B, H), self.dtype)

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
            sig = z[:, :3 * self.hidden_size]  # sigmoid(x) = (1 + tanh(x/2)) / 2: one ufunc pass
            sig *= 0.5
            np.tanh(sig, out=sig)
            sig += 1
            sig *= 0.5
            np.tanh(gates[t, :, 3], out=gates[t, :, 3])
            i, f, o, g = gates[t, :, 0], gates[t, :, 1], gates[t, :, 2], gates[t, :, 3]
            np.multiply(f, cs[t], out=cs[t + 1])
            cs[t + 1] += i * g
            np.tanh(cs[t + 1], out=self._tanh_c[t])
            np.multiply(o, self._tanh_c[t], out=hs[t + 1])
        return hs[1:]

    def _backward(self, columns, dh):
        p, gates, cs, tanh_c, dz = self.params, self._gates, self._cs, self._tanh_c, self._dz
        i, f, o, g = (gates[:, :, k] for k in range(4))
        # Everything that does not depend on the recurrence, for all steps at once:
        # dz_i = dc*g*i(1-i), dz_f = dc*c_prev*f(1-f), dz_g = dc*i*(1-g^2), dz_o = dh*tanh(c)*o(1-o).
        dc_factor, do_factor, dh_to_dc = self._dc_factor, self._do_factor, self._dh_to_dc
        dc_factor[:, :, 0] = g * i * (1 - i)
        dc_factor[:, :, 1] = cs[:-1] * f * (1 - f)
        dc_factor[:, :, 2] = 0
        dc_factor[:, :, 3] = i * (1 - g ** 2)
        np.multiply(tanh_c, o * (1 - o), out=do_factor)
        np.multiply(o, 1 - tanh_c ** 2, out=dh_to_dc)
        dc, dh_next, dc_next = self._dc, self._dh_next, self._dc_next
        dh_next.fill(0)
        dc_next.fill(0)
        for t in reversed(range(len(columns))):
            dh[t] += dh_next
            np.multiply(dh[t], dh_to_dc[t], out=dc)
            dc += dc_next
            np.multiply(dc[:, None, :], dc_factor[t], out=dz[t])
            np.multiply(dh[t], do_factor[t], out=dz[t, :, 2])
            np.dot(dz[t].reshape(len(dc), -1), p["Whh"], out=dh_next)
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
        i, f, o = (1 / (1 + np.exp(-z[:, k * H:(k + 1) * H])) for k in range(3))
        c = f * c + i * np.tanh(z[:, 3 * H:])
        h = o * np.tanh(c)
        return self._scores(h), (h, c)
