"""A continuous text as training data: a contiguous split and B parallel tracks read in windows.

Lecture 02's numpy trainer and the torch language models read a text the same way
(:func:`cut_into_tracks`): the text is cut into B equal tracks, read side by side,
T characters at a time. Window k+1 continues window k on every track, so the
hidden state at the end of one window is the right start for the next one: the
model sees the whole text as B long sequences and learns across window borders
even though gradients stop there (truncated backpropagation through time).
"""
from __future__ import annotations

import numbers


def positive_int(name: str, value) -> int:
    """``value`` as an int >= 1 (bools refused), or a ValueError naming ``name``: the check
    every count and size argument of the package shares."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def split_contiguous(ids, val_fraction: float = 0.1):
    """``(train, validation)``: the text up to the last ``val_fraction`` of it, and that last part.

    Contiguous rather than shuffled: a random choice of windows would put the
    neighbours of every validation sentence into training, and the validation loss
    would flatter a model that memorises.
    """
    if not 0 < val_fraction < 1:  # also refuses NaN
        raise ValueError(f"val_fraction must lie strictly between 0 and 1, got {val_fraction!r}")
    cut = len(ids) - int(round(len(ids) * val_fraction))
    if not 1 < cut < len(ids) - 1:
        raise ValueError(f"val_fraction={val_fraction} of a text of {len(ids)} ids leaves "
                         f"{cut} for training and {len(ids) - cut} for validation: both need at least two")
    return ids[:cut], ids[cut:]


def cut_into_tracks(ids, batch_size: int):
    """``ids`` (1-D numpy array or tensor) as ``batch_size`` equal rows, the tail that does not
    fill a row dropped: row b is the b-th contiguous stretch of the text."""
    batch_size = positive_int("batch_size", batch_size)
    length = len(ids) // batch_size
    if length < 2:
        raise ValueError(f"a text of {len(ids)} ids is too short for {batch_size} tracks "
                         "(each needs at least two: an input and its target)")
    return ids[:batch_size * length].reshape(batch_size, length)


class TextWindows:
    """The windows ``(inputs, targets)`` of shape (B, T) over B parallel tracks of a text.

    ``targets`` are ``inputs`` shifted by one character. The last window of an epoch
    may be shorter than T. Indexable and reusable: fit reads it once per epoch.
    """

    def __init__(self, ids, batch_size: int, seq_len: int):
        import torch  # here, so that lecture 02 (numpy only) can import this module without torch

        self.seq_len = positive_int("seq_len", seq_len)
        ids = torch.as_tensor(ids, dtype=torch.long)
        if ids.ndim != 1:
            raise ValueError(f"ids must be 1-D (one text), got shape {tuple(ids.shape)}")
        self.tracks = cut_into_tracks(ids, batch_size)

    @property
    def batch_size(self) -> int:
        return self.tracks.shape[0]

    def __len__(self) -> int:
        return -(-(self.tracks.shape[1] - 1) // self.seq_len)  # ceil: the last window may be short

    def __getitem__(self, k: int):
        if not -len(self) <= k < len(self):
            raise IndexError(f"window {k} of {len(self)}")
        start = (k % len(self)) * self.seq_len
        stop = min(start + self.seq_len, self.tracks.shape[1] - 1)
        return self.tracks[:, start:stop], self.tracks[:, start + 1:stop + 1]

    def __iter__(self):
        return (self[k] for k in range(len(self)))

    def __repr__(self) -> str:
        return (f"TextWindows({len(self)} windows of {self.batch_size} tracks × {self.seq_len} steps, "
                f"{self.tracks.numel():,} ids)")
