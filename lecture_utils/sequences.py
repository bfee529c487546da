"""Sequences as training data: splits, continuous-text windows, padded batches by length.

* :func:`split_contiguous` -- the end of a text held out, without shuffling;
  :func:`shuffle_split` -- independent items (names, reviews) split after a seeded shuffle;
* :func:`cut_into_tracks`, :class:`TextWindows` -- a text read as B parallel tracks in windows of T;
* :func:`teacher_forcing_pairs` -- ``<b> + x`` as input, ``x + <b>`` as target, padded;
* :func:`pad_batch`, :class:`LengthBatches` -- variable-length sequences in batches of similar
  length, padded on the right, with their true lengths; :func:`reverse_within` -- each row
  reversed inside its own length (a backward RNN over padded batches).

Lecture 02's numpy trainer and the torch language models read a text the same way
(:func:`cut_into_tracks`): the text is cut into B equal tracks, read side by side,
T characters at a time. Window k+1 continues window k on every track, so the
hidden state at the end of one window is the right start for the next one: the
model sees the whole text as B long sequences and learns across window borders
even though gradients stop there (truncated backpropagation through time).
"""
from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

from .checks import fraction, integer, non_negative_int, one_of, positive_int, short


def split_contiguous(ids, val_fraction: float = 0.1):
    """``(train, validation)``: the text up to the last ``val_fraction`` of it, and that last part.

    Contiguous rather than shuffled: a random choice of windows would put the
    neighbours of every validation sentence into training, and the validation loss
    would flatter a model that memorises.
    """
    fraction("val_fraction", val_fraction)
    cut = len(ids) - int(round(len(ids) * val_fraction))
    if not 1 < cut < len(ids) - 1:
        raise ValueError(f"val_fraction={val_fraction} of a text of {len(ids)} ids leaves "
                         f"{cut} for training and {len(ids) - cut} for validation: both need at least two")
    return ids[:cut], ids[cut:]


def cut_into_tracks(ids, batch_size: int):
    """``ids`` (1-D numpy array or tensor) as ``batch_size`` equal rows, the tail that does not
    fill a row dropped: row b is the b-th contiguous stretch of the text."""
    batch_size = positive_int("batch_size", batch_size)
    if not hasattr(ids, "reshape") or not hasattr(ids, "ndim"):
        raise TypeError(f"cut_into_tracks takes a 1-D numpy array or tensor of ids, not {type(ids).__name__}: "
                        "pass np.asarray(ids) or torch.tensor(ids)")
    if ids.ndim != 1:
        raise ValueError(f"ids must be 1-D (one text), got shape {tuple(ids.shape)}")
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
        self.seq_len = positive_int("seq_len", seq_len)
        ids = as_id_tensor(ids, "ids")
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


def as_id_tensor(ids, name: str = "ids"):
    """``ids`` (a list, numpy array or tensor of integers >= 0) as an int64 tensor; floats, bools,
    strings and negative ids are refused by name instead of being truncated or read as ids."""
    import torch

    if isinstance(ids, (str, bytes)):
        raise TypeError(f"{name} must be integer ids, not a {type(ids).__name__} ({ids[:40]!r}…): "
                        "encode the text first")
    if not isinstance(ids, torch.Tensor):
        try:
            array = np.asarray(ids)
        except ValueError:  # rows of unequal length
            raise TypeError(f"{name} must be integer ids, got {short(ids, 60)}") from None
        if array.size == 0 and array.dtype == np.float64:  # np.asarray([]): no ids, and no float either
            array = array.astype(np.int64)
        if array.dtype == object or array.dtype.kind not in "iu":
            raise TypeError(f"{name} must be integer ids, got an array of {array.dtype}: {short(ids, 60)}")
        ids = torch.from_numpy(array)
    if ids.is_floating_point() or ids.is_complex() or ids.dtype == torch.bool:
        raise TypeError(f"{name} must be integer ids, got a tensor of {ids.dtype}")
    if ids.numel() and int(ids.min()) < 0:
        raise ValueError(f"{name} holds a negative id ({int(ids.min())}): ids count from 0")
    return ids.long()


def shuffle_split(items, val_fraction: float, seed: int):
    """``(train, validation)``: the items (a list or a DataFrame) shuffled with ``seed``, the
    first ``val_fraction`` of them held out. For independent items (names, reviews); a
    continuous text is split with :func:`split_contiguous`."""
    fraction("val_fraction", val_fraction)
    order = np.random.default_rng(seed).permutation(len(items))
    n_val = int(round(len(items) * val_fraction))
    if not 0 < n_val < len(items):
        raise ValueError(f"val_fraction={val_fraction} of {len(items)} items leaves "
                         f"{n_val} for validation and {len(items) - n_val} for training: both need at least one")
    if hasattr(items, "iloc"):
        return (items.iloc[order[n_val:]].reset_index(drop=True),
                items.iloc[order[:n_val]].reset_index(drop=True))
    return [items[i] for i in order[n_val:]], [items[i] for i in order[:n_val]]


