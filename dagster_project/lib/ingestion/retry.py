"""Which failed files the next run tries again: those that failed on something other than their
content (I/O, a lock, memory, an interrupt). A file that failed on its content waits for new content:
the ledger holds its hash, so the same bytes are never read again.

The class of the error is the start of the ledger's `error` (`IOException: ...`), so the decision
needs no new column and holds for rows written before it existed.
"""

from __future__ import annotations

import duckdb

# Failures that say nothing about the file's content: the file is tried again by the next run, while
# one that failed on its content (it cannot be parsed) waits for new content.
TRANSIENT_ERRORS = ("IOException", "OutOfMemoryException", "InterruptException", "OSError",
                    "PermissionError", "FileNotFoundError")  # fmt: skip


def failure_is_transient(error: str | None) -> bool:
    """Whether a `failed` ledger row failed on I/O, a lock or memory rather than on its content."""
    return bool(error) and error.split(":", 1)[0].strip() in TRANSIENT_ERRORS


def settled_hashes(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The contents never to read again: loaded, or failed on their content."""
    rows = con.execute("select file_hash, status, error from raw.loaded_files").fetchall()
    return {digest for digest, status, error in rows if status == "loaded" or not failure_is_transient(error)}
