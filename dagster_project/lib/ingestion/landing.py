"""The landing folder: which files it holds, and how a file is told apart from another."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

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
