"""Character vocabularies: text <-> integer ids, with special tokens."""
from __future__ import annotations

import operator
from typing import Iterable, Sequence


class UnknownCharacterError(ValueError):
    """A text contains a character the vocabulary was not built with."""


class CharVocab:
    """A character vocabulary with optional special tokens placed first.

    ``CharVocab.build(names, specials=("<pad>", "<b>"))`` gives ``<pad>`` the id 0
    (padding, ignored by the loss) and ``<b>``, the boundary token that marks both
    the start and the end of a name, the id 1; the characters follow in sorted
    order, so the same texts always give the same ids.
    """

    def __init__(self, tokens: Sequence[str], specials: Sequence[str] = ()):
        if len(set(tokens)) != len(tokens):
            raise ValueError("vocabulary tokens must be unique")
        self.specials = tuple(specials)
        self.tokens = list(tokens)
        self.index = {token: i for i, token in enumerate(self.tokens)}

    @classmethod
    def build(cls, texts: Iterable[str], specials: Sequence[str] = ()) -> "CharVocab":
        chars = sorted(set().union(*map(set, texts)))
        if not chars:
            raise ValueError("cannot build a vocabulary from an empty corpus")
        clash = set(chars) & set(specials)
        if clash:
            raise ValueError(f"special tokens also occur as characters: {sorted(clash)}")
        return cls([*specials, *chars], specials)

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: str) -> bool:
        return token in self.index

    def __eq__(self, other) -> bool:
        return isinstance(other, CharVocab) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"CharVocab({len(self)} tokens, specials={self.specials})"

    def id(self, token: str) -> int:
        """The id of one token (a character or a special token)."""
        try:
            return self.index[token]
        except KeyError:
            raise UnknownCharacterError(f"token {token!r} is not in the vocabulary") from None

    def encode(self, text: str) -> list[int]:
        """Ids of the characters of ``text``; an unknown character raises a clear error."""
        ids = []
        for position, char in enumerate(text):
            if char not in self.index or char in self.specials:
                known = "".join(t for t in self.tokens if t not in self.specials)
                raise UnknownCharacterError(
                    f"character {char!r} (U+{ord(char):04X}) at position {position} of {text!r} "
                    f"is not in the vocabulary; known characters: {known!r}")
            ids.append(self.index[char])
        return ids

    def decode(self, ids: Iterable[int], keep_specials: bool = False) -> str:
        """Text of a sequence of ids; special tokens are dropped unless ``keep_specials``.

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
        return "".join(t for t in tokens if keep_specials or t not in self.specials)

    def to_dict(self) -> dict:
        """A plain dict for checkpoints: ``CharVocab.from_dict(v.to_dict()) == v``."""
        return {"tokens": list(self.tokens), "specials": list(self.specials)}

    @classmethod
    def from_dict(cls, state: dict) -> "CharVocab":
        return cls(state["tokens"], state["specials"])
