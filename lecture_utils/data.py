"""The course's datasets: the registry of files with their checksums, and the loaders.

Each :class:`DataFile` entry names a file, the sha256 of its content, where it was
downloaded from, how it is built from those downloads and how its text is cleaned
(the quirks of a dataset stay with its entry). How a file gets onto the disk (the
cache, the mirror, verified downloads) is :mod:`lecture_utils.fetching`'s job.

``python -m lecture_utils.data [NAME ...]`` (``make data``, or the ``lecture-data``
command) fetches and verifies every dataset, or the ones named.
"""
from __future__ import annotations

import csv
import gzip
import io
import re
import sys
import tarfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from .checks import one_of
from .fetching import READ_ERRORS, REPO_ROOT, DataError, DataFile, Source, damaged_file_error, fetch_file, sha256_of
from .progress import progress

__all__ = ["REGISTRY", "REPO_ROOT", "DataError", "DataFile", "Source", "fetch", "load_imdb", "load_names",
           "load_text", "main", "sha256_of"]


# --------------------------------------------------------------------- builders
# Each builder turns an entry's original sources into the file its checksum names, so a
# download gives the same content as the course's mirror of the files (the folder that
# LECTURE_DATA_MIRROR names; in CI ../shared/data, beside the repository, not part of it).
# The steps are all here; that folder's SOURCES.md records them again with each source's provenance.


def _build_crlf_to_lf(sources: Sequence[Path], target: Path) -> None:
    text = sources[0].read_bytes().decode("utf-8")
    target.write_bytes(text.replace("\r\n", "\n").encode("utf-8"))


def _build_russian_names(sources: Sequence[Path], target: Path) -> None:
    rows = []
    for path, gender in zip(sources, ("f", "m")):
        seen = set()
        for line in path.read_text(encoding="utf-8").split("\n"):
            name = line.strip()
            if re.fullmatch(r"[А-ЯЁ][а-яё]+", name) and name.lower() not in seen:
                seen.add(name.lower())
                rows.append((name.lower(), gender))
    with open(target, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["name", "gender"])
        writer.writerows(rows)


def _imdb_csv_builder(split: str) -> Callable[[Sequence[Path], Path], None]:
    def build(sources: Sequence[Path], target: Path) -> None:
        reviews = {"neg": [], "pos": []}
        pattern = re.compile(rf"aclImdb/{split}/(neg|pos)/(\d+)_\d+\.txt")
        with tarfile.open(sources[0], "r:gz") as tar:
            for member in progress(tar, desc=f"reading aclImdb/{split}", unit=" files"):
                match = pattern.fullmatch(member.name)
                if match and member.isfile():
                    text = tar.extractfile(member).read().decode("utf-8")
                    reviews[match[1]].append((int(match[2]), text))
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["text", "label"])
        for label, polarity in enumerate(("neg", "pos")):
            writer.writerows((text, label) for _, text in sorted(reviews[polarity]))
        with open(target, "wb") as f, gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0, compresslevel=9) as gz:
            gz.write(buf.getvalue().encode("utf-8"))

    return build


# --------------------------------------------------------------------- cleaning

_KARAMAZOV_NOTES = re.compile(r"(?m)^[ \t]*Примечания[ \t]*$")


def _clean_karamazov(text: str) -> str:
    """Cut the trailing "Примечания" section (translations of foreign phrases), remove the
    ``[n]`` footnote markers, and strip the paragraph indentation and trailing spaces."""
    notes = list(_KARAMAZOV_NOTES.finditer(text))
    if not notes:
        raise DataError("karamazov_ru: the 'Примечания' section was not found; is the file right?")
    text = text[:notes[-1].start()]
    text = re.sub(r"\[\d+\]", "", text)
    text = re.sub(r"(?m)^[ \t\u00a0]+", "", text)
    return re.sub(r"[ \t\u00a0]+$", "", text, flags=re.MULTILINE).rstrip("\n") + "\n"


_HTML_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)


def _clean_imdb_review(text: str) -> str:
    """The reviews keep the site's line breaks as ``<br />`` tags (about 100,000 in the
    training split): each becomes a space. The few other tags (<i>, 7 of them) are
    rare enough to leave as they are."""
    return re.sub(r"  +", " ", _HTML_BREAK.sub(" ", text)).strip()


_GH = "https://raw.githubusercontent.com"
_NAME_LISTS = f"{_GH}/Raven-SL/ru-pnames-list/48ff79f05e6c7165a11d9209d471c7a575cda955/lists"
_IMDB_TAR = Source(
    "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz",
    "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe",
)

