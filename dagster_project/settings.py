"""Configuration by environment variable (CONTRACT section 1), read at call time so tests can vary it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

# Repository root: relative defaults resolve against it, so the CLI works from any folder.
REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt"
DATA_QUALITY_DIR = REPO_ROOT / "data_quality"

# One writer at a time on the DuckDB file: every asset that opens the warehouse runs in this pool,
# whose limit is 1 (see dagster.yaml / README).
WAREHOUSE_POOL = "duckdb_warehouse"


def _path(var: str, default: str) -> Path:
    value = Path(os.environ.get(var) or default)
    return value if value.is_absolute() else REPO_ROOT / value


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


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    warehouse: Path
    serving_dir: Path
    as_of: datetime | None
    alert_webhook_url: str | None
    max_reject_share: float

    @classmethod
    def from_env(cls) -> Settings:
        as_of = os.environ.get("SALES_AS_OF")
        return cls(
            landing_dir=_path("SALES_LANDING_DIR", "data/landing"),
            warehouse=_path("SALES_WAREHOUSE", "data/warehouse.duckdb"),
            serving_dir=_path("SALES_SERVING_DIR", "data/serving"),
            as_of=parse_as_of(as_of) if as_of else None,
            alert_webhook_url=os.environ.get("SALES_ALERT_WEBHOOK_URL") or None,
            max_reject_share=float(os.environ.get("SALES_MAX_REJECT_SHARE", "0.05")),
        )
