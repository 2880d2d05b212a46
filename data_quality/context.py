"""What a check run knows besides the warehouse: the Dagster run, the clock, the configuration."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from dagster_project.lib.settings import DuckDBConfig, Settings


@dataclass(frozen=True)
class Skip:
    """Nothing to validate (e.g. the run loaded no file): the check passes and says why."""

    reason: str


@dataclass(frozen=True)
class CheckContext:
    run_id: str | None  # the Dagster run: its loads are "this load" for the raw checks
    now: datetime  # naive UTC; "in the future" means after this
    as_of: datetime | None  # SALES_AS_OF; None = latest occurred_at among staged events
    max_reject_share: float
    duckdb: DuckDBConfig | None = None  # memory, threads, temp folder of the checks' queries

    @classmethod
    def from_settings(
        cls, settings: Settings, run_id: str | None, now: datetime | None = None
    ) -> CheckContext:
        return cls(
            run_id=run_id,
            now=now or datetime.now(UTC).replace(tzinfo=None),
            as_of=settings.as_of,
            max_reject_share=settings.max_reject_share,
            duckdb=settings.duckdb,
        )

    def expectation_parameters(self) -> dict[str, float]:
        """Values of the suites' `$PARAMETER`s: the suites stay fixed, the thresholds are configuration."""
        return {"max_reject_share": self.max_reject_share}
