"""Vocabularies of characters or words (text <-> integer ids), and a word tokenizer."""
from __future__ import annotations

import operator
import re
from collections import Counter
from typing import Iterable, Sequence


class UnknownTokenError(ValueError):
    """A text holds a character or word the vocabulary was not built with, and it has no unknown token."""


# A word: letters or digits, joined by inner hyphens or apostrophes ("кто-то", "don't");
# anything else that is not a space is a token of its own (punctuation, «, —).
_TOKEN = re.compile(r"\w+(?:[-'’]\w+)*|[^\w\s]")


def tokenize(text: str, lower: bool = True) -> list[str]:
    """Split ``text`` into words and punctuation marks: ``"Все смешалось в доме Облонских."``
    gives ``["все", "смешалось", "в", "доме", "облонских", "."]``.

    A regular expression rather than a library tokenizer: it is one line the students can
    read, works for Russian and English alike, and keeps every punctuation mark as a token,
    so a word model learns where sentences and dialogue lines end.
    """
    if not isinstance(text, str):
        raise TypeError(f"tokenize takes a str, not {type(text).__name__}")
    return _TOKEN.findall(text.lower() if lower else text)


class Vocab:
    """Tokens (characters or words) <-> ids, with special tokens placed first.

    ``Vocab.build(names, specials=("<pad>", "<b>"))`` gives ``<pad>`` the id 0 and
    ``<b>`` the id 1; the tokens of the corpus follow in sorted order, so the same
    corpus always gives the same ids. For words, ``Vocab.build(token_lists, unk="<unk>",
    min_freq=2, joiner=" ")`` keeps the words seen at least twice and maps every other
    word to ``<unk>``; ``max_size`` keeps only the most frequent ones.
    Without an unknown token, encoding an unseen token raises :class:`UnknownTokenError`.
    """

    def __init__(self, tokens: Sequence[str], specials: Sequence[str] = (), unk: str | None = None,
                 joiner: str = ""):
        if len(set(tokens)) != len(tokens):
            raise ValueError("vocabulary tokens must be unique")
        if unk is not None and unk not in specials:
            raise ValueError(f"the unknown token {unk!r} must be one of the specials {tuple(specials)}")
        self.specials, self.unk, self.joiner = tuple(specials), unk, joiner
        self.tokens = list(tokens)
        self.index = {token: i for i, token in enumerate(self.tokens)}
        self.counts: Counter = Counter()  # of the corpus it was built from; not saved

    @classmethod
    def build(cls, sequences: Iterable[Sequence[str]], specials: Sequence[str] = (), unk: str | None = None,
              min_freq: int = 1, max_size: int | None = None, joiner: str = "") -> "Vocab":
        """A vocabulary of the tokens in ``sequences`` (strings: characters; lists: words)."""
        if isinstance(sequences, str):
            raise TypeError("pass a list of texts (or of token lists), not one str: "
                            "Vocab.build([text]) for the characters of one text")
        if not isinstance(min_freq, int) or min_freq < 1:
            raise ValueError(f"min_freq must be a positive integer, got {min_freq!r}")
        if max_size is not None and (not isinstance(max_size, int) or max_size < 1):
            raise ValueError(f"max_size must be a positive integer or None, got {max_size!r}")
        specials = tuple(specials) + ((unk,) if unk is not None and unk not in specials else ())
        counts = Counter()
        for sequence in sequences:
            counts.update(sequence)
        if not counts:
            raise ValueError("cannot build a vocabulary from an empty corpus")
        clash = set(counts) & set(specials)
        if clash:
            raise ValueError(f"special tokens also occur in the corpus: {sorted(clash)}")
        kept = sorted((t for t, c in counts.items() if c >= min_freq), key=lambda t: (-counts[t], t))
        if max_size is not None:
            kept = kept[:max_size]
        if len(kept) < len(counts) and unk is None:
            raise ValueError(f"min_freq={min_freq}, max_size={max_size} leave out {len(counts) - len(kept)} "
                             "tokens of the corpus: give an unknown token (unk='<unk>') to map them to")
        vocab = cls([*specials, *sorted(kept)], specials, unk, joiner)
        vocab.counts = counts
        return vocab

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: str) -> bool:
        return token in self.index

    def __eq__(self, other) -> bool:
        return isinstance(other, Vocab) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"Vocab({len(self)} tokens, specials={self.specials}, unk={self.unk!r})"

    def id(self, token: str) -> int:
        """The id of one token (a character, a word or a special token)."""
        try:
            return self.index[token]
        except KeyError:
            raise UnknownTokenError(f"token {token!r} is not in the vocabulary") from None

    def encode(self, sequence: str | Sequence[str]) -> list[int]:
        """Ids of the characters of a str, or of the tokens of a list.

        An unknown token gives the unknown token's id; without one, a clear error.
        The special tokens are not read from text: ``"<pad>"`` in a text is unknown.
        """
        unk_id = None if self.unk is None else self.index[self.unk]
        ids = []
        for position, token in enumerate(sequence):
            i = self.index.get(token)
            if i is None or token in self.specials:
                if unk_id is None:
                    raise UnknownTokenError(self._unknown_message(token, position, sequence))
                i = unk_id
            ids.append(i)
        return ids

    def decode(self, ids: Iterable[int], keep_specials: bool = False) -> str:
        """Text of a sequence of ids, tokens joined by ``joiner``; specials dropped unless ``keep_specials``.

        Ids may be Python, numpy or 0-d torch integers. An id outside ``0..len(self) - 1``
        raises ``ValueError`` (-1 would quietly give the last token) and a non-integer
        ``TypeError`` (1.9 would quietly become 1).
        """
        tokens = []
        for position, i in enumerate(ids):
            try:
                index = operator.index(i)  # integers only, of any library; floats and float tensors refuse
            except TypeError:
                raise TypeError(f"ids must be integers; got {i!r} at position {position}") from None
            if not 0 <= index < len(self.tokens):
                raise ValueError(f"id {index} at position {position} is not in the vocabulary "
                                 f"(ids 0..{len(self.tokens) - 1})")
            tokens.append(self.tokens[index])
        # the unknown token stays visible: a sample with <unk> in it should say so
        return self.joiner.join(t for t in tokens if keep_specials or t not in self.specials or t == self.unk)

    def _unknown_message(self, token, position: int, sequence) -> str:
        known = [t for t in self.tokens if t not in self.specials]
        if isinstance(token, str) and len(token) == 1 and self.joiner == "":
            return (f"character {token!r} (U+{ord(token):04X}) at position {position} of {sequence!r} "
                    f"is not in the vocabulary; known characters: {''.join(known)!r}")
        shown = " ".join(known[:20]) + (" ..." if len(known) > 20 else "")
        return (f"token {token!r} at position {position} is not in the vocabulary of {len(known)} tokens "
                f"({shown}), which has no unknown token")

    def to_dict(self) -> dict:
        """A plain dict for checkpoints: ``Vocab.from_dict(v.to_dict()) == v``."""
        return {"tokens": list(self.tokens), "specials": list(self.specials), "unk": self.unk,
                "joiner": self.joiner}

    @classmethod
    def from_dict(cls, state: dict) -> "Vocab":
        return cls(state["tokens"], state["specials"], state.get("unk"), state.get("joiner", ""))
