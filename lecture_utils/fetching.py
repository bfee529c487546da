"""How a registered dataset file gets onto the disk: the cache, the mirror, verified downloads.

Every file is looked up in this order:

1. the cache, ``data/`` in the repository (``LECTURE_DATA_DIR`` overrides it);
2. a local mirror directory, if ``LECTURE_DATA_MIRROR`` names one;
3. the original source URLs, downloaded with a progress bar.

Relative paths in the two variables are taken from the repository root, so a
notebook (run from ``notebooks/``) and ``make`` (run from the root) agree.

A file enters the cache only after its sha256 has been checked, and it is
written to a temporary file first and renamed atomically (:mod:`lecture_utils.atomic`),
so an interrupted or corrupt transfer never leaves a half-written file behind (a
killed run's leftovers are removed by the next one). Checksums are of the content:
for ``.gz`` files, of the decompressed bytes (gzip output differs between zlib
versions, the CSV inside does not). Files built from the same download (the two
IMDB splits) are built together, so the archive is downloaded once.

This module knows nothing of the course's datasets: :mod:`lecture_utils.data` holds
the registry and hands its entries to :func:`fetch_file`.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import tempfile
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .atomic import atomic_path, scratch_dir
from .progress import progress

REPO_ROOT = Path(__file__).resolve().parents[1]


class DataError(RuntimeError):
    """A dataset could not be found, downloaded, verified or read."""


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


# ------------------------------------------------------------------- places


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


# ------------------------------------------------------------- verification

# What reading a damaged file raises: a truncated gzip gives EOFError, a broken header
# BadGzipFile (an OSError), a broken deflate stream zlib.error.
READ_ERRORS = (OSError, EOFError, zlib.error)


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
    except READ_ERRORS as err:  # a truncated, damaged or non-gzip file
        return f"unreadable ({err})"


def refresh_hint(spec: DataFile) -> str:
    """The sentence that tells how to replace a bad cached file of ``spec``."""
    return (f"Delete it and run `make data` (or `python -m lecture_utils.data {spec.name}`) "
            f"to fetch it again.")


def damaged_file_error(spec: DataFile, path: Path, problem: str) -> DataError:
    """The error for a cached file that cannot be used as it is: what is wrong, and how to refresh it."""
    return DataError(f"{spec.name}: the cached file {path} {problem}. {refresh_hint(spec)}")


# The files verified in this process, so that a notebook does not hash 30 MB each time a cell
# runs. The key holds everything a rewrite changes: a same-size rewrite that puts the mtime
# back (cp -p, rsync -t, tar x) still changes the ctime, and a replaced file has a new inode.
_verified: set[tuple] = set()
# A file changed this close to its check may change again within the same tick of the file
# system's clock, leaving every field of the key as it was: such a file is hashed again the next
# time (git's "racily clean" entries). 2 s covers the coarsest clocks (FAT, some network shares).
_RACY_NS = 2_000_000_000


def _stat_key(path: Path, stat: os.stat_result) -> tuple:
    return (str(path), stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


def _verify_cached(spec: DataFile, cached: Path) -> None:
    """Check the cached file's content once per version of the file; raise a :class:`DataError` if it fails."""
    before = cached.stat()
    key = _stat_key(cached, before)
    if key in _verified:
        return
    started = time.time_ns()
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
        raise damaged_file_error(spec, cached, f"failed verification (sha256 {actual}, expected {spec.sha256})")
    if _stat_key(cached, cached.stat()) == key and before.st_ctime_ns < started - _RACY_NS:
        _verified.add(key)


# ------------------------------------------------------------------ getting


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


def _download_and_install(spec: DataFile, related: Iterable[DataFile]) -> Path:
    """Download ``spec``'s sources once; build and cache it and every uncached file built from them."""
    cache = cache_dir()
    siblings = [other for other in related
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


def fetch_file(spec: DataFile, related: Iterable[DataFile] = ()) -> Path:
    """Return the path of ``spec``'s verified file in the cache, getting it first if needed.

    ``related`` are the other registered files: those built from the same sources are
    built from the same download and cached too. Raises :class:`DataError` with what is
    missing, where it was looked for and how to get it, or when a file fails its checksum.
    A corrupt file is never cached; a corrupt file already in the cache is reported, not
    deleted.
    """
    cached = cache_dir() / spec.filename
    if cached.exists():
        _verify_cached(spec, cached)
        return cached

    _check_writable(cached.parent)
    mirror = mirror_dir()
    if mirror is not None and (mirror / spec.filename).is_file():
        source = mirror / spec.filename
        return _install(spec, lambda tmp: shutil.copyfile(source, tmp), f"the mirror {source}")

    try:
        return _download_and_install(spec, related)
    except (urllib.error.URLError, OSError) as err:  # offline, 404, DNS failure, timeout
        raise DataError(_missing_message(spec, cached, mirror, str(err))) from err
