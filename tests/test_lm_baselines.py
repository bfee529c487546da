"""Baselines of lecture 05: Kneser-Ney n-grams against a dict-based reference, compressors."""
from __future__ import annotations

import math
import warnings
from collections import Counter, defaultdict

import numpy as np
import pytest
import torch

from lecture_utils import lm_baselines as lmb
from lecture_utils.lm_baselines import (
    MIN_VAL_CHARS,
    NgramLM,
    compression_rate,
    compressor_baselines,
    estimate_discounts,
    ngram_nll,
    select_order,
    uniform_nll,
    word_baseline_perplexities,
)
from lecture_utils.metrics import perplexity

ALPHABET = "абвгде ."


def random_text(length, seed, alphabet=ALPHABET, skew=1.5):
    """Characters with Zipf-like frequencies, so that counts of 1, 2, 3, 4+ all occur."""
    rng = np.random.default_rng(seed)
    p = 1 / np.arange(1, len(alphabet) + 1) ** skew
    return "".join(rng.choice(list(alphabet), size=length, p=p / p.sum()))


def markov_ids(length, vocab, seed, order=2):
    """Ids of a random Markov chain of the given order: each context has a sharp next-id law."""
    rng = np.random.default_rng(seed)
    laws = rng.dirichlet(np.full(vocab, 0.1), size=vocab ** order)
    ids = list(rng.integers(vocab, size=order))
    for _ in range(length - order):
        context = 0
        for i in ids[-order:]:
            context = context * vocab + i
        ids.append(int(rng.choice(vocab, p=laws[context])))
    return np.array(ids)


# --------------------------------------------------------------------------- a reference

def reference_distribution(train, vocab, n, discounts, history, sequences=False):
    """Interpolated Kneser-Ney written the slow, obvious way: dicts, sets and recursion.

    ``sequences=True``: ``train`` is a list of independent sequences, each read from the padding.
    """
    pad = None
    grams = []  # (padded sequence, position of a symbol) for every training symbol
    for seq in (train if sequences else [train]):
        padded = [pad] * (n - 1) + list(seq)
        grams += [(padded, i) for i in range(n - 1, len(padded))]
    counts = {n: Counter(tuple(padded[i - n + 1:i + 1]) for padded, i in grams)}
    for k in range(1, n):
        before = defaultdict(set)
        for padded, i in grams:
            gram = tuple(padded[i - k:i + 1])
            before[gram[1:]].add(gram[0])
        counts[k] = {gram: len(left) for gram, left in before.items()}

    def prob(k, context, w):
        if k == 0:
            return 1 / len(vocab)
        same_context = {g: c for g, c in counts[k].items() if g[:-1] == context}
        total = sum(same_context.values())
        lower = prob(k - 1, context[1:], w)
        if total == 0:
            return lower
        discount = lambda c: discounts[k - 1][min(c, 3) - 1]  # noqa: E731
        gamma = sum(discount(c) for c in same_context.values()) / total
        c = same_context.get(context + (w,), 0)
        return (max(c - discount(c), 0) if c else 0) / total + gamma * lower

    context = ([pad] * (n - 1) + list(history))[len(history):] if n > 1 else []
    return np.array([prob(n, tuple(context), w) for w in vocab])


