"""The core's sequences as training data: splits, text windows, padded batches by length, teacher forcing."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from lecture_utils.sequences import (
    LengthBatches,
    TextWindows,
    as_id_tensor,
    cut_into_tracks,
    pad_batch,
    reverse_within,
    shuffle_split,
    split_contiguous,
    teacher_forcing_pairs,
)

NAMES = ["анна", "анастасия", "мария", "марина", "ольга", "олег", "иван", "ирина"]

# --- splits and windows over a text (copied from test_lm_toolkit.py) ----------------------------


def test_split_is_contiguous_and_windows_continue_each_track():
    ids = torch.arange(1003)
    train, val = split_contiguous(ids, 0.1)
    assert torch.equal(torch.cat([train, val]), ids) and len(val) == 100
    windows = TextWindows(train, batch_size=4, seq_len=30)
    assert windows.tracks.shape == (4, 225)
    assert len(windows) == 8 and windows[-1][0].shape == (4, 14)  # 224 inputs per track: 7 × 30 + 14
    inputs = torch.cat([x for x, _ in windows], dim=1)
    targets = torch.cat([y for _, y in windows], dim=1)
    for b in range(4):  # every track reads its stretch of the text in order, targets one step ahead
        assert torch.equal(inputs[b], ids[b * 225:b * 225 + 224])
        assert torch.equal(targets[b], ids[b * 225 + 1:b * 225 + 225])
    with pytest.raises(ValueError, match="too short for 4 tracks"):
        TextWindows(torch.arange(7), 4, 3)
    with pytest.raises(ValueError, match=r"val_fraction must lie in \(0, 1\)"):
        split_contiguous(ids, 1.0)


def test_numpy_trainer_reads_the_same_tracks():
    ids = np.arange(50)
    assert np.array_equal(cut_into_tracks(ids, 3), TextWindows(ids, 3, 5).tracks.numpy())


# --- bad input to the text readers (reliability report B1e, B2c, B3, B3d, B3e; D13) -------------


def test_text_windows_refuse_float_negative_and_str_ids():
    with pytest.raises(TypeError, match="integer ids, got an array of float64"):
        TextWindows([0.5, 1.7, 2.2, 3.9], 1, 2)               # was truncated to [0, 1, 2, 3]
    with pytest.raises(TypeError, match="integer ids, got a tensor of torch.float32"):
        TextWindows(torch.tensor([0.5, 1.7, 2.2, 3.9]), 1, 2)
    with pytest.raises(ValueError, match=r"negative id \(-1\)"):
        TextWindows([-1, 2, 3, 4], 1, 2)                       # was accepted
    with pytest.raises(TypeError, match="encode the text first"):
        TextWindows("some text", 1, 2)
    with pytest.raises(ValueError, match="1-D"):
        TextWindows(torch.zeros(2, 5, dtype=torch.long), 1, 2)
    assert torch.equal(TextWindows(np.arange(6, dtype=np.int32), 1, 2).tracks, torch.arange(6)[None])


def test_cut_into_tracks_and_split_refuse_what_they_cannot_read():
    with pytest.raises(TypeError, match="numpy array or tensor of ids, not list"):
        cut_into_tracks(list(range(20)), 2)
    with pytest.raises(ValueError, match="1-D"):
        cut_into_tracks(np.zeros((4, 5)), 2)
    with pytest.raises(ValueError, match="val_fraction must be a finite number, got '0.1'"):
        split_contiguous(torch.arange(100), "0.1")
    with pytest.raises(ValueError, match="val_fraction"):
        split_contiguous(torch.arange(100), float("nan"))


def test_as_id_tensor_takes_integers_of_any_kind_and_refuses_the_rest():
    for ids in ([3, 0, 2], np.array([3, 0, 2], dtype=np.int32), torch.tensor([3, 0, 2], dtype=torch.int16)):
        out = as_id_tensor(ids)
        assert out.dtype == torch.long and out.tolist() == [3, 0, 2]
    assert as_id_tensor([]).tolist() == []                      # an empty list holds no float
    for bad, error in (([1.0, 2.0], TypeError), ([True, False], TypeError), (["a"], TypeError),
                       ([[1, 2], [3]], TypeError), ([0, -3], ValueError), ("abc", TypeError)):
        with pytest.raises(error, match="review 7"):
            as_id_tensor(bad, "review 7")


# --- seeded split of independent items (adapted from test_torch_toolkit.py) ---------------------


def test_split_is_fixed_by_the_seed():
    names = pd.DataFrame({"name": NAMES * 10})
    train_a, val_a = shuffle_split(names, 0.2, seed=1)
    train_b, val_b = shuffle_split(names, 0.2, seed=1)
    assert len(val_a) == 16 and len(train_a) == 64
    assert val_a.equals(val_b) and train_a.equals(train_b)


def test_shuffle_split_cuts_lists_and_frames_alike_and_keeps_every_item():
    items = [f"item {i}" for i in range(50)]
    train, val = shuffle_split(items, 0.2, seed=3)
    frame_train, frame_val = shuffle_split(pd.DataFrame({"x": items}), 0.2, seed=3)
    assert frame_train["x"].tolist() == train and frame_val["x"].tolist() == val
    assert len(val) == 10 and sorted(train + val) == sorted(items)
    assert shuffle_split(items, 0.2, seed=4)[1] != val          # another seed, another split
    assert list(frame_val.index) == list(range(10))             # a fresh index, not the shuffled one
    with pytest.raises(ValueError, match="val_fraction must lie in"):
        shuffle_split(items, 0.0, seed=3)
    with pytest.raises(ValueError, match="both need at least one"):
        shuffle_split(items[:3], 0.1, seed=3)                   # round(0.3) = 0 for validation


def test_teacher_forcing_pairs_shift_by_one_and_pad():
    inputs, targets = teacher_forcing_pairs([[5, 6, 7], [8]], boundary_id=1, pad_id=0)
    assert inputs.tolist() == [[1, 5, 6, 7], [1, 8, 0, 0]]
    assert targets.tolist() == [[5, 6, 7, 1], [8, 1, 0, 0]]
    assert inputs.dtype == targets.dtype == torch.long
    assert torch.equal(inputs[0, 1:], targets[0, :-1])         # the target is the next input
    empty, _ = teacher_forcing_pairs([[]], boundary_id=2, pad_id=0)
    assert empty.tolist() == [[2]]                              # an empty sequence still learns to stop
    with pytest.raises(ValueError, match="no sequences"):
        teacher_forcing_pairs([], 1, 0)


# --- padded batches -------------------------------------------------------------------------------


def test_reverse_within_reverses_each_row_inside_its_length():
    assert reverse_within(torch.tensor([3, 5, 1]), 5).tolist() == [
        [2, 1, 0, 3, 4], [4, 3, 2, 1, 0], [0, 1, 2, 3, 4]]
    x = torch.tensor([[1, 2, 3, 0, 0]])
    assert x.gather(1, reverse_within(torch.tensor([3]), 5)).tolist() == [[3, 2, 1, 0, 0]]


def test_pad_batch_pads_on_either_side_and_cuts_to_length():
    rows = [torch.tensor([1, 2, 3]), torch.tensor([4])]
    assert pad_batch(rows).tolist() == [[1, 2, 3], [4, 0, 0]]
    assert pad_batch(rows, 9, side="left").tolist() == [[1, 2, 3], [9, 9, 4]]
    assert pad_batch(rows, length=2).tolist() == [[1, 2], [4, 0]]           # the start is kept
    assert pad_batch(rows, length=4, side="left").tolist() == [[0, 1, 2, 3], [0, 0, 0, 4]]
    assert pad_batch([[1, 2], np.array([3])]).tolist() == [[1, 2], [3, 0]]  # lists and arrays too
    assert pad_batch(rows, -100).tolist() == [[1, 2, 3], [4, -100, -100]]   # targets for ignore_index


@pytest.mark.parametrize("call, error, match", [
    (lambda: pad_batch([]), ValueError, "at least one sequence"),                        # was a raw max() error
    (lambda: pad_batch([torch.tensor([1, 2])], side="middle"), ValueError, "side"),    # was padded on the left
    (lambda: pad_batch([torch.tensor([1.7, 2.2])]), TypeError, "sequence 0 must be integer ids"),  # was [1, 2]
    (lambda: pad_batch([torch.tensor([1]), torch.tensor([1, -2])]), ValueError, r"sequence 1 .*negative id \(-2\)"),
    (lambda: pad_batch([torch.tensor([1]), torch.tensor([-2])], -100), ValueError, "sequence 1 .*negative"),
    (lambda: pad_batch([torch.ones(2, 2, dtype=torch.long)]), ValueError, "1-D"),
    (lambda: pad_batch([torch.tensor([1])], length=0), ValueError, "length"),
    (lambda: pad_batch([torch.tensor([1])], pad_id=0.5), ValueError, "pad_id"),
    (lambda: pad_batch("abc"), TypeError, "list of id sequences"),
])
def test_pad_batch_refuses_bad_input_by_name(call, error, match):
    with pytest.raises(error, match=match):
        call()


# Review i of the golden tests holds only the id i + 1, so a batch's first column names its reviews.
LENGTHS = [3, 1, 7, 2, 5, 5, 9, 4, 1, 6, 8, 2, 3]
SEQUENCES = [torch.full((n,), i + 1) for i, n in enumerate(LENGTHS)]


def order(batches) -> list[list[int]]:
    return [[int(x) - 1 for x in ids[:, 0]] for ids, _, _ in batches]


def test_length_batches_keep_the_order_of_the_old_review_batches():
    """The order lecture_utils.sentiment.ReviewBatches gave at afa8c22 for the same arguments:
    lecture 06's numbers depend on these draws."""
    targets = [i % 2 for i in range(len(LENGTHS))]
    shuffled = LengthBatches(SEQUENCES, targets, 3, shuffle=True, pool=2, seed=5)
    assert [order(shuffled), order(shuffled)] == [
        [[12, 7, 2], [1, 8, 11], [3, 0, 4], [5, 9, 10], [6]],
        [[4, 10, 6], [1, 3, 0], [8, 11, 5], [12, 7, 2], [9]]]
    assert order(LengthBatches(SEQUENCES, targets, 3)) == [[1, 8, 3], [11, 0, 12], [7, 4, 5], [9, 2, 10], [6]]
    plain = LengthBatches(SEQUENCES, targets, 4, by_length=False, shuffle=True, seed=2)
    assert order(plain) == [[5, 4, 7, 2], [12, 8, 1, 0], [3, 6, 10, 9], [11]]


