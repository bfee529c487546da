"""The course's datasets: a registry of files with checksums, and loaders.

Every file is looked up in this order:

1. the cache, ``data/`` in the repository (``LECTURE_DATA_DIR`` overrides it);
2. a local mirror directory, if ``LECTURE_DATA_MIRROR`` names one;
3. the original source URLs, downloaded with a progress bar.

Relative paths in the two variables are taken from the repository root, so a
notebook (run from ``notebooks/``) and ``make`` (run from the root) agree.

A file enters the cache only after its sha256 has been checked, and it is
written to a temporary file first and renamed atomically, so an interrupted or
corrupt transfer never leaves a half-written file behind (a killed run's
leftovers are removed by the next one). Checksums are of the content: for
``.gz`` files, of the decompressed bytes (gzip output differs between zlib
versions, the CSV inside does not). Files built from the same download (the
two IMDB splits) are built together, so the archive is downloaded once.

``make data`` runs :mod:`lecture_utils.fetch_data`.
"""
from __future__ import annotations

import csv
import gzip
import hashlib
import io
import os
import re
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import pandas as pd
from .atomic import atomic_path, scratch_dir
from .progress import progress

REPO_ROOT = Path(__file__).resolve().parents[1]


class DataError(RuntimeError):
    """A dataset could not be found, downloaded or verified."""


@dataclass(frozen=True)
class Source:
    """One file to download; ``sha256`` is of the downloaded bytes."""

    url: str
    sha256: str


@dataclass(frozen=True)
class DataFile:
    """A registered dataset file.

    ``sha256`` is the checksum of the file's content (decompressed for ``.gz``).
    ``sources`` are downloaded when neither the cache nor the mirror has the file;
    ``build`` turns the downloaded sources into the file (default: take the only
    source as it is). ``clean`` is this dataset's own text cleaning, applied by the
    loaders after the file is read (the quirks of a dataset stay with its entry).
    """

    name: str
    filename: str
    sha256: str
    description: str
    sources: tuple[Source, ...]
    build: Callable[[Sequence[Path], Path], None] | None = field(default=None, compare=False)
    clean: Callable[[str], str] | None = field(default=None, compare=False)


# --------------------------------------------------------------------- builders
# Each builder reproduces a file of ../shared/data from its original sources,
# exactly as SOURCES.md describes, so that a download gives the same bytes.


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
        with open(target, "wb") as f:
            with gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0, compresslevel=9) as gz:
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
    return re.sub(r"[ \t\u00a0]+$", "", text, flags=re.M).rstrip("\n") + "\n"


_HTML_BREAK = re.compile(r"<br\s*/?>", re.I)


def _clean_imdb_review(text: str) -> str:
    """The reviews keep the site's line breaks as ``<br />`` tags (about 100,000 in the
    training split): each becomes a space. The few other tags (<i>, 7 of them) are
    rare enough to leave as they are."""
    return re.sub(r"  +", " ", _HTML_BREAK.sub(" ", text)).strip()


