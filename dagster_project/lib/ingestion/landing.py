"""The landing folder: which files it holds, and how a file is told apart from another.

The folder is a boundary (docs/operations.md, "The landing folder"):
- a symbolic link whose target is outside the folder is not followed: it is reported as refused, with
  the reason, and nothing behind it is read (a link to /etc/passwd must not land in raw);
- dot-files, files in dot-folders, `*.tmp` and `*.part` are someone's work in progress and ignored;
- a file is taken once its size and modification time have stayed the same for `settle_seconds`
  (`settled_files`), so a file still being copied in is left for a later run.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

FORMATS = {".jsonl": "jsonl", ".csv": "csv", ".parquet": "parquet"}
IN_PROGRESS_SUFFIXES = (".tmp", ".part")  # the usual names of a file still being written


@dataclass(frozen=True)
class Refused:
    """An entry of the landing folder that is not read, and why."""

    source_file: str
    reason: str


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _outside_link(path: Path, root: str, landing_dir: Path, kind: str) -> Refused | None:
    target = os.path.realpath(path)
    if _inside(target, root):
        return None
    reason = f"symbolic link to a {kind} outside the landing folder ({target}): not followed"
    return Refused(path.relative_to(landing_dir).as_posix(), reason)


def scan_landing(landing_dir: Path) -> tuple[list[Path], list[Refused]]:
    """The event files below the folder, in a stable order, and the links pointing out of it."""
    if not landing_dir.exists():
        return [], []
    root = os.path.realpath(landing_dir)
    files, refused = [], []
    for folder, dirs, names in os.walk(landing_dir, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))  # dot-folders are not walked
        for name in dirs:  # os.walk lists a link to a folder here, and does not walk into it
            path = Path(folder) / name
            if path.is_symlink() and (outside := _outside_link(path, root, landing_dir, "folder")):
                refused.append(outside)  # one inside is harmless: its files are walked where they are
        for name in names:
            path = Path(folder) / name
            if name.startswith(".") or name.endswith(IN_PROGRESS_SUFFIXES):
                continue
            if path.suffix.lower() not in FORMATS:
                continue
            if path.is_symlink() and (outside := _outside_link(path, root, landing_dir, "file")):
                refused.append(outside)
            elif path.is_file():
                files.append(path)
    return sorted(files, key=lambda p: p.relative_to(landing_dir).as_posix()), refused


def landing_files(landing_dir: Path) -> list[Path]:
    """Every *.jsonl, *.csv and *.parquet below the folder that may be read, in a stable order."""
    return scan_landing(landing_dir)[0]


def file_state(path: Path) -> tuple[int, int, int]:
    """What changes when a file is written to: its size, modification time and inode."""
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns, stat.st_ino


def settled_files(
    paths: list[Path], settle_seconds: float
) -> tuple[dict[Path, tuple[int, int, int]], dict[Path, str]]:
    """The files unchanged for `settle_seconds` (with their state), and those still being written.

    A file last modified longer ago than that is taken at once; for younger ones this waits (once, at
    most `settle_seconds`) and takes those whose size and modification time did not move meanwhile.
    """
    states: dict[Path, tuple[int, int, int]] = {}
    unsettled: dict[Path, str] = {}
    for path in paths:
        try:
            states[path] = file_state(path)
        except OSError as error:  # gone between the listing and now
            unsettled[path] = f"{type(error).__name__}: {error}"
    now_ns = time.time_ns()
    youngest_ns = max((mtime for _, mtime, _ in states.values()), default=0)
    wait = settle_seconds - (now_ns - youngest_ns) / 1e9
    if states and wait > 0:
        time.sleep(wait)
    for path, state in list(states.items()):
        try:
            moved = file_state(path) != state
        except OSError:
            moved = True
        if moved:
            del states[path]
            unsettled[path] = (
                f"still being written (changed within {settle_seconds:g} s, SALES_LANDING_SETTLE_SECONDS): "
                "loaded once it has settled"
            )
    return states, unsettled


def file_hash(path: Path) -> str:
    """A file's identity: the sha256 of its content (the same content is never loaded twice)."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def landing_fingerprints(landing_dir: Path) -> dict[str, str]:
    """Path -> "size:mtime" of every landing file: cheap to take, never opens the warehouse."""
    fingerprints = {}
    for path in landing_files(landing_dir):
        stat = path.stat()
        fingerprints[path.relative_to(landing_dir).as_posix()] = f"{stat.st_size}:{stat.st_mtime_ns}"
    return fingerprints


def already_loaded(warehouse: Path, fingerprints: dict[str, str]) -> set[str]:
    """The files whose path and size the ledger holds, loaded after their last modification: a
    sensor need not start a run for them. Nothing when the ledger cannot be read now (no warehouse
    yet, or a run holds the file): the run then decides by content hash."""
    if not fingerprints or not warehouse.exists():
        return set()
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            rows = con.execute(
                "select source_file, size_bytes, epoch_us(max(loaded_at)) from raw.loaded_files"
                " where status = 'loaded' group by all"
            ).fetchall()
    except duckdb.Error:
        return set()
    loaded = {(name, size): loaded_us for name, size, loaded_us in rows}
    known = set()
    for name, fingerprint in fingerprints.items():
        size, mtime_ns = (int(part) for part in fingerprint.split(":"))
        loaded_us = loaded.get((name, size))
        if loaded_us is not None and loaded_us * 1000 >= mtime_ns:
            known.add(name)
    return known
