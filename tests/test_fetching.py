"""lecture_utils.fetching, the mechanism: cache, mirror and verified downloads against a real HTTP server."""
from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import io
import os
import subprocess
import sys
import tarfile
import threading
import time
import zlib

import pytest

from lecture_utils import fetching
from lecture_utils.fetching import DataError, DataFile, Source, fetch_file

GOOD = "Мороз и солнце; день чудесный!\n".encode() * 100
NOWHERE = "http://127.0.0.1:9/never-used"  # the discard port: connection refused, like being offline


def sha(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


@pytest.fixture
def server(tmp_path):
    """Serve tmp_path/www on 127.0.0.1 at a free port; yields the base URL."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    """An empty mirror folder named by LECTURE_DATA_MIRROR."""
    folder = tmp_path / "mirror"
    folder.mkdir()
    monkeypatch.setenv("LECTURE_DATA_MIRROR", str(folder))
    return folder


def spec_for(url: str, payload: bytes = GOOD, **kwargs) -> DataFile:
    return DataFile("poem", "poem.txt", sha(payload), "a test poem", (Source(url, sha(payload)),), **kwargs)


def crlf_to_lf(sources, target) -> None:
    target.write_bytes(sources[0].read_bytes().replace(b"\r\n", b"\n"))


def test_fetching_does_not_import_the_registry():
    """The mechanism knows no dataset: importing it loads no lecture_utils.data."""
    code = "import sys, lecture_utils.fetching; print('lecture_utils.data' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout == "False\n", result.stderr


# ---------------------------------------------------------------- downloads


def test_good_download_is_verified_and_cached(server, empty_cache):
    root, base = server
    (root / "poem.txt").write_bytes(GOOD)
    path = fetch_file(spec_for(f"{base}/poem.txt"))
    assert path == empty_cache / "poem.txt"
    assert path.read_bytes() == GOOD
    assert [p.name for p in empty_cache.iterdir()] == ["poem.txt"]  # no temporary files left


def test_corrupt_download_raises_and_caches_nothing(server, empty_cache):
    root, base = server
    (root / "poem.txt").write_bytes(GOOD[:-10])  # a truncated transfer
    with pytest.raises(DataError, match="failed verification"):
        fetch_file(spec_for(f"{base}/poem.txt"))
    assert list(empty_cache.iterdir()) == []


def test_build_step_output_is_verified(server, empty_cache):
    root, base = server
    crlf = GOOD.replace(b"\n", b"\r\n")
    (root / "poem.txt").write_bytes(crlf)
    spec = DataFile("poem", "poem.txt", sha(GOOD), "CRLF poem", (Source(f"{base}/poem.txt", sha(crlf)),), crlf_to_lf)
    assert fetch_file(spec).read_bytes() == GOOD
    wrong = DataFile("poem", "poem.txt", sha(GOOD), "CRLF poem", (Source(f"{base}/poem.txt", sha(crlf)),))
    (empty_cache / "poem.txt").unlink()
    with pytest.raises(DataError, match="from the download failed verification"):
        fetch_file(wrong)  # the download is right, but without the build step the file is not
    assert list(empty_cache.iterdir()) == []


def test_404_gives_the_offline_message(server, empty_cache):
    _, base = server
    with pytest.raises(DataError) as err:
        fetch_file(spec_for(f"{base}/missing.txt"))
    message = str(err.value)
    assert "Dataset 'poem'" in message and "404" in message
    assert str(empty_cache / "poem.txt") in message
    assert list(empty_cache.iterdir()) == []


def test_offline_message_names_dataset_places_url_and_remedy(empty_cache, monkeypatch, tmp_path):
    monkeypatch.setenv("LECTURE_DATA_MIRROR", str(tmp_path / "mirror"))
    with pytest.raises(DataError) as err:
        fetch_file(spec_for(NOWHERE))
    message = str(err.value)
    for expected in ("Dataset 'poem'", str(empty_cache / "poem.txt"), str(tmp_path / "mirror" / "poem.txt"),
                     NOWHERE, "LECTURE_DATA_MIRROR", "make data", "place the file by hand"):
        assert expected in message


# ------------------------------------------------------------ mirror, cache


def test_mirror_hit_needs_no_network(empty_cache, mirror):
    (mirror / "poem.txt").write_bytes(GOOD)
    path = fetch_file(spec_for(NOWHERE))
    assert path.read_bytes() == GOOD and path.parent == empty_cache


def test_corrupt_mirror_file_is_not_cached(empty_cache, mirror):
    (mirror / "poem.txt").write_bytes(b"not the poem")
    with pytest.raises(DataError, match="the mirror"):
        fetch_file(spec_for(NOWHERE))
    assert not (empty_cache / "poem.txt").exists()


def test_cache_hit_uses_no_mirror_or_network(empty_cache):
    empty_cache.mkdir()
    (empty_cache / "poem.txt").write_bytes(GOOD)
    assert fetch_file(spec_for(NOWHERE)).read_bytes() == GOOD


def test_corrupt_cached_file_is_reported_and_kept(empty_cache):
    empty_cache.mkdir()
    (empty_cache / "poem.txt").write_bytes(b"tampered")
    with pytest.raises(DataError, match="cached file .* failed verification") as err:
        fetch_file(spec_for(NOWHERE))
    assert "python -m lecture_utils.data poem" in str(err.value)
    assert (empty_cache / "poem.txt").read_bytes() == b"tampered"  # destroys nothing


def test_gz_files_are_verified_by_their_content(empty_cache, mirror):
    (mirror / "poem.csv.gz").write_bytes(gzip.compress(GOOD, mtime=0))
    spec = DataFile("poem", "poem.csv.gz", sha(GOOD), "gzipped poem", (Source(NOWHERE, "0"),))
    assert gzip.decompress(fetch_file(spec).read_bytes()) == GOOD
    (mirror / "poem.csv.gz").write_bytes(gzip.compress(GOOD, mtime=0)[:-20])  # truncated gzip
    (empty_cache / "poem.csv.gz").unlink()
    with pytest.raises(DataError, match="unreadable"):
        fetch_file(spec)


def broken_deflate(payload: bytes) -> bytes:
    """A gzip file of ``payload`` whose compressed stream is damaged so that zlib itself fails."""
    packed = bytearray(gzip.compress(payload, mtime=0))
    for offset in range(20, len(packed) - 8):
        damaged = packed.copy()
        damaged[offset] ^= 0xFF
        try:
            gzip.decompress(bytes(damaged))
        except zlib.error:
            return bytes(damaged)
        except (OSError, EOFError):
            continue
    raise AssertionError("no damage found that zlib reports")


@pytest.mark.parametrize("where", ["cache", "mirror"])
def test_a_damaged_gzip_stream_is_a_data_error(empty_cache, mirror, where):
    """A byte changed in a compressed file: a DataError, not zlib's raw 'invalid distance too far back'."""
    text = "".join(f"review {i}, {'good' if i % 3 else 'bad'} film {i * 7919 % 1000}\n" for i in range(3000))
    payload = text.encode("utf-8")
    folder = empty_cache if where == "cache" else mirror
    folder.mkdir(exist_ok=True)
    (folder / "reviews.csv.gz").write_bytes(broken_deflate(payload))
    spec = DataFile("reviews", "reviews.csv.gz", sha(payload), "reviews", (Source(NOWHERE, "0"),))
    with pytest.raises(DataError, match="unreadable"):
        fetch_file(spec)
    assert (empty_cache / "reviews.csv.gz").exists() == (where == "cache")


# ------------------------------------------- the verification memo (D14)


def rewrite_keeping_mtime(path, payload: bytes) -> None:
    """Rewrite ``path`` in place and put its mtime back, as `cp -p`, `rsync -t` or `tar x` do."""
    stat = path.stat()
    path.write_bytes(payload)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def count_hashes(monkeypatch) -> list:
    calls = []
    real = fetching.sha256_of

    def counting(path, decompress=False):
        calls.append(path)
        return real(path, decompress)
    monkeypatch.setattr(fetching, "sha256_of", counting)
    return calls


def test_a_verified_file_is_hashed_once(empty_cache, monkeypatch):
    monkeypatch.setattr(fetching, "_RACY_NS", 0)
    empty_cache.mkdir()
    (empty_cache / "poem.txt").write_bytes(GOOD)
    calls = count_hashes(monkeypatch)
    for _ in range(3):
        fetch_file(spec_for(NOWHERE))
    assert len(calls) == 1


def test_a_same_size_rewrite_with_the_old_mtime_is_caught(empty_cache, monkeypatch):
    """The memo's key holds the ctime and the inode: a rewrite that puts the mtime back changes the ctime."""
    monkeypatch.setattr(fetching, "_RACY_NS", 0)  # only the key can tell here
    empty_cache.mkdir()
    cached = empty_cache / "poem.txt"
    cached.write_bytes(GOOD)
    fetch_file(spec_for(NOWHERE))
    time.sleep(0.05)  # past the file system clock's tick
    damaged = bytearray(GOOD)
    damaged[100] ^= 0xFF
    rewrite_keeping_mtime(cached, bytes(damaged))
    with pytest.raises(DataError, match="failed verification"):
        fetch_file(spec_for(NOWHERE))


def test_a_file_checked_right_after_it_changed_is_checked_again(empty_cache, monkeypatch):
    """Within the file system clock's tick a rewrite can leave every field of the key as it was."""
    empty_cache.mkdir()
    (empty_cache / "poem.txt").write_bytes(GOOD)
    calls = count_hashes(monkeypatch)
    fetch_file(spec_for(NOWHERE))
    fetch_file(spec_for(NOWHERE))
    assert len(calls) == 2  # just written: not trusted to the memo yet
    monkeypatch.setattr(fetching, "_RACY_NS", 0)
    fetch_file(spec_for(NOWHERE))
    fetch_file(spec_for(NOWHERE))
    assert len(calls) == 3


# ----------------------------------------------------- files on a shared machine


def test_cached_files_are_readable_by_other_users(empty_cache, mirror):
    """With the usual umask 022 a cached file is 0644, not the temporary file's 0600."""
    (mirror / "poem.txt").write_bytes(GOOD)
    old = os.umask(0o022)
    try:
        path = fetch_file(spec_for(NOWHERE))
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("with_mirror", [True, False])
def test_a_read_only_cache_is_named_with_where_else_to_keep_it(empty_cache, monkeypatch, tmp_path, with_mirror):
    empty_cache.mkdir()
    empty_cache.chmod(0o555)
    if os.geteuid() == 0:  # root writes through chmod: make creating a file there fail as it would
        real = fetching.tempfile.TemporaryFile

        def refuse(*args, dir=None, **kwargs):
            if dir is not None and os.path.samefile(dir, empty_cache):
                raise PermissionError(13, "Permission denied", str(empty_cache))
            return real(*args, dir=dir, **kwargs)
        monkeypatch.setattr(fetching.tempfile, "TemporaryFile", refuse)
    if with_mirror:
        (tmp_path / "mirror").mkdir()
        (tmp_path / "mirror" / "poem.txt").write_bytes(GOOD)
        monkeypatch.setenv("LECTURE_DATA_MIRROR", str(tmp_path / "mirror"))
    try:
        with pytest.raises(DataError) as err:
            fetch_file(spec_for(NOWHERE))
    finally:
        empty_cache.chmod(0o755)
    message = str(err.value)
    assert f"The data cache {empty_cache} is not writable" in message
    assert "LECTURE_DATA_DIR" in message and "Permission denied" in message
    assert "download" not in message and "LECTURE_DATA_MIRROR" not in message
    assert list(empty_cache.iterdir()) == []


def test_an_unreadable_cached_file_is_not_called_corrupt(empty_cache, monkeypatch):
    """Another user's 0600 file: say it cannot be read, not that it failed verification."""
    empty_cache.mkdir()
    cached = empty_cache / "poem.txt"
    cached.write_bytes(GOOD)
    cached.chmod(0o000)
    if os.geteuid() == 0:  # root reads through chmod: refuse as the kernel would for another user
        real_open = open

        def refuse(file, *args, **kwargs):
            if str(file) == str(cached):
                raise PermissionError(13, "Permission denied", str(file))
            return real_open(file, *args, **kwargs)
        monkeypatch.setattr("builtins.open", refuse)
    try:
        with pytest.raises(DataError) as err:
            fetch_file(spec_for(NOWHERE))
    finally:
        monkeypatch.undo()
        cached.chmod(0o644)
    message = str(err.value)
    assert "cannot be read (Permission denied)" in message and "LECTURE_DATA_DIR" in message
    assert "failed verification" not in message and cached.read_bytes() == GOOD


def test_relative_mirror_and_cache_paths_are_taken_from_the_repository_root(empty_cache, monkeypatch, tmp_path):
    """`LECTURE_DATA_MIRROR=../shared/data` works from notebooks/ (a kernel's folder) as from the root."""
    root = fetching.REPO_ROOT
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "poem.txt").write_bytes(GOOD)
    monkeypatch.setenv("LECTURE_DATA_MIRROR", os.path.relpath(mirror, root))
    monkeypatch.setenv("LECTURE_DATA_DIR", os.path.relpath(empty_cache, root))
    monkeypatch.chdir(root / "notebooks")
    assert fetching.mirror_dir() == root / os.path.relpath(mirror, root)
    path = fetch_file(spec_for(NOWHERE))
    assert path.resolve() == (empty_cache / "poem.txt").resolve() and path.read_bytes() == GOOD


