"""Import Great Expectations on a background thread, while the run's main thread does other work.

Importing GX costs seconds of a run (data_quality/runner.py). `python -m dagster_project.run` runs
every step in its own process, one after the other, so the first check step paid it all while
nothing else ran. Started when the run starts, the import overlaps with loading the definitions and
with the steps before the first check (the loader and dbt wait on DuckDB or on a subprocess, not on
Python). A check that reaches its own `import` first waits for this one (Python's import lock): it
never sees a half-imported module. While GX imports, `import pyspark` fails in every thread
(data_quality/gx.py); nothing of this project imports pyspark in the run's process (Spark runs in
dbt's), so that window is safe here.
"""

from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)


def import_gx_in_background() -> threading.Thread:
    thread = threading.Thread(target=_import_runner, name="import-great-expectations", daemon=True)
    thread.start()
    return thread


def _import_runner() -> None:
    try:
        import data_quality.runner  # noqa: F401 - imported for its side effect: GX in sys.modules
    except Exception as exc:  # noqa: BLE001 - the check's own import raises it again, in its step
        log.debug(f"Importing Great Expectations ahead failed: {type(exc).__name__}: {exc}")
