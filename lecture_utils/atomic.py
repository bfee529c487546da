"""Writing files so that readers see either the old file or the complete new one.

Temporary files and folders live next to their target (a rename is atomic only
within one file system). Their names cannot be mistaken for anything a user
makes: a fixed prefix, then the host name and process id of their writer, a
random tag and the target's name, e.g.
``.lecture_utils-tmp.laptop.4242.0f3a9c1e.poem.txt``. A writer killed with
SIGKILL cannot clean up after itself, so every new write first removes the
temporaries of this package whose writer, a process of this host, no longer
runs. Nothing else in the folder is ever touched.
"""
from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PREFIX = ".lecture_utils-tmp."
_HOST = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname()) or "host"
_TEMP_NAME = re.compile(re.escape(PREFIX) + r"(?P<host>[A-Za-z0-9-]+)\.(?P<pid>\d+)\.[0-9a-f]{8}\.")
_STEM_CHARS = 80  # the target's name is only a hint for people: keep the whole name under 255 bytes


def _temp_name(stem: str) -> str:
    return f"{PREFIX}{_HOST}.{os.getpid()}.{secrets.token_hex(4)}.{stem[:_STEM_CHARS]}"


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        return True
    return True


def _is_stale(path: Path) -> bool:
    """Whether ``path`` is a temporary of this package left by a process of this host that is gone."""
    match = _TEMP_NAME.match(path.name)
    return bool(match) and match["host"] == _HOST and not _process_alive(int(match["pid"]))


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
