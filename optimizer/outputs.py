"""What dcsite may write over: its own output folders, never a user's files.

Every folder dcsite writes (a run folder, a batch, headroom or sensitivity folder, a run's
``alternatives`` folder) holds
:data:`MANIFEST_FILE`, which names the kind of folder and every file dcsite wrote into it. An
output path given to a command (``--out``) may be

* a path that does not exist yet (it is created, with its parents), or an empty folder;
* a folder that dcsite wrote, of the same kind, holding nothing but the files its manifest
  lists (and the temporary leftovers of an interrupted write, which are removed).

Anything else is refused with an :class:`OutputError` (exit code 2) before any work starts: an
existing file, a folder holding other files (a scenario folder, a user's notes), a folder of
another kind, the current folder or one of its parents, a folder that holds the scenario or the
data being read, a place that cannot be written. Writers of files into an existing dcsite folder
(``dcsite export``) replace only files the manifest lists and record what they add.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from optimizer.atomic import atomic_dir, atomic_path, leftover_pid, remove_leftovers
from optimizer.errors import InputError

MANIFEST_FILE = "dcsite-output.json"
Kind = Literal["run", "batch", "headroom", "sensitivity", "alternatives"]
KINDS: tuple[str, ...] = ("run", "batch", "headroom", "sensitivity", "alternatives")
PathLike = str | os.PathLike[str]


class OutputError(InputError):
    """An output path that dcsite may not write: the message says why and what to do."""


def read_manifest(folder: PathLike) -> dict | None:
    """The manifest of a folder dcsite wrote, or None when it has none (or it is damaged)."""
    path = Path(folder) / MANIFEST_FILE
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("kind") not in KINDS:
        return None
    files = manifest.get("files")
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        return None
    return manifest


def _write_manifest(folder: Path, manifest: dict) -> None:
    manifest["files"] = sorted(set(manifest["files"]) | {MANIFEST_FILE})
    with atomic_path(folder / MANIFEST_FILE) as tmp:
        tmp.write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def _shown(names: list[str], limit: int = 4) -> str:
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def _is_within(inner: Path, outer: Path) -> bool:
    return inner == outer or outer in inner.parents


def _writable(path: Path, shown: str) -> None:
    """``path`` (not existing yet) can be created: its nearest existing ancestor is a folder we
    may write in (checked by making a probe folder: permission bits do not tell for root)."""
    ancestor = path.parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise OutputError(f"{shown}: {ancestor} is a file, not a folder")
    try:
        probe = tempfile.mkdtemp(prefix=".dcsite-probe.", dir=ancestor)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise OutputError(f"{shown}: cannot write in {ancestor} ({reason})") from None
    os.rmdir(probe)


def check_output(
    path: PathLike, kind: Kind, protect: Iterable[PathLike | None] = (), label: str = "--out"
) -> Path:
    """Refuse ``path`` as the output folder of a ``kind`` command unless dcsite may write it
    (see the module docstring); ``protect`` are inputs of the command (scenario, sweep, data
    folder) that the output must not hold. Returns the absolute path."""
    out = Path(os.path.abspath(path))
    shown = f"{label} {path}"
    cwd = Path.cwd().resolve()
    real = out.resolve()
    if _is_within(cwd, real):
        what = "the current folder" if real == cwd else f"a parent of the current folder ({cwd})"
        raise OutputError(f"{shown}: is {what}; give a folder of its own, e.g. runs/NAME")
    for item in protect:
        if item is None:
            continue
        source = Path(item).resolve()
        if _is_within(source, real):
            how = "is" if source == real else "holds"
            raise OutputError(f"{shown}: {how} {item}, an input of this command; give another path")
    if out.is_symlink() and not out.exists():
        raise OutputError(f"{shown}: is a broken symbolic link; remove it or give another path")
    if not out.exists():
        _writable(out, shown)
        return out
    if not out.is_dir():
        raise OutputError(f"{shown}: is a file, not a folder dcsite wrote; give another path")
    entries = sorted(e.name for e in out.iterdir() if leftover_pid(e.name) is None)
    if not entries:
        return out
    manifest = read_manifest(out)
    if manifest is None:
        raise OutputError(
            f"{shown}: folder holds files dcsite did not write ({_shown(entries)}); "
            "give a new folder, or move them away yourself"
        )
    if manifest["kind"] != kind:
        raise OutputError(
            f"{shown}: is a {manifest['kind']} folder, not a {kind} folder; give another path"
        )
    foreign = [name for name in entries if name not in set(manifest["files"])]
    if foreign:
        raise OutputError(
            f"{shown}: the {kind} folder also holds files dcsite did not write "
            f"({_shown(foreign)}); move them away or give another folder"
        )
    return out


@contextmanager
def output_dir(
    path: PathLike, kind: Kind, protect: Iterable[PathLike | None] = (), label: str = "--out"
) -> Iterator[Path]:
    """Checked (:func:`check_output`), then written atomically: yields an empty temporary
    folder holding only its manifest, which replaces ``path`` whole when the block ends without
    error; the manifest then lists every file in it."""
    out = check_output(path, kind, protect, label)
    with atomic_dir(out) as tmp:
        _write_manifest(tmp, {"kind": kind, "files": []})
        yield tmp
        record_files(tmp, [entry.name for entry in tmp.iterdir()])


def claim_folder(path: PathLike, kind: Kind, files: Iterable[str] = ()) -> Path:
    """Create (or keep) ``path`` as a ``kind`` folder that is written in place, such as a batch
    folder, and record ``files`` in its manifest. Call :func:`check_output` first."""
    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    remove_leftovers(out)
    manifest = read_manifest(out) or {"kind": kind, "files": []}
    manifest["files"] = list(manifest["files"]) + list(files)
    _write_manifest(out, manifest)
    return out


def check_files_writable(folder: PathLike, kind: Kind, names: Iterable[str]) -> None:
    """Refuse to write ``names`` into ``folder`` unless it is a ``kind`` folder dcsite wrote and
    each name is new there or one of its own files."""
    where = Path(folder)
    manifest = read_manifest(where)
    if manifest is None or manifest["kind"] != kind:
        raise OutputError(
            f"{folder}: not a {kind} folder written by dcsite (no {MANIFEST_FILE}); "
            f"dcsite writes only into its own folders"
        )
    own = set(manifest["files"])
    foreign = [n for n in names if n not in own and (where / n).exists()]
    if foreign:
        raise OutputError(
            f"{folder}: {_shown(foreign)} not written by dcsite; move it away to export here"
        )


def record_files(
    folder: PathLike, names: Iterable[str], tables: dict[str, dict[str, str]] | None = None
) -> None:
    """Add ``names`` to the manifest of ``folder`` (a folder dcsite wrote or is writing), and
    the column kinds of ``tables`` (file name -> column -> kind) that readers check."""
    manifest = read_manifest(folder)
    if manifest is None:
        raise OutputError(f"{folder}: not a folder written by dcsite (no {MANIFEST_FILE})")
    manifest["files"] = list(manifest["files"]) + list(names)
    if tables:
        manifest["tables"] = {**manifest.get("tables", {}), **tables}
    _write_manifest(Path(folder), manifest)
