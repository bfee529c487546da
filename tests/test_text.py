"""Text: the special tokens, the word tokenizer and its Unicode normalisation, and the vocabulary of
characters or words under good and bad input."""
from __future__ import annotations

import math
import unicodedata

import numpy as np
import pytest
import torch

from lecture_utils.text import BOUNDARY, PAD, UNK, UnknownTokenError, Vocab, tokenize

NAMES = ["анна", "анастасия", "мария", "марина", "ольга", "олег", "иван", "ирина"]


@pytest.fixture
def vocab():
    return Vocab.build(NAMES, specials=(PAD, BOUNDARY))


@pytest.fixture
def words():
    return Vocab.build([tokenize("a great film, a dull film")], specials=(PAD,), unk=UNK, joiner=" ")


# --- the special tokens ---------------------------------------------------------------------------


def test_special_tokens_are_declared_once_here():
    assert (PAD, UNK, BOUNDARY) == ("<pad>", "<unk>", "<b>")


# --- tokenizer -----------------------------------------------------------------------------------


def test_tokenize_separates_punctuation_and_keeps_inner_hyphens():
    assert tokenize("Все смешалось в доме Облонских.") == ["все", "смешалось", "в", "доме", "облонских", "."]
    assert tokenize("— Кто-то сказал: «don't»!", lower=False) == ["—", "Кто-то", "сказал", ":", "«", "don't",
                                                                   "»", "!"]
    with pytest.raises(TypeError, match="takes a str, not bytes"):
        tokenize(b"text")


@pytest.mark.parametrize("typed, plain", [
    (unicodedata.normalize("NFD", "Café"), "Café"),
    (unicodedata.normalize("NFD", "мой ёж"), "мой ёж"),
    ("\ufeffgreat film", "great film"),
    ("great\u200b film\u200b", "great film"),
    ("gre\u200dat \u200cfilm\u2060", "great film"),
    ("gre\u00adat\u200e film\u200f", "great film"),
    ("don’t, isnʼt, ‘quoted’", "don't, isn't, 'quoted'"),
    ("ｇｒｅａｔ　ｆｉｌｍ！ ７／１０，", "great film! 7/10,"),
])
def test_tokenize_gives_pasted_text_the_tokens_of_plain_text(typed, plain):
    """D11: decomposed accents, invisible characters, typographic apostrophes and fullwidth forms."""
    assert tokenize(typed) == tokenize(plain)
    assert tokenize(typed, lower=False) == tokenize(plain, lower=False)


def test_tokenize_folds_the_fullwidth_block_only():
    """NFKC over everything would rewrite these; only the Halfwidth and Fullwidth Forms block is folded."""
    assert tokenize("½ … ² ﬁ №") == ["½", "…", "²", "ﬁ", "№"]
    assert tokenize("ﾃｽﾄ") == ["テスト"]  # halfwidth katakana are in the block


# --- vocabulary: ids, round trips, unknown tokens -----------------------------------------------------


def test_vocab_ids_are_stable_and_round_trip(vocab):
    assert vocab.tokens[:2] == [PAD, BOUNDARY] and vocab.tokens[2:] == sorted(set("".join(NAMES)))
    assert vocab.decode(vocab.encode("мария")) == "мария"
    assert vocab.decode([vocab.id(BOUNDARY), *vocab.encode("оля")], keep_specials=True) == "<b>оля"
    assert Vocab.from_dict(vocab.to_dict()) == vocab


def test_character_vocab_round_trips_any_text_exactly():
    """Normalisation belongs to the tokenizer: a character vocabulary keeps every code point."""
    text = ("\ufeffline\r\n" + unicodedata.normalize("NFD", "café") + " 👨\u200d👩\u200d👧 a\u200bb \x00 "
            + "\U0010ffff ｇ ’")
    vocab = Vocab.build([text])
    assert vocab.decode(vocab.encode(text)) == text
    assert len(vocab.encode(text)) == len(text)


def test_unknown_character_names_the_character(vocab):
    with pytest.raises(UnknownTokenError, match=r"'z' \(U\+007A\) at position 2 of 'анz'"):
        vocab.encode("анz")
    with pytest.raises(UnknownTokenError, match="'ё'"):
        vocab.encode("алё")


def test_empty_corpus_is_refused():
    with pytest.raises(ValueError, match="empty corpus"):
        Vocab.build([], specials=(PAD,))


