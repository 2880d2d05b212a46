"""The planning settings (docs/contract.md section 8): the targets file and the fiscal calendar.

`PlanningSettings.from_values` checks raw setting text once and fails with a message that names the
environment variable, the value and the accepted forms; the Dagster resource
(`defs/planning/resources.py`) hands its EnvVar-backed fields to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
DEMO_TARGETS_FILE = Path(__file__).resolve().parent / "demo_targets.csv"
TARGETS_FILE_VAR = "SALES_TARGETS_FILE"
FISCAL_START_VAR = "SALES_FISCAL_YEAR_START_MONTH"


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
        path = Path(targets_file) if targets_file and str(targets_file).strip() else DEMO_TARGETS_FILE
        path = path if path.is_absolute() else REPO_ROOT / path
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


def fiscal_year(day: date, start_month: int) -> tuple[date, date]:
    """First and last day of the fiscal year that holds `day`."""
    year = day.year if day.month >= start_month else day.year - 1
    first = date(year, start_month, 1)
    return first, _add_months(first, 12) - _ONE_DAY


def fiscal_quarter(day: date, start_month: int) -> tuple[date, date]:
    """First and last day of the fiscal quarter (three months from the fiscal year's start) of `day`."""
    year_start, _ = fiscal_year(day, start_month)
    months_in = (day.year - year_start.year) * 12 + day.month - year_start.month
    first = _add_months(year_start, months_in - months_in % 3)
    return first, _add_months(first, 3) - _ONE_DAY


def fiscal_label(first: date, last: date, start_month: int) -> str | None:
    """'FY2026' or 'FY2026 Q2' when the period is exactly a fiscal year or quarter, else None.
    A fiscal year is named by the calendar year it ends in (FY2026 = Jul 2025-Jun 2026 when it starts in July)."""
    year_first, year_last = fiscal_year(first, start_month)
    name = f"FY{year_last.year}"
    if (first, last) == (year_first, year_last):
        return name
    if (first, last) == fiscal_quarter(first, start_month):
        months_in = (first.year - year_first.year) * 12 + first.month - year_first.month
        return f"{name} Q{months_in // 3 + 1}"
    return None


_ONE_DAY = timedelta(days=1)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)
