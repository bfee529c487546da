"""IMDB sentiment (lecture 06): what length buckets and packing buy, and the source's setup.

Rows, each measured in this one run:

* training speed of the same LSTM classifier (max over time) on the same reviews cut to
  400 tokens, in real (non-padding) tokens per second: every batch padded to 400 and read
  through (naive), batches of reviews of similar length packed with
  ``pack_padded_sequence`` (torch's way), and the same batches padded on the right with
  the padding skipped by the lengths (``SentimentLSTM``'s way);
* the source lecture's setup (Keras: top 20,000 words, last 80 words of a review,
  embedding 128, LSTM 128, dropout 0.2, batch 80, Adam, one epoch) on the full
  training split, with its test accuracy (the source reported 0.8375) and time, once
  with torch's N(0, 1) embeddings and once with Keras' small uniform ones.
"""
from __future__ import annotations

import numpy as np
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

import lecture_utils as lu
from lecture_utils.l06_sentiment import (
    PAD,
    UNK,
    ReviewBatches,
    SentimentLSTM,
    encode_reviews,
    predict_proba,
    review_loss,
)
from lecture_utils.text import Vocab, tokenize
from lecture_utils.timing import best_of
from lecture_utils.training import fit

SPEED_REVIEWS, SPEED_CUTOFF = 640, 400


class PackedSentimentLSTM(SentimentLSTM):
    """One-way max-over-time SentimentLSTM that reads its batches packed (for timing only)."""

    def features(self, ids, lengths=None):
        x = self.dropout(self.embedding(ids))
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, _ = pad_packed_sequence(self.lstm(packed)[0], batch_first=True,
                                     padding_value=float("-inf"))
        return out.max(dim=1).values


def train_one_epoch(model, batches, val):
    """Seconds of one training epoch of ``model`` (timed once: a second epoch would train further)."""
    return best_of(lambda: fit(model, batches, val, loss_fn=review_loss, epochs=1, lr=1e-3, desc="bench"),
                   repeats=1, warmup=0)


def run() -> list[dict]:
    torch.set_flush_denormal(True)  # as lecture 06 does: faded gradients are slow as denormals
    lu.seed_everything()
    train, test = lu.load_imdb("train"), lu.load_imdb("test")
    train_tokens = [tokenize(text) for text in train.text]
    vocab = Vocab.build(train_tokens, specials=(PAD,), unk=UNK, max_size=20_000, joiner=" ")
    labels = train.label.to_numpy()

    pick = np.random.default_rng(0).permutation(len(train_tokens))[:SPEED_REVIEWS]
    reviews = encode_reviews([train_tokens[i] for i in pick], vocab, SPEED_CUTOFF)
    real_tokens = sum(len(r) for r in reviews)
    val = ReviewBatches(reviews[:64], labels[pick][:64], 64)  # fit needs one; tiny, off the clock
    speeds = {}
    for name, model_class, batches in (
            ("padded", SentimentLSTM, ReviewBatches(reviews, labels[pick], 64, by_length=False,
                                                    pad_to=SPEED_CUTOFF, shuffle=True)),
            ("packed", PackedSentimentLSTM, ReviewBatches(reviews, labels[pick], 64, shuffle=True)),
            ("lengths", SentimentLSTM, ReviewBatches(reviews, labels[pick], 64, shuffle=True))):
        torch.manual_seed(0)
        speeds[name] = real_tokens / train_one_epoch(model_class(len(vocab), pooling="max"), batches, val)
    padding = 1 - real_tokens / (len(reviews) * SPEED_CUTOFF)

    source_reviews = encode_reviews(train_tokens, vocab, 80, keep="end")
    test_reviews = encode_reviews([tokenize(text) for text in test.text], vocab, 80, keep="end")
    source = {}
    for name, scale in (("N(0, 1)", None), ("uniform ±0.05", 0.05)):
        torch.manual_seed(0)
        model = SentimentLSTM(len(vocab), dropout=0.2, embedding_scale=scale)
        seconds = train_one_epoch(model, ReviewBatches(source_reviews, labels, 80, shuffle=True), val)
        accuracy = ((predict_proba(model, test_reviews) > 0.5) == test.label.to_numpy()).mean()
        source[name] = f"{accuracy:.4f} with {name} embeddings ({seconds:.0f} s)"
    return [
        {"benchmark": "IMDB LSTM: training speed",
         "what": f"one epoch on {SPEED_REVIEWS:,} reviews cut to {SPEED_CUTOFF} tokens, real tokens "
                 f"per second: every batch padded to {SPEED_CUTOFF} ({padding:.0%} of it padding) vs. "
                 "batches of similar length, packed (`pack_padded_sequence`) or padded with the "
                 "padding skipped by lengths",
         "result": f"packed {speeds['packed'] / speeds['padded']:.2f}×, lengths "
                   f"{speeds['lengths'] / speeds['padded']:.1f}× ({speeds['padded']:,.0f} → "
                   f"{speeds['packed']:,.0f} / {speeds['lengths']:,.0f} tokens/s)"},
        {"benchmark": "IMDB LSTM: the source's setup",
         "what": "last 80 words, embedding 128, LSTM 128, dropout 0.2, batch 80, Adam, one epoch on "
                 "all 25,000 training reviews (the source, in Keras: test accuracy 0.8375)",
         "result": "test accuracy " + "; ".join(source.values())},
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