def test_length_batches_carry_lengths_and_targets_as_given():
    batches = LengthBatches(SEQUENCES, list(range(13)), 4)
    for ids, lengths, targets in batches:
        assert targets.dtype == torch.long                     # classes stay integers
        assert torch.equal(targets, ids[:, 0] - 1)             # each target travels with its sequence
        assert lengths.tolist() == [LENGTHS[i] for i in targets.tolist()]
        assert ids.shape[1] == int(lengths.max())
    fixed = LengthBatches(SEQUENCES, [0.5] * 13, 4, by_length=False, pad_to=6)
    assert all(ids.shape == (len(t), 6) and lengths is None for ids, lengths, t in fixed)


def test_padding_share_counts_from_the_lengths_not_from_pad_ids():
    # the real id 0 equals pad_id: the old count took both sequences for padding (share 1.0)
    zeros = LengthBatches([torch.tensor([0, 0, 0]), torch.tensor([0])], [1, 0], 2)
    assert zeros.padding_share() == pytest.approx(1 - 4 / 6)
    fixed = LengthBatches([torch.tensor([0, 0, 0]), torch.tensor([0])], [1, 0], 2, by_length=False, pad_to=2)
    assert fixed.padding_share() == pytest.approx(1 - 3 / 4)   # the cut-off id is not counted as real
    same_length = LengthBatches([torch.tensor([1, 2])] * 3, [0, 1, 0], 2)
    assert same_length.padding_share() == 0


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(pool=0, shuffle=True), ValueError, "pool must be a positive integer, got 0"),   # was a raw split error
    (dict(pool=-1, shuffle=True), ValueError, "pool must be a positive integer, got -1"),
    (dict(batch_size=0), ValueError, "batch_size"),
    (dict(pad_id=-1), ValueError, "pad_id"),
    (dict(pad_to=0, by_length=False), ValueError, "pad_to"),
    (dict(pad_side="middle", pad_to=4, by_length=False), ValueError, "pad_side"),
])
def test_length_batches_refuse_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        LengthBatches([torch.tensor([1, 2]), torch.tensor([3])], [0, 1], **{"batch_size": 1, **kwargs})