def teacher_forcing_pairs(sequences: Sequence[Sequence[int]], boundary_id: int, pad_id: int):
    """Inputs ``<b> + x`` and targets ``x + <b>`` of every id sequence, padded with ``pad_id``.

    "анна" gives the input ``<b> а н н а`` and the target ``а н н а <b>``: the model
    learns the first symbol from the boundary token and when to stop from the last.
    """
    import torch

    if len(sequences) == 0:
        raise ValueError("no sequences to encode")
    length = max(map(len, sequences)) + 1
    inputs = torch.full((len(sequences), length), pad_id, dtype=torch.long)
    targets = torch.full((len(sequences), length), pad_id, dtype=torch.long)
    for row, ids in enumerate(sequences):
        inputs[row, :len(ids) + 1] = torch.tensor([boundary_id, *ids], dtype=torch.long)
        targets[row, :len(ids) + 1] = torch.tensor([*ids, boundary_id], dtype=torch.long)
    return inputs, targets


def pad_batch(sequences, pad_id: int = 0, length: int | None = None, side: str = "right"):
    """1-D id sequences (tensors, arrays or lists) as one (batch, length) tensor, padded with
    ``pad_id`` on the ``side`` "right" or "left"; longer sequences are cut to ``length``.

    ``pad_id`` may be negative (-100 pads targets for cross-entropy's ``ignore_index``);
    the ids themselves are integers >= 0, refused by position otherwise.
    """
    import torch

    one_of("side", side, ("right", "left"))
    pad_id = integer("pad_id", pad_id)
    if isinstance(sequences, (str, bytes)) or not hasattr(sequences, "__len__"):
        raise TypeError(f"pad_batch takes a list of id sequences, not {type(sequences).__name__}")
    if len(sequences) == 0:
        raise ValueError("pad_batch needs at least one sequence")
    sequences = [_id_row(seq, f"sequence {row}", negatives=False) for row, seq in enumerate(sequences)]
    length = max(len(r) for r in sequences) if length is None else positive_int("length", length)
    out = torch.full((len(sequences), length), pad_id, dtype=torch.long)
    for row, seq in enumerate(sequences):
        seq = seq[:length]
        if side == "right":
            out[row, :len(seq)] = seq
        else:
            out[row, length - len(seq):] = seq
    if pad_id < 0 or int(out.min()) < 0:  # one check per batch; each sequence only when something is negative
        for row, seq in enumerate(sequences):
            kept = seq[:length]
            if len(kept) and int(kept.min()) < 0:
                raise ValueError(f"sequence {row} holds a negative id ({int(kept.min())}): ids count from 0")
    return out

def _id_row(seq, name: str, negatives: bool = True):
    """One 1-D sequence of integer ids as an int64 tensor; negative ids refused unless ``negatives``
    is False (then an int64 tensor costs no pass over its values: the caller checks them)."""
    import torch

    if not (isinstance(seq, torch.Tensor) and seq.dtype == torch.long):
        seq = as_id_tensor(seq, name)
    elif negatives and seq.numel() and int(seq.min()) < 0:
        raise ValueError(f"{name} holds a negative id ({int(seq.min())}): ids count from 0")
    if seq.ndim != 1:
        raise ValueError(f"{name} has shape {tuple(seq.shape)}: each sequence must be 1-D")
    return seq