REGISTRY: dict[str, DataFile] = {
    spec.name: spec
    for spec in [
        DataFile(
            "anna_karenina_ru", "anna_karenina_ru.txt",
            "2d8f5567e8655a3c589618042771066e24d3174004fe0478495b1f9cea40fb48",
            "«Анна Каренина», L. Tolstoy, full Russian text (UTF-8 with BOM)",
            (Source(f"{_GH}/AlexStrNik/LikeTolsotoi/50797e1542e8e2cdd92f4cb9b1a9f79c246e89e1/anna.txt",
                    "2d8f5567e8655a3c589618042771066e24d3174004fe0478495b1f9cea40fb48"),),
        ),
        DataFile(
            "karamazov_ru", "karamazov_ru.txt",
            "376ff6e6f637524a6e8ae6d152c18259068b1ab084d1e3de90a8855e1951ad43",
            "«Братья Карамазовы», F. Dostoevsky, full Russian text",
            (Source(f"{_GH}/d0rj/RusLit/4509680428729da225a73a22008133660f92bb7e/prose/Dostoevsky/"
                    "%D0%91%D1%80%D0%B0%D1%82%D1%8C%D1%8F%20"  # Братья Карамазовы.txt
                    "%D0%9A%D0%B0%D1%80%D0%B0%D0%BC%D0%B0%D0%B7%D0%BE%D0%B2%D1%8B.txt",
                    "376ff6e6f637524a6e8ae6d152c18259068b1ab084d1e3de90a8855e1951ad43"),),
            clean=_clean_karamazov,
        ),
        DataFile(
            "tinyshakespeare", "tinyshakespeare.txt",
            "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
            "tiny shakespeare, the char-rnn demo corpus",
            (Source(f"{_GH}/karpathy/char-rnn/6f9487a6fe5b420b7ca9afb0d7c078e37c1d1b4e/"
                    "data/tinyshakespeare/input.txt",
                    "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"),),
        ),
        DataFile(
            "russian_names", "russian_names.csv",
            "7f6ef5dfe244a513bebfe45912c45b01d728da9f3f95809a982a11382c1bca3a",
            "Russian given names with gender: 938 female, 731 male",
            (Source(f"{_NAME_LISTS}/female_names_rus.txt",
                    "763bca80383eadf0c9b1f5bbd9bedb72f3d15b5ebcc94e68db5cd55cdba6305b"),
             Source(f"{_NAME_LISTS}/male_names_rus.txt",
                    "eed50fff125d6a54a9cd24abf5425625e0d6d9a2011ee4ae67245a7dadae0107")),
            _build_russian_names,
        ),
        DataFile(
            "imdb_train", "imdb_train.csv.gz",
            "c324c54e17ffceb54230d53ed26c7c43530fc5fe7374990773ce9871c2bf27ed",
            "IMDB Large Movie Review Dataset v1.0, 25,000 train reviews",
            (_IMDB_TAR,), _imdb_csv_builder("train"), _clean_imdb_review,
        ),
        DataFile(
            "imdb_test", "imdb_test.csv.gz",
            "9c724df13b97942ce5d40e5df5d6832a522312f601e26de41cd1e7906744cf16",
            "IMDB Large Movie Review Dataset v1.0, 25,000 test reviews",
            (_IMDB_TAR,), _imdb_csv_builder("test"), _clean_imdb_review,
        ),
        DataFile(
            "anna_karenina_en", "anna_karenina_en.txt",
            "a21483849a464568c05997147edb994e40023b9d87c299974169abb68230da48",
            "«Anna Karenina», C. Garnett's English translation (CRLF converted to LF)",
            (Source(f"{_GH}/udacity/deep-learning-v2-pytorch/c9404fc86181fc3f0906b368697268257f348535/"
                    "recurrent-neural-networks/char-rnn/data/anna.txt",
                    "568bb39fc78aca98e9db91c4329dcd1aa5ec4c3df3aca2064ce5d6f023ae16c9"),),
            _build_crlf_to_lf,
        ),
    ]
}


# ------------------------------------------------------------------- fetching


def _spec(name: str) -> DataFile:
    try:
        return REGISTRY[name]
    except (KeyError, TypeError):  # TypeError: an unhashable name
        raise DataError(f"unknown dataset {name!r}; known: {', '.join(sorted(REGISTRY))}") from None


