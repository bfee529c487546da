"""IMDB sentiment (lecture 06): what packing and length buckets buy, and the source's setup.

Two rows, each measured in this one run:

* training speed of the same LSTM classifier on the same reviews (cut to 400 tokens), in
  real (non-padding) tokens per second: packed batches of reviews of similar length vs.
  the naive way, every batch padded to 400 and read through;
* the source lecture's setup (Keras: top 20,000 words, last 80 words of a review,
  embedding 128, LSTM 128, dropout 0.2, batch 80, Adam, one epoch) on the full
  training split, with its test accuracy (the source reported 0.8375) and time.
"""
from __future__ import annotations

import time

import numpy as np
import torch

import lecture_utils as lu
from lecture_utils.sentiment import (PAD, UNK, ReviewBatches, SentimentLSTM, encode_reviews,
                                     predict_proba, review_loss)
from lecture_utils.text import Vocab, tokenize
from lecture_utils.training import fit

SPEED_REVIEWS, SPEED_CUTOFF = 1500, 400


def train_one_epoch(reviews, labels, batches, vocab_size, seed=0):
    """Seconds of one training epoch and the trained model."""
    torch.manual_seed(seed)
    model = SentimentLSTM(vocab_size, dropout=0.2)
    started = time.perf_counter()
    fit(model, batches, batches_for_val(reviews, labels), loss_fn=review_loss, epochs=1, lr=1e-3,
        desc="bench")
    return time.perf_counter() - started, model


def batches_for_val(reviews, labels):
    # fit needs validation batches; a tiny set keeps its cost out of the timing
    return ReviewBatches(reviews[:64], labels[:64], 64)


def run() -> list[dict]:
    lu.seed_everything()
    train, test = lu.load_imdb("train"), lu.load_imdb("test")
    train_tokens = [tokenize(text) for text in train.text]
    vocab = Vocab.build(train_tokens, specials=(PAD,), unk=UNK, max_size=20_000, joiner=" ")
    labels = train.label.to_numpy()

    pick = np.random.default_rng(0).permutation(len(train_tokens))[:SPEED_REVIEWS]
    reviews = encode_reviews([train_tokens[i] for i in pick], vocab, SPEED_CUTOFF)
    real_tokens = sum(len(r) for r in reviews)
    speeds = {}
    for name, batches in (
            ("packed", ReviewBatches(reviews, labels[pick], 64, shuffle=True)),
            ("padded", ReviewBatches(reviews, labels[pick], 64, by_length=False, pad_to=SPEED_CUTOFF,
                                     shuffle=True))):
        seconds, _ = train_one_epoch(reviews, labels[pick], batches, len(vocab))
        speeds[name] = real_tokens / seconds
    padding = 1 - real_tokens / (len(reviews) * SPEED_CUTOFF)

    source_reviews = encode_reviews(train_tokens, vocab, 80, keep="end")
    seconds, model = train_one_epoch(source_reviews, labels,
                                     ReviewBatches(source_reviews, labels, 80, shuffle=True), len(vocab))
    test_reviews = encode_reviews([tokenize(text) for text in test.text], vocab, 80, keep="end")
    accuracy = ((predict_proba(model, test_reviews) > 0.5) == test.label.to_numpy()).mean()
    return [
        {"benchmark": "IMDB LSTM: training speed",
         "what": f"packed batches of similar-length reviews vs. every batch padded to {SPEED_CUTOFF} "
                 f"tokens ({SPEED_REVIEWS:,} reviews, one epoch each, {padding:.0%} of the padded "
                 "batch is padding), real tokens per second",
         "result": f"{speeds['packed'] / speeds['padded']:.1f}× ({speeds['padded']:,.0f} → "
                   f"{speeds['packed']:,.0f} tokens/s)"},
        {"benchmark": "IMDB LSTM: the source's setup",
         "what": "last 80 words, embedding 128, LSTM 128, dropout 0.2, batch 80, Adam, one epoch on "
                 "all 25,000 training reviews (the source: test accuracy 0.8375)",
         "result": f"test accuracy {accuracy:.4f}, {seconds:.0f} s per epoch "
                   f"({sum(len(r) for r in source_reviews) / seconds:,.0f} tokens/s)"},
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
