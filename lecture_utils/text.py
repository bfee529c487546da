"""Vocabularies of characters or words (text <-> integer ids), a word tokenizer, and the special tokens."""
from __future__ import annotations

import operator
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence

from .checks import optional_positive_int, positive_int, short

# The special tokens of the course, declared once: every module takes them from here.
PAD = "<pad>"  # fills a batch of sequences of unequal length
UNK = "<unk>"  # stands for a word the vocabulary does not hold
BOUNDARY = "<b>"  # starts and ends a name

# How much of a long text or token list an error message shows around the place it is about.
_WINDOW_CHARS = 40
_WINDOW_TOKENS = 10


class UnknownTokenError(ValueError):
    """A text holds a character or word the vocabulary was not built with, and it has no unknown token."""


# --- tokenizer -----------------------------------------------------------------------------------

# Invisible characters that only steer layout or rendering: byte-order mark, zero-width space,
# zero-width non-joiner, zero-width joiner, word joiner, soft hyphen, left-to-right and right-to-left marks.
_INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060\u00ad\u200e\u200f"
# Typographic apostrophes: right and left single quotation marks, modifier letter apostrophe.
_APOSTROPHES = "\u2019\u2018\u02bc"
# Halfwidth and Fullwidth Forms (U+FF00..U+FFEF) folded by NFKC, and only they: NFKC over the whole
# text would also rewrite "½" as "1⁄2", "…" as "...", "²" as "2" and "ﬁ" as "fi".
_FULLWIDTH = {cp: unicodedata.normalize("NFKC", chr(cp)) for cp in range(0xFF00, 0xFFF0)}
_FOLD = {cp: folded for cp, folded in _FULLWIDTH.items() if folded != chr(cp)}
_FOLD.update({ord(c): None for c in _INVISIBLE})
_FOLD.update({ord(c): "'" for c in _APOSTROPHES})
_NEEDS_FOLD = re.compile("[" + re.escape("".join(map(chr, _FOLD))) + "]")

# A word: letters or digits, joined by inner hyphens or apostrophes ("кто-то", "don't");
# anything else that is not a space is a token of its own (punctuation, «, —).
_TOKEN = re.compile(r"\w+(?:[-']\w+)*|[^\w\s]")


def normalize(text: str) -> str:
    """``text`` as :func:`tokenize` reads it: the same words however they were typed or pasted.

    - invisible characters are removed: byte-order mark, zero-width space, zero-width
      (non-)joiner, word joiner, soft hyphen, left-to-right and right-to-left marks;
    - typographic apostrophes (’ ‘ ʼ) become ``'``, so ``don’t`` is ``don't``;
    - the Halfwidth and Fullwidth Forms block (U+FF00..U+FFEF) is folded with NFKC,
      so ``ｇｒｅａｔ！`` is ``great!``; NFKC is applied to that block only, because over the
      whole text it would also rewrite ``½``, ``…``, ``²`` or ``ﬁ``;
    - then the text is put in NFC, so a decomposed accent joins its letter
      (``e`` + U+0301 is ``é``, ``и`` + U+0306 is ``й``).
    """
    if text.isascii():
        return text
    if _NEEDS_FOLD.search(text):
        text = text.translate(_FOLD)
    return unicodedata.normalize("NFC", text)


def tokenize(text: str, lower: bool = True) -> list[str]:
    """Split ``text`` into words and punctuation marks: ``"Все смешалось в доме Облонских."``
    gives ``["все", "смешалось", "в", "доме", "облонских", "."]``.

    A regular expression rather than a library tokenizer: it is one line the students can
    read, works for Russian and English alike, and keeps every punctuation mark as a token,
    so a word model learns where sentences and dialogue lines end.

    The text is first normalised by :func:`normalize` (NFC, invisible characters removed,
    typographic apostrophes as ``'``, fullwidth forms folded), so text pasted from another
    source gives the same tokens. Only the tokenizer normalises: a character vocabulary
    encodes a text exactly as it is.
    """
    if not isinstance(text, str):
        raise TypeError(f"tokenize takes a str, not {type(text).__name__}")
    text = normalize(text)
    return _TOKEN.findall(text.lower() if lower else text)


# --- vocabulary ----------------------------------------------------------------------------------