def test_word_vocab_with_unknown_token_min_freq_and_max_size():
    words = tokenize("a a a b b c d d d d .")
    vocab = Vocab.build([words], unk="<unk>", min_freq=2, joiner=" ")
    assert vocab.tokens == ["<unk>", ".", "a", "b", "c", "d"][:1] + ["a", "b", "d"]
    assert vocab.encode(["d", "c", "zzz", "<unk>"]) == [3, 0, 0, 0]
    assert vocab.decode(vocab.encode(["a", "c"])) == "a <unk>"
    top2 = Vocab.build([words], specials=("<pad>",), unk="<unk>", max_size=2, joiner=" ")
    assert top2.tokens == ["<pad>", "<unk>", "a", "d"] and top2.counts["d"] == 4
    assert Vocab.from_dict(top2.to_dict()) == top2 and Vocab.from_dict(top2.to_dict()).joiner == " "


def test_vocab_without_unknown_token_names_the_unknown_word():
    vocab = Vocab.build([["a", "b"]], joiner=" ")
    with pytest.raises(UnknownTokenError, match=r"token 'c' at position 1 .*no unknown token"):
        vocab.encode(["a", "c"])
    with pytest.raises(ValueError, match="leave out 1 tokens .* give an unknown token"):
        Vocab.build([["a", "a", "b"]], min_freq=2)
    with pytest.raises(TypeError, match="not one str"):
        Vocab.build("abc")
    with pytest.raises(ValueError, match="min_freq must be a positive integer, got 0"):
        Vocab.build([["a"]], unk="<unk>", min_freq=0)


def test_unknown_token_error_shows_a_window_not_the_whole_text():
    """D15: a long text (Anna Karenina gave a message of 1.7 million characters) is shown around the place."""
    text = "абв " * 250_000 + "Q" + " где" * 250_000
    with pytest.raises(UnknownTokenError) as caught:
        Vocab.build(["абвгде "]).encode(text)
    message = str(caught.value)
    assert len(message) < 300
    assert "'Q' (U+0051) at position 1000000 of a text of 2,000,001 characters" in message
    assert "абв Q где" in message
    tokens = ["x"] * 100_000 + ["q"] + ["y"] * 100_000
    with pytest.raises(UnknownTokenError, match=r"token 'q' at position 100000 of a list of 200,001 tokens") as caught:
        Vocab.build([["x", "y"]], joiner=" ").encode(tokens)
    assert len(str(caught.value)) < 300 and "'x', 'q', 'y'" in str(caught.value)


def test_unknown_token_error_cuts_a_huge_alphabet():
    alphabet = "".join(map(chr, range(0x4E00, 0x4E00 + 5000)))
    with pytest.raises(UnknownTokenError, match=r"5000 in all") as caught:
        Vocab.build([alphabet]).encode("z")
    assert len(str(caught.value)) < 500


# --- vocabulary: a str where tokens are expected -------------------------------------------------------


def test_word_vocab_refuses_a_str_and_points_to_tokenize(words):
    """D4: a str given to a word vocabulary was encoded one character at a time, silently."""
    with pytest.raises(TypeError, match=r"word vocabulary .*pass a list of tokens, e\.g\. .*tokenize\(text\)"):
        words.encode("a great film")
    assert words.encode(tokenize("a great film")) == words.encode(["a", "great", "film"])
    with pytest.raises(TypeError, match=r"row 1 .* is a str.*tokenize"):
        Vocab.build([["a"], "a great film"], unk=UNK, joiner=" ")
    assert Vocab.build(["ab"]).encode("ba") == [1, 0]  # a character vocabulary still takes a str


# --- vocabulary: bad input -------------------------------------------------------------------------


@pytest.mark.parametrize("rows, match", [
    ([None], r"row 0 of the corpus is None"),
    (["ab", None], r"row 1 of the corpus is None"),
    (["ab", math.nan], r"row 1 of the corpus is nan \(float\)"),
    (["ab", 5], r"row 1 of the corpus is 5 \(int\)"),
    (["ab", b"cd"], r"row 1 of the corpus is b'cd' \(bytes\)"),
    ([["a"], ["b", None]], r"row 1 of the corpus holds None"),
    ([["a", ["b"]]], r"row 0 of the corpus holds something that is not a token"),
])
def test_build_names_the_row_that_is_no_text(rows, match):
    """T2d/T2e: None was skipped silently, NaN gave a raw TypeError from collections."""
    with pytest.raises(TypeError, match=match):
        Vocab.build(rows)


@pytest.mark.parametrize("kwargs, expected", [
    (dict(min_freq=np.int64(2), unk=UNK), [UNK, "a"]),
    (dict(max_size=np.int32(1), unk=UNK), [UNK, "a"]),
    (dict(min_freq=torch.tensor(2), unk=UNK), [UNK, "a"]),
])
def test_build_takes_numpy_and_torch_integers(kwargs, expected):
    """D21: np.int64 was refused here while every other count accepts it."""
    assert Vocab.build(["aab"], **kwargs).tokens == expected


