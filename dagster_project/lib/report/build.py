"""The metrics report: one self-contained HTML page (inline CSS, JS and SVG; no network) with the
ten metrics by month, their latest values and changes, switchable by rep and by lead source.

`build_report_html(metric_values, ...)` turns a metric_values DataFrame into the page (tests feed
it hand-made frames); `write_report(serving_dir)` builds it from the published snapshot, never
from the warehouse, so it needs no lock. `python -m dagster_project.report` rebuilds it.
"""

from __future__ import annotations

import json
import math
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import jinja2
import pandas as pd

from dagster_project.lib.formatting import format_change, format_value
from dagster_project.lib.metrics_catalog import METRIC_KEYS, metric
from dagster_project.lib.serving import publish

# Autoescaping on: the title and dates are escaped, the JSON is made safe by _json_for_script.
TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("dagster_project.lib.report", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)

REPORT_DIR = "report"
REPORT_FILE = "index.html"
BREAKDOWNS = ("rep_id", "lead_source")  # the slices the page offers besides "all"


@dataclass(frozen=True)
class ReportContext:
    """What the page says about the data besides the metrics: the as-of instant and freshness."""

    as_of: datetime | None = None
    latest_occurred_at: datetime | None = None
    latest_loaded_at: datetime | None = None
    published_at: datetime | None = None
    snapshot: str | None = None
    run_id: str | None = None
    generated_at: datetime | None = None


@dataclass(frozen=True)
class Headline:
    """A metric's latest value (the latest complete month with a value; else the running month, so
    far) and its change against the month before."""

    metric: str
    period_start: date | None
    value: float | None
    previous_value: float | None
    to_date: bool = False  # the running month: a partial value

    @property
    def change(self) -> float | None:
        if self.value is None or self.previous_value is None:
            return None
        return self.value - self.previous_value

    @property
    def change_ratio(self) -> float | None:
        if self.change is None or not self.previous_value:
            return None
        return self.change / abs(self.previous_value)


# ------------------------------------------------------------------------------------ the numbers


def _month(value) -> date:
    return pd.Timestamp(value).date().replace(day=1)


def _clean(value) -> float | None:
    if value is None or pd.isna(value):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _normalized(metric_values: pd.DataFrame) -> pd.DataFrame:
    frame = metric_values.copy()
    frame["period_start"] = [_month(v) for v in frame["period_start"]]
    frame["dimension_value"] = [
        "" if d == "all" else ("(none)" if v is None or pd.isna(v) else str(v))
        for d, v in zip(frame["dimension"], frame["dimension_value"], strict=True)
    ]
    for column in ("numerator", "denominator", "value"):
        if column not in frame:
            frame[column] = None
    return frame


def running_month(metric_values: pd.DataFrame, as_of: datetime | None) -> date | None:
    """The month still under way: that of as_of, else the last month in the data."""
    if as_of is not None:
        return _month(as_of)
    if metric_values.empty:
        return None
    return max(_month(v) for v in metric_values["period_start"])


def _previous_month(month: date) -> date:
    return date(month.year - 1, 12, 1) if month.month == 1 else date(month.year, month.month - 1, 1)


def _headline(key: str, values: dict[date, float | None], running: date | None) -> Headline:
    complete = [m for m, v in values.items() if v is not None and (running is None or m < running)]
    if complete:
        latest = max(complete)
        return Headline(key, latest, values[latest], values.get(_previous_month(latest)))
    if running is not None and values.get(running) is not None:  # only the running month so far
        return Headline(key, running, values[running], values.get(_previous_month(running)), to_date=True)
    return Headline(key, None, None, None)


def headlines(metric_values: pd.DataFrame, as_of: datetime | None = None) -> list[Headline]:
    """Per metric (dimension 'all'): the latest complete month with a value, and the month before.
    The month of as_of is still running, so its partial counts are not compared with a full month."""
    frame = _normalized(metric_values)
    frame = frame[frame["dimension"] == "all"]
    running = running_month(metric_values, as_of)
    keys = _metric_keys(frame)
    result = []
    for key in keys:
        rows = frame[frame["metric"] == key]
        values = {m: _clean(v) for m, v in zip(rows["period_start"], rows["value"], strict=True)}
        result.append(_headline(key, values, running))
    return result


def _metric_keys(frame: pd.DataFrame) -> list[str]:
    present = set(frame["metric"])
    return [k for k in METRIC_KEYS if k in present] + sorted(present - set(METRIC_KEYS))


def headlines_markdown(items: list[Headline]) -> str:
    lines = ["| # | metric | month | latest | previous month | change |", "|---|---|---|---|---|---|"]
    for number, h in enumerate(items, start=1):
        m = metric(h.metric)
        month = f"{h.period_start:%b %Y}" + (" (to date)" if h.to_date else "") if h.period_start else "n/a"
        lines.append(
            f"| {number} | {m.title} | {month} | {format_value(m, h.value)} | "
            f"{format_value(m, h.previous_value)} | {format_change(m, h.change, h.change_ratio)} |"
        )
    return "\n".join(lines)