def _specials(specials) -> tuple[str, ...]:
    """The special tokens as a tuple of str, refusing one str (which would be split into characters)."""
    if isinstance(specials, str):
        raise TypeError(f"specials must be a tuple of tokens, such as ({specials!r},), not one str")
    try:
        specials = tuple(specials)
    except TypeError:
        raise TypeError(f"specials must be a tuple of tokens, not {type(specials).__name__}") from None
    for token in specials:
        if not isinstance(token, str):
            raise TypeError(f"special tokens must be str; got {token!r} in {specials}")
    if len(set(specials)) != len(specials):
        raise ValueError(f"special tokens must be unique, got {specials}")
    return specials


def _optional_token(name: str, value) -> str | None:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{name} must be a str or None, not {type(value).__name__}")
    return value


def _joiner(value) -> str:
    if not isinstance(value, str):
        raise TypeError(f"joiner must be a str ('' for characters, ' ' for words), not {type(value).__name__}")
    return value


def _window(sequence, position: int) -> str:
    """A short view of ``sequence`` around ``position``: the whole of a short one, else about 40 characters
    (of a str) or 10 tokens (of a list) with ``…`` where it is cut."""
    is_text = isinstance(sequence, str)
    if is_text and len(sequence) <= _WINDOW_CHARS:
        return repr(sequence)
    width = _WINDOW_CHARS if is_text else _WINDOW_TOKENS
    end = min(len(sequence), max(0, position - width // 2) + width)
    start = max(0, end - width)
    before, after = ("…" if start else ""), ("…" if end < len(sequence) else "")
    if is_text:
        return f"a text of {len(sequence):,} characters, here: {before}{sequence[start:end]!r}{after}"
    shown = ", ".join(short(token, 30) for token in sequence[start:end])
    return (f"a list of {len(sequence):,} tokens, here: "
            f"[{before + ', ' if before else ''}{shown}{', ' + after if after else ''}]")


class Vocab:
    """Tokens (characters or words) <-> ids, with special tokens placed first.

    ``Vocab.build(names, specials=(PAD, BOUNDARY))`` gives ``<pad>`` the id 0 and
    ``<b>`` the id 1; the tokens of the corpus follow in sorted order, so the same
    corpus always gives the same ids. For words, ``Vocab.build(token_lists, unk=UNK,
    min_freq=2, joiner=" ")`` keeps the words seen at least twice and maps every other
    word to ``<unk>``; ``max_size`` keeps only the most frequent ones.
    Without an unknown token, encoding an unseen token raises :class:`UnknownTokenError`.

    A character vocabulary (``joiner=""``) encodes a str exactly, character by character;
    a word vocabulary (a non-empty ``joiner``) encodes lists of tokens (``tokenize(text)``)
    and refuses a str.
    """

    def __init__(self, tokens: Sequence[str], specials: Sequence[str] = (), unk: str | None = None,
                 joiner: str = ""):
        if isinstance(tokens, str):
            raise TypeError("tokens must be a list of tokens, not one str")
        tokens = list(tokens)
        for position, token in enumerate(tokens):
            if not isinstance(token, str):
                raise TypeError(f"vocabulary tokens must be str; got {short(token)} at position {position}")
        if len(set(tokens)) != len(tokens):
            duplicates = sorted(t for t, c in Counter(tokens).items() if c > 1)
            raise ValueError(f"vocabulary tokens must be unique; repeated: {duplicates[:10]}")
        specials = _specials(specials)
        unk = _optional_token("unk", unk)
        if unk is not None and unk not in specials:
            raise ValueError(f"the unknown token {unk!r} must be one of the specials {specials}")
        known = set(tokens)
        missing = [token for token in specials if token not in known]
        if missing:
            raise ValueError(f"the special tokens {missing} are not among the vocabulary's tokens")
        self.specials, self.unk, self.joiner = specials, unk, _joiner(joiner)
        self.tokens = tokens
        self.index = {token: i for i, token in enumerate(self.tokens)}
        # what encode reads: special tokens are never read from a text
        self._lookup = {token: i for token, i in self.index.items() if token not in specials}
        self._unk_id = None if unk is None else self.index[unk]
        self.counts: Counter = Counter()  # of the corpus it was built from; not saved

    @classmethod
    def build(cls, sequences: Iterable[Sequence[str]], specials: Sequence[str] = (), unk: str | None = None,
              min_freq: int = 1, max_size: int | None = None, joiner: str = "") -> Vocab:
        """A vocabulary of the tokens in ``sequences``: strs for characters, token lists for words.

        A word vocabulary (a non-empty ``joiner``) is built from token lists only,
        such as ``[tokenize(text) for text in texts]``. A row that is neither a str nor
        a list of str (None, NaN, a number) is refused with its index.
        """
        if isinstance(sequences, str):
            raise TypeError("pass a list of texts (or of token lists), not one str: "
                            "Vocab.build([text]) for the characters of one text")
        min_freq = positive_int("min_freq", min_freq)
        max_size = optional_positive_int("max_size", max_size)
        specials = _specials(specials)
        unk = _optional_token("unk", unk)
        joiner = _joiner(joiner)
        specials = specials + ((unk,) if unk is not None and unk not in specials else ())
        try:
            rows = iter(sequences)
        except TypeError:
            raise TypeError(f"pass a list of texts (or of token lists), not {type(sequences).__name__}") from None
        counts = Counter()
        for row, sequence in enumerate(rows):
            cls._check_row(row, sequence, joiner)
            try:
                counts.update(sequence)
            except TypeError:  # an unhashable element, such as a nested list
                raise TypeError(f"row {row} of the corpus holds something that is not a token (tokens are str): "
                                f"{short(sequence)}") from None
        if not counts:
            raise ValueError("cannot build a vocabulary from an empty corpus")
        strange = [token for token in counts if not isinstance(token, str)]
        if strange:  # a token list holding None, a number...: name the first row that has one
            for row, sequence in enumerate(sequences):
                for token in sequence:
                    if not isinstance(token, str):
                        raise TypeError(f"row {row} of the corpus holds {short(token)} "
                                        f"({type(token).__name__}); tokens must be str")
            raise TypeError(f"tokens must be str, got {short(strange[0])}")  # an iterator: rows are gone
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

    @staticmethod
    def _check_row(row: int, sequence, joiner: str) -> None:
        if isinstance(sequence, str):
            if joiner:
                raise TypeError(f"row {row} of the corpus is a str, but a word vocabulary (joiner={joiner!r}) "
                                "is built from token lists: pass [tokenize(text) for text in texts]")
            return
        if isinstance(sequence, (bytes, bytearray)) or not hasattr(sequence, "__iter__"):
            raise TypeError(f"row {row} of the corpus is {short(sequence)} ({type(sequence).__name__}), "
                            "not a str or a list of tokens")

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
            raise UnknownTokenError(f"token {short(token)} is not in the vocabulary") from None
        except TypeError:  # unhashable
            raise TypeError(f"a token is a str, not {type(token).__name__}") from None

    def encode(self, sequence: str | Sequence[str]) -> list[int]:
        """Ids of the characters of a str (a character vocabulary), or of the tokens of a list.

        An unknown token gives the unknown token's id; without one, a clear error.
        The special tokens are not read from text: ``"<pad>"`` in a text is unknown.
        A word vocabulary (non-empty ``joiner``) refuses a str: pass ``tokenize(text)``.
        """
        tokens = self._as_tokens(sequence)
        lookup, unk_id = self._lookup, self._unk_id
        try:
            if unk_id is None:
                return [lookup[token] for token in tokens]
            ids = [lookup.get(token, unk_id) for token in tokens]
        except (KeyError, TypeError):  # an unknown token and no unk, or an element that is no token at all
            raise self._encoding_error(tokens) from None
        if unk_id in ids:  # a None or a number would pass as unknown: only str are tokens
            for position, i in enumerate(ids):
                if i == unk_id and not isinstance(tokens[position], str):
                    raise self._not_a_token(tokens, position)
        return ids

    def _as_tokens(self, sequence) -> str | Sequence:
        if isinstance(sequence, str):
            if self.joiner:
                raise TypeError(f"this is a word vocabulary (joiner={self.joiner!r}): pass a list of tokens, "
                                "e.g. vocab.encode(tokenize(text)), not a str (it would be read character by "
                                "character)")
            return sequence
        if isinstance(sequence, (list, tuple)):
            return sequence
        what = "a list of tokens" + ("" if self.joiner else " or a str")
        if sequence is None or isinstance(sequence, (bytes, bytearray)) or not hasattr(sequence, "__iter__"):
            raise TypeError(f"encode takes {what}, not {type(sequence).__name__}")
        return list(sequence)

    def _encoding_error(self, tokens) -> Exception:
        for position, token in enumerate(tokens):
            if not isinstance(token, str):
                return self._not_a_token(tokens, position)
            if token not in self._lookup and self._unk_id is None:
                return UnknownTokenError(self._unknown_message(token, position, tokens))
        return TypeError(f"cannot encode {short(tokens)}")

    def _not_a_token(self, tokens, position: int) -> TypeError:
        token = tokens[position]
        return TypeError(f"tokens must be str; got {short(token, 40)} ({type(token).__name__}) at position "
                         f"{position} of {_window(tokens, position)}")

    def decode(self, ids: Iterable[int], keep_specials: bool = False) -> str:
        """Text of a sequence of ids, tokens joined by ``joiner``; specials dropped unless ``keep_specials``.

        Ids may be Python, numpy or 0-d torch integers. An id outside ``0..len(self) - 1``
        raises ``ValueError`` (-1 would quietly give the last token) and a non-integer or a
        bool ``TypeError`` (1.9 would quietly become 1, and True 1).
        """
        if ids is None or isinstance(ids, (str, bytes)) or not hasattr(ids, "__iter__"):
            raise TypeError(f"decode takes a sequence of integer ids, not {type(ids).__name__}")
        if str(getattr(ids, "dtype", "")) in ("bool", "torch.bool"):
            raise TypeError(f"ids must be integers, not bools (an array of dtype {ids.dtype})")
        tokens = []
        for position, i in enumerate(ids):
            try:
                if isinstance(i, bool):
                    raise TypeError
                index = operator.index(i)  # integers only, of any library; floats and float tensors refuse
            except TypeError:
                raise TypeError(f"ids must be integers; got {short(i)} at position {position}") from None
            if not 0 <= index < len(self.tokens):
                raise ValueError(f"id {index} at position {position} is not in the vocabulary "
                                 f"(ids 0..{len(self.tokens) - 1})")
            tokens.append(self.tokens[index])
        # the unknown token stays visible: a sample with <unk> in it should say so
        return self.joiner.join(t for t in tokens if keep_specials or t not in self.specials or t == self.unk)

    def _unknown_message(self, token, position: int, sequence) -> str:
        known = [t for t in self.tokens if t not in self.specials]
        if isinstance(token, str) and len(token) == 1 and self.joiner == "":
            alphabet = "".join(known)
            if len(alphabet) > 200:
                alphabet = f"{alphabet[:200]!r}… ({len(alphabet)} in all)"
            else:
                alphabet = repr(alphabet)
            return (f"character {token!r} (U+{ord(token):04X}) at position {position} of "
                    f"{_window(sequence, position)} is not in the vocabulary; known characters: {alphabet}")
        shown = " ".join(known[:20]) + (" ..." if len(known) > 20 else "")
        return (f"token {short(token, 40)} at position {position} of {_window(sequence, position)} is not in "
                f"the vocabulary of {len(known)} tokens ({shown}), which has no unknown token")

    def to_dict(self) -> dict:
        """A plain dict for checkpoints: ``Vocab.from_dict(v.to_dict()) == v``."""
        return {"tokens": list(self.tokens), "specials": list(self.specials), "unk": self.unk,
                "joiner": self.joiner}

    @classmethod
    def from_dict(cls, state: dict) -> Vocab:
        """The vocabulary saved by :meth:`to_dict`; a ``ValueError`` for a damaged one
        (keys missing, tokens repeated, the unknown or special tokens not among the tokens)."""
        if not isinstance(state, dict):
            raise ValueError(f"a saved vocabulary is a dict, not {type(state).__name__}")
        missing = [key for key in ("tokens", "specials") if key not in state]
        if missing:
            raise ValueError(f"the saved vocabulary has no {' and no '.join(map(repr, missing))}")
        try:
            return cls(state["tokens"], state["specials"], state.get("unk"), state.get("joiner", ""))
        except TypeError as err:
            raise ValueError(f"the saved vocabulary is damaged: {err}") from None
