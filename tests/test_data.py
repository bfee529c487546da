"""The data layer against a real HTTP server on 127.0.0.1."""
from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import io
import os
import shutil
import subprocess
import sys
import tarfile
import threading
import time

import pytest

from lecture_utils import data
from lecture_utils.data import DataError, DataFile, Source

GOOD = "Мороз и солнце; день чудесный!\n".encode("utf-8") * 100


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


def spec_for(url: str, payload: bytes = GOOD, **kwargs) -> DataFile:
    return DataFile("poem", "poem.txt", sha(payload), "a test poem", (Source(url, sha(payload)),), **kwargs)


def test_good_download_is_verified_and_cached(server, empty_cache):
    root, base = server
    (root / "poem.txt").write_bytes(GOOD)
    path = data.fetch(spec_for(f"{base}/poem.txt"))
    assert path == empty_cache / "poem.txt"
    assert path.read_bytes() == GOOD
    assert [p.name for p in empty_cache.iterdir()] == ["poem.txt"]  # no temporary files left


def test_corrupt_download_raises_and_caches_nothing(server, empty_cache):
    root, base = server
    (root / "poem.txt").write_bytes(GOOD[:-10])  # a truncated transfer
    with pytest.raises(DataError, match="failed verification"):
        data.fetch(spec_for(f"{base}/poem.txt"))
    assert list(empty_cache.iterdir()) == []


def test_build_step_output_is_verified(server, empty_cache):
    root, base = server
    (root / "poem.txt").write_bytes(GOOD.replace(b"\n", b"\r\n"))
    spec = DataFile("poem", "poem.txt", sha(GOOD), "CRLF poem",
                    (Source(f"{base}/poem.txt", sha(GOOD.replace(b"\n", b"\r\n"))),),
                    data._build_crlf_to_lf)
    assert data.fetch(spec).read_bytes() == GOOD


def test_404_gives_the_offline_message(server, empty_cache):
    _, base = server
    with pytest.raises(DataError) as err:
        data.fetch(spec_for(f"{base}/missing.txt"))
    message = str(err.value)
    assert "Dataset 'poem'" in message and "404" in message
    assert str(empty_cache / "poem.txt") in message
    assert list(empty_cache.iterdir()) == []


def test_offline_message_names_dataset_places_url_and_remedy(empty_cache, monkeypatch, tmp_path):
    monkeypatch.setenv("LECTURE_DATA_MIRROR", str(tmp_path / "mirror"))
    url = "http://127.0.0.1:9/poem.txt"  # the discard port: connection refused, like being offline
    with pytest.raises(DataError) as err:
        data.fetch(spec_for(url))
    message = str(err.value)
    for expected in ("Dataset 'poem'", str(empty_cache / "poem.txt"), str(tmp_path / "mirror" / "poem.txt"),
                     url, "LECTURE_DATA_MIRROR", "make data", "place the file by hand"):
        assert expected in message


def test_mirror_hit_needs_no_network(empty_cache, monkeypatch, tmp_path):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "poem.txt").write_bytes(GOOD)
    monkeypatch.setenv("LECTURE_DATA_MIRROR", str(mirror))
    path = data.fetch(spec_for("http://127.0.0.1:9/never-used"))
    assert path.read_bytes() == GOOD and path.parent == empty_cache


def test_corrupt_mirror_file_is_not_cached(empty_cache, monkeypatch, tmp_path):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "poem.txt").write_bytes(b"not the poem")
    monkeypatch.setenv("LECTURE_DATA_MIRROR", str(mirror))
    with pytest.raises(DataError, match="the mirror"):
        data.fetch(spec_for("http://127.0.0.1:9/never-used"))
    assert not (empty_cache / "poem.txt").exists()


def test_cache_hit_uses_no_mirror_or_network(empty_cache):
    empty_cache.mkdir()
    (empty_cache / "poem.txt").write_bytes(GOOD)
    assert data.fetch(spec_for("http://127.0.0.1:9/never-used")).read_bytes() == GOOD


def test_corrupt_cached_file_is_reported_and_kept(empty_cache):
    empty_cache.mkdir()
    (empty_cache / "poem.txt").write_bytes(b"tampered")
    with pytest.raises(DataError, match="cached file .* failed verification"):
        data.fetch(spec_for("http://127.0.0.1:9/never-used"))
    assert (empty_cache / "poem.txt").read_bytes() == b"tampered"  # destroys nothing


def test_gz_files_are_verified_by_their_content(empty_cache, tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "poem.csv.gz").write_bytes(gzip.compress(GOOD, mtime=0))
    monkeypatch.setenv("LECTURE_DATA_MIRROR", str(mirror))
    spec = DataFile("poem", "poem.csv.gz", sha(GOOD), "gzipped poem", (Source("http://127.0.0.1:9/x", "0"),))
    assert gzip.decompress(data.fetch(spec).read_bytes()) == GOOD
    (mirror / "poem.csv.gz").write_bytes(gzip.compress(GOOD, mtime=0)[:-20])  # truncated gzip
    (empty_cache / "poem.csv.gz").unlink()
    with pytest.raises(DataError, match="unreadable"):
        data.fetch(spec)