def report_data(metric_values: pd.DataFrame, context: ReportContext) -> dict:
    """Everything the page draws, as JSON-ready data: months, series aligned to them (value,
    numerator, denominator) for every metric and slice, and each slice's headline."""
    frame = _normalized(metric_values)
    running = running_month(metric_values, context.as_of)
    months = sorted(set(frame["period_start"]))
    index = {m: i for i, m in enumerate(months)}
    slices = {d: sorted(set(frame.loc[frame["dimension"] == d, "dimension_value"])) for d in BREAKDOWNS}
    metrics, series = [], {}
    for key in _metric_keys(frame):
        m = metric(key)
        rows = frame[frame["metric"] == key]
        by_slice: dict[str, dict[str, dict]] = {}
        for (dimension, value), group in rows.groupby(["dimension", "dimension_value"], sort=True):
            points = {"value": [None] * len(months), "numerator": [None] * len(months),
                      "denominator": [None] * len(months)}  # fmt: skip
            for row in group.itertuples(index=False):
                i = index[row.period_start]
                points["value"][i] = _clean(row.value)
                points["numerator"][i] = _clean(row.numerator)
                points["denominator"][i] = _clean(row.denominator)
            h = _headline(key, {months[i]: v for i, v in enumerate(points["value"])}, running)
            points["headline"] = {
                "period": h.period_start.isoformat() if h.period_start else None,
                "to_date": h.to_date,
                "value": h.value,
                "previous": h.previous_value,
                "value_text": format_value(m, h.value),
                "change_text": format_change(m, h.change, h.change_ratio),
                "change": h.change,
            }
            by_slice.setdefault(str(dimension), {})[str(value)] = points
        series[key] = by_slice
        metrics.append({"key": key, "title": m.title, "definition": m.definition, "kind": m.kind,
                        "better": m.better, "unit": m.unit, "dimensions": sorted(by_slice)})  # fmt: skip
    return {
        "months": [m.isoformat() for m in months],
        "running_month": running.isoformat() if running else None,
        "metrics": metrics,
        "slices": slices,
        "series": series,
        "context": {
            k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in context.__dict__.items()
        },
    }


# ------------------------------------------------------------------------------------ the page


def _json_for_script(data: dict) -> str:
    """JSON that cannot end its <script> element early."""
    text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _stamp(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC" if value else "unknown"


def build_report_html(metric_values: pd.DataFrame, context: ReportContext | None = None) -> str:
    """The whole page for a metric_values frame (columns: metric, period_start, dimension,
    dimension_value, numerator, denominator, value)."""
    context = context or ReportContext()
    if context.generated_at is None:
        context = ReportContext(
            **{**context.__dict__, "generated_at": datetime.now(UTC).replace(tzinfo=None)}
        )
    data = report_data(metric_values, context)
    title = "Sales metrics" + (f" as of {context.as_of:%d %b %Y}" if context.as_of else "")
    return TEMPLATES.get_template("report.html.j2").render(
        title=title, as_of=_stamp(context.as_of), data=_json_for_script(data)
    )


def write_html(path: Path, page: str) -> Path:
    """Write atomically: a browser that reloads meanwhile sees the old page or the new, whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    temporary.write_text(page, encoding="utf-8")
    os.replace(temporary, path)
    return path


@dataclass(frozen=True)
class ReportResult:
    path: Path
    snapshot: publish.Snapshot
    headlines: list[Headline]
    context: ReportContext


def _parse(value) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def write_report(
    serving_dir: Path, output: Path | None = None, snapshot: publish.Snapshot | None = None
) -> ReportResult:
    """Build the report from the snapshot that sales.duckdb serves now, or from `snapshot` (a publish
    about to go live: see publish.publish_marts' before_live), read from its Parquet files directly
    (no lock, one snapshot), into <serving_dir>/report/index.html."""
    serving_dir = Path(serving_dir).absolute()
    snapshot = snapshot or publish.visible_snapshot(serving_dir)
    if snapshot is None:
        raise FileNotFoundError(f"No published snapshot in {serving_dir}: publish the marts first.")
    parquet = snapshot.table_path("metric_values")
    if not parquet.exists():
        raise FileNotFoundError(f"{parquet} is missing: the snapshot has no marts.metric_values.")
    manifest = publish.read_manifest(snapshot)
    with duckdb.connect() as con:
        metric_values = con.execute("select * from read_parquet(?)", [str(parquet)]).df()
    context = ReportContext(
        as_of=_parse(manifest.get("as_of")),
        latest_occurred_at=_parse(manifest.get("latest_occurred_at")),
        latest_loaded_at=_parse(manifest.get("latest_loaded_at")),
        published_at=snapshot.published_at,
        snapshot=snapshot.name,
        run_id=manifest.get("run_id"),
        generated_at=datetime.now(UTC).replace(tzinfo=None),
    )
    path = output or serving_dir / REPORT_DIR / REPORT_FILE
    write_html(path, build_report_html(metric_values, context))
    return ReportResult(path, snapshot, headlines(metric_values, context.as_of), context)


def publish_with_report(warehouse: Path, serving_dir: Path, **options) -> publish.PublishResult:
    """Publish the marts and write the report from the new snapshot before it goes live, so the report
    and `current` never lag what sales.duckdb serves, even after a crash in between."""
    return publish.publish_marts(
        warehouse,
        serving_dir,
        before_live=lambda snapshot: write_report(serving_dir, snapshot=snapshot),
        **options,
    )
