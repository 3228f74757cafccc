"""Atomic file writes, stale temporary files, and folder locks.

A write goes to ``.<name>.<pid>.<random>.tmp`` beside the target and is renamed over it on success, so a
reader sees the old file or the new one, never half of one. A process killed mid-write leaves its
temporary file behind; the next write of the same name into that folder removes every such file whose
writing process is gone (a live writer's file is left alone). Nothing in missmodal reads ``.tmp`` files.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import tempfile
from pathlib import Path
from typing import Iterator

from .errors import MissmodalError

LOCK_FILE = ".missmodal.lock"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True


def remove_stale_temporaries(path: str | os.PathLike) -> list[Path]:
    """Delete the ``.<name>.<pid>.*.tmp`` files of ``path`` left by processes that no longer run.

    Files of the older ``.<name>.<random>.tmp`` form (no pid) are removed too. Returns what was removed.
    """
    path = Path(path)
    pattern = re.compile(rf"^\.{re.escape(path.name)}\.(?:(\d+)\.)?[^.]+\.tmp$")
    removed = []
    try:
        entries = list(path.parent.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = pattern.match(entry.name)
        if not match or (match[1] is not None and _pid_alive(int(match[1]))):
            continue  # another file, or the write of a live process (this one included)
        with contextlib.suppress(OSError):
            entry.unlink()
            removed.append(entry)
    return removed


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; on success rename it to ``path``, else delete it.

    A failed or interrupted write never leaves a half-written ``path`` behind, and stale temporary files
    of earlier killed writes of ``path`` are removed first (:func:`remove_stale_temporaries`).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp creates 0600 and some writers (safetensors) recreate the file 0600: give the result the
        # permissions open() would (0666 less the umask)
        os.chmod(tmp_path, 0o666 & ~umask)
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write a text file atomically (UTF-8)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


_HELD: dict[str, int] = {}  # folders this process holds locks on -> nesting depth


@contextlib.contextmanager
def folder_lock(folder: str | os.PathLike, what: str = "run") -> Iterator[Path]:
    """Hold an exclusive lock on ``folder`` (created if needed) for the duration of a run.

    A second run into the same folder fails at once with a one-line :class:`MissmodalError` instead of
    mixing its files with the first run's. The lock is an ``flock`` on ``folder/.missmodal.lock``: the
    operating system releases it when the process ends, killed or not, so a crash never leaves it held.
    Re-entrant within one process (a bench run holds it while its grid runner takes it again).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    key = os.path.realpath(folder)
    if key in _HELD:
        _HELD[key] += 1
        try:
            yield folder
        finally:
            _HELD[key] -= 1
        return
    handle = open(folder / LOCK_FILE, "a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            owner = handle.read().strip() or "unknown"
            raise MissmodalError(f"{folder}: another {what} is writing into this folder (pid {owner}); "
                                 "wait for it or use another output folder") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        _HELD[key] = 1
        try:
            yield folder
        finally:
            del _HELD[key]
    finally:
        handle.close()
