"""The baselines a language model must beat: uniform, smoothed n-gram counts, compressors.

A language model that assigns probability p to the next symbol can code it in
-log2 p bits (arithmetic coding), so nats (or bits) per symbol on a validation text
compare any model with any compressor:

* :func:`uniform_nll` -- every symbol of the vocabulary equally likely: log V nats;
* :class:`NgramLM` -- counts of n-grams smoothed with interpolated Kneser-Ney, for
  characters (a ``str``) or words (integer ids that already contain ``<unk>``);
  :func:`ngram_nll`, :func:`select_order` (the best n on a slice at the end of the
  training text, never on the validation text), :func:`word_baseline_perplexities`;
* :func:`compression_rate` -- gzip, bz2 and xz from the standard library, the
  validation text counted with the training text as context;
* the units (nats, bits, perplexity) are in :mod:`~lecture_utils.metrics`.

Pure numpy: the tables of the n-gram model are sorted int64 key arrays and lookups are
``np.searchsorted``. A k-gram's key is (id of its first k - 1 symbols) * (V + 1) + its last
symbol; while (V + 1)^n fits 64 bits the id of a gram is its symbols read as digits in
base V + 1 (the key of the k-gram is then its own number), beyond that the id is the
gram's rank among the grams of its order seen in training, so that any order works,
exactly (no hashing), with the same probabilities (see :class:`NgramLM`).
"""
from __future__ import annotations

import bz2
import gzip
import lzma
import math
import warnings
from typing import NamedTuple

import numpy as np

from .checks import fraction, one_of, positive_int
from .metrics import bits_to_nats, perplexity

# --------------------------------------------------------------------------- units

def uniform_nll(vocab_size: int) -> float:
    """Nats per symbol of the uniform model over ``vocab_size`` symbols: log V."""
    vocab_size = positive_int("vocab_size", vocab_size)
    return math.log(vocab_size)


# --------------------------------------------------------------------------- n-grams

MAX_ORDER_KEY = 2 ** 62  # n-grams numbered in base V + 1 while (V + 1) ** n stays below; ranked beyond
SCORE_CHUNK = 1 << 20  # symbols scored at once: bounds the memory of the temporaries


def estimate_discounts(counts) -> tuple[float, float, float]:
    """Discounts (D1, D2, D3+) of modified Kneser-Ney for n-grams seen 1, 2, 3+ times.

    Chen & Goodman (1998): with n_r the number of n-grams whose count is exactly r
    and Y = n1 / (n1 + 2 n2): D1 = 1 - 2Y n2/n1, D2 = 2 - 3Y n3/n2, D3+ = 3 - 4Y n4/n3.
    On too little data (some n_r is zero) all three are 0.75, the classic default.
    Each is clipped into [0.05, r - 0.05]: positive, so that every context leaves
    some mass to the lower order, and below r, so that no count goes negative.
    """
    counts = np.asarray(counts)
    n1, n2, n3, n4 = (int(np.count_nonzero(counts == r)) for r in (1, 2, 3, 4))
    if min(n1, n2, n3, n4) == 0:
        return (0.75, 0.75, 0.75)
    y = n1 / (n1 + 2 * n2)
    raw = (1 - 2 * y * n2 / n1, 2 - 3 * y * n3 / n2, 3 - 4 * y * n4 / n3)
    return tuple(float(min(max(d, 0.05), r - 0.05)) for r, d in zip((1, 2, 3), raw))


class _Level:
    """The table of one order k: n-gram keys (sorted), P's numerators and the back-off weights.

    ``counts`` are raw counts at the model's highest order and continuation counts
    (the number of distinct symbols seen before the k-gram) below it.
    """

    def __init__(self, keys, counts, base: int, discounts):
        self.keys = keys
        self.counts = counts
        self.discounts = discounts
        contexts = keys // base  # keys are sorted, so contexts are sorted too
        self.contexts, starts, inverse = np.unique(contexts, return_index=True, return_inverse=True)
        d = np.asarray((0.0,) + tuple(discounts))[np.minimum(counts, 3)]
        totals = np.add.reduceat(counts, starts).astype(np.float64)
        self.alpha = (counts - d) / totals[inverse]        # discounted share of the n-gram
        self.gamma = np.add.reduceat(d, starts) / totals   # mass left to the lower order


