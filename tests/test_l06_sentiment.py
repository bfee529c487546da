"""Lecture 06's classifier: lengths make padding unread, batches, loss, verdict and baseline; and each exercise
check, passing the reference solution and naming what is wrong in a typical mistake."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from lecture_utils.checkpoint import load_checkpoint, save_checkpoint
from lecture_utils.exercises import CheckFailed
from lecture_utils.l06_sentiment import (
    NB_EXAMPLE,
    PAD,
    UNK,
    AveragedClassifier,
    ReviewBatches,
    SentimentLSTM,
    check_mean_max,
    check_nb_ratio,
    encode_reviews,
    mean_max_features,
    nb_log_ratio,
    pad_batch,
    positive_probability,
    predict_proba,
    review_loss,
    tfidf_logreg,
)
from lecture_utils.models import CharRNN
from lecture_utils.teach import teach_namespace
from lecture_utils.text import Vocab, tokenize
from lecture_utils.training import evaluate, fit

from .conftest import ROOT, student_teach_namespace

LECTURE = ROOT / "notebooks" / "06_imdb_sentiment.ipynb"

WORDS = "good great fine bad awful boring the movie was plot and".split()


@pytest.fixture
def vocab():
    return Vocab.build([WORDS], specials=(PAD,), unk=UNK, joiner=" ")


def model_for(vocab, **kwargs):
    torch.manual_seed(0)
    return SentimentLSTM(len(vocab), embedding_dim=8, hidden_size=6, dropout=0.0, **kwargs).eval()


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("pooling", ["last", "max"])
def test_batch_with_lengths_gives_each_review_what_it_gives_alone(vocab, pooling, bidirectional):
    model = model_for(vocab, pooling=pooling, bidirectional=bidirectional)
    reviews = encode_reviews([["good", "movie"], ["the", "plot", "was", "boring", "and", "bad"], ["fine"]],
                             vocab)
    ids, lengths = pad_batch(reviews), torch.tensor([len(r) for r in reviews])
    together = model(ids, lengths)
    alone = torch.cat([model(r[None], torch.tensor([len(r)])) for r in reviews])
    unpadded = torch.cat([model(r[None]) for r in reviews])  # no padding at all
    torch.testing.assert_close(together, alone)
    torch.testing.assert_close(together, unpadded)


def test_the_lectures_packed_last_state_is_the_packages(vocab):
    last_state = teach_namespace(LECTURE)["last_state"]  # pack_padded_sequence, as torch teaches
    model = model_for(vocab)
    reviews = encode_reviews([["good", "movie"], ["the", "plot", "was", "bad"]], vocab)
    ids, lengths = pad_batch(reviews, length=7), torch.tensor([2, 4])
    torch.testing.assert_close(last_state(model, ids, lengths), model.features(ids, lengths))


def test_the_lectures_packed_last_state_reads_the_last_layer_of_a_deep_bidirectional_lstm():
    """For a plain nn.LSTM of two layers and both directions, the lecture's last_state is the last layer's
    forward state after each review's last word beside its backward state after the first word (not every
    layer's state side by side), as for the review read alone."""
    last_state = teach_namespace(LECTURE)["last_state"]
    torch.manual_seed(0)
    model = torch.nn.Module()
    model.embedding = torch.nn.Embedding(12, 5)
    model.lstm = torch.nn.LSTM(5, 4, num_layers=2, bidirectional=True, batch_first=True)
    reviews = [torch.tensor([3, 4]), torch.tensor([5, 6, 7, 8])]
    with torch.no_grad():
        together = last_state(model, pad_batch(reviews, length=6), torch.tensor([2, 4]))
        assert together.shape == (2, 8)
        for row, review in enumerate(reviews):
            out, _ = model.lstm(model.embedding(review[None]))
            torch.testing.assert_close(together[row], torch.cat([out[0, -1, :4], out[0, 0, 4:]]))


def test_gradients_with_lengths_are_those_of_each_review_alone(vocab):
    model = model_for(vocab, pooling="max", bidirectional=True)
    reviews = encode_reviews([["good", "movie"], ["the", "plot", "was", "boring", "and", "bad"]], vocab)
    labels = torch.tensor([1.0, 0.0])

    def grads(loss):
        model.zero_grad()
        loss.backward()
        return [p.grad.clone() for p in model.parameters()]

    together = grads(F.binary_cross_entropy_with_logits(
        model(pad_batch(reviews), torch.tensor([2, 6])), labels, reduction="sum"))
    alone = grads(sum(F.binary_cross_entropy_with_logits(model(r[None]), y[None], reduction="sum")
                      for r, y in zip(reviews, labels)))
    for a, b in zip(together, alone):
        torch.testing.assert_close(a, b)


