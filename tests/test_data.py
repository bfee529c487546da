"""The data layer against a real HTTP server on 127.0.0.1."""
from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import threading

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
