"""The targets file (docs/contract.md section 8), read and checked line by line in plain Python.

    period_start,period_end,measure,dimension,dimension_value,target
    2026-01-01,2026-03-31,new_customers,all,,150
    2026-01-01,2026-03-31,new_customers,lead_source,webinar,40

Every line after the header becomes either an accepted target or a refused line with its line
number (1 = the header) and the reason; nothing is dropped silently, so accepted + refused = the
data lines of the file. A refused line does not stop the others: the plan goes on without it.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path

COLUMNS = ("period_start", "period_end", "measure", "dimension", "dimension_value", "target")
MEASURES = ("new_customers", "revenue", "conversations", "prospect_calls", "prospecting_emails")
DIMENSIONS = ("all", "rep_id", "lead_source")


@dataclass(frozen=True)
class Target:
    line_number: int
    period_start: date
    period_end: date  # the last day of the period, included
    measure: str
    dimension: str
    dimension_value: str | None  # None when dimension = 'all'
    target: float

    @property
    def key(self) -> tuple:
        return (self.period_start, self.period_end, self.measure, self.dimension, self.dimension_value)


@dataclass(frozen=True)
class RefusedLine:
    line_number: int
    raw_line: str
    reason: str


@dataclass(frozen=True)
class TargetsFile:
    source_file: str
    targets: list[Target]
    refused: list[RefusedLine]

    @property
    def lines_read(self) -> int:
        return len(self.targets) + len(self.refused)


class LineError(ValueError):
    """Why one line is refused."""


def _date(text: str, column: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise LineError(f"{column} {text!r} is not a date (YYYY-MM-DD)") from None


def _target(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise LineError(f"target {text!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise LineError(f"target {text!r} must be a number >= 0")
    return value


def _one_of(text: str, column: str, allowed: tuple[str, ...]) -> str:
    if text not in allowed:
        raise LineError(f"{column} {text!r} is not one of {', '.join(allowed)}")
    return text


def parse_row(line_number: int, row: dict[str, str]) -> Target:
    """One data row of the CSV (values stripped) as a Target, or LineError naming the first problem."""
    missing = [c for c in ("period_start", "period_end", "measure", "dimension", "target") if not row[c]]
    if missing:
        raise LineError(f"missing {', '.join(missing)}")
    period_start = _date(row["period_start"], "period_start")
    period_end = _date(row["period_end"], "period_end")
    if period_end < period_start:
        raise LineError(f"period_end {period_end} is before period_start {period_start}")
    measure = _one_of(row["measure"], "measure", MEASURES)
    dimension = _one_of(row["dimension"], "dimension", DIMENSIONS)
    value = row["dimension_value"] or None
    if dimension == "all" and value is not None:
        raise LineError(f"dimension_value must be empty when dimension is all, not {value!r}")
    if dimension != "all" and value is None:
        raise LineError(f"dimension_value is required when dimension is {dimension}")
    return Target(line_number, period_start, period_end, measure, dimension, value, _target(row["target"]))


def parse_targets(text: str, source_file: str = "<text>") -> TargetsFile:
    """Check every line of a targets CSV; a second line for the same period, measure and slice is
    refused (which of two targets holds would be a guess)."""
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        return TargetsFile(source_file, [], [])
    header = [name.strip() for name in next(csv.reader([lines[0]]))]
    problems = [f"missing column {c}" for c in COLUMNS if c not in header]
    problems += [f"unknown column {c!r}" for c in header if c not in COLUMNS]
    problems += [f"column {c} twice" for c in COLUMNS if header.count(c) > 1]
    data_lines = [(number, line) for number, line in enumerate(lines[1:], start=2) if line.strip()]
    if problems:
        reason = f"header: {'; '.join(problems)} (expected {','.join(COLUMNS)})"
        return TargetsFile(
            source_file,
            [],
            [RefusedLine(1, lines[0], reason)]
            + [RefusedLine(n, line, "not read: the header (line 1) is refused") for n, line in data_lines],
        )

    targets: list[Target] = []
    refused: list[RefusedLine] = []
    first_line_of: dict[tuple, int] = {}
    for number, line in data_lines:
        cells = next(csv.reader(io.StringIO(line)), [])
        try:
            if len(cells) != len(header):
                raise LineError(f"{len(cells)} values where the header has {len(header)} columns")
            target = parse_row(number, {name: cell.strip() for name, cell in zip(header, cells, strict=True)})
            if target.key in first_line_of:
                raise LineError(f"same period, measure and slice as line {first_line_of[target.key]}")
        except LineError as error:
            refused.append(RefusedLine(number, line, str(error)))
            continue
        first_line_of[target.key] = number
        targets.append(target)
    return TargetsFile(source_file, targets, refused)


def read_targets_file(path: Path) -> TargetsFile:
    """The targets of a file (UTF-8, with or without the byte-order mark spreadsheets write)."""
    return parse_targets(path.read_text(encoding="utf-8-sig"), str(path))