def test_embeddings_start_small_unless_told_otherwise():
    torch.manual_seed(0)
    small, default = SentimentLSTM(500), SentimentLSTM(500, embedding_scale=None, pad_id=3)
    small, default = small.embedding.weight.detach(), default.embedding.weight.detach()
    assert float(small.abs().max()) <= 0.05 and float(small[0].abs().sum()) == 0
    assert 0.9 < float(default.std()) < 1.1 and float(default[3].abs().sum()) == 0


def test_word_dropout_zeroes_whole_words_and_only_in_training(vocab):
    torch.manual_seed(0)
    model = SentimentLSTM(len(vocab), embedding_dim=8, hidden_size=6, dropout=0.0, word_dropout=0.5)
    ids = torch.tensor([vocab.encode(WORDS)] * 4)
    x = model.word_dropout(model.embedding(ids))
    dropped = (x == 0).all(dim=-1)
    assert dropped.any() and not dropped.all()
    assert torch.equal(x == 0, dropped[..., None].expand_as(x))    # a whole word or nothing
    model.eval()
    torch.testing.assert_close(model.word_dropout(model.embedding(ids)), model.embedding(ids))


def test_without_lengths_right_padding_changes_the_last_state(vocab):
    model = model_for(vocab)
    review = torch.tensor([vocab.encode(["good", "movie"])])
    padded = pad_batch([review[0]], length=10)
    assert not torch.allclose(model(review), model(padded))           # the pads were read
    torch.testing.assert_close(model(review), model(padded, torch.tensor([2])))  # lengths: not read


def test_bidirectional_last_state_is_forward_after_last_word_and_backward_after_first(vocab):
    model = model_for(vocab, bidirectional=True)
    ids = torch.tensor([vocab.encode(["good", "movie", "was", "bad"])])
    x = model.embedding(ids)
    expected = torch.cat([model.lstm(x)[0][0, -1], model.lstm_reverse(x.flip(1))[0][0, -1]])
    padded = pad_batch([ids[0]], length=9)
    torch.testing.assert_close(model.features(padded, torch.tensor([4]))[0], expected)


def test_encode_reviews_cuts_start_or_end_and_never_gives_empty(vocab):
    tokens = ["the", "movie", "was", "good"]
    start, end, empty = encode_reviews([tokens, tokens, []], vocab, max_len=2, keep="start")[0], \
        encode_reviews([tokens], vocab, max_len=2, keep="end")[0], encode_reviews([[]], vocab)[0]
    assert vocab.decode(start) == "the movie" and vocab.decode(end) == "was good"
    assert empty.tolist() == [vocab.id(UNK)]
    with pytest.raises(ValueError, match="keep"):
        encode_reviews([tokens], vocab, keep="middle")


def test_batches_hold_every_review_once_and_bucketing_cuts_padding():
    rng = np.random.default_rng(0)
    reviews = [torch.arange(1, n + 1) for n in rng.integers(1, 200, size=500)]
    labels = rng.integers(0, 2, size=500)
    bucketed = ReviewBatches(reviews, labels, 32, shuffle=True, seed=1)
    plain = ReviewBatches(reviews, labels, 32, by_length=False, shuffle=True, seed=1)
    first = [ids.shape for ids, _, _ in bucketed]
    seen = sorted(int(length) for _, lengths, _ in bucketed for length in lengths)
    assert seen == sorted(len(r) for r in reviews) and len(first) == len(bucketed) == 16
    assert [ids.shape for ids, _, _ in bucketed] != first             # a new order every epoch
    assert bucketed.padding_share() < 0.1 < 0.3 < plain.padding_share()
    for ids, lengths, batch_labels in bucketed:
        assert lengths.dtype == torch.long and lengths.device.type == "cpu"
        assert ids.shape[1] == int(lengths.max()) and batch_labels.dtype == torch.float32
        assert all(ids[row, length:].eq(0).all() and ids[row, length - 1] != 0
                   for row, length in enumerate(lengths.tolist()))
    again = ReviewBatches(reviews, labels, 32, shuffle=True, seed=1)
    assert [ids.shape for ids, _, _ in again] == first                # seeded: reproducible
    fixed = ReviewBatches(reviews, labels, 32, by_length=False, pad_to=150)
    assert all(ids.shape[1] == 150 and lengths is None for ids, lengths, _ in fixed)