def fetch(name: str | DataFile) -> Path:
    """Return the path of a verified dataset file, fetching it if needed.

    Raises :class:`DataError` with what is missing, where it was looked for and
    how to get it, or when a file fails its checksum. A corrupt file is never
    cached; a corrupt file already in the cache is reported, not deleted.
    """
    spec = name if isinstance(name, DataFile) else _spec(name)
    return fetch_file(spec, REGISTRY.values())


def main(argv: list[str] | None = None) -> int:
    """``make data``: fetch and verify the datasets named in ``argv`` (default: the command line;
    none given: all of them).

    Prints ``ok  <path>`` for each. It stops at the first dataset it cannot get (offline,
    every other download would fail and wait in the same way) and prints the
    message alone: what is missing, where it looked and how to get it. Returns the exit
    status: 0 when every file is in place, 1 otherwise (130 after Ctrl+C).
    """
    names = (sys.argv[1:] if argv is None else argv) or list(REGISTRY)
    for name in names:
        try:
            path = fetch(name)
        except DataError as err:
            print(err, file=sys.stderr)
            return 1
        except KeyboardInterrupt:  # Ctrl+C: the partial download is already cleaned up
            print(f"interrupted while fetching '{name}'", file=sys.stderr)
            return 130
        print(f"ok  {path}")
    return 0


# -------------------------------------------------------------------- loaders

_TABLE_LOADERS = {"russian_names": "load_names()", "imdb_train": "load_imdb('train')",
                  "imdb_test": "load_imdb('test')"}


@contextmanager
def _reading(spec: DataFile, path: Path, what: str) -> Iterator[None]:
    """Turn a failure to decode a verified file into a :class:`DataError` that says how to refresh it.

    The file passed its checksum, so such a failure means it changed since, or was damaged."""
    try:
        yield
    except (UnicodeDecodeError, pd.errors.ParserError, *READ_ERRORS) as err:
        raise damaged_file_error(spec, path, f"cannot be read as {what} ({type(err).__name__}: {err})") from err


def load_text(name: str) -> str:
    """A text corpus as a clean string: any byte-order mark removed (``anna_karenina_ru``
    starts with one), then the dataset's own cleaning (its registry entry's ``clean``)."""
    spec = _spec(name)
    if spec.filename.endswith(".gz"):
        loader = _TABLE_LOADERS.get(name, "its own loader")
        raise ValueError(f"{name} is a gzip-compressed table ({spec.filename}), not a text corpus: "
                         f"load it with {loader}")
    path = fetch(spec)
    with _reading(spec, path, "UTF-8 text"):
        text = path.read_text(encoding="utf-8-sig")
    if spec.clean is not None:
        text = spec.clean(text)
    if not text.strip():
        raise DataError(f"{name}: the corpus is empty")
    return text


def _read_table(spec: DataFile, allowed: dict[str, list | None], **kwargs) -> pd.DataFrame:
    """The CSV of ``spec``: exactly the columns of ``allowed``, each holding only its allowed values
    (None: any), or a :class:`DataError` saying how to refresh the file."""
    path = fetch(spec)
    with _reading(spec, path, "a UTF-8 CSV"):
        table = pd.read_csv(path, encoding="utf-8", keep_default_na=False, **kwargs)
    if list(table.columns) != list(allowed):
        raise damaged_file_error(spec, path, f"has the columns {list(table.columns)[:5]}, not {list(allowed)}")
    for column, values in allowed.items():
        if values is not None and not table[column].isin(values).all():
            raise damaged_file_error(spec, path, f"holds values of {column!r} other than {values}")
    return table


def load_names() -> pd.DataFrame:
    """Russian first names: a DataFrame with columns ``name`` (lower case) and ``gender`` (f/m)."""
    return _read_table(_spec("russian_names"), {"name": None, "gender": ["f", "m"]}, dtype=str)


def load_imdb(split: str) -> pd.DataFrame:
    """IMDB reviews of ``split`` ("train" or "test"): columns ``text`` (cleaned by the registry
    entry: no ``<br />`` tags) and ``label`` (0 negative, 1 positive)."""
    spec = _spec(f"imdb_{one_of('split', split, ('train', 'test'))}")
    reviews = _read_table(spec, {"text": None, "label": [0, 1]})
    if spec.clean is not None:
        reviews["text"] = reviews["text"].map(spec.clean)
    return reviews


if __name__ == "__main__":
    sys.exit(main())