def test_length_batches_read_lists_and_arrays_and_refuse_other_sequences():
    batches = LengthBatches([[1, 2, 3], np.array([4])], [1, 0], 2)
    assert [ids.tolist() for ids, _, _ in batches] == [[[4, 0, 0], [1, 2, 3]]]  # Python lists were a raw error
    with pytest.raises(ValueError, match=r"sequence 0 has shape \(2, 3\): each sequence must be 1-D"):
        LengthBatches([torch.ones(2, 3, dtype=torch.long)], [1])
    with pytest.raises(TypeError, match="sequence 1 must be integer ids"):
        LengthBatches([torch.tensor([1]), torch.tensor([1.5, 2.0])], [1, 0])
    with pytest.raises(ValueError, match=r"sequence 0 holds a negative id \(-1\)"):
        LengthBatches([torch.tensor([-1, 2])], [1])
    with pytest.raises(ValueError, match="sequence 0 has no ids"):
        LengthBatches([[]], [1])
    with pytest.raises(TypeError, match="targets must be numbers; got 'pos' \\(str\\) at position 0"):
        LengthBatches([[1], [2]], ["pos", "neg"])
    with pytest.raises(TypeError, match="got None"):
        LengthBatches([[1], [2]], [1, None])
    with pytest.raises(ValueError, match="2 sequences but 3 targets"):
        LengthBatches([[1], [2]], [1, 0, 1])
    with pytest.raises(TypeError, match="sequences must be a list"):
        LengthBatches("abc", [1, 0, 1])