def test_batches_refuse_bad_arguments():
    reviews = [torch.tensor([1, 2])]
    with pytest.raises(ValueError, match="labels"):
        ReviewBatches(reviews, [0, 1])
    with pytest.raises(ValueError, match="pad_to"):
        ReviewBatches(reviews, [1], pad_to=10)
    with pytest.raises(ValueError, match="pad_side='left' needs pad_to"):
        ReviewBatches(reviews, [1], pad_side="left")
    left = next(iter(ReviewBatches(reviews, [1], by_length=False, pad_to=4, pad_side="left")))
    assert left[0].tolist() == [[0, 0, 1, 2]] and left[1] is None
    with pytest.raises(ValueError, match="no ids"):
        ReviewBatches([torch.tensor([], dtype=torch.long)], [1])


def test_review_loss_sums_cross_entropy_and_counts_correct(vocab):
    model = model_for(vocab)
    reviews = encode_reviews([["good"], ["bad", "movie"], ["the", "plot"]], vocab)
    ids, lengths = pad_batch(reviews), torch.tensor([1, 2, 2])
    labels = torch.tensor([1.0, 0.0, 1.0])
    result = review_loss(model, (ids, lengths, labels))
    logits = model(ids, lengths)
    p = torch.sigmoid(logits)
    expected = -(labels * p.log() + (1 - labels) * (1 - p).log()).sum()
    torch.testing.assert_close(result.loss, expected)
    assert result.count == 3 and result.metrics["accuracy"] == int(((p > 0.5) == labels.bool()).sum())


def test_fit_learns_the_sign_of_a_word(vocab):
    rng = np.random.default_rng(0)
    texts, labels = [], []
    for _ in range(400):
        label = int(rng.integers(2))
        filler = list(rng.choice(["the", "movie", "was", "plot", "and"], size=rng.integers(2, 12)))
        position = int(rng.integers(len(filler) + 1))
        texts.append(filler[:position] + [("bad", "great")[label]] + filler[position:])
        labels.append(label)
    reviews = encode_reviews(texts, vocab)
    torch.manual_seed(0)
    model = SentimentLSTM(len(vocab), embedding_dim=8, hidden_size=8, pooling="max")
    history = fit(model, ReviewBatches(reviews[:300], labels[:300], 16, shuffle=True),
                  ReviewBatches(reviews[300:], labels[300:], 100), loss_fn=review_loss, epochs=4, lr=0.02)
    assert history.val_metrics["accuracy"][history.best_epoch] > 0.95
    probs = predict_proba(model, reviews[300:])
    assert ((probs > 0.5) == np.array(labels[300:])).mean() > 0.95
    assert positive_probability(model, vocab, "The movie was great!") > 0.8
    assert positive_probability(model, vocab, "the plot was bad") < 0.2


def test_predict_proba_keeps_the_order_given(vocab):
    model = model_for(vocab)
    reviews = encode_reviews([WORDS[:n] for n in (5, 1, 9, 3)], vocab)
    probs = predict_proba(model, reviews, batch_size=2)
    alone = [torch.sigmoid(model(r[None])).item() for r in reviews]
    np.testing.assert_allclose(probs, alone, rtol=1e-5)


def test_verdict_refuses_bad_input_clearly(vocab):
    model = model_for(vocab)
    with pytest.raises(TypeError, match="str"):
        positive_probability(model, vocab, ["good"])
    with pytest.raises(ValueError, match="no words"):
        positive_probability(model, vocab, "   ")
    with pytest.raises(ValueError, match="none of the words"):
        positive_probability(model, vocab, "Schrecklich langweilig")
    p = positive_probability(model, vocab, "Good, but the plot was SCHRECKLICH.")
    assert 0 < p < 1


def test_model_refuses_unknown_pooling():
    with pytest.raises(ValueError, match="pooling"):
        SentimentLSTM(10, pooling="mean")


def test_checkpoint_round_trip(tmp_path, vocab):
    model = model_for(vocab, pooling="max", bidirectional=True)
    path = save_checkpoint(tmp_path / "sentiment.pt", model, vocab, val_accuracy=0.5)
    restored, restored_vocab, extra = load_checkpoint(path)
    assert type(restored) is SentimentLSTM and restored_vocab == vocab and extra["val_accuracy"] == 0.5
    text = "the plot was boring"
    assert positive_probability(restored, restored_vocab, text) == pytest.approx(
        positive_probability(model, vocab, text))


def test_tfidf_baseline_reads_token_lists_with_bigrams():
    texts = [tokenize(t) for t in ["not good at all", "good fun", "not bad", "bad and boring",
                                   "really good", "so bad"] * 5]
    labels = [0, 1, 1, 0, 1, 0] * 5
    pipeline = tfidf_logreg(texts, labels, min_df=1)
    assert "not good" in pipeline[0].vocabulary_          # bigrams of the given tokens
    assert (pipeline.predict(texts) == np.array(labels)).all()
    assert pipeline.predict_proba([tokenize("not bad")])[0, 1] > 0.5


