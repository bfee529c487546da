"""lecture_utils.atomic: the permissions of written files, the leftovers of killed writers, and nothing else touched."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time

import pytest

from lecture_utils import atomic, data
from lecture_utils.atomic import atomic_path, remove_stale_temporaries, scratch_dir


@pytest.fixture
def umask():
    """Set the process umask for one test, then restore it."""
    old = os.umask(0o022)
    yield os.umask
    os.umask(old)


@pytest.mark.parametrize("mask,mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_written_files_follow_the_umask(tmp_path, umask, mask, mode):
    """A shared course machine: other users must be able to read what was cached (umask 022)."""
    umask(mask)
    target = tmp_path / "model.pt"
    with atomic_path(target) as tmp:
        tmp.write_bytes(b"weights")
    assert target.stat().st_mode & 0o777 == mode
    assert [p.name for p in tmp_path.iterdir()] == ["model.pt"]


def test_a_failed_write_leaves_the_old_file(tmp_path):
    target = tmp_path / "model.pt"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("interrupted")
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["model.pt"]


def dead_pid() -> int:
    """The id of a process that has exited."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def ours(host: str, pid: int, stem: str) -> str:
    """The name atomic gives a temporary of process ``pid`` on ``host``."""
    return f"{atomic.PREFIX}{host}.{pid}.0123abcd.{stem}"


def test_temporaries_carry_the_package_prefix_the_host_and_the_pid(tmp_path):
    with atomic_path(tmp_path / "poem.txt") as tmp:
        assert tmp.name.startswith(f"{atomic.PREFIX}{atomic._HOST}.{os.getpid()}.")
        assert tmp.name.endswith(".poem.txt")
    with scratch_dir(tmp_path) as folder:
        assert folder.parent == tmp_path and folder.name.startswith(atomic.PREFIX)


def test_leftovers_of_dead_writers_go_and_live_ones_stay(tmp_path):
    dead, alive = dead_pid(), os.getppid()
    host = atomic._HOST
    killed_file = tmp_path / ours(host, dead, "model.pt")
    killed_dir = tmp_path / ours(host, dead, "download")
    live_file = tmp_path / ours(host, alive, "model.pt")
    other_host = tmp_path / ours("another-host", dead, "model.pt")
    for path in (killed_file, live_file, other_host):
        path.write_bytes(b"x")
    killed_dir.mkdir()
    (killed_dir / "0.aclImdb_v1.tar.gz").write_bytes(b"x" * 1000)

    with atomic_path(tmp_path / "model.pt") as tmp:
        tmp.write_bytes(b"new")
    assert {p.name for p in tmp_path.iterdir()} == {"model.pt", live_file.name, other_host.name}


def make_user_files(folder, dead: int) -> dict[str, bytes | None]:
    """Files and folders of a user that look like temporaries of some program, all two hours old.

    Returns each name with its content (None for a folder)."""
    host = atomic._HOST
    files = {
        "tmp_results": b"my notes",  # tmp + 8 characters, like tempfile.mkstemp's names
        "tmpab12cd34": b"mine",
        ".notes.abcdefgh.part": b"a backup",
        ".notes.backup12.part": b"another backup",
        f".notes.txt.{host}.{dead}.0123abcd.part": b"named like an old temporary of a dead process",
        "tmp_outputs/run1.part": b"a run's output",
    }
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tmp_scratch").mkdir()  # an empty folder
    (folder / "tmp_outputs").mkdir()
    for name, content in files.items():
        (folder / name).write_bytes(content)
    old = time.time() - 7200
    for path in [*folder.rglob("*"), folder / "tmp_outputs"]:
        os.utime(path, (old, old))
    return {**files, "tmp_scratch": None}


def assert_untouched(folder, files: dict[str, bytes | None]) -> None:
    for name, content in files.items():
        path = folder / name
        assert path.is_dir() if content is None else path.read_bytes() == content, f"{name} was deleted"


def _write_with_atomic_path(folder, tmp_path, monkeypatch):
    with atomic_path(folder / "poem.txt") as tmp:
        tmp.write_text("new")


def _write_with_scratch_dir(folder, tmp_path, monkeypatch):
    with scratch_dir(folder) as scratch:
        (scratch / "archive").write_bytes(b"x")


def _fetch_into(folder, tmp_path, monkeypatch):
    """A dataset fetched from a mirror into a cache that is the user's folder."""
    payload = "Мороз и солнце\n".encode()
    digest = hashlib.sha256(payload).hexdigest()
    (tmp_path / "mirror").mkdir()
    (tmp_path / "mirror" / "poem.txt").write_bytes(payload)
    monkeypatch.setenv("LECTURE_DATA_DIR", str(folder))
    monkeypatch.setenv("LECTURE_DATA_MIRROR", str(tmp_path / "mirror"))
    spec = data.DataFile("poem", "poem.txt", digest, "a poem", (data.Source("http://127.0.0.1:9/x", digest),))
    assert data.fetch(spec).read_bytes() == payload


def _save_checkpoint_into(folder, tmp_path, monkeypatch):
    pytest.importorskip("torch")
    from lecture_utils.checkpoint import save_checkpoint
    from lecture_utils.models import CharRNN

    save_checkpoint(folder / "model.pt", CharRNN(5, 4))


@pytest.mark.parametrize("write", [_write_with_atomic_path, _write_with_scratch_dir, _fetch_into,
                                   _save_checkpoint_into], ids=lambda f: f.__name__.strip("_"))
def test_a_write_never_deletes_the_users_files(tmp_path, monkeypatch, write):
    """Reliability review D1: files of the user's that looked like old temporaries were deleted."""
    folder = tmp_path / "notebooks"
    files = make_user_files(folder, dead_pid())
    write(folder, tmp_path, monkeypatch)
    assert_untouched(folder, files)
    assert remove_stale_temporaries(folder) == []
    assert_untouched(folder, files)


def test_a_long_target_name_still_gets_a_temporary(tmp_path):
    """The temporary's name stays within the 255 bytes a file system allows, whatever the target's."""
    target = tmp_path / ("m" * 250 + ".pt")
    with atomic_path(target) as tmp:
        tmp.write_bytes(b"weights")
    assert target.read_bytes() == b"weights" and [p.name for p in tmp_path.iterdir()] == [target.name]


def test_scratch_dir_is_removed_after_use(tmp_path):
    with scratch_dir(tmp_path) as folder:
        (folder / "archive.tar.gz").write_bytes(b"x")
    assert list(tmp_path.iterdir()) == []
