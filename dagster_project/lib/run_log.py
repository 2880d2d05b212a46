"""How a run talks to the person who started it: a line per stage on the terminal, every log line
in a file.

Assets mark their one-line account of a stage with `extra=STORY` (`context.log.info(text,
extra=STORY)`); in the Dagster UI it is an ordinary log line. `run_logger` builds the Python logger
that `python -m dagster_project.run` (what `make run` calls) hands Dagster: story lines, the user's
warnings and every error go to the terminal; everything, DEBUG included, goes to the log file.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

STORY = {"story": True}
_FILE_FORMAT = "%(asctime)s %(levelname)-7s %(message)s"


class _StoryFilter(logging.Filter):
    """Story lines; a warning an asset logged; any error (a failed step, a failed run)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "story", False) or record.levelno >= logging.ERROR:
            return True
        meta = getattr(record, "dagster_meta", None) or {}
        return record.levelno >= logging.WARNING and meta.get("dagster_event") is None


class _StoryFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        meta = getattr(record, "dagster_meta", None) or {}
        text = meta.get("orig_message") or record.getMessage()
        if record.levelno >= logging.WARNING:
            text = f"{record.levelname}: {text}"
        return "  " + text.strip().replace("\n", "\n    ")


def run_logger(log_file: Path, terminal: TextIO) -> logging.Logger:
    log_file.parent.mkdir(parents=True, exist_ok=True)
    logger = logging.Logger("sales_metrics.run", level=logging.DEBUG)  # not in the global hierarchy
    to_file = logging.FileHandler(log_file, encoding="utf-8")
    to_file.setFormatter(logging.Formatter(_FILE_FORMAT))
    to_terminal = logging.StreamHandler(terminal)
    to_terminal.addFilter(_StoryFilter())
    to_terminal.setFormatter(_StoryFormatter())
    logger.addHandler(to_file)
    logger.addHandler(to_terminal)
    return logger


@contextmanager
def output_to_file(log_file: Path) -> Iterator[TextIO]:
    """Everything the process and its children write to stdout and stderr (Dagster's notes, dbt's
    output, library warnings) goes to the log file for the duration; the stream yielded still
    reaches the terminal, for the story. File descriptors are switched, so handlers that hold a
    stream opened earlier are redirected too."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    terminal = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    with open(log_file, "a", encoding="utf-8") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield terminal
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)
            terminal.close()