def test_averaged_classifier_gives_the_mean_probability_of_its_members(vocab):
    members = [model_for(vocab, pooling="max")]
    torch.manual_seed(1)
    members.append(SentimentLSTM(len(vocab), embedding_dim=8, hidden_size=6, dropout=0.0, pooling="max").eval())
    reviews = encode_reviews([["good", "movie"], ["the", "plot", "was", "bad"]], vocab)
    expected = np.mean([predict_proba(m, reviews) for m in members], axis=0)
    np.testing.assert_allclose(predict_proba(AveragedClassifier(members), reviews), expected, rtol=1e-5)
    one = positive_probability(AveragedClassifier(members), vocab, "good movie")
    assert one == pytest.approx(expected[0], rel=1e-5)
    with pytest.raises(ValueError, match="different configs"):
        AveragedClassifier([members[0], model_for(vocab, pooling="last")])
    with pytest.raises(ValueError, match="at least one"):
        AveragedClassifier([])


# --- the numbers of lecture 06 stay those of afa8c22 ----------------------------------------------


def test_predict_proba_gives_the_numbers_of_before_the_reorganisation():
    """P(positive) of seeded models as lecture_utils.sentiment gave them at afa8c22: the same
    initial draws, the same arithmetic (the checks added since compute nothing)."""
    reviews = [torch.tensor([3, 4, 5]), torch.tensor([7]), torch.tensor([1, 2, 3, 4, 5, 6, 19]), torch.tensor([0, 9])]
    torch.manual_seed(0)
    model = SentimentLSTM(20, 8, 6, bidirectional=True, pooling="max", dropout=0.3, word_dropout=0.1)
    np.testing.assert_allclose(predict_proba(model, reviews, batch_size=2),
                               [0.473263144493103, 0.4773779809474945, 0.47117000818252563, 0.4745579957962036],
                               rtol=1e-5)
    torch.manual_seed(0)
    np.testing.assert_allclose(predict_proba(SentimentLSTM(20, 8, 6), reviews),
                               [0.45656880736351013, 0.46589627861976624, 0.4525940418243408, 0.4568527638912201],
                               rtol=1e-5)


def test_predict_proba_of_no_reviews_is_empty(vocab):
    assert predict_proba(model_for(vocab), []).shape == (0,)
    with pytest.raises(TypeError, match="encoded reviews"):
        predict_proba(model_for(vocab), "good movie")


# --- bad input (reliability report, lecture 06) ----------------------------------------------------


def test_raw_strings_instead_of_token_lists_are_refused(vocab):
    """D4: a str row was read character by character: a silent character model."""
    with pytest.raises(TypeError, match=r"review 0 is a str .*tokenize the texts first"):
        encode_reviews(["the movie was good"], vocab)
    with pytest.raises(TypeError, match="list of token lists"):
        encode_reviews("the movie was good", vocab)
    texts = ["a great film", "a dull film", "great acting", "dull plot"]
    with pytest.raises(TypeError, match=r"review 0 is a str .*tfidf_logreg\(\[tokenize"):
        tfidf_logreg(texts, [1, 0, 1, 0], min_df=1)


@pytest.mark.parametrize("labels, error, match", [
    ([2, 0], ValueError, r"0 \(negative\) or 1 \(positive\); got 2.0 at position 0"),   # stars
    ([-1, 1], ValueError, "got -1.0 at position 0"),                                      # the SVM convention
    ([1, float("nan")], ValueError, "got nan at position 1"),
    (["pos", "neg"], TypeError, "labels must be numbers; got 'pos'"),
])
def test_review_batches_refuse_labels_other_than_0_and_1(labels, error, match):
    """D5: labels 0/2 or -1/+1 went into binary cross-entropy silently, NaN made fit blame the lr."""
    with pytest.raises(error, match=match):
        ReviewBatches([torch.tensor([1, 2, 3]), torch.tensor([2, 3])], labels)


def test_review_batches_take_bool_and_integer_labels_as_floats():
    batch = next(iter(ReviewBatches([torch.tensor([1, 2]), [3]], np.array([True, False]))))
    assert batch[2].dtype == torch.float32 and sorted(batch[2].tolist()) == [0.0, 1.0]


