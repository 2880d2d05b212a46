"""Import Great Expectations on a background thread while the dbt build starts.

Importing GX costs seconds of CPU, pure Python. On a 2-core machine it only overlaps with work that
leaves a core free: not with DuckDB's queries (they take every core), nor with loading Dagster's
definitions (one interpreter lock); but with the start of the dbt process, a single-threaded Python
start-up of seconds while the run's process waits for it. The dbt asset starts this there, and it
goes before the GX steps ready with it (its priority, defs/dbt/assets.py): they find GX imported.
A step that reaches its own `import` first waits for this one (Python's import lock): it never sees a
half-imported module. While GX imports, `import pyspark` fails in every thread (data_quality/gx.py);
nothing in the run's process imports pyspark (Spark runs in dbt's), so that window is safe here.
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