# ------------------------------------------------------------ downloads, once


class CountingServer:
    """Serves files from a dict; counts the requests for each path; can stall mid-file."""

    def __init__(self, files: dict[str, bytes]):
        self.files, self.hits = files, {}
        self.stall = threading.Event()  # set: send half of a file, then wait until released
        self.release = threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.hits[self.path] = outer.hits.get(self.path, 0) + 1
                body = outer.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if outer.stall.is_set():
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    outer.release.wait(60)
                    return
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def split_builder(split: str):
    """Build ``split``.csv.gz from an archive of ``split/<name>.txt`` files: one review per row."""
    def build(sources, target) -> None:
        with tarfile.open(sources[0], "r:gz") as tar:
            rows = sorted(tar.extractfile(m).read().decode() for m in tar if m.name.startswith(f"{split}/"))
        target.write_bytes(gzip.compress(("text\n" + "".join(f"{row}\n" for row in rows)).encode(), mtime=0))
    return build


def two_splits(tmp_path) -> tuple[CountingServer, dict[str, DataFile]]:
    """Two files built from one archive on a counting server, like imdb_train and imdb_test."""
    reviews = {"train/1.txt": "Great", "train/0.txt": "Bad", "test/0.txt": "Fine", "test/1.txt": "Dull"}
    archive = tmp_path / "archive.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name, text in reviews.items():
            info = tarfile.TarInfo(name)
            info.size = len(text.encode())
            tar.addfile(info, io.BytesIO(text.encode()))
    payload = archive.read_bytes() + b"\0" * 200_000  # gzip ignores trailing zeros; a bigger transfer
    archive.write_bytes(payload)
    server = CountingServer({"/archive.tar.gz": payload})
    specs = {}
    for split in ("train", "test"):
        build = split_builder(split)
        build([archive], tmp_path / f"{split}.csv.gz")
        content = fetching.sha256_of(tmp_path / f"{split}.csv.gz", decompress=True)
        specs[split] = DataFile(f"reviews_{split}", f"reviews_{split}.csv.gz", content, split,
                                (Source(f"{server.base}/archive.tar.gz", sha(payload)),), build)
    return server, specs