@pytest.mark.parametrize("bad", [2.0, -1.0, float("nan"), 0.5])
def test_review_loss_refuses_labels_other_than_0_and_1(vocab, bad):
    ids, lengths = pad_batch([torch.tensor([1, 2, 3]), torch.tensor([2, 3])]), torch.tensor([3, 2])
    with pytest.raises(ValueError, match=f"got {bad} at position 1"):
        review_loss(model_for(vocab), (ids, lengths, torch.tensor([1.0, bad])))
    ints = review_loss(model_for(vocab), (ids, lengths, torch.tensor([1, 0])))      # integer 0/1 are fine
    floats = review_loss(model_for(vocab), (ids, lengths, torch.tensor([1.0, 0.0])))
    torch.testing.assert_close(ints.loss, floats.loss)


@pytest.mark.parametrize("pooling", ["last", "max"])
@pytest.mark.parametrize("lengths, error, match", [
    (torch.tensor([3, 0]), ValueError, "review 1 has length 0 .*: lengths must lie in 1..3"),  # read padding / NaN
    (torch.tensor([3, -2]), ValueError, "review 1 has length -2"),
    (torch.tensor([4, 1]), ValueError, r"review 0 has length 4 .*: lengths must lie in 1\.\.3"),
    (torch.tensor([3.0, 1.0]), TypeError, "lengths must be an integer tensor"),
    ([3, 1], TypeError, "lengths must be an integer tensor .*got list"),
    (torch.tensor([3, 1, 1]), ValueError, "one length per review"),
])
def test_model_refuses_lengths_outside_the_batch(vocab, pooling, lengths, error, match):
    """D7: a length of 0 read position -1 (the padding) under last pooling and gave NaN under max."""
    model = model_for(vocab, pooling=pooling)
    ids = pad_batch([torch.tensor([3, 4, 5]), torch.tensor([6])])
    with pytest.raises(error, match=match):
        model(ids, lengths)


def nan_model(vocab):
    model = model_for(vocab)
    with torch.no_grad():
        model.head.bias.fill_(float("nan"))
    return model


def test_nan_logits_are_no_negative_verdicts(vocab):
    """D10: NaN logits were counted as "negative": accuracy 0.5 next to a NaN loss, NaN probabilities."""
    reviews = encode_reviews([["good", "movie"], ["bad"]], vocab)
    result = evaluate(nan_model(vocab), ReviewBatches(reviews, [1, 0]), review_loss)
    assert np.isnan(result["loss"]) and np.isnan(result["accuracy"])
    with pytest.raises(FloatingPointError, match="probability for review 0 is NaN"):
        predict_proba(nan_model(vocab), reviews)
    with pytest.raises(FloatingPointError, match="NaN"):
        positive_probability(nan_model(vocab), vocab, "good movie")
    with pytest.raises(FloatingPointError, match="loss became nan in epoch 0"):
        fit(nan_model(vocab).train(), ReviewBatches(reviews, [1, 0]), ReviewBatches(reviews, [1, 0]),
            loss_fn=review_loss, epochs=1, show_progress=False)


