"""What a person reads while files load: a failed file at once, a progress line at most every few
seconds on long loads, and one line at the end with the rows per second."""

from __future__ import annotations

import time
from collections.abc import Callable

from .loader import FileResult, summarize


class LoadProgress:
    """The loader's `on_file` callback: `say` gets the progress lines, `warn` each failed file, `note`
    each file not read (a link out of the landing folder, a file still being written)."""

    def __init__(
        self,
        say: Callable[[str], None],
        warn: Callable[[str], None],
        every_seconds: float = 5.0,
        note: Callable[[str], None] | None = None,
    ):
        self.say, self.warn, self.every, self.note = say, warn, every_seconds, note or warn
        self.started = self.last = time.monotonic()
        self.rows = 0

    def __call__(self, index: int, total: int, result: FileResult) -> None:
        self.rows += result.rows_read
        if result.status == "failed":
            self.warn(f"{result.source_file} could not be loaded: {result.error}")
        elif result.status == "skipped" and result.error:
            self.note(f"{result.source_file} was not read: {result.error}")
        now = time.monotonic()
        if now - self.last >= self.every and index < total:
            self.last = now
            self.say(
                f"Loading: {index:,} of {total:,} files, {self.rows:,} rows ({self.rate(now):,.0f} rows/s)"
            )

    def rate(self, now: float | None = None) -> float:
        return self.rows / max((now or time.monotonic()) - self.started, 1e-6)

    def summary(self, results: list[FileResult]) -> str:
        s = summarize(results)
        if not s["files_loaded"] and not s["files_failed"] and not s["files_not_read"]:
            return f"Loaded nothing new: {s['files_seen']:,} landing file(s), all loaded before."
        line = (
            f"Loaded {s['files_loaded']:,} new file(s): {s['rows_read']:,} rows read, {s['rows_accepted']:,} "
            f"accepted, {s['rows_rejected']:,} rejected ({self.rate():,.0f} rows/s)"
        )
        extra = [
            f"{s[k]:,} {word}"
            for k, word in (
                ("files_failed", "failed"),
                ("files_skipped", "already loaded"),
                ("files_not_read", "not read (see the warnings)"),
            )
            if s[k]
        ]
        return line + (f"; files {', '.join(extra)}" if extra else "") + "."