@pytest.mark.parametrize("kwargs, match", [
    (dict(min_freq=True), "min_freq must be a positive integer, got True"),
    (dict(min_freq=2.0), "min_freq must be a positive integer, got 2.0"),
    (dict(max_size=False), "max_size must be a positive integer, got False"),
    (dict(max_size=0), "max_size must be a positive integer, got 0"),
])
def test_build_refuses_bools_and_floats_as_counts(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Vocab.build(["aab"], unk=UNK, **kwargs)


def test_build_refuses_one_str_as_the_specials():
    """D17: specials="<pad>" was split into characters and reported as "special tokens also occur"."""
    with pytest.raises(TypeError, match=r"specials must be a tuple of tokens, such as \('<pad>',\), not one str"):
        Vocab.build(["abc"], specials="<pad>")
    with pytest.raises(TypeError, match="special tokens must be str"):
        Vocab.build(["abc"], specials=(PAD, None))


@pytest.mark.parametrize("sequence, match", [
    (None, "encode takes a list of tokens or a str, not NoneType"),
    (5, "encode takes a list of tokens or a str, not int"),
    (b"ab", "encode takes a list of tokens or a str, not bytes"),
    (["и", None], r"tokens must be str; got None \(NoneType\) at position 1"),
])
def test_encode_refuses_what_is_no_text(vocab, sequence, match):
    """The raw "'NoneType' object is not iterable" becomes a message naming what encode takes."""
    with pytest.raises(TypeError, match=match):
        vocab.encode(sequence)


@pytest.mark.parametrize("sequence", [[None], ["film", 5], ["film", math.nan], [["a", "list"]]])
def test_word_vocab_with_unk_does_not_read_non_tokens_as_unknown(words, sequence):
    """With an unknown token, None or NaN in a token list would silently become <unk>."""
    with pytest.raises(TypeError, match="tokens must be str"):
        words.encode(sequence)


@pytest.mark.parametrize("ids, error, match", [
    ([-1], ValueError, r"id -1 at position 0 is not in the vocabulary \(ids 0..3\)"),
    ([0, 4], ValueError, r"id 4 at position 1"),
    ([1.9], TypeError, r"ids must be integers; got 1.9 at position 0"),
    (torch.tensor([1.0]), TypeError, r"got tensor\(1.\)"),
    (np.array([2.0]), TypeError, "ids must be integers"),
])
def test_decode_refuses_ids_outside_the_vocabulary_and_non_integers(ids, error, match):
    vocab = Vocab.build(["абв"], specials=(PAD,))
    assert vocab.decode(torch.tensor([1, 3])) == vocab.decode(np.array([1, 3])) == "ав"
    with pytest.raises(error, match=match):
        vocab.decode(ids)


@pytest.mark.parametrize("ids, match", [
    ([True], "ids must be integers; got True at position 0"),
    ([1, False], "ids must be integers; got False at position 1"),
    (torch.tensor([True]), "not bools"),
    (np.array([True]), "not bools"),
    (None, "decode takes a sequence of integer ids, not NoneType"),
    (3, "decode takes a sequence of integer ids, not int"),
])
def test_decode_refuses_bools_and_non_sequences(ids, match):
    """D16: decode([True]) decoded id 1."""
    vocab = Vocab.build(["абв"], specials=(PAD,))
    with pytest.raises(TypeError, match=match):
        vocab.decode(ids)


@pytest.mark.parametrize("state, match", [
    ({"tokens": ["a"], "specials": [UNK], "unk": UNK}, r"special tokens \['<unk>'\] are not among"),
    ({"tokens": [UNK, "a"], "specials": [], "unk": UNK}, "unknown token '<unk>' must be one of the specials"),
    ({"tokens": ["a", "b"], "specials": [PAD]}, r"special tokens \['<pad>'\] are not among"),
    ({"tokens": ["a", "a"], "specials": []}, "must be unique"),
    ({"tokens": ["a"]}, "has no 'specials'"),
    ({"tokens": ["a", None], "specials": []}, "damaged: vocabulary tokens must be str"),
    (["a"], "a saved vocabulary is a dict"),
])
def test_from_dict_refuses_a_damaged_vocabulary(state, match):
    """A file whose unknown token is not among its tokens loaded, and failed at the first unknown word."""
    with pytest.raises(ValueError, match=match):
        Vocab.from_dict(state)