@pytest.mark.parametrize("n", [1, 2, 3, 4])
@pytest.mark.parametrize("discount", [None, 0.6])
def test_matches_the_reference(n, discount):
    train = random_text(400, seed=n)
    vocab = ALPHABET + "xy"  # two symbols never seen in training
    model = NgramLM(n, discount).fit(train, vocab=vocab)
    assert model.symbols == "".join(sorted(vocab))
    rng = np.random.default_rng(0)
    starts = rng.integers(len(train) - n, size=8)
    histories = ["", "x", "xy" * n, "а" * n, train] + [train[s:s + n - 1] for s in starts]
    for history in histories:
        expected = reference_distribution(train, model.symbols, n, model.discounts, history)
        np.testing.assert_allclose(model.distribution(history), expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_sequences_match_the_reference(n):
    words = random_text(600, seed=10 + n).split(" ")
    names = [word + "." for word in words if word]  # each ends with a boundary the model predicts
    model = NgramLM(n).fit_sequences(names, vocab=ALPHABET + "x")
    for history in ["", "а", "x" * n, names[0][:-1]]:
        expected = reference_distribution(names, model.symbols, n, model.discounts, history, sequences=True)
        np.testing.assert_allclose(model.distribution(history), expected, rtol=1e-12, atol=1e-15)
    # scoring: every symbol from its own sequence's padding, the same as log_probs with an empty history
    heldout = [word + "." for word in random_text(200, seed=99).split(" ") if word]
    by_one = np.concatenate([model.log_probs(name, history="") for name in heldout])
    np.testing.assert_allclose(model.log_probs_sequences(heldout), by_one, rtol=1e-12)
    assert model.nll_sequences(heldout) == pytest.approx(-by_one.mean(), rel=1e-12)


def test_sequences_share_no_ngram():
    # "ab" and "cd" apart: the bigram b->c never happened, so c after b gets only the back-off mass;
    # read as one text "abcd" it would have been counted
    apart, joined = NgramLM(2, 0.5).fit_sequences(["ab", "cd"]), NgramLM(2, 0.5).fit("abcd")
    c = apart.symbols.index("c")
    assert apart.distribution("b")[c] < joined.distribution("b")[c]
    assert NgramLM(2, 0.5).fit_sequences(["abcd"]).distribution("b")[c] == joined.distribution("b")[c]
    ids = NgramLM(3).fit_sequences([[0, 1, 2], [2, 1]], vocab=4)
    assert ids.log_probs_sequences([[0, 1], [3]]).shape == (3,)


def test_sequences_refuse_bad_input():
    with pytest.raises(TypeError, match="use fit"):
        NgramLM(2).fit_sequences("abc")
    with pytest.raises(ValueError, match="no symbols"):
        NgramLM(2).fit_sequences(["", ""])
    with pytest.raises(TypeError, match="mixes"):
        NgramLM(2).fit_sequences(["ab", [0, 1]])
    model = NgramLM(2).fit_sequences(["ab"])
    with pytest.raises(ValueError, match="'z' at position 1"):
        model.log_probs_sequences(["a", "az"])
    with pytest.raises(ValueError, match="without symbols"):
        model.nll_sequences([""])


def test_hand_computed_bigram():
    # "abcab" read as P a b c a b. Bigram counts: Pa 1, ab 2, bc 1, ca 1.
    # Continuation counts: a 2 (after P and c), b 1, c 1, total 4; with D = 1/2 and V = 3:
    # P1(a) = 1.5/4 + 0.5 * 3/4 * 1/3 = 0.5, P1(b) = P1(c) = 0.5/4 + 0.125 = 0.25.
    model = NgramLM(2, discount=0.5).fit("abcab")
    np.testing.assert_allclose(model.distribution("c"), [0.75, 0.125, 0.125])  # 0.5 + 0.5 * P1
    # after "a": b seen twice, one distinct follower: 1.5/2 + 0.25 * P1
    np.testing.assert_allclose(model.distribution("a"), [0.125, 0.8125, 0.0625])
    np.testing.assert_allclose(model.distribution(), model.distribution("b"))  # training ends in b
    np.testing.assert_allclose(model.distribution("b"), [0.25, 0.125, 0.625])
    # "ca" after the training text: P(c | b) = 0.625, P(a | c) = 0.75
    assert model.nll("ca") == pytest.approx(-(math.log(0.625) + math.log(0.75)) / 2, rel=1e-12)
    assert ngram_nll("abcab", "ca", 2, discount=0.5) == pytest.approx(model.nll("ca"), rel=1e-12)


def test_estimated_discounts_follow_chen_goodman():
    # n1 = 10, n2 = 5, n3 = 3, n4 = 2: Y = 0.5, D1 = 0.5, D2 = 2 - 0.9 = 1.1, D3+ = 3 - 4/3
    counts = [1] * 10 + [2] * 5 + [3] * 3 + [4] * 2 + [9]
    assert estimate_discounts(counts) == pytest.approx((0.5, 1.1, 3 - 4 / 3))
    assert estimate_discounts([1, 1, 2]) == (0.75, 0.75, 0.75)  # no count of 3 or 4: the default
    # n2 much larger than n1 would make D1 negative: clipped to stay positive
    assert estimate_discounts([1] + [2] * 10 + [3] * 2 + [4])[0] == pytest.approx(0.05)


@pytest.mark.parametrize("discount", [None, 0.5])
def test_order_one_is_the_smoothed_unigram(discount):
    train = random_text(500, seed=3)
    vocab = ALPHABET + "z"
    model = NgramLM(1, discount).fit(train, vocab=vocab)
    counts = Counter(train)
    d = model.discounts[0] if discount is None else (discount,) * 3
    symbols = model.symbols
    seen = sum(1 for ch in symbols if counts[ch])
    gamma = sum(d[min(counts[ch], 3) - 1] for ch in symbols if counts[ch]) / len(train)
    expected = np.array([(max(counts[ch] - d[min(counts[ch], 3) - 1], 0) if counts[ch] else 0)
                         / len(train) + gamma / len(symbols) for ch in symbols])
    assert seen == len(ALPHABET)
    np.testing.assert_allclose(model.distribution(), expected, rtol=1e-12)
    np.testing.assert_allclose(model.distribution("абв"), expected, rtol=1e-12)  # no context
    assert model.nll("zа") == pytest.approx(-np.log(expected[[symbols.index("z"), symbols.index("а")]]).mean())


@pytest.mark.parametrize("n", range(1, 7))
def test_normalised_for_seen_and_unseen_contexts(n):
    train = random_text(3000, seed=10 + n)
    model = NgramLM(n).fit(train, vocab=ALPHABET + "qz")
    histories = [None, "", "q", "qz" * 4, "zа", train[:n], train[100:100 + n - 1], "ее" * 3]
    for history in histories:
        p = model.distribution(history)
        assert p.shape == (len(ALPHABET) + 2,)
        assert p.sum() == pytest.approx(1.0, abs=1e-12)
        assert (p > 0).all()


def test_more_data_never_breaks_normalisation():
    ids = markov_ids(6000, vocab=12, seed=4)
    for length in (1, 2, 5, 50, 500, 6000):
        for n in (1, 2, 3, 5):
            model = NgramLM(n).fit(ids[:length], vocab=12)
            for history in (None, [], [11, 11, 11, 11], ids[:7]):
                assert model.distribution(history).sum() == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("n", [1, 2, 4])
def test_scores_agree_with_the_distribution(n, monkeypatch):
    train, val = random_text(2000, seed=5), random_text(40, seed=6)
    model = NgramLM(n).fit(train)
    expected = [math.log(model.distribution(train + val[:i])[model.symbols.index(ch)])
                for i, ch in enumerate(val)]
    np.testing.assert_allclose(model.log_probs(val), expected, rtol=1e-12)
    fresh = [math.log(model.distribution(val[:i])[model.symbols.index(ch)]) for i, ch in enumerate(val)]
    np.testing.assert_allclose(model.log_probs(val, history=""), fresh, rtol=1e-12)
    monkeypatch.setattr(lmb, "SCORE_CHUNK", 7)  # chunk borders must not lose the context
    np.testing.assert_allclose(model.log_probs(val), expected, rtol=1e-12)


def ranked(monkeypatch, model, method, *args, **kwargs):
    """``model`` fitted by ``method``, its grams keyed by rank even where their number in base V + 1 fits."""
    with monkeypatch.context() as patch:
        patch.setattr(lmb, "MAX_ORDER_KEY", 1)
        getattr(model, method)(*args, **kwargs)
    assert model._ranked
    return model


@pytest.mark.parametrize("n", [1, 2, 3, 5, 7])
def test_ranked_keys_give_the_same_probabilities(n, monkeypatch):
    """Ranked keys (any order) against numbered ones (orders whose n-grams fit 64 bits): the same
    counts summed in the same order, so the same floats, for fit and fit_sequences alike."""
    train, val = random_text(3000, seed=20 + n), random_text(300, seed=30 + n)
    vocab = ALPHABET + "xy"
    numbered = NgramLM(n).fit(train, vocab=vocab)
    fast = ranked(monkeypatch, NgramLM(n), "fit", train, vocab=vocab)
    assert not numbered._ranked and fast.discounts == numbered.discounts
    for history in [None, "", "x", "xy" * n, train[:40], val[:n - 1], "ее" * n]:
        np.testing.assert_array_equal(fast.distribution(history), numbered.distribution(history))
    for history in [None, "", "y"]:
        np.testing.assert_array_equal(fast.log_probs(val, history), numbered.log_probs(val, history))
    monkeypatch.setattr(lmb, "SCORE_CHUNK", 7)  # chunk borders must not lose the context
    np.testing.assert_array_equal(fast.log_probs(val), numbered.log_probs(val))

    names = [""] + [word + "." for word in random_text(3000, seed=40 + n).split(" ") if word] + [""]
    numbered = NgramLM(n, 0.6).fit_sequences(names, vocab=vocab)
    fast = ranked(monkeypatch, NgramLM(n, 0.6), "fit_sequences", names, vocab=vocab)
    heldout = [word + "." for word in val.split(" ") if word] + ["", "xy" * n, "а"]
    np.testing.assert_array_equal(fast.log_probs_sequences(heldout), numbered.log_probs_sequences(heldout))
    for history in [None, "", "а", names[1][:-1], "x"]:
        np.testing.assert_array_equal(fast.distribution(history), numbered.distribution(history))


def test_ranked_keys_on_ids_and_tiny_texts(monkeypatch):
    ids = markov_ids(500, vocab=9, seed=12)
    for n in (4, 9):  # 9: longer than some sequences, every context short of padding
        numbered = NgramLM(n).fit(ids, vocab=11)
        fast = ranked(monkeypatch, NgramLM(n), "fit", ids, vocab=11)
        for history in [None, [], [10], ids[:3], ids[200:230]]:
            np.testing.assert_array_equal(fast.distribution(history), numbered.distribution(history))
        parts = [ids[:3], ids[3:3], ids[3:60], [10, 10]]
        numbered = NgramLM(n).fit_sequences(parts, vocab=11)
        fast = ranked(monkeypatch, NgramLM(n), "fit_sequences", parts, vocab=11)
        np.testing.assert_array_equal(fast.log_probs_sequences([ids[:20], [], [10, 0, 1]]),
                                      numbered.log_probs_sequences([ids[:20], [], [10, 0, 1]]))
    tiny = ranked(monkeypatch, NgramLM(6), "fit", "ab")  # shorter than the context
    np.testing.assert_array_equal(tiny.distribution(), NgramLM(6).fit("ab").distribution())


FORTY = "абвгдежзийклмнопрстуфхцчшщъыьэюя .,!?-:;"  # 40 symbols: 41^13 > 2^62, beyond numbered keys


@pytest.mark.parametrize("discount", [None, 0.6])
def test_order_beyond_64_bit_numbers_matches_the_reference(discount):
    n = 13
    assert (len(FORTY) + 1) ** n > lmb.MAX_ORDER_KEY
    phrases = [random_text(30, seed=s, alphabet=FORTY, skew=1.0) for s in range(6)]
    rng = np.random.default_rng(5)  # phrases repeated with changes: long contexts seen 1, 2, 3+ times
    train = "".join(phrases[i] for i in rng.integers(len(phrases), size=12)) + random_text(100, 7, FORTY)
    model = NgramLM(n, discount).fit(train, vocab=FORTY + "ж")
    assert model._ranked and model.vocab_size == len(FORTY)
    starts = rng.integers(len(train) - n, size=4)
    histories = ["", "ю", "яя" * n, phrases[0], phrases[1][:20], train] + [train[s:s + n + 3] for s in starts]
    for history in histories:
        expected = reference_distribution(train, model.symbols, n, model.discounts, history)
        np.testing.assert_allclose(model.distribution(history), expected, rtol=1e-12, atol=1e-15)
    val = phrases[2] + phrases[0][:17] + "??"
    expected = [math.log(model.distribution(train + val[:i])[model.symbols.index(ch)]) for i, ch in enumerate(val)]
    np.testing.assert_allclose(model.log_probs(val), expected, rtol=1e-12)

    names = [phrase[:length] for phrase in phrases for length in (5, 14, 22, 30)]
    model = NgramLM(n, discount).fit_sequences(names, vocab=FORTY)
    assert model._ranked
    for history in ["", phrases[3][:4], phrases[4][:16], "!"]:
        expected = reference_distribution(names, model.symbols, n, model.discounts, history, sequences=True)
        np.testing.assert_allclose(model.distribution(history), expected, rtol=1e-12, atol=1e-15)
    by_one = np.concatenate([model.log_probs(name, history="") for name in names[::3]])
    np.testing.assert_allclose(model.log_probs_sequences(names[::3]), by_one, rtol=1e-12)


def test_any_order_fits_any_vocabulary():
    """Before, an order whose n-grams did not fit 64-bit numbers raised ValueError ("64-bit keys")."""
    ids = np.arange(20000)  # 20001^5 > 2^62
    model = NgramLM(5).fit(ids)
    assert model._ranked and model.vocab_size == 20000
    p = model.distribution([7, 8, 9, 10])
    assert p.sum() == pytest.approx(1.0, abs=1e-12) and p.argmax() == 11 and (p > 0).all()
    assert model.distribution([10, 9]).sum() == pytest.approx(1.0, abs=1e-12)  # an unseen context
    assert model.nll(ids[100:200], history=ids[:100]) < model.nll(ids[100:200][::-1], history=ids[:100])
    deep = NgramLM(40).fit(random_text(5000, seed=8))  # 9^40 > 2^62 over the 8 characters
    assert deep.distribution().sum() == pytest.approx(1.0, abs=1e-12)
    assert np.isfinite(deep.nll(random_text(300, seed=9)))


def test_longer_context_helps_on_a_markov_chain():
    ids = markov_ids(20000, vocab=6, seed=7, order=2)
    best, scores = select_order(ids, orders=range(1, 6))
    assert best == min(scores, key=scores.get)
    assert scores[3] < scores[2] < scores[1]  # a 3-gram sees the whole context of the chain
    cut = len(ids) - 2000
    assert scores[2] == pytest.approx(ngram_nll(ids[:cut], ids[cut:], 2, vocab=6))
    assert best in (3, 4)


def test_word_ids_and_perplexities():
    ids = markov_ids(8000, vocab=30, seed=8, order=1)
    train, val = ids[:7000], ids[7000:]
    result = word_baseline_perplexities(torch.as_tensor(train), torch.as_tensor(val), vocab_size=40)
    assert result["uniform"] == 40
    assert result["bigram"] < result["unigram"] < result["uniform"]
    assert result["bigram"] == pytest.approx(perplexity(ngram_nll(train, val, 2, vocab=40)))
    model = NgramLM(2).fit(train, vocab=40)
    assert np.isfinite(model.nll([35, 39, 0]))  # in the vocabulary, never seen: small but finite


def test_bad_input_is_refused_clearly():
    with pytest.raises(ValueError, match="empty"):
        NgramLM(2).fit("")
    with pytest.raises(ValueError, match="empty"):
        NgramLM(2).fit([])
    for order in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="order"):
            NgramLM(order)
    for discount in (0, 1.5, float("nan")):
        with pytest.raises(ValueError, match="discount"):
            NgramLM(2, discount)
    with pytest.raises(RuntimeError, match="fit"):
        NgramLM(2).nll("ab")
    model = NgramLM(3).fit("абвабв")
    with pytest.raises(ValueError, match=r"'ж' at position 2"):
        model.nll("абжв")
    with pytest.raises(ValueError, match="empty"):
        model.nll("")
    with pytest.raises(TypeError, match="str"):
        model.nll([0, 1])
    before = model.distribution("аб")
    with pytest.raises(ValueError, match="vocab=3"):
        model.fit([0, 1, 5], vocab=3)  # a failed refit keeps the model as it was
    np.testing.assert_array_equal(model.distribution("аб"), before)
    ids_model = NgramLM(2).fit([0, 1, 2, 1], vocab=4)
    with pytest.raises(ValueError, match="id 4 at position 1"):
        ids_model.nll([1, 4])
    with pytest.raises(ValueError, match="id -1"):
        ids_model.nll([-1])
    with pytest.raises(TypeError, match="integer"):
        ids_model.nll([0.5, 1.0])
    with pytest.raises(ValueError, match="heldout_fraction"):
        select_order("абвгд", heldout_fraction=1)
    with pytest.raises(ValueError, match="vocab_size"):
        uniform_nll(0)


