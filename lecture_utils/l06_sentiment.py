"""Lecture 06: a review is positive or negative -- an LSTM classifier, its batches, loss and verdict.

The pieces, in the order the lecture uses them:

* :func:`encode_reviews` -- token lists -> id tensors, cut to ``max_len`` tokens;
* :class:`ReviewBatches` -- reviews grouped into ``(ids, lengths, labels)`` batches, either
  bucketed by length (little padding) or naively padded to one length;
* :class:`SentimentLSTM` -- embedding -> (Bi)LSTM -> one logit, read from the last state
  or from a max over time; given the lengths, it reads no padding;
* :func:`review_loss` -- binary cross-entropy summed over reviews, plus the number right,
  for :func:`~lecture_utils.training.fit`;
* :func:`predict_proba`, :func:`positive_probability` -- probabilities of "positive";
  :class:`AveragedClassifier` -- several models (e.g. of the last epochs) as one;
* :func:`tfidf_logreg` -- the linear baseline: TF-IDF of word n-grams + logistic regression;
* :func:`check_nb_ratio`, :func:`check_mean_max` -- the checks of exercises 2 and 4, tested both
  ways in tests/test_l06_sentiment.py.
"""
from __future__ import annotations

import copy
import inspect
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .checks import non_negative, non_negative_int, one_of, positive, positive_int, short
from .config import seed_everything
from .exercises import CheckFailed, _not_solved, check_array, unsolved
from .experiments import Sweep
from .models import check_ids, device_of, eval_mode, num_parameters, register_model
from .sequences import LengthBatches, pad_batch, reverse_within
from .text import PAD, UNK, Vocab, tokenize
from .training import BatchLoss, fit

__all__ = ["PAD", "UNK", "AveragedClassifier", "ReviewBatches", "SentimentLSTM", "check_mean_max", "check_nb_ratio",
           "encode_reviews", "mean_max_features", "nb_log_ratio", "pad_batch", "positive_probability", "predict_proba",
           "review_loss", "reverse_within", "tfidf_logreg", "SWEEPS", "imdb_split", "review_vocab", "step_run",
           "train_review_lstm"]
POOLINGS = ("last", "max")


def encode_reviews(token_lists: Sequence[Sequence[str]], vocab: Vocab, max_len: int | None = None,
                   keep: str = "start") -> list[torch.Tensor]:
    """One LongTensor of ids per review, at most ``max_len`` ids long.

    ``token_lists`` holds one list of tokens per review (``[tokenize(text) for text in texts]``);
    a raw str is refused, as it would be read character by character. ``keep="start"`` keeps
    a long review's first ``max_len`` tokens, ``keep="end"`` its last ones (what Keras'
    ``pad_sequences`` does by default, and so the source lecture). An empty review becomes
    one ``<unk>``, so that every review has a length of at least 1 (a review of length 0 has
    no last word to read the state at); the vocabulary needs an unknown token for that.
    """
    one_of("keep", keep, ("start", "end"))
    if max_len is not None:
        max_len = positive_int("max_len", max_len)
    _check_token_lists("encode_reviews", token_lists)
    if vocab.unk is None:
        raise ValueError(f"encode_reviews needs a vocabulary with an unknown token ({vocab!r} has none): an empty "
                         "review becomes one <unk>; build it with Vocab.build(..., unk=UNK)")
    unk = vocab.id(vocab.unk)
    encoded = []
    for tokens in token_lists:
        ids = vocab.encode(tokens) or [unk]
        if max_len is not None and len(ids) > max_len:
            ids = ids[:max_len] if keep == "start" else ids[-max_len:]
        encoded.append(torch.tensor(ids, dtype=torch.long))
    return encoded


def _check_token_lists(caller: str, token_lists) -> None:
    """A list of token lists, or a TypeError naming the first review that is a raw str: a str would
    be read as a sequence of characters, and the model built on characters without a word."""
    if isinstance(token_lists, (str, bytes)) or not hasattr(token_lists, "__len__"):
        raise TypeError(f"{caller} takes a list of token lists (one per review), not {type(token_lists).__name__}")
    for row, tokens in enumerate(token_lists):
        if isinstance(tokens, (str, bytes)):
            raise TypeError(f"review {row} is a str ({short(tokens, 50)}), not a list of tokens: tokenize the "
                            f"texts first, {caller}([tokenize(text) for text in texts], ...)")