class LengthBatches:
    """Sequences and their targets as batches ``(ids, lengths, targets)``, read anew on every pass.

    * ``by_length=True``: sequences of similar length share a batch, so a batch is padded
      (on the right) only to its longest sequence. The batches carry the true ``lengths``
      (int64 on the CPU, as :func:`~torch.nn.utils.rnn.pack_padded_sequence` wants them).
      With ``shuffle``, each pass shuffles the sequences, sorts them by length inside
      pools of ``pool`` batches and shuffles the order of the batches: different batches
      every epoch, yet little padding.
    * ``pad_to=N``: the naive way -- every batch is padded to ``N`` ids, and ``lengths`` is
      None, so the model reads the padding as if it were data. ``pad_side="left"`` puts the
      padding before the sequence (Keras' ``pad_sequences`` default).

    A sequence is a 1-D tensor, numpy array or list of ids >= 0, at least one long.
    ``targets`` are numbers (int, float or bool), kept as given: one per sequence (a class,
    a label). Shuffling uses its own generator, seeded by ``seed``: the same batches in every run.
    """

    item, target = "sequence", "target"  # what the error messages call them

    def __init__(self, sequences, targets, batch_size: int = 64, *, by_length: bool = True,
                 pad_to: int | None = None, shuffle: bool = False, pool: int = 50, pad_id: int = 0,
                 pad_side: str = "right", seed: int = 0):
        import torch

        for name, value in ((f"{self.item}s", sequences), (f"{self.target}s", targets)):
            if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
                raise TypeError(f"{name} must be a list (one per {self.item}), not {type(value).__name__}")
        if len(sequences) != len(targets):
            raise ValueError(f"{len(sequences)} {self.item}s but {len(targets)} {self.target}s")
        if len(sequences) == 0:
            raise ValueError(f"no {self.item}s to batch")
        self.batch_size = positive_int("batch_size", batch_size)
        self.pool = positive_int("pool", pool)
        pad_id = non_negative_int("pad_id", pad_id)
        one_of("pad_side", pad_side, ("right", "left"))
        if pad_to is not None:
            pad_to = positive_int("pad_to", pad_to)
            if by_length:
                raise ValueError("pad_to pads every batch to one length: use it with by_length=False")
        if pad_side == "left" and pad_to is None:  # the model finds a sequence's end by its length
            raise ValueError("batches with lengths are padded on the right; pad_side='left' needs pad_to")
        self.sequences = [_id_row(s, f"{self.item} {i}") for i, s in enumerate(sequences)]
        for i, seq in enumerate(self.sequences):
            if len(seq) == 0:
                raise ValueError(f"{self.item} {i} has no ids: every {self.item} needs at least one")
        self.targets = torch.as_tensor(_numbers(f"{self.target}s", targets))
        self.lengths = torch.tensor([len(s) for s in self.sequences], dtype=torch.long)
        self.by_length, self.pad_to, self.shuffle = by_length, pad_to, shuffle
        self.pad_id, self.pad_side = pad_id, pad_side
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return -(-len(self.sequences) // self.batch_size)

    def __iter__(self):
        import torch

        n = len(self.sequences)
        order = torch.randperm(n, generator=self.generator) if self.shuffle else torch.arange(n)
        if self.by_length:
            size = self.batch_size * self.pool if self.shuffle else n
            order = torch.cat([chunk[torch.argsort(self.lengths[chunk], stable=True)]
                               for chunk in order.split(size)])
        batches = list(order.split(self.batch_size))
        if self.shuffle and self.by_length:  # otherwise every epoch runs from short to long
            batches = [batches[i] for i in torch.randperm(len(batches), generator=self.generator)]
        for index in batches:
            chunk = [self.sequences[i] for i in index]
            if self.pad_to is not None:
                yield pad_batch(chunk, self.pad_id, self.pad_to, self.pad_side), None, self.targets[index]
            else:
                yield pad_batch(chunk, self.pad_id, side=self.pad_side), self.lengths[index], self.targets[index]

    def padding_share(self) -> float:
        """The share of padding among all ids of one pass: what the model computes for nothing
        (counted from the lengths, so a real id equal to ``pad_id`` is not taken for padding).
        Like a pass, it draws from the shuffling generator."""
        padded = sum(ids.numel() for ids, _, _ in self)
        real = int(self.lengths.clamp(max=self.pad_to).sum()) if self.pad_to else int(self.lengths.sum())
        return 1 - real / padded


def _numbers(name: str, values) -> np.ndarray:
    """``values`` as a numpy array of numbers (bool, int or float), or a TypeError naming the first
    that is not one (a str label such as 'pos', a None)."""
    try:
        array = np.asarray(values)
    except ValueError:  # ragged
        raise TypeError(f"{name} must be numbers, got {short(values)}") from None
    if array.dtype.kind not in "biuf":
        flat = array.ravel() if array.dtype == object else array.ravel().astype(object)
        for position, value in enumerate(flat):
            if isinstance(value, str) or not isinstance(value, (numbers.Number, np.bool_)) \
                    or isinstance(value, complex):
                raise TypeError(f"{name} must be numbers; got {short(value)} ({type(value).__name__}) "
                                f"at position {position}")
        raise TypeError(f"{name} must be numbers, got an array of {array.dtype}")
    return array


def reverse_within(lengths, width: int):
    """Column indices (batch, width) that read each row's first ``lengths[i]`` positions
    backwards and leave the padding after them in place: for length 3 and width 5,
    ``[2, 1, 0, 3, 4]``. ``x.gather(1, index)`` reverses every row inside its own length."""
    import torch

    steps = torch.arange(width, device=lengths.device)[None, :]
    ends = lengths[:, None] - 1
    return torch.where(steps <= ends, ends - steps, steps)
