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
* :func:`tfidf_logreg` -- the linear baseline: TF-IDF of word n-grams + logistic regression.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .checks import positive_int
from .models import device_of, eval_mode, num_parameters, register_model
from .sequences import LengthBatches, pad_batch, reverse_within
from .text import PAD, UNK, Vocab, tokenize
from .training import BatchLoss

__all__ = ["PAD", "UNK", "AveragedClassifier", "ReviewBatches", "SentimentLSTM", "encode_reviews", "pad_batch",
           "positive_probability", "predict_proba", "review_loss", "reverse_within", "tfidf_logreg"]
POOLINGS = ("last", "max")


def encode_reviews(token_lists: Sequence[Sequence[str]], vocab: Vocab, max_len: int | None = None,
                   keep: str = "start") -> list[torch.Tensor]:
    """One LongTensor of ids per review, at most ``max_len`` ids long.

    ``keep="start"`` keeps a long review's first ``max_len`` tokens, ``keep="end"`` its last
    ones (what Keras' ``pad_sequences`` does by default, and so the source lecture). An empty
    review becomes one ``<unk>``, so that every review has a length of at least 1 (a review
    of length 0 has no last word to read the state at).
    """
    if keep not in ("start", "end"):
        raise ValueError(f"keep must be 'start' or 'end', not {keep!r}")
    if max_len is not None and (not isinstance(max_len, int) or max_len < 1):
        raise ValueError(f"max_len must be a positive integer or None, got {max_len!r}")
    unk = vocab.id(vocab.unk)
    encoded = []
    for tokens in token_lists:
        ids = vocab.encode(tokens) or [unk]
        if max_len is not None and len(ids) > max_len:
            ids = ids[:max_len] if keep == "start" else ids[-max_len:]
        encoded.append(torch.tensor(ids, dtype=torch.long))
    return encoded


class ReviewBatches(LengthBatches):
    """Reviews and their labels as batches ``(ids, lengths, labels)``: :class:`~lecture_utils.sequences.LengthBatches`
    with the labels as float (0. negative, 1. positive), as binary cross-entropy wants them."""

    def __init__(self, reviews: Sequence[torch.Tensor], labels, batch_size: int = 64, **kwargs):
        super().__init__(reviews, labels, batch_size, **kwargs)
        self.targets = self.targets.to(torch.float32)


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

        ``lengths`` (batch,): each review's number of ids; the model then ignores the padding
        after them. Without them every position is read as text, padding included.
        """
        batch, width = ids.shape
        lengths = (torch.full((batch,), width, device=ids.device) if lengths is None
                   else lengths.to(ids.device))
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
    reviews classified right (``metrics["accuracy"]``, a sum that fit divides by the count)."""
    ids, lengths, labels = batch
    logits = model(ids, lengths)
    loss = F.binary_cross_entropy_with_logits(logits, labels, reduction="sum")
    correct = int(((logits > 0) == (labels > 0.5)).sum())
    return BatchLoss(loss, len(labels), {"accuracy": correct})


@torch.no_grad()
def predict_proba(model, reviews: Sequence[torch.Tensor], batch_size: int = 256, pad_id: int = 0) -> np.ndarray:
    """P(positive) of every review, in the order given (batched by length, padded with ``pad_id``
    on the right and skipped by the lengths, in eval mode)."""
    device = device_of(model)
    batch_size = positive_int("batch_size", batch_size)
    lengths = torch.tensor([len(r) for r in reviews], dtype=torch.long)
    order = torch.argsort(lengths, stable=True)  # similar lengths together: little padding
    probs = np.empty(len(reviews), dtype=np.float64)
    with eval_mode(model):
        for index in order.split(batch_size):
            ids = pad_batch([reviews[i] for i in index], pad_id)
            probs[index.numpy()] = torch.sigmoid(model(ids.to(device), lengths[index])).cpu().double().numpy()
    return probs


def positive_probability(model, vocab: Vocab, text: str, max_len: int | None = None) -> float:
    """The model's probability that ``text`` (any English text) is a positive review.

    The text is tokenized like the training reviews. Raises ``TypeError`` for a non-string
    and ``ValueError`` for a text with no words, or with no word the vocabulary knows
    (the model would judge nothing but ``<unk>``).
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}: {text!r:.80}")
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

    vectorizer = TfidfVectorizer(tokenizer=_same, preprocessor=_same, token_pattern=None, lowercase=False,
                                 ngram_range=ngram_range, min_df=min_df, sublinear_tf=True)
    classifier = LogisticRegression(C=C, max_iter=max_iter, solver="liblinear")
    return make_pipeline(vectorizer, classifier).fit(list(token_lists), np.asarray(labels))