def test_compressors_see_the_repeat_of_their_context():
    rng = np.random.default_rng(1)
    alphabet = list("абвгдежзийклмнопрстуфхцчшщ .,!")
    block = "".join(rng.choice(alphabet, 3000))
    fresh = "".join(rng.choice(alphabet, 6000))
    rates = compressor_baselines(block * 10, block * 2)
    assert set(rates) == {"gzip", "bz2", "xz"}
    for method, rate in rates.items():
        assert rate.method == method
        assert rate.bits_per_char < 0.2, rate  # the validation text only repeats its context
        assert rate.nats_per_char == pytest.approx(rate.bits_per_char * math.log(2))
        # new random text costs about log2(30) = 4.9 bits per character or more
        assert compression_rate(block * 10, fresh, method).bits_per_char > 4.5


def test_gzip_window_is_32_kib():
    rng = np.random.default_rng(2)
    far = "".join(rng.choice(list("abcdefghijklmnop"), 50000))  # 50 kB: beyond gzip's window
    assert compression_rate(far, far[:5000], "xz").bits_per_char < 0.2
    assert compression_rate(far, far[:5000], "gzip").bits_per_char > 3.5  # ~log2(16) = 4
    with pytest.raises(ValueError, match="method must be one of 'bz2', 'gzip', 'xz'; got 'zip'"):
        compression_rate(far, far, "zip")
    with pytest.raises(ValueError, match="empty"):
        compression_rate(far, "", "gzip")


