"""The planning settings (docs/contract.md section 8): the targets file and the fiscal calendar.

`PlanningSettings.from_values` checks raw setting text once and fails with a message that names the
environment variable, the value and the accepted forms; the Dagster resource
(`defs/planning/resources.py`) hands its EnvVar-backed fields to it. The fiscal calendar itself
(which quarter and year hold as_of) is computed in dbt (models/planning/fiscal_periods.sql).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dagster_project.lib.settings import resolve_path

DEMO_TARGETS_FILE = Path(__file__).resolve().parent / "demo_targets.csv"
# Field of PlanningSettings -> the environment variable that sets it.
ENV_VARS = {
    "targets_file": "SALES_TARGETS_FILE",
    "fiscal_year_start_month": "SALES_FISCAL_YEAR_START_MONTH",
}
TARGETS_FILE_VAR = ENV_VARS["targets_file"]
FISCAL_START_VAR = ENV_VARS["fiscal_year_start_month"]


class PlanningSettingsError(ValueError):
    """A planning setting with a value the pipeline cannot use."""


@dataclass(frozen=True)
class PlanningSettings:
    targets_file: Path
    fiscal_year_start_month: int  # 1-12: the first month of the fiscal year

    @classmethod
    def from_values(
        cls, targets_file: str | None, fiscal_year_start_month: str | int | None
    ) -> PlanningSettings:
        """Settings from the raw values of SALES_TARGETS_FILE and SALES_FISCAL_YEAR_START_MONTH
        (None or empty: the default). A relative path resolves against the repository root."""
        text = str(targets_file or "").strip()
        path = resolve_path(text) if text else DEMO_TARGETS_FILE
        if not path.is_file():
            raise PlanningSettingsError(
                f"{TARGETS_FILE_VAR}={targets_file!r}: no such file ({path}). Accepted: the path of a CSV "
                "with the columns period_start,period_end,measure,dimension,dimension_value,target, "
                "absolute or relative to the repository root; unset for the demo targets."
            )
        month = 1 if fiscal_year_start_month in (None, "") else fiscal_year_start_month
        try:
            month = int(str(month).strip())
        except ValueError:
            month = 0
        if not 1 <= month <= 12:
            raise PlanningSettingsError(
                f"{FISCAL_START_VAR}={fiscal_year_start_month!r} is not a month. Accepted: a whole number "
                "from 1 (January) to 12 (December), the first month of the fiscal year; unset for 1."
            )
        return cls(targets_file=path, fiscal_year_start_month=month)

    def dbt_vars(self) -> dict[str, int]:
        """The dbt vars of the planning models that come from these settings."""
        return {"fiscal_year_start_month": self.fiscal_year_start_month}