def test_unknown_dataset_lists_the_known_ones():
    with pytest.raises(DataError, match="known: .*karamazov_ru"):
        data.fetch("war_and_peace")


def test_registry_matches_the_mirror_manifest():
    """Every file of ../shared/data/SOURCES.md is registered with the checksum it lists."""
    manifest = (data.REPO_ROOT.parent / "shared" / "data" / "SOURCES.md")
    if not manifest.exists():
        pytest.skip("no ../shared/data beside the repository")
    text = manifest.read_text(encoding="utf-8")
    for spec in data.REGISTRY.values():
        assert f"| {spec.filename} |" in text
        assert spec.sha256 in text, spec.name


# ----------------------------------------------------- files on a shared machine


def test_cached_files_are_readable_by_other_users(empty_cache, monkeypatch, tmp_path):
    """With the usual umask 022 a cached file is 0644, not the temporary file's 0600."""
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "poem.txt").write_bytes(GOOD)
    monkeypatch.setenv("LECTURE_DATA_MIRROR", str(mirror))
    old = os.umask(0o022)
    try:
        path = data.fetch(spec_for("http://127.0.0.1:9/never-used"))
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("with_mirror", [True, False])
def test_a_read_only_cache_is_named_with_where_else_to_keep_it(empty_cache, monkeypatch, tmp_path, with_mirror):
    empty_cache.mkdir()
    empty_cache.chmod(0o555)
    if os.geteuid() == 0:  # root writes through chmod: make creating a file there fail as it would
        real = data.tempfile.TemporaryFile

        def refuse(*args, dir=None, **kwargs):
            if dir is not None and os.path.samefile(dir, empty_cache):
                raise PermissionError(13, "Permission denied", str(empty_cache))
            return real(*args, dir=dir, **kwargs)
        monkeypatch.setattr(data.tempfile, "TemporaryFile", refuse)
    if with_mirror:
        (tmp_path / "mirror").mkdir()
        (tmp_path / "mirror" / "poem.txt").write_bytes(GOOD)
        monkeypatch.setenv("LECTURE_DATA_MIRROR", str(tmp_path / "mirror"))
    try:
        with pytest.raises(DataError) as err:
            data.fetch(spec_for("http://127.0.0.1:9/never-used"))
    finally:
        empty_cache.chmod(0o755)
    message = str(err.value)
    assert f"The data cache {empty_cache} is not writable" in message
    assert "LECTURE_DATA_DIR" in message and "Permission denied" in message
    assert "download" not in message and "LECTURE_DATA_MIRROR" not in message
    assert list(empty_cache.iterdir()) == []


def test_relative_mirror_and_cache_paths_are_taken_from_the_repository_root(empty_cache, monkeypatch, tmp_path):
    """`LECTURE_DATA_MIRROR=../shared/data` works from notebooks/ (a kernel's folder) as from the root."""
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "poem.txt").write_bytes(GOOD)
    monkeypatch.setenv("LECTURE_DATA_MIRROR", os.path.relpath(mirror, data.REPO_ROOT))
    monkeypatch.setenv("LECTURE_DATA_DIR", os.path.relpath(empty_cache, data.REPO_ROOT))
    monkeypatch.chdir(data.REPO_ROOT / "notebooks")
    assert data.mirror_dir() == data.REPO_ROOT / os.path.relpath(mirror, data.REPO_ROOT)
    path = data.fetch(spec_for("http://127.0.0.1:9/never-used"))
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


@pytest.fixture
def imdb_like(tmp_path, monkeypatch):
    """A registry of two files built from one archive, like imdb_train and imdb_test."""
    reviews = {"aclImdb/train/pos/1_9.txt": "Great", "aclImdb/train/neg/0_2.txt": "Bad",
               "aclImdb/test/pos/0_8.txt": "Fine", "aclImdb/test/neg/1_1.txt": "Dull"}
    archive = tmp_path / "aclImdb.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name, text in reviews.items():
            info = tarfile.TarInfo(name)
            info.size = len(text.encode())
            tar.addfile(info, io.BytesIO(text.encode()))
    payload = archive.read_bytes() + b"\0" * 200_000  # gzip ignores trailing zeros; a bigger transfer
    server = CountingServer({"/aclImdb.tar.gz": payload})
    (tmp_path / "archive").write_bytes(payload)
    specs = {}
    for split in ("train", "test"):
        build = data._imdb_csv_builder(split)
        build([tmp_path / "archive"], tmp_path / f"{split}.csv.gz")
        content = data.sha256_of(tmp_path / f"{split}.csv.gz", decompress=True)
        specs[f"imdb_{split}"] = DataFile(f"imdb_{split}", f"imdb_{split}.csv.gz", content, split,
                                          (Source(f"{server.base}/aclImdb.tar.gz", sha(payload)),), build)
    monkeypatch.setattr(data, "REGISTRY", specs)
    yield server
    server.close()


