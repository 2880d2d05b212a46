"""The pipeline's settings as one plain value, checked once (docs/contract.md, "Settings").

Dagster hands the values in through `WarehouseResource` (dagster_project/defs/resources.py), whose
fields come from the environment variables named in `ENV_VARS`; the command-line tools read the same
variables with `Settings.from_env()`. Every value is checked here, before any work: a bad one raises
`SettingsError` naming the variable, the value and the accepted forms.

Where outputs go is one rule (`output_paths`): everything a run writes lives beside its warehouse
unless a variable says otherwise, and a run with `as_of` publishes to its own as-of folder.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

# Repository root: relative paths resolve against it, so the CLI works from any folder.
REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO_ROOT / "dbt"

# Field of Settings -> the environment variable that sets it.
ENV_VARS = {
    "landing_dir": "SALES_LANDING_DIR",
    "warehouse": "SALES_WAREHOUSE",
    "serving_dir": "SALES_SERVING_DIR",
    "data_docs_dir": "SALES_DATA_DOCS_DIR",
    "as_of": "SALES_AS_OF",
    "max_reject_share": "SALES_MAX_REJECT_SHARE",
    "earliest_event_time": "SALES_EARLIEST_EVENT_TIME",
    "future_tolerance_hours": "SALES_FUTURE_TOLERANCE_HOURS",
    "landing_settle_seconds": "SALES_LANDING_SETTLE_SECONDS",
    "duckdb_memory_limit": "SALES_DUCKDB_MEMORY_LIMIT",
    "duckdb_threads": "SALES_DUCKDB_THREADS",
    "duckdb_temp_dir": "SALES_DUCKDB_TEMP_DIR",
}
DEFAULTS = {
    "landing_dir": "data/landing",
    "warehouse": "data/warehouse.duckdb",
    "serving_dir": "",  # empty: <warehouse folder>/serving
    "data_docs_dir": "",  # empty: <warehouse folder>/data_docs
    "as_of": "",  # empty: the latest occurred_at among accepted events
    "max_reject_share": "0.05",
    "earliest_event_time": "2000-01-01",  # an occurred_at or updated_at before it is rejected
    "future_tolerance_hours": "24",  # ... and one later than the load's time plus this
    "landing_settle_seconds": "2",  # a landing file is taken once unchanged for this long
    # Each DuckDB process (the loader's, dbt's) keeps its buffers within this and spills beyond it:
    # with the process's own Python, the largest stays under 3 GiB (docs/scale.md).
    "duckdb_memory_limit": "2GB",
    "duckdb_threads": "",  # empty: DuckDB's own choice, one per core
    "duckdb_temp_dir": "",  # empty: <warehouse folder>/tmp, where DuckDB spills
}
AS_OF_FORMS = "an ISO date (2025-06-30) or timestamp (2025-06-30T18:00:00, with or without an offset)"


class SettingsError(ValueError):
    """A setting with a value the pipeline cannot use; the message names the variable."""

    def __init__(self, field: str, value: object, accepted: str):
        variable = ENV_VARS.get(field, field)
        super().__init__(f"{variable}={value!r} is not valid: expected {accepted}.")
        self.variable = variable


def parse_as_of(text: str) -> datetime:
    """ISO timestamp or date -> naive UTC datetime. Naive means UTC; a date means its midnight UTC."""
    text = text.strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        parsed = datetime.combine(date.fromisoformat(text), datetime.min.time())
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def resolve_path(text: str) -> Path:
    path = Path(text).expanduser()
    return path if path.is_absolute() else REPO_ROOT / path


def _path(field: str, text: str) -> Path:
    if not text.strip():
        raise SettingsError(
            field, text, "a file or folder path (relative paths start at the repository root)"
        )
    return resolve_path(text.strip())


def _as_of(text: str) -> datetime | None:
    if not text.strip():
        return None
    try:
        return parse_as_of(text)
    except ValueError:
        raise SettingsError("as_of", text, AS_OF_FORMS) from None


def _instant(field: str, text: str) -> datetime:
    try:
        return parse_as_of(text)
    except ValueError:
        raise SettingsError(field, text, AS_OF_FORMS) from None


def _non_negative(field: str, text: str, unit: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 <= value < float("inf"):
        raise SettingsError(field, text, f"a number of {unit} >= 0")
    return value


def _share(field: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 <= value <= 1:
        raise SettingsError(field, text, "a share between 0 and 1, e.g. 0.05 for 5%")
    return value


MEMORY_FORMS = "an amount of memory with its unit, e.g. 2GB, 1500MB or 2GiB (KB, MB, GB, TB or KiB ... TiB)"
_MEMORY = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]i?B)\s*", re.IGNORECASE)


def _memory(field: str, text: str) -> str:
    match = _MEMORY.fullmatch(text)
    if not match or float(match.group(1)) <= 0:
        raise SettingsError(field, text, MEMORY_FORMS)
    return f"{match.group(1)}{match.group(2)}"


def _threads(field: str, text: str) -> int | None:
    if not text.strip():
        return None
    if not text.strip().isdigit() or int(text) < 1:
        raise SettingsError(field, text, "a whole number of threads >= 1 (empty: one per core)")
    return int(text)


@dataclass(frozen=True)
class DuckDBConfig:
    """How a DuckDB process of the pipeline uses the machine: its memory limit (beyond which it spills
    to `temp_dir`) and its threads (None: DuckDB's own choice, one per core)."""

    memory_limit: str
    threads: int | None
    temp_dir: Path

    @classmethod
    def beside(cls, warehouse: Path) -> DuckDBConfig:
        """The defaults for a warehouse (what a run without the variables uses)."""
        return cls(DEFAULTS["duckdb_memory_limit"], None, Path(warehouse).parent / "tmp")

    def apply(self, con) -> None:
        """Set on an open DuckDB connection, before its first query that may spill."""
        con.execute("set memory_limit = ?", [self.memory_limit])
        # Without FSST (the compression of high-cardinality strings, ids): every large write and read
        # is faster (10M events: the full run 5 s), the file about twice as large (docs/scale.md).
        con.execute("set disabled_compression_methods = 'fsst'")
        con.execute("set temp_directory = ?", [str(self.temp_dir)])
        if self.threads is not None:
            con.execute(f"set threads = {int(self.threads)}")

    def dbt_vars(self) -> dict[str, str]:
        """The vars dbt/profiles.yml hands to dbt-duckdb's settings. The profile cannot leave threads
        unset, so DuckDB's own choice is asked of DuckDB."""
        threads = self.threads or duckdb.connect().execute("select current_setting('threads')").fetchone()[0]
        return {
            "duckdb_memory_limit": self.memory_limit,
            "duckdb_threads": str(threads),
            "duckdb_temp_dir": str(self.temp_dir),
        }


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    warehouse: Path
    serving_dir: Path  # the live serving folder for BI tools
    data_docs_dir: Path
    as_of: datetime | None
    max_reject_share: float
    earliest_event_time: datetime  # naive UTC: events before it are rejected
    future_tolerance: timedelta  # events after the load's time plus this are rejected
    landing_settle_seconds: float
    duckdb: DuckDBConfig

    @classmethod
    def from_values(cls, **values: str) -> Settings:
        """Check and type the settings given as text (missing ones take their default)."""
        unknown = set(values) - set(DEFAULTS)
        if unknown:
            raise TypeError(f"Unknown settings: {sorted(unknown)}")
        text = {**DEFAULTS, **{k: ("" if v is None else str(v)) for k, v in values.items()}}
        warehouse = _path("warehouse", text["warehouse"])
        return cls(
            landing_dir=_path("landing_dir", text["landing_dir"]),
            warehouse=warehouse,
            serving_dir=resolve_path(text["serving_dir"]) if text["serving_dir"].strip() else warehouse.parent / "serving",
            data_docs_dir=resolve_path(text["data_docs_dir"]) if text["data_docs_dir"].strip() else warehouse.parent / "data_docs",
            as_of=_as_of(text["as_of"]),
            max_reject_share=_share("max_reject_share", text["max_reject_share"]),
            earliest_event_time=_instant("earliest_event_time", text["earliest_event_time"]),
            future_tolerance=timedelta(hours=_non_negative("future_tolerance_hours", text["future_tolerance_hours"], "hours")),
            landing_settle_seconds=_non_negative("landing_settle_seconds", text["landing_settle_seconds"], "seconds"),
            duckdb=DuckDBConfig(
                memory_limit=_memory("duckdb_memory_limit", text["duckdb_memory_limit"]),
                threads=_threads("duckdb_threads", text["duckdb_threads"]),
                temp_dir=resolve_path(text["duckdb_temp_dir"]) if text["duckdb_temp_dir"].strip() else warehouse.parent / "tmp",
            ),
        )  # fmt: skip

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings of the command-line tools: the same variables, read from the environment."""
        environ = os.environ if environ is None else environ
        return cls.from_values(**{field: environ[var] for field, var in ENV_VARS.items() if environ.get(var)})

    @property
    def publish_dir(self) -> Path:
        """Where this run publishes: the live serving folder, or for an `as_of` run its own folder
        beside it (serving/as_of/<date or timestamp>/), so a historical recompute never replaces
        what BI tools read."""
        if self.as_of is None:
            return self.serving_dir
        stamp = (
            f"{self.as_of:%Y-%m-%d}"
            if self.as_of.time() == datetime.min.time()
            else f"{self.as_of:%Y-%m-%dT%H%M%S}"
        )
        return self.serving_dir / "as_of" / stamp


FRESHNESS_ENV_VAR = "SALES_FRESHNESS_HOURS"
DEFAULT_FRESHNESS_HOURS = "36"


def freshness_window(environ: Mapping[str, str] | None = None) -> timedelta:
    """How old the marts and the published output may get before it is an alert. Read when Dagster
    loads the definitions (the freshness checks are built with it), not when a run starts."""
    environ = os.environ if environ is None else environ
    text = environ.get(FRESHNESS_ENV_VAR) or DEFAULT_FRESHNESS_HOURS
    hours = _non_negative(FRESHNESS_ENV_VAR, text, "hours")
    if hours * 60 < 1:
        raise SettingsError(FRESHNESS_ENV_VAR, text, "a number of hours of at least 1/60 (one minute)")
    return timedelta(hours=hours)