def _lookup(sorted_keys, queries):
    """Index of every query in ``sorted_keys`` and whether it is there."""
    idx = np.searchsorted(sorted_keys, queries)
    idx_clipped = np.minimum(idx, len(sorted_keys) - 1)
    found = sorted_keys[idx_clipped] == queries
    return idx_clipped, found


class NgramLM:
    """Interpolated Kneser-Ney n-gram model over characters (``str``) or integer ids.

    P_k(w | h) = max(c(h w) - D, 0) / c(h .) + gamma(h) * P_{k-1}(w | h'), with h' the
    context h without its oldest symbol, gamma(h) the mass taken away by the discounts
    D, and P_0 uniform over the vocabulary. c are raw counts at the highest order n
    and continuation counts (how many distinct symbols were seen before the k-gram) below:
    a symbol frequent only after one context ("ь" after "т") should not get much
    weight when the context is unknown. A context never seen in training backs off
    entirely to the lower order. Every P_k, and so the model, is a normalised
    distribution over the whole vocabulary, for any history.

    ``discount=None`` estimates three discounts per order (modified Kneser-Ney, see
    :func:`estimate_discounts`); a number in (0, 1] uses that one discount everywhere
    (the original interpolated Kneser-Ney).

    The training text is read as if preceded by n - 1 copies of a padding symbol that
    is never predicted, so that its first symbols have a context too. ``fit`` sets the
    vocabulary: for a ``str`` the characters of ``vocab`` (default: those of the
    training text); for integer ids the ids ``0 .. vocab - 1`` (default: max id + 1).
    Symbols of the vocabulary never seen in training get a small positive probability
    (through the uniform P_0); a symbol outside the vocabulary raises ``ValueError``.

    Any order works. Each table is keyed by (id of the k-gram's first k - 1 symbols) *
    (V + 1) + its last symbol. While (V + 1)^n <= 2^62 (:data:`MAX_ORDER_KEY`; n <= 8 over
    about 140 characters) the id of a gram is its number in base V + 1; beyond that it is
    the gram's rank in the sorted table of its order, found by extending the grams one
    symbol to the right, order after order (the all-padding gram gets the rank one past
    the table's end, a gram never seen in training none). Both keyings are exact and order
    the grams of a context the same way, so they give bit-identical probabilities; the
    ranked one costs a lookup per order and position more when scoring. Fitting a text of
    N symbols at order n takes O(n N log N) time and tables of at most n N grams.
    """

    def __init__(self, order: int, discount: float | None = None):
        self.order = positive_int("order", order)
        # fraction() refuses bools (True is not a discount of 1), NaN and numbers outside (0, 1]
        self.discount = None if discount is None else fraction("discount", discount, high_open=False)
        self.levels: list[_Level] = []

    # ----------------------------------------------------------------- symbols
    @property
    def vocab_size(self) -> int:
        self._check_fitted()
        return self._vocab_size

    @property
    def symbols(self):
        """The vocabulary in id order: a str of characters, or ``range(V)`` for ids."""
        self._check_fitted()
        return self._symbols

    def encode(self, seq) -> np.ndarray:
        """``seq`` (str, or integer ids) as int64 ids of this model's vocabulary."""
        self._check_fitted()
        if isinstance(seq, str):
            if not self._is_text:
                raise TypeError("this model was fitted on integer ids; got a str")
            try:
                return np.fromiter((self._char_id[ch] for ch in seq), np.int64, len(seq))
            except KeyError:
                pos = next(i for i, ch in enumerate(seq) if ch not in self._char_id)
                raise ValueError(f"character {seq[pos]!r} at position {pos} is not in the vocabulary "
                                 "of the model (pass it in fit's vocab to give it a probability)") from None
        if self._is_text:
            raise TypeError(f"this model was fitted on a str; got {type(seq).__name__}")
        ids = _as_ids(seq)
        bad = np.flatnonzero((ids < 0) | (ids >= self._vocab_size))
        if bad.size:
            raise ValueError(f"id {ids[bad[0]]} at position {bad[0]} is outside the vocabulary "
                             f"0..{self._vocab_size - 1}")
        return ids

    # ----------------------------------------------------------------- fitting
    def fit(self, train, vocab=None) -> NgramLM:
        """Count the n-grams of ``train`` (orders 1..n) and build the smoothed tables."""
        if len(train) == 0:
            raise ValueError("the training sequence is empty: an n-gram model needs counts")
        return self._fit([train], vocab, continuous=True)

    def fit_sequences(self, sequences, vocab=None) -> NgramLM:
        """Count the n-grams of independent sequences (names, sentences), each read from the padding.

        No n-gram spans two sequences, so a sequence's first symbols are predicted from the
        padding alone, as :meth:`log_probs_sequences` scores them. ``sequences``: a list of
        ``str`` (``vocab`` as in :meth:`fit`) or of integer-id sequences. A boundary that the
        model should predict (the end of a name) must be a symbol of each sequence.
        """
        if isinstance(sequences, str) or not hasattr(sequences, "__iter__"):
            raise TypeError("sequences must be a list of sequences (a str is one sequence: use fit), "
                            f"got {type(sequences).__name__}")
        sequences = list(sequences)
        if not sequences or all(len(seq) == 0 for seq in sequences):
            raise ValueError("no symbols to count: sequences is empty or holds only empty sequences")
        kinds = {isinstance(seq, str) for seq in sequences}
        if len(kinds) > 1:
            raise TypeError("sequences mixes str and integer ids")
        return self._fit(sequences, vocab, continuous=False)

    def _fit(self, sequences, vocab, continuous: bool) -> NgramLM:
        is_text = isinstance(sequences[0], str)
        if is_text:
            if vocab is not None:
                _check_characters(vocab)
            seen = set().union(*map(set, sequences))
            symbols = "".join(sorted(seen if vocab is None else set(vocab) | seen))
            char_id = {ch: i for i, ch in enumerate(symbols)}
            V = len(symbols)
            arrays = [np.fromiter((char_id[ch] for ch in seq), np.int64, len(seq)) for seq in sequences]
        else:
            arrays = [_as_ids(seq) for seq in sequences]
            joined = np.concatenate(arrays)
            if joined.min() < 0:
                raise ValueError(f"ids must be non-negative, got {joined.min()}")
            top = int(joined.max()) + 1
            V = top if vocab is None else positive_int("vocab", vocab)
            if V < top:
                raise ValueError(f"vocab={V} but the training ids go up to {top - 1}")
            symbols, char_id = range(V), None
        n, base = self.order, V + 1  # id V is the padding symbol
        # valid input: only now replace what a previous fit left
        self._is_text, self._symbols, self._char_id = is_text, symbols, char_id
        self._vocab_size, self._base, self._pad = V, base, V
        self._ranked = base ** n > MAX_ORDER_KEY  # numbers in base V + 1 would overflow int64
        padded, ends = _padded(arrays, n, V)
        self._tail = padded[len(padded) - (n - 1):] if continuous and n > 1 else np.full(n - 1, V, np.int64)
        tables = (_ranked_tables if self._ranked else _numbered_tables)(padded, ends, n, base)
        self.levels = []
        for k in range(1, n + 1):
            keys, counts = tables[k]
            discounts = estimate_discounts(counts) if self.discount is None else (self.discount,) * 3
            self.levels.append(_Level(keys, counts, base, discounts))
        return self

    @property
    def discounts(self) -> list[tuple[float, float, float]]:
        """(D1, D2, D3+) of every order 1..n."""
        self._check_fitted()
        return [level.discounts for level in self.levels]

    # ----------------------------------------------------------------- probabilities
    def _check_fitted(self):
        if not self.levels:
            raise RuntimeError("call fit(train) before using the model")

    def _context_ids(self, history) -> np.ndarray:
        """The last n - 1 ids of a history (None: the end of the training sequence), padded."""
        n = self.order
        if history is None:
            return self._tail
        ids = self.encode(history)
        hist = ids[max(0, len(ids) - (n - 1)):] if n > 1 else ids[:0]
        return np.concatenate([np.full(n - 1 - len(hist), self._pad, np.int64), hist])

    def _extend(self, k: int, ids: np.ndarray, stream: np.ndarray) -> np.ndarray:
        """Ids of the k-grams ending at every position of ``stream``, from those of the (k-1)-grams.

        Numbered keys: the k-gram's number in base V + 1. Ranked keys: its rank in the table
        of order k, the table's length for the all-padding gram, -1 for a gram never seen in
        training (and so for any gram that contains it). At positions before k - 1 the
        k-gram is cut off by the start of ``stream``: its id there is meaningless.
        """
        keys = np.empty_like(stream)
        keys[0] = stream[0]
        keys[1:] = ids[:-1] * self._base + stream[1:]
        if not self._ranked:
            return keys
        table = self.levels[k - 1].keys
        idx, found = _lookup(table, keys)
        return np.where(stream == self._pad, len(table), np.where(found, idx, -1))

    def _probs(self, stream: np.ndarray, at: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """P(targets[i] | the n - 1 symbols of ``stream`` before position at[i]), every at[i] >= n - 1.

        ``at`` may equal ``len(stream)``: the target follows the stream. Padding symbols of
        ``stream`` must come in runs of at least n - 1 (each sequence's lead) or start it.
        """
        base = self._base
        p = np.full(len(targets), 1.0 / self._vocab_size)
        ids = np.zeros(len(stream), np.int64)  # the empty gram, the context of order 1, ends everywhere
        context = np.zeros(len(targets), np.int64)
        for k, level in enumerate(self.levels, start=1):
            if k > 1:  # context of order k: the (k-1)-gram ending just before the target
                ids = self._extend(k - 1, ids, stream)
                context = ids[at - 1]
            c_idx, c_found = _lookup(level.contexts, context)
            g_idx, g_found = _lookup(level.keys, context * base + targets)
            interpolated = np.where(g_found, level.alpha[g_idx], 0.0) + level.gamma[c_idx] * p
            p = np.where(c_found, interpolated, p)
        return p

    def distribution(self, history=None) -> np.ndarray:
        """Probabilities of every vocabulary symbol (in ``symbols`` order) after ``history``.

        ``history``: a str / ids, or None for the end of the training sequence;
        only its last n - 1 symbols matter, a shorter one is padded.
        """
        self._check_fitted()
        context = self._context_ids(history)
        V = self._vocab_size
        return self._probs(context, np.full(V, len(context)), np.arange(V, dtype=np.int64))

    def log_probs(self, seq, history=None) -> np.ndarray:
        """ln P of every symbol of ``seq`` given all that precedes it.

        ``history`` precedes ``seq``: None (the default) continues the training
        sequence; an empty str / list starts from the padding, like the training text.
        """
        self._check_fitted()
        ids = self.encode(seq)
        n = self.order
        full = np.concatenate([self._context_ids(history), ids])
        out = np.empty(len(ids))
        for start in range(0, len(ids), SCORE_CHUNK):
            stop = min(start + SCORE_CHUNK, len(ids))
            stream = full[start:stop + n - 1]  # the symbols to score and the n - 1 before them
            out[start:stop] = np.log(self._probs(stream, np.arange(n - 1, len(stream)), ids[start:stop]))
        return out

    def nll(self, seq, history=None) -> float:
        """Mean negative log-likelihood of ``seq``, nats per symbol (see :meth:`log_probs`)."""
        if len(seq) == 0:
            raise ValueError("cannot score an empty sequence: the mean over zero symbols is undefined")
        return float(-self.log_probs(seq, history).mean())

    def log_probs_sequences(self, sequences) -> np.ndarray:
        """ln P of every symbol of every sequence, each read from the padding (no shared history),
        concatenated in order: what :meth:`fit_sequences` counted, scored the same way."""
        self._check_fitted()
        if isinstance(sequences, str) or not hasattr(sequences, "__iter__"):
            raise TypeError(f"sequences must be a list of sequences, got {type(sequences).__name__}")
        arrays = [self.encode(seq) for seq in sequences]
        if not arrays:
            return np.empty(0)
        padded, ends = _padded(arrays, self.order, self._pad)
        out = np.empty(len(ends))
        for start in range(0, len(ends), SCORE_CHUNK):
            stop = min(start + SCORE_CHUNK, len(ends))
            at = ends[start:stop]
            first = at[0] - (self.order - 1)  # the n - 1 symbols (or padding) before the chunk
            out[start:stop] = np.log(self._probs(padded[first:at[-1] + 1], at - first, padded[at]))
        return out

    def nll_sequences(self, sequences) -> float:
        """Mean negative log-likelihood per symbol over all symbols of independent sequences."""
        scores = self.log_probs_sequences(sequences)
        if scores.size == 0:
            raise ValueError("cannot score sequences without symbols: the mean over zero symbols is undefined")
        return float(-scores.mean())


def _numbered_tables(padded, ends, n: int, base: int) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """``{k: (keys, counts)}`` of orders 1..n, a k-gram keyed by its symbols as digits in base V + 1.

    Needs base ** n <= 2 ** 62. Counts are raw at order n and continuation counts below.
    """
    keys = np.zeros(len(ends), np.int64)
    for j in range(n):  # the n-gram ending at every training symbol, oldest symbol first
        keys = keys * base + padded[ends - (n - 1) + j]
    keys, counts = np.unique(keys, return_counts=True)
    tables = {n: (keys, counts)}
    for k in range(n - 1, 0, -1):
        # distinct (k+1)-grams sharing a k-gram suffix = distinct symbols seen before it
        keys, counts = np.unique(keys % base ** k, return_counts=True)
        tables[k] = (keys, counts)
    return tables


def _ranked_tables(padded, ends, n: int, base: int) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """``{k: (keys, counts)}`` of orders 1..n for any n: a k-gram keyed by rank(first k - 1 symbols) * base + last.

    The rank of a (k-1)-gram is its index in the sorted keys of order k - 1; the
    all-padding (k-1)-gram, the context of a sequence's first symbol, gets that table's
    length. Grams grow one symbol to the right, order after order, as one rank per
    position, so memory stays O(len(padded)) besides the tables. Counts as in
    :func:`_numbered_tables`.
    """
    ranks = np.zeros(len(padded), np.int64)  # of the gram of the order below ending at every position
    tables: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    below = None  # rank of the (k-1)-gram ending at every training symbol
    for k in range(1, n + 1):
        keys, first, inverse, counts = np.unique(ranks[ends - 1] * base + padded[ends], return_index=True,
                                                 return_inverse=True, return_counts=True)
        if below is not None:
            # continuation count of a (k-1)-gram: the distinct k-grams it ends, one occurrence of each
            lower = tables[k - 1][0]
            tables[k - 1] = (lower, np.bincount(below[first], minlength=len(lower)))
        tables[k] = (keys, counts)
        if k < n:
            ranks = np.full(len(padded), len(keys), np.int64)  # at the padding: the all-padding k-gram
            ranks[ends] = inverse
            below = inverse
    return tables


def _padded(arrays, n: int, pad: int) -> tuple[np.ndarray, np.ndarray]:
    """The id arrays joined, each after n - 1 padding symbols, and the positions of their symbols."""
    lead = np.full(n - 1, pad, np.int64)
    padded = np.concatenate([part for ids in arrays for part in (lead, ids)])
    starts = np.cumsum([0] + [n - 1 + len(ids) for ids in arrays[:-1]]) + (n - 1)
    ends = np.concatenate([start + np.arange(len(ids)) for start, ids in zip(starts, arrays)]) \
        if arrays else np.empty(0, np.int64)
    return padded, ends.astype(np.int64)


def _check_characters(vocab) -> None:
    """The vocabulary of a model of characters: a str, or an iterable of one-character strs."""
    if isinstance(vocab, str):
        return
    if not hasattr(vocab, "__iter__"):
        raise TypeError(f"for a str training text vocab must be a str or a list of characters, got {vocab!r} "
                        "(a number of symbols is for integer ids)")
    bad = next((s for s in vocab if not (isinstance(s, str) and len(s) == 1)), None)
    if bad is not None:
        raise ValueError(f"for a str training text vocab must hold single characters; got {bad!r} "
                         "(a token of several characters, or a non-str, would be split or miscounted)")


def _as_ids(seq) -> np.ndarray:
    """Integer ids as a 1-D int64 array (lists, numpy arrays, CPU torch tensors)."""
    if hasattr(seq, "detach"):  # torch tensor, possibly on a GPU
        seq = seq.detach().cpu().numpy()
    ids = np.asarray(seq)
    if ids.ndim != 1 or (ids.size and not np.issubdtype(ids.dtype, np.integer)):
        raise TypeError(f"expected a str or a 1-D sequence of integer ids, got {ids.dtype} "
                        f"of shape {ids.shape}")
    return ids.astype(np.int64)


def ngram_nll(train, val, order: int, discount: float | None = None, vocab=None) -> float:
    """Nats per symbol of ``val`` under an n-gram model fitted on ``train``.

    ``val`` continues ``train``: its first symbols are predicted from the end of it.
    """
    return NgramLM(order, discount).fit(train, vocab).nll(val)


def select_order(train, orders=range(1, 7), heldout_fraction: float = 0.1,
                 discount: float | None = None, vocab=None) -> tuple[int, dict[int, float]]:
    """The best order on the last ``heldout_fraction`` of ``train``, fitted on the rest.

    Returns ``(best_order, {order: held-out nats per symbol})``. The validation text
    is not touched, so its number stays an honest estimate for the chosen order.
    Any orders work (see :class:`NgramLM`); each is fitted anew, in time about linear in
    the order: ``range(1, 17)`` over the 1.5 million training characters of lecture 05
    takes about half a minute on one core and picks n = 13.
    """
    fraction("heldout_fraction", heldout_fraction)
    if not hasattr(orders, "__iter__"):
        raise TypeError(f"orders must be a sequence of orders (range(1, 7), [3]), got {orders!r}")
    orders = [positive_int("order", k) for k in orders]
    if not orders:
        raise ValueError("orders is empty")
    cut = len(train) - int(round(len(train) * heldout_fraction))
    if not 0 < cut < len(train):
        raise ValueError(f"a training sequence of {len(train)} symbols leaves nothing to fit or "
                         f"nothing to hold out with heldout_fraction={heldout_fraction}")
    fit_part, heldout = train[:cut], train[cut:]
    if vocab is None and isinstance(train, str):
        vocab = set(train)  # the held-out slice may hold characters rare in the rest
    elif vocab is None:
        vocab = int(_as_ids(train).max()) + 1
    scores = {k: NgramLM(k, discount).fit(fit_part, vocab).nll(heldout) for k in orders}
    return min(scores, key=scores.get), scores


def word_baseline_perplexities(train_ids, val_ids, vocab_size: int) -> dict[str, float]:
    """Validation perplexities of the word baselines over ids that already contain ``<unk>``.

    ``{"uniform": V, "unigram": ..., "bigram": ...}``: the unigram is absolute
    discounting towards uniform (order 1), the bigram interpolated modified Kneser-Ney
    with the unigram below it; both spread mass over the whole vocabulary of size
    ``vocab_size``, like the softmax of the word LSTM, so the perplexities compare.
    """
    vocab_size = positive_int("vocab_size", vocab_size)
    out = {"uniform": float(vocab_size)}
    for name, order in (("unigram", 1), ("bigram", 2)):
        out[name] = perplexity(ngram_nll(train_ids, val_ids, order, vocab=vocab_size))
    return out


# --------------------------------------------------------------------------- compressors

_COMPRESSORS = {
    "gzip": lambda data: gzip.compress(data, compresslevel=9, mtime=0),
    "bz2": lambda data: bz2.compress(data, compresslevel=9),
    "xz": lambda data: lzma.compress(data, preset=9 | lzma.PRESET_EXTREME),
}


class CompressionRate(NamedTuple):
    method: str
    bits_per_char: float
    nats_per_char: float
    resolution_bits: float = math.nan
    """The step of ``bits_per_char``: one byte of compressed size over the validation text, 8 / len(val)."""


MIN_VAL_CHARS = 1000
"""Below this many validation characters a compressor's rate is mostly noise (a warning says so):
on a few hundred random characters bz2's rate still scatters by about a bit per character."""


def compression_rate(train: str, val: str, method: str = "bz2", encoding: str = "utf-8") -> CompressionRate:
    """Bits (and nats) per character the compressor spends on ``val`` after ``train``.

    (len(compress(train + val)) - len(compress(train))) * 8 / len(val), the texts
    encoded with ``encoding``; divided by characters, not bytes (in UTF-8 a Cyrillic
    letter takes two). How much of ``train`` really serves as context depends on
    the compressor:

    * gzip (DEFLATE, level 9) only refers back 32 KiB: about 16 000 Cyrillic
      characters of UTF-8 before the point being coded. The validation text is
      coded as if on its own, with the training text almost unused;
    * bz2 (level 9) sorts blocks of 900 kB independently: the validation text shares
      its block with at most the end of the training text;
    * xz (LZMA, preset 9 | EXTREME) has a 64 MiB dictionary and the whole
      training text as context.

    The container headers cancel in the difference (gzip is written with mtime=0).
    Sizes are whole bytes, so the rate moves in steps of 8 / len(val) bits
    (``resolution_bits``), and a compressor can code ``train + val`` in fewer bytes than
    ``train`` alone (bz2 re-sorts its block, DEFLATE re-chooses its Huffman tables). On a short
    validation text the difference is mostly such noise: below :data:`MIN_VAL_CHARS` characters
    a ``UserWarning`` says so, and a rate below 0 (which no code can achieve) is reported as 0
    with a warning.
    """
    one_of("method", method, sorted(_COMPRESSORS))
    if not isinstance(train, str) or not isinstance(val, str):
        raise TypeError(f"compression_rate takes two str texts, got {type(train).__name__} and "
                        f"{type(val).__name__}")
    if not val:
        raise ValueError("the validation text is empty: bits per character are undefined")
    resolution = 8 / len(val)
    if len(val) < MIN_VAL_CHARS:
        warnings.warn(f"a validation text of {len(val)} characters is too short for a compression rate: sizes "
                      f"are whole bytes (steps of {resolution:.3g} bits per character) and a compressor's "
                      f"overhead shifts by several bytes; use at least {MIN_VAL_CHARS} characters",
                      UserWarning, stacklevel=2)
    compress = _COMPRESSORS[method]
    before = len(compress(_encode(train, "train", encoding)))
    after = len(compress(_encode(train + val, "val", encoding, offset=len(train))))
    bits = (after - before) * 8 / len(val)
    if bits < 0:
        warnings.warn(f"{method} coded train + val in {before - after} byte(s) fewer than train alone: "
                      f"{bits:.3g} bits per character is noise of the compressor, reported as 0 (resolution "
                      f"{resolution:.3g} bits per character)", UserWarning, stacklevel=2)
        bits = 0.0
    return CompressionRate(method, bits, bits_to_nats(bits), resolution)


def _encode(text: str, name: str, encoding: str, offset: int = 0) -> bytes:
    """``text`` in ``encoding``, or an error naming the character it cannot hold."""
    try:
        return text.encode(encoding)
    except UnicodeEncodeError as error:
        position = error.start - offset if error.start >= offset else error.start
        where = name if error.start >= offset else "train"
        raise ValueError(f"encoding {encoding!r} cannot hold the character {text[error.start]!r} at position "
                         f"{position} of {where}; use encoding='utf-8'") from None


def compressor_baselines(train: str, val: str, methods=("gzip", "bz2", "xz"),
                         encoding: str = "utf-8") -> dict[str, CompressionRate]:
    """:func:`compression_rate` of every method, by name."""
    if isinstance(methods, str):
        methods = (methods,)
    return {m: compression_rate(train, val, m, encoding) for m in methods}
