"""Atomic writes: nothing a user computed is left half-written.

Files are written to a temporary sibling and renamed into place; folders are filled under a
temporary name and renamed when complete, so a reader sees the old result or the new one, never
a mixture. Temporary names are ``.NAME.PID.RANDOM.tmp`` (and ``.NAME.old.PID`` for the folder
being replaced): a process killed while writing (SIGKILL, power cut) leaves one behind, and
:func:`remove_leftovers` clears those whose process is gone before the next write to ``NAME``.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _tmp_prefix(target: Path) -> str:
    return f".{target.name}.{os.getpid()}."


def leftover_pid(name: str, target: str | None = None) -> int | None:
    """The process id in ``name`` when it is a temporary name of ``target`` (of any file when
    ``target`` is None); -1 for one without a pid (older versions); None when it is not one."""
    stem = re.escape(target) if target is not None else ".+?"
    match = re.fullmatch(rf"\.{stem}\.(?:(\d+)\.[^.]+\.tmp|old\.(\d+)|[^.]+\.tmp)", name)
    if match is None:
        return None
    pid = match.group(1) or match.group(2)
    return int(pid) if pid else -1


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def remove_leftovers(path: str | os.PathLike[str]) -> list[Path]:
    """Remove the temporary siblings of ``path`` that a killed writer left; returns them.

    Only names of :mod:`optimizer.atomic`'s own pattern whose process is no longer running are
    touched, so a write in progress in another process is left alone."""
    target = Path(path)
    parent = target.parent
    if not parent.is_dir():
        return []
    removed = []
    for entry in parent.iterdir():
        pid = leftover_pid(entry.name, target.name)
        if pid is None or pid == os.getpid() or _alive(pid):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed.append(entry)
    return removed


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it onto ``path``."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=_tmp_prefix(target), suffix=".tmp", dir=target.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual mode
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@contextmanager
def atomic_dir(path: str | os.PathLike[str], keep_existing: bool = False) -> Iterator[Path]:
    """Yield a temporary folder beside ``path``; on success it replaces ``path`` whole.

    With ``keep_existing``, a ``path`` that exists by then (written meanwhile by another
    process, with the same content) is kept and the new folder dropped. Leftovers of earlier
    writers of ``path`` that were killed are removed first."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(target)
    tmp = Path(tempfile.mkdtemp(prefix=_tmp_prefix(target), suffix=".tmp", dir=target.parent))
    os.chmod(tmp, 0o777 & ~_umask())
    try:
        yield tmp
        if keep_existing:
            with contextlib.suppress(OSError):  # there already (renamed in by another writer)
                os.rename(tmp, target)
        elif target.exists():
            old = target.with_name(f".{target.name}.old.{os.getpid()}")
            os.replace(target, old)
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