@pytest.fixture
def splits(tmp_path):
    server, specs = two_splits(tmp_path)
    yield server, specs
    server.close()


def test_fetching_one_split_builds_the_other(empty_cache, splits):
    server, specs = splits
    fetch_file(specs["test"], specs.values())
    fetch_file(specs["train"], specs.values())
    assert server.hits == {"/archive.tar.gz": 1}
    assert sorted(p.name for p in empty_cache.iterdir()) == ["reviews_test.csv.gz", "reviews_train.csv.gz"]
    assert gzip.decompress((empty_cache / "reviews_test.csv.gz").read_bytes()) == b"text\nDull\nFine\n"


def test_without_the_related_files_only_the_one_is_built(empty_cache, splits):
    server, specs = splits
    fetch_file(specs["test"])
    assert [p.name for p in empty_cache.iterdir()] == ["reviews_test.csv.gz"]


def test_a_killed_download_leaves_nothing_for_good(empty_cache, splits, tmp_path):
    """SIGKILL in the middle of the archive: the next run removes the partial files."""
    server, specs = splits
    server.stall.set()
    script = tmp_path / "fetch.py"
    script.write_text(
        "from lecture_utils.fetching import DataFile, Source, fetch_file\n"
        f"fetch_file(DataFile('reviews_train', 'reviews_train.csv.gz', 'x', 'd', "
        f"(Source({server.base + '/archive.tar.gz'!r}, 'x'),)))\n")
    child = subprocess.Popen([sys.executable, str(script)], env=dict(os.environ, LECTURE_DATA_DIR=str(empty_cache)),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not any(p.stat().st_size > 0 for p in empty_cache.rglob("*") if p.is_file()):
            assert time.monotonic() < deadline and child.poll() is None, "the download never started"
            time.sleep(0.05)
    finally:
        child.kill()
        child.wait()
    leftovers = [p for p in empty_cache.rglob("*") if p.is_file()]
    assert leftovers and all(p.stat().st_size > 0 for p in leftovers)  # what SIGKILL leaves behind

    server.stall.clear()
    server.release.set()
    fetch_file(specs["train"], specs.values())
    assert sorted(p.name for p in empty_cache.iterdir()) == ["reviews_test.csv.gz", "reviews_train.csv.gz"]
