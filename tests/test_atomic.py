"""lecture_utils.atomic: the permissions of written files and the leftovers of killed writers."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from lecture_utils import atomic
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


def test_leftovers_of_dead_writers_go_and_live_ones_stay(tmp_path):
    dead, alive = dead_pid(), os.getppid()
    host = atomic._HOST
    killed_file = tmp_path / f".model.pt.{host}.{dead}.0123abcd.part"
    killed_dir = tmp_path / f".download.{host}.{dead}.89abcdef.part"
    live_file = tmp_path / f".model.pt.{host}.{alive}.0123abcd.part"
    other_host = tmp_path / f".model.pt.another-host.{dead}.0123abcd.part"
    mine = tmp_path / "notes.part"  # not a name atomic makes
    for path in (killed_file, live_file, other_host, mine):
        path.write_bytes(b"x")
    killed_dir.mkdir()
    (killed_dir / "0.aclImdb_v1.tar.gz").write_bytes(b"x" * 1000)

    with atomic_path(tmp_path / "model.pt") as tmp:
        tmp.write_bytes(b"new")
    left = {p.name for p in tmp_path.iterdir()}
    assert left == {"model.pt", live_file.name, other_host.name, mine.name}


def test_old_style_leftovers_go_once_they_are_old(tmp_path):
    """Earlier versions left data/tmpXXXXXXXX/*.part folders and .name.XXXXXXXX.part files."""
    folder = tmp_path / "tmpa1b2_c3d"
    folder.mkdir()
    (folder / "0.imdb_train.csv.gz.part").write_bytes(b"x")
    single = tmp_path / ".poem.txt.k2j_x9q1.part"
    single.write_bytes(b"x")
    user_folder = tmp_path / "tmpa1b2c3d4"  # the user's own folder of that name: kept
    user_folder.mkdir()
    (user_folder / "notes.txt").write_text("mine")
    assert remove_stale_temporaries(tmp_path) == []  # fresh: might belong to a running old version
    hour_ago = time.time() - 2 * 3600
    for path in (folder / "0.imdb_train.csv.gz.part", folder, single, user_folder):
        os.utime(path, (hour_ago, hour_ago))
    assert sorted(p.name for p in remove_stale_temporaries(tmp_path)) == sorted([folder.name, single.name])
    assert user_folder.exists()


def test_scratch_dir_is_removed_after_use(tmp_path):
    with scratch_dir(tmp_path) as folder:
        (folder / "archive.tar.gz").write_bytes(b"x")
        assert folder.parent == tmp_path and folder.name.endswith(".part")
    assert list(tmp_path.iterdir()) == []