@pytest.mark.parametrize("kwargs, match", [
    (dict(vocab_size=10, pad_id=-1), "pad_id must be a non-negative integer, got -1"),   # D18: failed later
    (dict(vocab_size=10, pad_id=10), r"pad_id=10 is not an id of a vocabulary of 10 \(ids 0\.\.9\)"),
    (dict(vocab_size=0), "vocab_size must be a positive integer, got 0"),
    (dict(vocab_size=-5), "vocab_size must be a positive integer, got -5"),
    (dict(vocab_size=10, embedding_scale=-1.0), "embedding_scale must be non-negative"),
    (dict(vocab_size=10, hidden_size=0), "hidden_size"),
])
def test_model_refuses_a_bad_configuration_when_built(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SentimentLSTM(**kwargs)


def test_ids_outside_the_models_vocabulary_are_named(vocab):
    """D19: torch's "index out of range in self" named nothing."""
    model = model_for(vocab)
    outside = len(vocab) + 2
    with pytest.raises(IndexError, match=f"ids holds {outside}, outside 0..{len(vocab) - 1}"):
        model(torch.tensor([[1, outside]]))
    with pytest.raises(IndexError, match=f"ids holds {outside}"):
        predict_proba(model, [torch.tensor([1, outside])])
    with pytest.raises(IndexError, match="ids holds -1"):
        model(torch.tensor([[1, -1]]))
    with pytest.raises(ValueError, match=r"one row per review; got shape \(2,\)"):
        model(torch.tensor([1, 2]))
    larger = Vocab.build([WORDS + ["superb", "dreadful"]], specials=(PAD,), unk=UNK, joiner=" ")
    with pytest.raises(ValueError, match=f"the vocabulary has {len(larger)} tokens but the model was built for "
                                         f"{len(vocab)}"):
        positive_probability(model, larger, "superb")


def test_misleading_messages_now_point_the_right_way(vocab):
    """D17/D20: a vocabulary without unk ("token None is not in the vocabulary"), one class
    (sklearn's "n_classes >= 3"), a language model as the classifier (KeyError 'pad_id')."""
    without_unk = Vocab.build([WORDS], specials=(PAD,), joiner=" ")
    with pytest.raises(ValueError, match="needs a vocabulary with an unknown token"):
        encode_reviews([["good"]], without_unk)
    with pytest.raises(ValueError, match=r"both classes .*label\(s\) \[1\]"):
        tfidf_logreg([["good", "fun"], ["good"]], [1, 1], min_df=1)
    with pytest.raises(ValueError, match="3 reviews but 2 labels"):
        tfidf_logreg([["good"], ["bad"], ["fun"]], [1, 0], min_df=1)
    with pytest.raises(TypeError, match="CharRNN is not a review classifier"):
        positive_probability(CharRNN(len(vocab), 8), vocab, "good movie")
    with pytest.raises(TypeError, match="not a review classifier"):
        predict_proba(CharRNN(len(vocab), 8), encode_reviews([["good"]], vocab))


def test_encode_reviews_takes_numpy_integers_and_refuses_bools(vocab):
    """D21: np.int64 was refused as max_len while True was taken as 1."""
    tokens = ["the", "movie", "was", "good"]
    assert vocab.decode(encode_reviews([tokens], vocab, max_len=np.int64(2))[0]) == "the movie"
    with pytest.raises(ValueError, match="max_len must be a positive integer, got True"):
        encode_reviews([tokens], vocab, max_len=True)


def test_predict_proba_names_an_empty_review_by_its_place_in_the_input():
    model = SentimentLSTM(10, 4, 4)
    reviews = [torch.tensor([1, 2, 3]), torch.tensor([4, 5]), torch.tensor([], dtype=torch.long)]
    with pytest.raises(ValueError, match="review 2 has no ids"):
        predict_proba(model, reviews)


def test_a_length_beyond_the_width_is_explained_as_such():
    model = SentimentLSTM(10, 4, 4)
    with pytest.raises(ValueError, match="length 5 .*: lengths must lie in 1..3 .* no position beyond its width"):
        model(torch.tensor([[1, 2, 3]]), torch.tensor([5]))


@pytest.mark.parametrize("kwargs, match", [
    (dict(min_df=0), "min_df must be a positive integer"),
    (dict(min_df=9), "min_df=9 keeps only n-grams seen in at least 9 reviews, but there are 4"),
    (dict(C=0.0), "C must be positive"),
])
def test_tfidf_logreg_names_a_bad_setting(kwargs, match):
    texts = [["a", "great", "film"], ["a", "dull", "film"], ["great", "acting"], ["dull", "plot"]]
    with pytest.raises(ValueError, match=match):
        tfidf_logreg(texts, [1, 0, 1, 0], **kwargs)


# ------------------------------------------------------------------ the exercises' checks, both ways


@pytest.fixture(scope="module")
def lecture():
    return teach_namespace(LECTURE)


def tfidf_features():
    texts = [["a", "great", "film"], ["a", "dull", "film"], ["great", "acting"], ["dull", "plot"], ["great", "plot"],
             ["dull", "dull", "acting"]]
    labels = np.array([1, 0, 1, 0, 1, 0])
    pipeline = tfidf_logreg(texts, labels, min_df=1)
    return pipeline[0].transform(texts), labels


def test_nb_log_ratio_of_the_small_example_by_hand():
    x, labels = NB_EXAMPLE   # alpha = 1: p = 1 + (4, 0, 2) over the positives, q = 1 + (0, 3, 2) over the negatives
    np.testing.assert_allclose(nb_log_ratio(np.array(x), labels),
                               np.log([5 / 9, 1 / 9, 3 / 9]) - np.log([1 / 8, 4 / 8, 3 / 8]))


def test_check_nb_ratio_passes_the_reference_solution(lecture, capsys):
    x, labels = tfidf_features()
    assert check_nb_ratio(lecture["nb_ratio"], x, labels) is True
    assert check_nb_ratio(lambda x, y, alpha: nb_log_ratio(x, y, alpha)[None, :], x, labels) is True  # a (1, n) row
    out = capsys.readouterr().out
    assert "nb_ratio на NB_EXAMPLE: верно" in out and "nb_ratio на x: верно" in out


def test_check_nb_ratio_names_typical_mistakes(lecture):
    x, labels = tfidf_features()
    right = lecture["nb_ratio"]

    def unnormalised(x, labels, alpha=1.0):
        p = alpha + np.asarray(x[labels == 1].sum(axis=0)).ravel()
        q = alpha + np.asarray(x[labels == 0].sum(axis=0)).ravel()
        return np.log(p / q)

    with pytest.raises(CheckFailed, match="nb_ratio на NB_EXAMPLE: знак обратный: p — суммы по позитивным"):
        check_nb_ratio(lambda x, y, alpha: right(x, 1 - y, alpha), x, labels)
    with pytest.raises(CheckFailed, match="нет нормировки"):
        check_nb_ratio(unnormalised, x, labels)
    with np.errstate(divide="ignore"), pytest.raises(CheckFailed, match="нет сглаживания: прибавьте α к p и к q"):
        check_nb_ratio(lambda x, y, alpha: right(x, y, 0.0), x, labels)
    with pytest.raises(CheckFailed, match=r"nb_ratio на NB_EXAMPLE: форма \(2,\), а должна быть \(3,\)"):
        check_nb_ratio(lambda x, y, alpha: right(x, y, alpha)[:2], x, labels)


def test_check_mean_max_passes_the_reference_solution_in_either_order(lecture, capsys):
    model_class = lecture["MeanMaxLSTM"]
    assert check_mean_max(model_class) is True

    class MeanFirst(model_class):
        def features(self, ids, lengths=None):
            both = super().features(ids, lengths)
            return torch.cat(both.chunk(2, dim=-1)[::-1], dim=-1)

    assert check_mean_max(MeanFirst) is True
    assert capsys.readouterr().out.count("features: верно") == 2


def test_the_reference_mean_max_reads_no_padding(lecture, vocab):
    torch.manual_seed(0)
    model = lecture["MeanMaxLSTM"](len(vocab), embedding_dim=8, hidden_size=6, dropout=0.0).eval()
    reviews = encode_reviews([["good", "movie"], ["the", "plot", "was", "boring", "and", "bad"]], vocab)
    ids, lengths = pad_batch(reviews), torch.tensor([len(r) for r in reviews])
    with torch.no_grad():
        together = model.features(ids, lengths)
        alone = torch.cat([model.features(r[None]) for r in reviews])
        torch.testing.assert_close(together, alone)
        torch.testing.assert_close(together, mean_max_features(model, ids, lengths))
        assert model(ids, lengths).shape == (2,)


def test_check_mean_max_names_typical_mistakes(lecture):
    base = lecture["MeanMaxLSTM"]

    class PaddingAveraged(base):
        def features(self, ids, lengths=None):
            out, _ = self.lstm(self.embedding(ids))
            return torch.cat([super().features(ids, lengths)[:, :self.lstm.hidden_size], out.mean(dim=1)], dim=-1)

    class PaddingMaxed(base):
        def features(self, ids, lengths=None):
            out, _ = self.lstm(self.embedding(ids))
            return torch.cat([out.max(dim=1).values, super().features(ids, lengths)[:, self.lstm.hidden_size:]],
                             dim=-1)

    class Summed(base):
        def features(self, ids, lengths=None):
            both = super().features(ids, lengths)
            h = self.lstm.hidden_size
            return torch.cat([both[:, :h], both[:, h:] * lengths[:, None]], dim=-1)

    class MaxOnly(SentimentLSTM):   # the base class untouched: one vector
        def __init__(self, vocab_size, hidden_size=128, **kwargs):
            super().__init__(vocab_size, hidden_size=hidden_size, pooling="max", **kwargs)

    class OldHead(base):
        def __init__(self, vocab_size, hidden_size=128, **kwargs):
            super().__init__(vocab_size, hidden_size=hidden_size, **kwargs)
            self.head = torch.nn.Linear(hidden_size, 1)

    with pytest.raises(CheckFailed, match="среднее считает и паддинг: сумму по настоящим словам делите на lengths"):
        check_mean_max(PaddingAveraged)
    with pytest.raises(CheckFailed, match="максимум берётся и по позициям паддинга"):
        check_mean_max(PaddingMaxed)
    with pytest.raises(CheckFailed, match="вместо среднего сумма"):
        check_mean_max(Summed)
    with pytest.raises(CheckFailed, match=r"форма \(3, 4\) — один вектор на отзыв, а нужны два рядом"):
        check_mean_max(MaxOnly)
    with pytest.raises(CheckFailed, match=r"self.head должен принимать 2 · hidden_size = 8 чисел"):
        check_mean_max(OldHead)


def test_the_students_edition_runs_the_exercises_unsolved(tmp_path, capsys):
    """With the solutions replaced by placeholders (tools/student.py), the teach cells still run,
    the exercise code returns None and both checks say «не решено» instead of failing."""
    unsolved = student_teach_namespace(LECTURE, tmp_path)
    x, labels = tfidf_features()
    assert unsolved["nb_ratio"](x, labels) is None
    assert check_nb_ratio(unsolved["nb_ratio"], x, labels) is False
    assert check_mean_max(unsolved["MeanMaxLSTM"]) is False
    out = capsys.readouterr().out
    assert "nb_ratio: не решено" in out and "features: не решено" in out
    assert "last_state" in unsolved    # taught, not solved


# ---- the step-by-step comparisons over seeds (results/06_steps.json, 06_dropout.json) ----------------
from lecture_utils import l06_sentiment as l06  # noqa: E402
from lecture_utils.experiments import load_results, made_on_this_cpu, reproduce, runs_of  # noqa: E402


def test_the_validation_split_holds_out_whole_blocks_of_neighbours_per_class():
    labels = np.repeat([0, 1, 0, 1], 250)  # 1 000 reviews, classes in runs as in IMDB's id order
    fit_idx, val_idx = l06.imdb_split(labels, 42)
    assert len(val_idx) == 100 and len(fit_idx) == 900
    assert set(fit_idx).isdisjoint(val_idx) and set(fit_idx) | set(val_idx) == set(range(1000))
    for label in (0, 1):
        held = np.sort(val_idx[labels[val_idx] == label])
        assert len(held) == 50 and np.sum(np.diff(held) != 1) <= 5 + 1  # five blocks of ten (one may span runs)
    assert not np.array_equal(fit_idx, np.sort(fit_idx)), "the training rows are shuffled"
    again, _ = l06.imdb_split(labels, 42)
    assert np.array_equal(again, fit_idx) and not np.array_equal(l06.imdb_split(labels, 0)[1], val_idx)


def test_train_review_lstm_keeps_snapshots_and_reads_the_naive_padding():
    rng = np.random.default_rng(0)
    reviews = [torch.tensor(rng.integers(2, 30, size=n)) for n in rng.integers(3, 12, size=40)]
    labels = rng.integers(0, 2, size=40)
    snapshots = []
    model, history = l06.train_review_lstm(reviews, labels, np.arange(32), np.arange(32, 40), 30, seed=1,
                                           epochs=2, batch_size=8, snapshots=snapshots, show_progress=False,
                                           embedding_dim=8, hidden_size=8)
    assert len(snapshots) == 2 and len(history.val_loss) == 2
    again, _ = l06.train_review_lstm(reviews, labels, np.arange(32), np.arange(32, 40), 30, seed=1, epochs=2,
                                     batch_size=8, show_progress=False, embedding_dim=8, hidden_size=8)
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), again.state_dict().values()))
    naive, _ = l06.train_review_lstm(reviews, labels, np.arange(32), np.arange(32, 40), 30, seed=1, epochs=1,
                                     batch_size=8, naive_pad="right", max_len=12, show_progress=False,
                                     embedding_dim=8, hidden_size=8)
    assert isinstance(naive, SentimentLSTM)


