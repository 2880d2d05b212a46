"""The landing folder: which files it holds, and how a file is told apart from another."""

from __future__ import annotations

import hashlib
from pathlib import Path

FORMATS = {".jsonl": "jsonl", ".csv": "csv", ".parquet": "parquet"}


def landing_files(landing_dir: Path) -> list[Path]:
    """Every *.jsonl, *.csv and *.parquet below the folder, in a stable order."""
    if not landing_dir.exists():
        return []
    files = (p for p in landing_dir.rglob("*") if p.is_file() and p.suffix.lower() in FORMATS)
    return sorted(files, key=lambda p: p.relative_to(landing_dir).as_posix())


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