def _binary_labels(name: str, labels: torch.Tensor) -> None:
    """Every label 0 or 1, or a ValueError naming the first other one (stars 0..2, -1/+1, NaN)."""
    bad = (labels != 0) & (labels != 1)  # NaN is neither
    if bool(bad.any()):
        position = int(bad.flatten().nonzero()[0])
        raise ValueError(f"{name} must be 0 (negative) or 1 (positive); got {labels.flatten()[position].item()!r} "
                         f"at position {position}")


class ReviewBatches(LengthBatches):
    """Reviews and their labels as batches ``(ids, lengths, labels)``: :class:`~lecture_utils.sequences.LengthBatches`
    with the labels as float (0. negative, 1. positive), as binary cross-entropy wants them;
    any other label (stars, -1/+1, NaN, "pos") is refused."""

    item, target = "review", "label"

    def __init__(self, reviews: Sequence[torch.Tensor], labels, batch_size: int = 64, **kwargs):
        super().__init__(reviews, labels, batch_size, **kwargs)
        self.targets = self.targets.to(torch.float32)
        _binary_labels("labels", self.targets)


@register_model
class SentimentLSTM(nn.Module):
    """Embedding -> LSTM (one or both directions) -> one logit: "positive" when above 0.

    ``pooling="last"``: the review is read from the hidden state after its last word (with
    ``bidirectional``, concatenated with the state of a second LSTM that read the review
    from its last word back to its first). ``pooling="max"``: the maximum of every output
    feature over all the review's words. ``dropout`` acts on the embeddings and on the
    pooled vector.

    ``embedding_scale``: the embeddings start uniform in [-scale, scale] (Keras' default,
    0.05); None keeps torch's N(0, 1). Adam moves every weight by about the learning rate
    per step whatever its size, so small starting embeddings move away from their random
    start within one epoch and N(0, 1) ones barely do.

    Batches are padded on the right, and given their ``lengths`` the model reads exactly
    what each review gives alone, without ``pack_padded_sequence``: a one-way LSTM's output
    at position t depends only on positions up to t, so padding after a review's end
    cannot reach the state at its last word, and the max skips the padded positions. The
    backward direction is a second one-way LSTM over each review reversed inside its own
    length. (Packing gives the same numbers, but with reviews of different lengths in a
    batch its backward pass on the CPU is many times slower: pytorch/pytorch#149194.)
    """

    def __init__(self, vocab_size: int, embedding_dim: int = 128, hidden_size: int = 128,
                 bidirectional: bool = False, pooling: str = "last", dropout: float = 0.2,
                 pad_id: int = 0, embedding_scale: float | None = 0.05, word_dropout: float = 0.0):
        super().__init__()
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, not {pooling!r}")
        vocab_size = positive_int("vocab_size", vocab_size)
        embedding_dim = positive_int("embedding_dim", embedding_dim)
        hidden_size = positive_int("hidden_size", hidden_size)
        if non_negative_int("pad_id", pad_id) >= vocab_size:
            raise ValueError(f"pad_id={pad_id} is not an id of a vocabulary of {vocab_size} (ids 0..{vocab_size - 1})")
        if embedding_scale is not None:
            embedding_scale = non_negative("embedding_scale", embedding_scale)
        self.pooling = pooling
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_id)
        if embedding_scale is not None:
            with torch.no_grad():
                nn.init.uniform_(self.embedding.weight, -embedding_scale, embedding_scale)
                self.embedding.weight[pad_id] = 0.0
        self.lstm = nn.LSTM(embedding_dim, hidden_size, batch_first=True)
        self.lstm_reverse = nn.LSTM(embedding_dim, hidden_size, batch_first=True) if bidirectional else None
        self.dropout = nn.Dropout(dropout)
        # (batch, time, dim) read as (N, C, L): Dropout1d zeroes whole words, not single numbers
        self.word_dropout = nn.Dropout1d(word_dropout)
        self.head = nn.Linear(hidden_size * (2 if bidirectional else 1), 1)

    def features(self, ids: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """The pooled vector of each review (batch, hidden or 2 * hidden).

        ``lengths`` (batch,): each review's number of ids, an integer tensor with values in
        ``1..width``; the model then ignores the padding after them. Without them every
        position is read as text, padding included.
        """
        check_ids(ids, self.embedding.num_embeddings, "ids")
        if ids.ndim != 2:
            raise ValueError(f"ids must be a (batch, width) tensor, one row per review; got shape {tuple(ids.shape)}")
        batch, width = ids.shape
        if width == 0:
            raise ValueError("ids has width 0: every review needs at least one id")
        lengths = (torch.full((batch,), width, device=ids.device) if lengths is None
                   else _checked_lengths(lengths, batch, width).to(ids.device))
        x = self.dropout(self.word_dropout(self.embedding(ids)))
        outputs = [self.lstm(x)[0]]
        if self.lstm_reverse is not None:
            backwards = reverse_within(lengths, width)[:, :, None].expand_as(x)
            outputs.append(self.lstm_reverse(x.gather(1, backwards))[0])
        out = torch.cat(outputs, dim=-1)            # (batch, width, directions * hidden)
        if self.pooling == "last":
            return out[torch.arange(batch, device=ids.device), lengths - 1]
        padding = torch.arange(width, device=ids.device)[None, :] >= lengths[:, None]
        return out.masked_fill(padding[:, :, None], float("-inf")).max(dim=1).values

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """``ids`` (batch, time) -> logits (batch,): log-odds of "positive"."""
        return self.head(self.dropout(self.features(ids, lengths))).squeeze(-1)

    def num_parameters(self) -> int:
        return num_parameters(self)


def _checked_lengths(lengths, batch: int, width: int) -> torch.Tensor:
    """``lengths`` if it is an integer tensor of ``batch`` values in ``1..width``, else an error
    naming the review: a length of 0 would read the padding at position -1 (or give NaN under
    max pooling), one above the width a position that does not exist."""
    if not isinstance(lengths, torch.Tensor) or lengths.is_floating_point() or lengths.is_complex() \
            or lengths.dtype == torch.bool:
        got = lengths.dtype if isinstance(lengths, torch.Tensor) else type(lengths).__name__
        raise TypeError(f"lengths must be an integer tensor (one length per review), got {got}")
    if lengths.shape != (batch,):
        raise ValueError(f"lengths has shape {tuple(lengths.shape)}, but the batch has {batch} reviews: "
                         "one length per review")
    if batch:
        bad = (lengths < 1) | (lengths > width)
        if bool(bad.any()):
            row = int(bad.nonzero()[0])
            why = ("a review of length 0 has no last word to read" if int(lengths[row]) < 1
                   else "the batch holds no position beyond its width")
            raise ValueError(f"review {row} has length {int(lengths[row])} (its row in the batch): lengths must lie in "
                             f"1..{width} (the batch's width); {why}")
    return lengths


class AveragedClassifier(nn.Module):
    """Several trained classifiers as one: P(positive) is the mean of theirs.

    ``forward`` returns the log-odds of that mean, so :func:`predict_proba` and
    :func:`positive_probability` take it like a single model. All members share one config
    (e.g. the weights of one model after its last epochs).
    """

    def __init__(self, members: Sequence[nn.Module]):
        super().__init__()
        if not members:
            raise ValueError("AveragedClassifier needs at least one model")
        configs = [m.config for m in members]
        if any(c != configs[0] for c in configs):
            raise ValueError("AveragedClassifier: the models have different configs")
        self.members = nn.ModuleList(members)
        self.config = dict(configs[0])

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        probs = torch.stack([torch.sigmoid(m(ids, lengths)) for m in self.members]).mean(dim=0)
        return torch.logit(probs, eps=1e-7)


def review_loss(model, batch, state=None) -> BatchLoss:
    """The loss for :func:`~lecture_utils.training.fit`: binary cross-entropy on the logit,
    summed over the reviews of ``batch = (ids, lengths or None, labels)``, and the number of
    reviews classified right (``metrics["accuracy"]``, a sum that fit divides by the count).

    Labels other than 0 and 1 are refused. A NaN logit is no verdict: the accuracy is then
    NaN too (next to the NaN loss that stops :func:`~lecture_utils.training.fit`), not a
    count that takes it for "negative"."""
    ids, lengths, labels = batch
    if not isinstance(labels, torch.Tensor):
        raise TypeError(f"labels must be a tensor of 0. and 1., got {type(labels).__name__}")
    _binary_labels("labels", labels)
    if not labels.is_floating_point():  # integer or bool labels: cross-entropy wants floats
        labels = labels.float()
    logits = model(ids, lengths)
    loss = F.binary_cross_entropy_with_logits(logits, labels, reduction="sum")
    correct = int(((logits > 0) == (labels > 0.5)).sum())
    if bool(logits.isnan().any()):
        correct = float("nan")
    return BatchLoss(loss, len(labels), {"accuracy": correct})


@torch.no_grad()
def predict_proba(model, reviews: Sequence[torch.Tensor], batch_size: int = 256, pad_id: int = 0) -> np.ndarray:
    """P(positive) of every review, in the order given (batched by length, padded with ``pad_id``
    on the right and skipped by the lengths, in eval mode).

    ``model`` is a review classifier: ``model(ids, lengths)`` gives one logit per review
    (:class:`SentimentLSTM`, :class:`AveragedClassifier`). A NaN probability (weights holding
    NaN or inf) raises ``FloatingPointError`` naming the review."""
    _check_classifier(model)
    batch_size = positive_int("batch_size", batch_size)
    pad_id = non_negative_int("pad_id", pad_id)
    if isinstance(reviews, (str, bytes)):
        raise TypeError("predict_proba takes encoded reviews (encode_reviews), not a str")
    device = device_of(model)
    lengths = torch.tensor([len(r) for r in reviews], dtype=torch.long)
    if len(reviews) and int(lengths.min()) < 1:  # named by its place in `reviews`, before sorting
        raise ValueError(f"review {int(torch.nonzero(lengths < 1)[0])} has no ids: encode_reviews gives every "
                         "review at least one")
    order = torch.argsort(lengths, stable=True)  # similar lengths together: little padding
    probs = np.empty(len(reviews), dtype=np.float64)
    if len(reviews) == 0:
        return probs
    with eval_mode(model):
        for index in order.split(batch_size):
            ids = pad_batch([reviews[i] for i in index], pad_id)
            logits = model(ids.to(device), lengths[index])
            if not isinstance(logits, torch.Tensor) or logits.shape != (len(index),):
                raise TypeError(f"{type(model).__name__} is not a review classifier: model(ids, lengths) gave "
                                f"{_described(logits)}, not one logit per review ({len(index)},)")
            probs[index.numpy()] = torch.sigmoid(logits).cpu().double().numpy()
    if np.isnan(probs).any():
        review = int(np.flatnonzero(np.isnan(probs))[0])
        raise FloatingPointError(f"the model's probability for review {review} is NaN: its weights hold NaN "
                                 "or infinite values (a diverged training?)")
    return probs


def _check_classifier(model) -> None:
    """A model whose forward takes ``(ids, lengths)``, or a TypeError: a language model such as
    ``CharRNN`` would read the lengths as its hidden state."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch classifier (nn.Module), not {type(model).__name__}")
    parameters = inspect.signature(model.forward).parameters
    if "lengths" not in parameters:
        raise TypeError(f"{type(model).__name__} is not a review classifier: its forward takes "
                        f"({', '.join(parameters)}), while a classifier such as SentimentLSTM takes "
                        "(ids, lengths) and gives one logit per review")


def _described(value) -> str:
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)}"
    return f"a {type(value).__name__}"


def positive_probability(model, vocab: Vocab, text: str, max_len: int | None = None) -> float:
    """The model's probability that ``text`` (any English text) is a positive review.

    The text is tokenized like the training reviews. Raises ``TypeError`` for a non-string
    or a model that is not a review classifier, ``ValueError`` for a text with no words, with
    no word the vocabulary knows (the model would judge nothing but ``<unk>``), or for a
    vocabulary of another size than the model's, and ``FloatingPointError`` for a NaN verdict.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}: {text!r:.80}")
    _check_classifier(model)
    model_vocab = getattr(model, "config", {}).get("vocab_size")
    if model_vocab is not None and model_vocab != len(vocab):
        raise ValueError(f"the vocabulary has {len(vocab)} tokens but the model was built for {model_vocab}: "
                         "pass the vocabulary the model was trained with (load_checkpoint returns it)")
    tokens = tokenize(text)
    if not tokens:
        raise ValueError(f"the text {text!r:.80} has no words to judge")
    known = [t for t in tokens if t in vocab and t not in vocab.specials]
    if not known:
        raise ValueError(f"none of the words of {text!r:.80} is in the vocabulary of {len(vocab)} "
                         "tokens: the model would see only <unk>")
    review = encode_reviews([tokens], vocab, max_len)
    return float(predict_proba(model, review)[0])


# ------------------------------------------------------------------ the linear baseline


def _same(tokens):
    return tokens


def tfidf_logreg(token_lists: Sequence[Sequence[str]], labels, *, ngram_range=(1, 2), min_df: int = 2,
                 C: float = 10.0, max_iter: int = 1000):
    """A fitted scikit-learn pipeline: TF-IDF of word n-grams -> logistic regression.

    It reads the same token lists as the LSTM (no second tokenizer); ``sublinear_tf``
    counts a word seen ten times as about three times, not ten. ``C`` is the inverse
    regularisation strength. ``pipeline.predict_proba(token_lists)[:, 1]`` is P(positive).
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    _check_token_lists("tfidf_logreg", token_lists)
    if len(token_lists) == 0:
        raise ValueError("tfidf_logreg needs reviews to learn from, got none")
    min_df, C = positive_int("min_df", min_df), positive("C", C)
    if min_df > len(token_lists):
        raise ValueError(f"min_df={min_df} keeps only n-grams seen in at least {min_df} reviews, but there "
                         f"are {len(token_lists)}")
    labels = np.asarray(labels)
    if len(labels) != len(token_lists):
        raise ValueError(f"{len(token_lists)} reviews but {len(labels)} labels")
    classes = np.unique(labels)
    if len(classes) < 2:
        raise ValueError(f"tfidf_logreg needs reviews of both classes to learn from, got only the label(s) "
                         f"{classes.tolist()}")
    vectorizer = TfidfVectorizer(tokenizer=_same, preprocessor=_same, token_pattern=None, lowercase=False,
                                 ngram_range=ngram_range, min_df=min_df, sublinear_tf=True)
    classifier = LogisticRegression(C=C, max_iter=max_iter, solver="liblinear")
    return make_pipeline(vectorizer, classifier).fit(list(token_lists), labels)


# ------------------------------------------------------------------ exercise checks
# Each check says «не решено» while the student's code is still the placeholder (it returns
# None), raises CheckFailed naming what is wrong, or prints «верно» (lecture_utils.exercises).


def nb_log_ratio(x, labels, alpha: float = 1.0) -> np.ndarray:
    """Wang and Manning's (2012) log-count ratio of every feature (column of ``x``, reviews in rows):
    ``log((p + alpha) / ||p + alpha||_1) - log((q + alpha) / ||q + alpha||_1)``, where ``p`` and ``q``
    are the feature sums over the positive (label 1) and the negative (label 0) reviews."""
    labels = np.asarray(labels)
    p = alpha + np.asarray(x[labels == 1].sum(axis=0), dtype=float).ravel()
    q = alpha + np.asarray(x[labels == 0].sum(axis=0), dtype=float).ravel()
    return np.log(p / p.sum()) - np.log(q / q.sum())


NB_EXAMPLE = ([[1.0, 0.0, 2.0], [0.0, 1.0, 1.0], [3.0, 0.0, 0.0], [0.0, 2.0, 1.0]], [1, 0, 1, 0])
"""Four reviews with three features, and their labels: the first check of exercise 2, small enough
to verify by hand (with alpha = 1, r of the first feature is log(5/9) - log(1/8))."""


def check_nb_ratio(nb_ratio, x, labels, alpha: float = 1.0) -> bool:
    """Exercise 2: ``nb_ratio(x, labels, alpha)`` gives :func:`nb_log_ratio` -- on the small
    :data:`NB_EXAMPLE` first (a message there is easy to follow by hand), then on ``x, labels``
    (the lecture's TF-IDF features of the training reviews). Typical slips are named: p and q
    swapped, no L1 normalisation, no smoothing."""
    from scipy import sparse

    name = "nb_ratio"
    example = (sparse.csr_matrix(np.array(NB_EXAMPLE[0])), np.array(NB_EXAMPLE[1]))
    for where, (features, y) in (("NB_EXAMPLE", example), ("x", (x, np.asarray(labels)))):
        got = nb_ratio(features, y, alpha)
        if unsolved(got):
            return _not_solved(name)
        got = np.asarray(got.toarray() if hasattr(got, "toarray") else got, dtype=float)
        if got.ndim == 2 and got.shape[0] == 1:
            got = got.ravel()              # a (1, n) row, as the sum of a sparse matrix gives it: fine
        want = nb_log_ratio(features, y, alpha)
        if got.shape == want.shape and not np.allclose(got, want, rtol=1e-6):
            p = np.asarray(features[y == 1].sum(axis=0), dtype=float).ravel()
            q = np.asarray(features[y == 0].sum(axis=0), dtype=float).ravel()
            with np.errstate(divide="ignore", invalid="ignore"):
                typical = [(-want, "знак обратный: p — суммы по позитивным отзывам (метка 1), q — по негативным"),
                           (np.log((p + alpha) / (q + alpha)),
                            "нет нормировки: разделите p + α и q + α на их суммы (‖·‖₁) до логарифма"),
                           (np.log(p / p.sum()) - np.log(q / q.sum()), "нет сглаживания: прибавьте α к p и к q")]
            for other, why in typical:
                if np.allclose(got, other, rtol=1e-6):
                    raise CheckFailed(f"{name} на {where}: {why}")
        check_array(f"{name} на {where}", got, want, rtol=1e-6)
    return True


def mean_max_features(model: SentimentLSTM, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Exercise 4's answer for a one-way ``model``: [max, mean] of its LSTM outputs over each
    review's own words (padding left out), (batch, 2 * hidden). Dropout as the model's mode has it."""
    out, _ = model.lstm(model.dropout(model.word_dropout(model.embedding(ids))))
    real = (torch.arange(ids.shape[1], device=ids.device)[None, :] < lengths[:, None])[:, :, None]
    biggest = out.masked_fill(~real, float("-inf")).max(dim=1).values
    mean = (out * real).sum(dim=1) / lengths[:, None]
    return torch.cat([biggest, mean], dim=-1)


def check_mean_max(model_class, seed: int = 0) -> bool:
    """Exercise 4: ``model_class(vocab_size, hidden_size=..., **kwargs)``, a SentimentLSTM whose
    ``features(ids, lengths)`` is the max and the mean of the LSTM outputs over each review's own
    words, side by side (either order). Tried on three padded reviews of lengths 5, 2 and 3;
    typical slips are named: the padding averaged in or maxed over, a sum for the mean, one vector."""
    name = "features"
    torch.manual_seed(seed)
    hidden = 4
    model = model_class(20, embedding_dim=6, hidden_size=hidden, dropout=0.0).eval()
    lengths = torch.tensor([5, 2, 3])
    ids = torch.randint(2, 20, (3, 5)).masked_fill(torch.arange(5)[None, :] >= lengths[:, None], 0)
    with torch.no_grad():
        got = model.features(ids, lengths)
        if unsolved(got):
            return _not_solved(name)
        want = mean_max_features(model, ids, lengths)
        out, _ = model.lstm(model.embedding(ids))
    got = got.detach() if isinstance(got, torch.Tensor) else torch.as_tensor(np.asarray(got), dtype=torch.float32)
    if got.shape == (3, hidden):
        raise CheckFailed(f"{name}: форма (3, {hidden}) — один вектор на отзыв, а нужны два рядом: максимум и "
                          "среднее, torch.cat([максимум, среднее], dim=-1), форма (batch, 2 · hidden_size)")
    biggest, mean = want[:, :hidden], want[:, hidden:]
    if got.shape == want.shape:
        if torch.allclose(got, torch.cat([mean, biggest], dim=-1), atol=1e-6):
            want = got                        # the mean first, then the max: as good
        wrong_mean = {"среднее считает и паддинг: сумму по настоящим словам делите на lengths, а не на ширину "
                      "батча": out.mean(dim=1),
                      "вместо среднего сумма: разделите её на длину отзыва (lengths)":
                      mean * lengths[:, None]}
        for why, other in wrong_mean.items():
            if any(torch.allclose(got, torch.cat(pair, dim=-1), atol=1e-6)
                   for pair in ((biggest, other), (other, biggest))):
                raise CheckFailed(f"{name}: {why}")
        if any(torch.allclose(got, torch.cat(pair, dim=-1), atol=1e-6)
               for pair in ((out.max(dim=1).values, mean), (mean, out.max(dim=1).values))):
            raise CheckFailed(f"{name}: максимум берётся и по позициям паддинга: поставьте им −inf "
                              "(masked_fill) до max")
    if got.shape == want.shape:
        try:
            shape = tuple(model(ids, lengths).shape)
        except RuntimeError as error:
            shape = f"ошибку ({str(error).splitlines()[0]})"
        if shape != (3,):
            raise CheckFailed(f"{name}: model(ids, lengths) даёт {shape}, а нужна форма (3,): self.head должен "
                              f"принимать 2 · hidden_size = {2 * hidden} чисел")
    return check_array(name, got, want, rtol=1e-5, atol=1e-6)


# ---- the step-by-step comparisons, over seeds (shipped as results/06_steps.json, 06_dropout.json) ----

SPLIT_BLOCKS, SPLIT_VAL_BLOCKS, VOCAB_SIZE = 50, 5, 20_000


def imdb_split(labels, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Training rows (a seeded permutation) and validation rows of the IMDB training set.

    Neighbouring ids in IMDB are reviews of the same film, so validation takes whole blocks:
    for each class, its rows in id order cut into 50 blocks, 5 of them (chosen by ``seed``)
    held out. A random 10 % would put nearly every validation film into training too."""
    labels = np.asarray(labels)
    rng, val = np.random.default_rng(seed), []
    for label in (0, 1):
        blocks = np.array_split(np.flatnonzero(labels == label), SPLIT_BLOCKS)
        val += [blocks[b] for b in rng.choice(SPLIT_BLOCKS, SPLIT_VAL_BLOCKS, replace=False)]
    val_idx = np.concatenate(val)
    fit_idx = rng.permutation(np.setdiff1d(np.arange(len(labels)), val_idx))
    return fit_idx, val_idx


def review_vocab(token_lists, rows) -> Vocab:
    """The lecture's vocabulary: the 20 000 most frequent tokens of the training rows, with PAD and UNK."""
    return Vocab.build([token_lists[i] for i in rows], specials=(PAD,), unk=UNK, max_size=VOCAB_SIZE, joiner=" ")


def train_review_lstm(reviews, labels, rows, val_rows, vocab_size: int, *, seed: int, epochs: int = 1,
                      batch_size: int = 64, naive_pad: str | None = None, max_len: int | None = None,
                      lr: float = 2e-3, lr_decay: float = 1.0, device=None, model_class=None,
                      snapshots: list | None = None, desc: str = "обучение", show_progress: bool = True,
                      max_seconds: float | None = None, **model_kwargs):
    """Train a :class:`SentimentLSTM` on ``reviews[rows]`` and validate on ``reviews[val_rows]``.

    ``seed`` fixes the initial weights and the batch order. ``naive_pad="right"``/``"left"``: every
    batch padded to ``max_len`` on that side and read without lengths (the naive way); otherwise
    batches of similar length, read with their lengths. ``model_class``: SentimentLSTM (the default)
    or a subclass; ``snapshots``: a list that receives a copy of the weights after every epoch.
    ``desc``, ``show_progress`` and ``max_seconds`` go to :func:`~lecture_utils.training.fit`, other
    keywords to the model. Returns ``(model, history)``."""
    seed_everything(seed)
    labels = torch.as_tensor(np.array(labels))

    def pick(index):
        return [reviews[i] for i in index], labels[torch.as_tensor(np.asarray(index))]

    if naive_pad is None:
        train = ReviewBatches(*pick(rows), batch_size, shuffle=True, seed=seed)
    else:
        train = ReviewBatches(*pick(rows), batch_size, by_length=False, pad_to=max_len, pad_side=naive_pad,
                              shuffle=True, seed=seed)
    val = ReviewBatches(*pick(val_rows), 256)
    model = (model_class or SentimentLSTM)(vocab_size, **model_kwargs)
    if device is not None:
        model = model.to(device)

    def keep_weights(epoch, history):  # fit calls it after every epoch
        snapshots.append(copy.deepcopy(model.state_dict()))

    history = fit(model, train, val, loss_fn=review_loss, epochs=epochs, lr=lr, lr_decay=lr_decay,
                  on_epoch=None if snapshots is None else keep_weights, desc=desc,
                  show_progress=show_progress, max_seconds=max_seconds)
    return model, history


_PREPARED: dict = {}


def _prepared(split_seed: int, subset: int):
    """IMDB training reviews tokenized, split, a vocabulary, and the first ``subset`` training rows
    (as the lecture prepares them); computed once per process."""
    key = (split_seed, subset)
    if key not in _PREPARED:
        from .data import load_imdb

        frame = load_imdb("train")
        tokens = [tokenize(text) for text in frame.text]
        labels = frame.label.to_numpy()
        fit_idx, val_idx = imdb_split(labels, split_seed)
        vocab = review_vocab(tokens, fit_idx)
        _PREPARED[key] = dict(tokens=tokens, labels=labels, rows=fit_idx[:subset], val_rows=val_idx,
                              vocab=vocab, encoded={})
    return _PREPARED[key]


def step_run(config: dict, seed: int) -> dict:
    """One run of a step-by-step comparison: a SentimentLSTM trained on the lecture's training subset
    with ``config`` (``max_len``, ``keep`` and the model/training settings), validated every epoch."""
    config = dict(config)
    split_seed, subset = config.pop("split_seed"), config.pop("subset")
    max_len, keep = config.pop("max_len"), config.pop("keep", "start")
    config.pop("name", None)
    data = _prepared(split_seed, subset)
    if (max_len, keep) not in data["encoded"]:
        data["encoded"][max_len, keep] = encode_reviews(data["tokens"], data["vocab"], max_len, keep)
    _, history = train_review_lstm(data["encoded"][max_len, keep], data["labels"], data["rows"], data["val_rows"],
                                   len(data["vocab"]), seed=seed, max_len=max_len, show_progress=False, **config)
    accuracy = [float(a) for a in history.val_metrics["accuracy"]]
    return {"val_accuracy": accuracy[history.best_epoch], "best_epoch": history.best_epoch + 1,
            "val_accuracy_by_epoch": accuracy, "val_loss_by_epoch": [float(v) for v in history.val_loss],
            "train_loss_by_epoch": [float(v) for v in history.train_loss]}


STEP_FIXED = {"split_seed": 42, "subset": 4000, "epochs": 2}
STEP_CONFIGS = tuple(
    [{"name": f"{keep} {n}", "max_len": n, "keep": keep} for keep in ("start", "end") for n in (80, 200, 400, 600)]
    + [{"name": "right padding 200", "max_len": 200, "naive_pad": "right"},
       {"name": "bilstm 200", "max_len": 200, "bidirectional": True},
       {"name": "max 200", "max_len": 200, "pooling": "max"},
       {"name": "max 200 dropout 0.5", "max_len": 200, "pooling": "max", "dropout": 0.5},
       {"name": "max 200 dropout 0.5 words 0.2", "max_len": 200, "pooling": "max", "dropout": 0.5,
        "word_dropout": 0.2}])
# The dropout step asks whether dropout fights memorising: only a run long enough to memorise can
# answer, so these train 5 epochs (the subset's training loss falls far below its validation loss)
DROPOUT_FIXED = {"split_seed": 42, "subset": 4000, "epochs": 5, "max_len": 200, "pooling": "max"}
DROPOUT_CONFIGS = ({"name": "dropout 0", "dropout": 0.0}, {"name": "dropout 0.2", "dropout": 0.2},
                   {"name": "dropout 0.5", "dropout": 0.5},
                   {"name": "dropout 0.5 words 0.2", "dropout": 0.5, "word_dropout": 0.2})
STEP_SEEDS = (42, 43, 44)

SWEEPS = [
    Sweep(lecture=6, name="steps", function="lecture_utils.l06_sentiment:step_run", configs=STEP_CONFIGS,
          seeds=STEP_SEEDS, fixed=STEP_FIXED, datasets=("imdb_train",)),
    Sweep(lecture=6, name="dropout", function="lecture_utils.l06_sentiment:step_run", configs=DROPOUT_CONFIGS,
          seeds=STEP_SEEDS, fixed=DROPOUT_FIXED, datasets=("imdb_train",)),
]
