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

from dagster_project.lib.formatting import format_change, format_fraction, format_value
from dagster_project.lib.metrics_catalog import METRIC_KEYS, metric
from dagster_project.lib.planning.summary import PLAN_TABLES, read_plan, report_plan
from dagster_project.lib.report.headlines import (
    MIN_DENOMINATOR,
    Headline,
    Point,
    add_months,
    is_mature,
    pick_headline,
)
from dagster_project.lib.serving import publish
from dagster_project.lib.sql import quote_literal

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
    latest_complete_month: date | None = None  # both from the dbt model int_as_of, via the snapshot
    latest_occurred_at: datetime | None = None
    latest_loaded_at: datetime | None = None
    published_at: datetime | None = None
    snapshot: str | None = None
    run_id: str | None = None
    generated_at: datetime | None = None
    held_loads: tuple[str, ...] = ()  # loads held out of these marts: shown as a banner


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


def timeline(metric_values: pd.DataFrame, context: ReportContext) -> tuple[datetime | None, date | None]:
    """as_of and the latest complete month of the context; for a frame without them (a hand-made
    one), the last month of the data is taken as the running month."""
    if context.as_of is not None and context.latest_complete_month is not None:
        return context.as_of, context.latest_complete_month
    if metric_values.empty:
        return None, None
    running = max(_month(v) for v in metric_values["period_start"])
    return datetime.combine(running, datetime.min.time()), add_months(running, -1)


def _points(rows: pd.DataFrame) -> dict[date, Point]:
    return {
        row.period_start: Point(_clean(row.value), _clean(row.numerator), _clean(row.denominator))
        for row in rows.itertuples(index=False)
    }


def headlines(metric_values: pd.DataFrame, context: ReportContext | None = None) -> list[Headline]:
    """Per metric (dimension 'all'): its headline month (lib/report/headlines.py)."""
    as_of, latest_complete_month = timeline(metric_values, context or ReportContext())
    frame = _normalized(metric_values)
    frame = frame[frame["dimension"] == "all"]
    return [
        pick_headline(metric(key), _points(frame[frame["metric"] == key]), as_of, latest_complete_month)
        for key in _metric_keys(frame)
    ]


def _metric_keys(frame: pd.DataFrame) -> list[str]:
    present = set(frame["metric"])
    return [k for k in METRIC_KEYS if k in present] + sorted(present - set(METRIC_KEYS))


def headline_month(h: Headline) -> str:
    if h.period_start is None:
        return "n/a"
    return f"{h.period_start:%b %Y}" + (" (partial)" if h.partial else "")


def headlines_markdown(items: list[Headline]) -> str:
    lines = ["| # | metric | month | value | of | previous month | change |", "|---|---|---|---|---|---|---|"]
    for number, h in enumerate(items, start=1):
        m = metric(h.metric)
        lines.append(
            f"| {number} | {m.title} | {headline_month(h)} | {format_value(m, h.value)} | "
            f"{format_fraction(h.point.numerator, h.point.denominator)} | "
            f"{format_value(m, h.previous_value)} | {format_change(m, h.change, h.change_ratio)} |"
        )
    return "\n".join(lines)


def report_data(metric_values: pd.DataFrame, context: ReportContext) -> dict:
    """Everything the page draws, as JSON-ready data: months, series aligned to them (value,
    numerator, denominator, partial) for every metric and slice, and each slice's headline."""
    frame = _normalized(metric_values)
    as_of, latest_complete_month = timeline(metric_values, context)
    months = sorted(set(frame["period_start"]))
    index = {m: i for i, m in enumerate(months)}
    slices = {d: sorted(set(frame.loc[frame["dimension"] == d, "dimension_value"])) for d in BREAKDOWNS}
    metrics, series = [], {}
    for key in _metric_keys(frame):
        m = metric(key)
        mature = [as_of is not None and is_mature(m, month, as_of, latest_complete_month) for month in months]
        rows = frame[frame["metric"] == key]
        by_slice: dict[str, dict[str, dict]] = {}
        for (dimension, value), group in rows.groupby(["dimension", "dimension_value"], sort=True):
            points = _points(group)
            h = pick_headline(m, points, as_of, latest_complete_month)
            by_slice.setdefault(str(dimension), {})[str(value)] = {
                "value": [points.get(month, Point(None)).value for month in months],
                "numerator": [points.get(month, Point(None)).numerator for month in months],
                "denominator": [points.get(month, Point(None)).denominator for month in months],
                "headline": {
                    "period": h.period_start.isoformat() if h.period_start else None,
                    "partial": h.partial,
                    "small": h.small,
                    "value": h.value,
                    "previous": h.previous_value,
                    "value_text": format_value(m, h.value),
                    "fraction_text": format_fraction(h.point.numerator, h.point.denominator),
                    "change_text": format_change(m, h.change, h.change_ratio),
                    "change": h.change,
                },
            }
        series[key] = by_slice
        metrics.append({"key": key, "title": m.title, "definition": m.definition, "kind": m.kind,
                        "better": m.better, "unit": m.unit, "dimensions": sorted(by_slice),
                        "partial": [not flag for flag in mature]})  # fmt: skip
    running = add_months(latest_complete_month, 1) if latest_complete_month else None
    return {
        "months": [m.isoformat() for m in months],
        "running_month": running.isoformat() if running in index else None,
        "min_denominator": MIN_DENOMINATOR,
        "metrics": metrics,
        "slices": slices,
        "series": series,
        "context": {
            k: (v.isoformat() if isinstance(v, (date, datetime)) else v) for k, v in context.__dict__.items()
        },
    }