_GH = "https://raw.githubusercontent.com"
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
                    "%D0%91%D1%80%D0%B0%D1%82%D1%8C%D1%8F%20%D0%9A%D0%B0%D1%80%D0%B0%D0%BC%D0%B0%D0%B7%D0%BE%D0%B2%D1%8B.txt",
                    "376ff6e6f637524a6e8ae6d152c18259068b1ab084d1e3de90a8855e1951ad43"),),
            clean=_clean_karamazov,
        ),
        DataFile(
            "tinyshakespeare", "tinyshakespeare.txt",
            "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
            "tiny shakespeare, the char-rnn demo corpus",
            (Source(f"{_GH}/karpathy/char-rnn/6f9487a6fe5b420b7ca9afb0d7c078e37c1d1b4e/data/tinyshakespeare/input.txt",
                    "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"),),
        ),
        DataFile(
            "russian_names", "russian_names.csv",
            "7f6ef5dfe244a513bebfe45912c45b01d728da9f3f95809a982a11382c1bca3a",
            "Russian given names with gender: 938 female, 731 male",
            (Source(f"{_GH}/Raven-SL/ru-pnames-list/48ff79f05e6c7165a11d9209d471c7a575cda955/lists/female_names_rus.txt",
                    "763bca80383eadf0c9b1f5bbd9bedb72f3d15b5ebcc94e68db5cd55cdba6305b"),
             Source(f"{_GH}/Raven-SL/ru-pnames-list/48ff79f05e6c7165a11d9209d471c7a575cda955/lists/male_names_rus.txt",
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


def _repo_path(value: str) -> Path:
    """A path from an environment variable: ``~`` expanded, relative ones taken from the repository root."""
    path = Path(value).expanduser()
    return path if path.is_absolute() else REPO_ROOT / path


def cache_dir() -> Path:
    """Where datasets are kept: ``LECTURE_DATA_DIR`` or ``data/`` in the repository."""
    value = os.environ.get("LECTURE_DATA_DIR")
    return _repo_path(value) if value else REPO_ROOT / "data"


def mirror_dir() -> Path | None:
    """The local mirror named by ``LECTURE_DATA_MIRROR``, if any."""
    value = os.environ.get("LECTURE_DATA_MIRROR")
    return _repo_path(value) if value else None


def sha256_of(path: Path, decompress: bool = False) -> str:
    """Hex sha256 of a file's bytes, or of its gzip-decompressed bytes."""
    digest = hashlib.sha256()
    opener = gzip.open if decompress else open
    with opener(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _content_sha256(spec: DataFile, path: Path) -> str:
    try:
        return sha256_of(path, decompress=spec.filename.endswith(".gz"))
    except (OSError, EOFError, gzip.BadGzipFile) as err:  # a truncated or non-gzip file
        return f"unreadable ({err})"


def _install(spec: DataFile, produce: Callable[[Path], None], origin: str) -> Path:
    """Write the file through ``produce(tmp)``, verify it, then rename it into the cache."""
    target = cache_dir() / spec.filename
    with atomic_path(target) as tmp:
        produce(tmp)
        actual = _content_sha256(spec, tmp)
        if actual != spec.sha256:
            raise DataError(
                f"{spec.name}: the file from {origin} failed verification "
                f"(sha256 {actual}, expected {spec.sha256}); nothing was cached. "
                "The file is corrupt or truncated: replace it, or delete it and fetch again."
            )
    return target


def _download(url: str, dest: Path, expected_sha256: str) -> None:
    digest = hashlib.sha256()
    with urllib.request.urlopen(url, timeout=60) as response, open(dest, "wb") as out:
        total = int(response.headers.get("Content-Length") or 0) or None
        with progress(total=total, unit="B", unit_scale=True, desc=url.rsplit("/", 1)[-1][:40]) as bar:
            for block in iter(lambda: response.read(1 << 16), b""):
                out.write(block)
                digest.update(block)
                bar.update(len(block))
    if digest.hexdigest() != expected_sha256:
        raise DataError(
            f"download of {url} failed verification (sha256 {digest.hexdigest()}, "
            f"expected {expected_sha256}); nothing was cached"
        )


def _build(spec: DataFile, sources: Sequence[Path], out: Path) -> None:
    if spec.build is None:
        shutil.copyfile(sources[0], out)
    else:
        spec.build(sources, out)


def _download_and_install(spec: DataFile) -> Path:
    """Download ``spec``'s sources once; build and cache it and every uncached file built from them."""
    cache = cache_dir()
    siblings = [other for other in REGISTRY.values()
                if other.sources == spec.sources and other.name != spec.name
                and not (cache / other.filename).exists()]
    with scratch_dir(cache) as folder:
        paths = []
        for i, source in enumerate(spec.sources):
            paths.append(folder / f"{i}.{source.url.rsplit('/', 1)[-1][:60]}")
            _download(source.url, paths[-1], source.sha256)
        target = _install(spec, lambda out: _build(spec, paths, out), "the download")
        for other in siblings:
            _install(other, lambda out, other=other: _build(other, paths, out), "the download")
    return target


def _check_writable(folder: Path) -> None:
    """Raise a :class:`DataError` that says so when ``folder`` cannot take a new file."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        raise DataError(
            f"The data cache {folder} is not writable ({err.strerror or err}), so no dataset "
            f"can be stored there.\n"
            f"Keep the cache in a folder you can write to, and give its path in LECTURE_DATA_DIR, e.g.\n"
            f"  export LECTURE_DATA_DIR=~/.cache/rnn-course/data\n"
            f"(a relative path is taken from the repository root {REPO_ROOT}), then run `make data`; "
            f"or make {folder} writable."
        ) from err


def _missing_message(spec: DataFile, cached: Path, mirror: Path | None, failure: str) -> str:
    mirror_line = (f"  2. the mirror {mirror / spec.filename} (not there)" if mirror
                   else "  2. a local mirror: none, LECTURE_DATA_MIRROR is not set")
    urls = "\n".join(f"       {s.url}" for s in spec.sources)
    return (
        f"Dataset '{spec.name}' ({spec.description}) is not available.\n"
        f"Looked in:\n"
        f"  1. the cache {cached} (not there)\n"
        f"{mirror_line}\n"
        f"  3. the download from\n{urls}\n"
        f"     which failed: {failure}\n"
        f"How to get it:\n"
        f"  - point LECTURE_DATA_MIRROR at a folder that holds {spec.filename} "
        f"(a relative path is taken from the repository root: "
        f"LECTURE_DATA_MIRROR=../shared/data make data), or\n"
        f"  - on a machine with internet access run `make data`, or\n"
        f"  - place the file by hand at {cached} "
        f"(sha256 of its content: {spec.sha256})."
    )


_verified: set[tuple[str, float, int]] = set()


def fetch(name: str | DataFile) -> Path:
    """Return the path of a verified dataset file, fetching it if needed.

    Raises :class:`DataError` with what is missing, where it was looked for and
    how to get it, or when a file fails its checksum. A corrupt file is never
    cached; a corrupt file already in the cache is reported, not deleted.
    """
    spec = name if isinstance(name, DataFile) else _spec(name)
    cached = cache_dir() / spec.filename
    if cached.exists():
        stat = cached.stat()
        key = (str(cached), stat.st_mtime, stat.st_size)
        if key not in _verified:  # hashing 30 MB each time a cell runs is wasted time
            try:
                with open(cached, "rb"):
                    pass
            except PermissionError as err:  # e.g. written 0600 by another user of the machine
                raise DataError(
                    f"{spec.name}: the cached file {cached} cannot be read ({err.strerror}). "
                    f"Its owner can make it readable (chmod a+r), or keep a cache of your own: "
                    f"export LECTURE_DATA_DIR=~/.cache/rnn-course/data, then `make data`."
                ) from err
            actual = _content_sha256(spec, cached)
            if actual != spec.sha256:
                raise DataError(
                    f"{spec.name}: the cached file {cached} failed verification "
                    f"(sha256 {actual}, expected {spec.sha256}). "
                    f"Delete it and run `make data` to fetch it again."
                )
            _verified.add(key)
        return cached

    _check_writable(cached.parent)
    mirror = mirror_dir()
    if mirror is not None and (mirror / spec.filename).is_file():
        source = mirror / spec.filename
        return _install(spec, lambda tmp: shutil.copyfile(source, tmp), f"the mirror {source}")

    try:
        return _download_and_install(spec)
    except (urllib.error.URLError, OSError) as err:  # offline, 404, DNS failure, timeout
        raise DataError(_missing_message(spec, cached, mirror, str(err))) from err


def _spec(name: str) -> DataFile:
    try:
        return REGISTRY[name]
    except KeyError:
        raise DataError(f"unknown dataset '{name}'; known: {', '.join(sorted(REGISTRY))}") from None


def fetch_all() -> list[Path]:
    """Fetch every registered dataset (``make data``)."""
    return [fetch(name) for name in REGISTRY]


# -------------------------------------------------------------------- loaders

def load_text(name: str) -> str:
    """A text corpus as a clean string: any byte-order mark removed (``anna_karenina_ru``
    starts with one), then the dataset's own cleaning (its registry entry's ``clean``)."""
    spec = _spec(name)
    text = fetch(spec).read_text(encoding="utf-8-sig")
    if spec.clean is not None:
        text = spec.clean(text)
    if not text.strip():
        raise DataError(f"{name}: the corpus is empty")
    return text


def load_names() -> pd.DataFrame:
    """Russian first names: a DataFrame with columns ``name`` (lower case) and ``gender`` (f/m)."""
    return pd.read_csv(fetch("russian_names"), encoding="utf-8", dtype=str, keep_default_na=False)


def load_imdb(split: str) -> pd.DataFrame:
    """IMDB reviews of ``split`` ("train" or "test"): columns ``text`` (cleaned by the registry
    entry: no ``<br />`` tags) and ``label`` (0 negative, 1 positive)."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    spec = _spec(f"imdb_{split}")
    reviews = pd.read_csv(fetch(spec), encoding="utf-8", keep_default_na=False)
    if spec.clean is not None:
        reviews["text"] = reviews["text"].map(spec.clean)
    return reviews
