"""Training the numpy character models: Adagrad, min-char-rnn's loop, sampling, gradient check."""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

from .batching import cut_into_tracks, positive_int
from .numpy_rnn import NumpyCharModel
from .progress import progress
from .text import Vocab


class Adagrad:
    """``mem += g**2; param -= lr * g / sqrt(mem + eps)``, in place, as in min-char-rnn.

    Works on one array: the numpy models keep their parameters in one flat vector
    (``model.theta``, gradients in ``model.dtheta``), so :class:`CharTrainer` needs
    two optimizers, one for the rows of ``Wxh`` and one for everything else.
    """

    def __init__(self, param: np.ndarray, lr: float = 0.1, eps: float = 1e-8):
        self.lr, self.eps = lr, eps
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
        self._input = model.theta[:n_input].reshape(model.vocab_size, -1), model.dtheta[:n_input].reshape(model.vocab_size, -1)
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

    def run(self, iterations: int, callback: Callable[["CharTrainer"], None] | None = None,
            desc: str = "обучение") -> None:
        """``iterations`` more updates with a progress bar showing the smoothed loss;
        ``callback(trainer)`` after each one (to sample at chosen iterations, say)."""
        bar = progress(range(iterations), desc=desc)
        for _ in bar:
            self.step()
            if self.iteration % 50 == 0:
                bar.set_postfix_str(f"smooth loss {self.smooth_loss:.2f}", refresh=False)
            if callback is not None:
                callback(self)
        bar.set_postfix_str(f"smooth loss {self.smooth_loss:.2f}")
        bar.close()


def sample_ids(model: NumpyCharModel, prompt_ids, n: int, temperature: float = 1.0,
               rng: np.random.Generator | None = None, state=None) -> list[int]:
    """Feed ``prompt_ids`` (at least one), then draw ``n`` ids, each fed back as the next input.

    The distribution is ``softmax(scores / temperature)``: below 1 it sharpens
    towards the most likely character, above 1 it flattens towards uniform.
    Without ``rng`` the draws follow numpy's global generator, which
    :func:`~lecture_utils.config.seed_everything` seeds.
    """
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    prompt_ids = list(prompt_ids)
    if not prompt_ids:
        raise ValueError("the prompt must contain at least one character")
    for position, i in enumerate(prompt_ids):
        # -1 would silently read the last row of the weights, 2.0 pass as an id
        if not isinstance(i, (int, np.integer)):
            raise TypeError(f"prompt ids must be integers; got {i!r} at position {position}")
        if not 0 <= i < model.vocab_size:
            raise ValueError(f"prompt id {i} at position {position} is outside this model's "
                             f"vocabulary [0, {model.vocab_size})")
    if rng is None:  # a generator seeded from the global one: a seeded notebook repeats its samples
        rng = np.random.default_rng(np.random.randint(2**32))
    state = model.zero_state(1) if state is None else state
    for i in prompt_ids:
        scores, state = model.step(np.array([i]), state)
    out = []
    for _ in range(n):
        z = scores[0] / temperature
        probs = np.exp(z - z.max())
        probs /= probs.sum()
        out.append(int(rng.choice(len(probs), p=probs)))
        scores, state = model.step(np.array(out[-1:]), state)
    return out


def sample_text(model: NumpyCharModel, vocab: Vocab, prompt: str, n: int, temperature: float = 1.0,
                rng: np.random.Generator | None = None) -> str:
    """The prompt followed by ``n`` sampled characters. A prompt character outside the
    vocabulary raises :class:`~lecture_utils.text.UnknownTokenError` naming it."""
    ids = sample_ids(model, vocab.encode(prompt), n, temperature, rng)
    return prompt + vocab.decode(ids)


def grad_check(loss: Callable[[], float], params: dict[str, np.ndarray], grads: dict[str, np.ndarray],
               num_checks: int | None = 10, delta: float = 1e-5,
               rng: np.random.Generator | None = None) -> dict[str, float]:
    """Compare analytic gradients with central differences ``(L(w+δ) - L(w-δ)) / 2δ``.

    ``loss()`` recomputes the loss from ``params`` (which are nudged in place and
    restored); ``grads`` are the analytic gradients at the unperturbed ``params``.
    Checks ``num_checks`` random entries of every parameter (``None``: all of them)
    and returns, per parameter, the relative error ``|a - n| / (|a| + |n|)`` of the
    checked entries as vectors. Float64 and correct gradients give about 1e-9.
    """
    rng = rng if rng is not None else np.random.default_rng(0)
    errors = {}
    for name, param in params.items():
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
        scale = np.linalg.norm(analytic) + np.linalg.norm(numeric)
        errors[name] = float(np.linalg.norm(analytic - numeric) / scale) if scale > 0 else 0.0
    return errors