# ------------------------------------------------------------------------------------ the page


def _json_for_script(data: dict) -> str:
    """JSON that cannot end its <script> element early."""
    text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _stamp(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC" if value else "unknown"


def build_report_html(
    metric_values: pd.DataFrame, context: ReportContext | None = None, plan: dict | None = None
) -> str:
    """The whole page for a metric_values frame (columns: metric, period_start, dimension,
    dimension_value, numerator, denominator, value), with the plan page when given."""
    context = context or ReportContext()
    if context.generated_at is None:
        context = ReportContext(
            **{**context.__dict__, "generated_at": datetime.now(UTC).replace(tzinfo=None)}
        )
    data = report_data(metric_values, context)
    title = "Sales metrics" + (f" as of {context.as_of:%d %b %Y}" if context.as_of else "")
    return TEMPLATES.get_template("report.html.j2").render(
        title=title,
        as_of=_stamp(context.as_of),
        data=_json_for_script(data),
        min_denominator=MIN_DENOMINATOR,
        held_loads=context.held_loads,
        plan=plan,
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


def _parse(value: str | None):
    """An ISO date or timestamp of the manifest (dates stay dates)."""
    if not value:
        return None
    return date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)


def snapshot_plan(
    con: duckdb.DuckDBPyConnection, snapshot: publish.Snapshot, as_of: date | datetime | None
) -> dict | None:
    """The plan page's data from the snapshot's planning marts (views over its Parquet files), or
    None when the snapshot has not all of them."""
    if not all(snapshot.table_path(table).exists() for table in PLAN_TABLES):
        return None
    con.execute("create schema if not exists marts")
    for table in PLAN_TABLES:
        path = quote_literal(str(snapshot.table_path(table)))
        con.execute(f"create or replace view marts.{table} as select * from read_parquet({path})")
    plan = read_plan(con, as_of.date() if isinstance(as_of, datetime) else as_of, forecast_months=12)
    return report_plan(plan) if plan else None


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
        plan = snapshot_plan(con, snapshot, _parse(manifest.get("as_of")))
    context = ReportContext(
        as_of=_parse(manifest.get("as_of")),
        latest_complete_month=_parse(manifest.get("latest_complete_month")),
        latest_occurred_at=_parse(manifest.get("latest_occurred_at")),
        latest_loaded_at=_parse(manifest.get("latest_loaded_at")),
        published_at=snapshot.published_at,
        snapshot=snapshot.name,
        run_id=manifest.get("run_id"),
        generated_at=datetime.now(UTC).replace(tzinfo=None),
        held_loads=tuple(manifest.get("held_loads", ())),
    )
    path = output or serving_dir / REPORT_DIR / REPORT_FILE
    write_html(path, build_report_html(metric_values, context, plan))
    return ReportResult(path, snapshot, headlines(metric_values, context), context)


def publish_with_report(warehouse: Path, serving_dir: Path, **options) -> publish.PublishResult:
    """Publish the marts and write the report from the new snapshot before it goes live, so the report
    and `current` never lag what sales.duckdb serves, even after a crash in between."""
    return publish.publish_marts(
        warehouse,
        serving_dir,
        before_live=lambda snapshot: write_report(serving_dir, snapshot=snapshot),
        **options,
    )