def test_the_step_sweeps_declare_three_seeds_and_read_no_test_review():
    for sweep in l06.SWEEPS:
        assert len(sweep.seeds) >= 3 and sweep.datasets == ("imdb_train",)
        assert all("test" not in key for config in sweep.configs for key in config)


def test_one_shipped_step_run_reproduces(one_thread):
    """The cheapest configuration of 06_steps (the first 80 tokens), one seed."""
    sweep = next(sweep for sweep in l06.SWEEPS if sweep.name == "steps")
    reproduce(sweep, 0, sweep.seeds[1], rtol=1e-5, atol=1e-7)


def test_the_dropout_sweep_reproduces_its_first_two_epochs(one_thread):
    """06_dropout trains five epochs; re-running two of one run (no learning-rate decay, so the first
    epochs do not depend on how many follow) gives its first two points of every curve."""
    sweep = next(sweep for sweep in l06.SWEEPS if sweep.name == "dropout")
    shipped = load_results(sweep)
    stored = runs_of(shipped, 0)[0]["result"]
    fresh = l06.step_run(dict(sweep.configs[0], **dict(sweep.fixed, epochs=2)), sweep.seeds[0])
    rtol = 1e-5 if made_on_this_cpu(shipped) else 1e-3
    for key in ("val_accuracy_by_epoch", "val_loss_by_epoch", "train_loss_by_epoch"):
        np.testing.assert_allclose(fresh[key], stored[key][:2], rtol=rtol, err_msg=key)