def test_uniform_nll():
    assert uniform_nll(140) == pytest.approx(math.log(140))
    assert uniform_nll(np.int64(140)) == pytest.approx(math.log(140))


# --- bad input the reliability review found (D8, D16, NG8d, NG13b), and more of the kind -------------------


@pytest.mark.parametrize("train, val, method", [
    ("aaaa", "a", "gzip"),                      # report: -8.0 bits per character
    ("ab" * 10 + "ccc", "abab", "bz2"),         # report: -2.0
    (random_text(20000, seed=1), "абвгд", "bz2"),
])
def test_compression_rate_of_a_tiny_validation_text_is_never_negative_and_warns(train, val, method):
    """D8: before, negative bits per character without a word."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rate = compression_rate(train, val, method)
    messages = [str(w.message) for w in caught if w.category is UserWarning]
    assert any(f"a validation text of {len(val)} characters is too short" in m for m in messages), messages
    assert rate.bits_per_char >= 0 and rate.nats_per_char >= 0
    assert rate.resolution_bits == pytest.approx(8 / len(val))


def test_compression_rate_of_a_long_enough_text_does_not_warn_and_reports_its_resolution():
    text = random_text(30000, seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rates = compressor_baselines(text[:-MIN_VAL_CHARS], text[-MIN_VAL_CHARS:])
    for rate in rates.values():
        assert rate.resolution_bits == 8 / MIN_VAL_CHARS and 1 < rate.bits_per_char < 8


def test_compression_rate_below_zero_is_reported_as_zero_with_a_warning(monkeypatch):
    """A compressor can code train + val in fewer bytes than train alone; no code has a negative rate."""
    sizes = iter([100, 97])  # compressed train, then train + val
    monkeypatch.setitem(lmb._COMPRESSORS, "bz2", lambda data: b"x" * next(sizes))
    with pytest.warns(UserWarning, match=r"bz2 coded train \+ val in 3 byte\(s\) fewer .*reported as 0"):
        rate = compression_rate("a" * 5000, "b" * 2000, "bz2")
    assert rate.bits_per_char == 0.0 and rate.resolution_bits == 8 / 2000


def test_compression_rate_names_a_character_its_encoding_cannot_hold():
    with pytest.raises(ValueError, match=r"encoding 'ascii' cannot hold the character 'ж' at position 3 of val"):
        compression_rate("abc" * 400, "abcж" * 300, "gzip", encoding="ascii")
    with pytest.raises(ValueError, match=r"'ж' at position 1 of train"):
        compression_rate("aж" * 600, "abc" * 400, "gzip", encoding="ascii")
    with pytest.raises(TypeError, match="compression_rate takes two str texts, got str and bytes"):
        compression_rate("abc", b"abc")


@pytest.mark.parametrize("discount, match", [(True, "discount must be a finite number, got True"),
                                             (False, "discount must be a finite number, got False"),
                                             (math.inf, "discount must be a finite number"),
                                             (-0.5, r"discount must lie in \(0, 1\], got -0.5")])
def test_discount_refuses_bools_and_numbers_outside_0_1(discount, match):
    """D16: before, discount=True was taken as a discount of 1."""
    with pytest.raises(ValueError, match=match):
        NgramLM(2, discount)
    assert NgramLM(2, np.float32(0.5)).discount == 0.5 and NgramLM(2, 1).discount == 1.0


@pytest.mark.parametrize("vocab, error, match", [
    (5, TypeError, "vocab must be a str or a list of characters, got 5"),              # before: raw TypeError
    (["аб", "в"], ValueError, "vocab must hold single characters; got 'аб'"),           # before: silently wrong
    (["а", 1], ValueError, "vocab must hold single characters; got 1"),
])
def test_character_vocab_must_be_characters(vocab, error, match):
    with pytest.raises(error, match=match):
        NgramLM(2).fit("абвабв", vocab=vocab)
    assert NgramLM(2).fit("абв", vocab=["а", "б", "в", "г"]).vocab_size == 4


def test_select_order_checks_its_arguments():
    for bad in (True, math.nan, 0, 1.5):
        with pytest.raises(ValueError, match="heldout_fraction"):
            select_order("абвгдабвгд", heldout_fraction=bad)
    with pytest.raises(TypeError, match="orders must be a sequence of orders"):
        select_order("абвгдабвгд" * 10, orders=3)
    assert select_order("абвгдабвгд" * 10, orders=[np.int64(2)])[0] == 2
