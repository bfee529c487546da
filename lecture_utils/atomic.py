"""Writing files so that readers see either the old file or the complete new one.

Temporary files and folders live next to their target (a rename is atomic only
within one file system) and carry the host name and process id of their writer:
``.poem.txt.laptop.4242.k3j9x0ab.part``. A writer killed with SIGKILL cannot
clean up after itself, so every new write first removes the leftovers of
processes of this host that no longer run.
"""
from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

_HOST = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname()) or "host"
_TEMP_NAME = re.compile(r"^\..*\.(?P<host>[A-Za-z0-9-]+)\.(?P<pid>\d+)\.[a-z0-9]{8}\.part$")
# Left by versions before the host/pid tag: mkstemp files and TemporaryDirectory folders.
_LEGACY_NAME = re.compile(r"^(\..+\.[a-z0-9_]{8}\.part|tmp[a-z0-9_]{8})$")
_LEGACY_AGE_S = 3600  # an old-style temporary untouched this long belongs to no running writer


def _temp_name(stem: str) -> str:
    return f".{stem}.{_HOST}.{os.getpid()}.{secrets.token_hex(4)}.part"


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        return True
    return True


def _newest_mtime(path: Path) -> float:
    stamps = [path.lstat().st_mtime]
    if path.is_dir() and not path.is_symlink():
        stamps += [child.lstat().st_mtime for child in path.rglob("*")]
    return max(stamps)


def _is_stale(path: Path) -> bool:
    match = _TEMP_NAME.match(path.name)
    if match:
        return match["host"] == _HOST and not _process_alive(int(match["pid"]))
    if _LEGACY_NAME.match(path.name):
        if path.is_dir() and any(not p.name.endswith(".part") for p in path.iterdir()):
            return False  # not a download folder of ours
        return time.time() - _newest_mtime(path) > _LEGACY_AGE_S
    return False


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Delete the temporary files and folders that dead writers left in ``folder``; return them.

    Only names this module makes are touched, and only those of processes of
    this host that are gone, so a concurrent writer keeps its files.
    """
    removed = []
    try:
        entries = list(Path(folder).iterdir())
    except OSError:  # missing or unreadable: nothing of ours to clean
        return removed
    for path in entries:
        try:
            if not _is_stale(path):
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
            removed.append(path)
        except OSError:  # another process cleaned it first, or we may not: leave it
            pass
    return removed


def _create_temp_file(folder: Path, stem: str) -> Path:
    # os.open with mode 0o666 lets the umask (and default ACLs) decide the permissions,
    # as for any file a program writes; mkstemp would make it 0600 for good.
    while True:
        path = folder / _temp_name(stem)
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            return path
        except FileExistsError:
            continue


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; rename it over ``target`` if the block succeeds.

    If the block raises (a failed download, a failed checksum, an interrupted
    save), the temporary file is removed and ``target`` is left as it was. The
    new file gets the usual permissions of the user's umask, like any other
    file written there.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(target.parent)
    tmp = _create_temp_file(target.parent, target.name)
    try:
        yield tmp
        os.replace(tmp, target)  # atomic on the same file system
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def scratch_dir(parent: Path, stem: str = "download") -> Iterator[Path]:
    """A temporary folder inside ``parent``, removed afterwards (or by a later run if killed)."""
    parent = Path(parent)
    parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(parent)
    path = parent / _temp_name(stem)
    path.mkdir()
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