def test_two_files_from_one_archive_download_it_once(empty_cache, imdb_like):
    assert [p.name for p in data.fetch_all()] == ["imdb_train.csv.gz", "imdb_test.csv.gz"]
    assert imdb_like.hits == {"/aclImdb.tar.gz": 1}
    assert data.load_imdb("test").text.tolist() == ["Dull", "Fine"]
    assert sorted(p.name for p in empty_cache.iterdir()) == ["imdb_test.csv.gz", "imdb_train.csv.gz"]


def test_fetching_one_split_builds_the_other(empty_cache, imdb_like):
    data.fetch("imdb_test")
    data.fetch("imdb_train")
    assert imdb_like.hits == {"/aclImdb.tar.gz": 1}


def test_a_killed_download_leaves_nothing_for_good(empty_cache, imdb_like, tmp_path):
    """SIGKILL in the middle of the archive: the next run removes the partial files."""
    imdb_like.stall.set()
    script = tmp_path / "fetch.py"
    script.write_text(
        "import sys\n"
        "from lecture_utils import data\n"
        f"data.REGISTRY = {{'imdb_train': data.DataFile('imdb_train', 'imdb_train.csv.gz', 'x', 'd', "
        f"(data.Source({imdb_like.base + '/aclImdb.tar.gz'!r}, 'x'),))}}\n"
        "data.fetch('imdb_train')\n")
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

    imdb_like.stall.clear()
    imdb_like.release.set()
    data.fetch("imdb_train")
    assert sorted(p.name for p in empty_cache.iterdir()) == ["imdb_test.csv.gz", "imdb_train.csv.gz"]


# ------------------------------------------------------------------ make data


def run_fetch_data(cache, *args, extra_env=None):
    """`python -m lecture_utils.fetch_data` offline: every HTTP(S) request goes to a refused port."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("no_proxy", "lecture_data_mirror")}
    env.update(LECTURE_DATA_DIR=str(cache), http_proxy="http://127.0.0.1:9", https_proxy="http://127.0.0.1:9",
               **(extra_env or {}))
    return subprocess.run([sys.executable, "-W", "error", "-m", "lecture_utils.fetch_data", *args],
                          env=env, capture_output=True, text=True, timeout=120)


def test_make_data_offline_prints_the_message_alone(empty_cache):
    result = run_fetch_data(empty_cache)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "Warning" not in result.stderr
    assert result.stderr.startswith("Dataset '") and "How to get it:" in result.stderr
    assert result.stdout == ""


def test_make_data_from_a_relative_mirror(empty_cache, tmp_path):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    name = "tinyshakespeare"
    source = data.REPO_ROOT / "data" / data.REGISTRY[name].filename
    if not source.exists():
        pytest.skip("data/ holds no tinyshakespeare.txt: run `make data`")
    shutil.copyfile(source, mirror / source.name)
    result = run_fetch_data(empty_cache, name, extra_env={
        "LECTURE_DATA_MIRROR": os.path.relpath(mirror, data.REPO_ROOT)})
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"ok  {empty_cache / source.name}\n" and result.stderr == ""


def test_the_makefile_runs_the_entry_point():
    makefile = (data.REPO_ROOT / "Makefile").read_text()
    assert "-m lecture_utils.fetch_data" in makefile and "-m lecture_utils.data" not in makefile


def test_the_console_script_takes_names(empty_cache, monkeypatch, tmp_path, capsys):
    from lecture_utils import fetch_data

    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "poem.txt").write_bytes(GOOD)
    monkeypatch.setenv("LECTURE_DATA_MIRROR", str(mirror))
    monkeypatch.setattr(data, "REGISTRY", {"poem": spec_for("http://127.0.0.1:9/x"),
                                           "other": DataFile("other", "other.txt", "0", "d", ())})
    monkeypatch.setattr(fetch_data, "REGISTRY", data.REGISTRY)
    monkeypatch.setattr(sys, "argv", ["lecture-data", "poem"])
    assert fetch_data.main() == 0  # the console script calls main() with no arguments
    assert capsys.readouterr().out == f"ok  {empty_cache / 'poem.txt'}\n"
    assert fetch_data.main(["nope"]) == 1
    assert "unknown dataset 'nope'; known: other, poem" in capsys.readouterr().err


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
            data.fetch(spec_for("http://127.0.0.1:9/never-used"))
    finally:
        monkeypatch.undo()
        cached.chmod(0o644)
    message = str(err.value)
    assert "cannot be read (Permission denied)" in message and "LECTURE_DATA_DIR" in message
    assert "failed verification" not in message and cached.read_bytes() == GOOD
