"""Run quality checks: aggregate in DuckDB, validate the small frames with GX, build the Data Docs.

GX's SQL data source on DuckDB (through SQLAlchemy) reports false failures, and a whole table does
not fit in a DataFrame, so every check first reduces its layer to a small frame in DuckDB SQL
(`data_quality.aggregates`) and GX validates that frame through its pandas data source, in an
ephemeral context: nothing in the repository is written, only the Data Docs folder.

Importing this module imports Great Expectations (several seconds): Dagster imports it inside the
check functions, so a run pays it once per process and loading the definitions never does.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import duckdb
import pandas as pd

from data_quality import data_docs
from data_quality.checks import AFFECTED_ROWS, QualityCheck
from data_quality.context import CheckContext, Skip
from data_quality.gx import (
    DataContextConfig,
    ExpectationSuiteIdentifier,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
    RunIdentifier,
    gx,
)
from data_quality.suites import SUITES

log = logging.getLogger(__name__)

SITE_NAME = "sales_quality"
SAMPLE_SIZE = 10  # unexpected aggregate rows kept per failed expectation


@dataclass(frozen=True)
class ExpectationFailure:
    """One expectation of a suite that did not hold."""

    expectation: str  # the GX expectation type, e.g. expect_column_values_to_be_between
    column: str | None
    rule: str  # e.g. "between 0 and 0.05"
    description: str
    unexpected_count: int | None = None  # unexpected rows of the aggregate frame
    element_count: int | None = None
    affected_rows: int | None = None  # table rows those aggregate rows stand for
    observed_value: Any = None
    unexpected_rows: list[dict] = field(default_factory=list)  # the unexpected aggregate rows (sample)
    error: str | None = None

    def line(self) -> str:
        if self.error:
            return f"{self.description}: could not be evaluated ({self.error})"
        if self.unexpected_count is None:
            return f"{self.description}: observed {self.observed_value}"
        sample = "; ".join(", ".join(f"{k}={v}" for k, v in row.items()) for row in self.unexpected_rows[:3])
        more = " ..." if self.unexpected_count > 3 else ""
        affected = f"; affected rows: {self.affected_rows}" if self.affected_rows is not None else ""
        return f"{self.description}: {self.unexpected_count} of {self.element_count} unexpected ({sample}{more}){affected}"


@dataclass
class CheckOutcome:
    check: QualityCheck
    passed: bool
    summary: str
    evaluated: int = 0  # expectations evaluated
    failures: list[ExpectationFailure] = field(default_factory=list)
    frame: pd.DataFrame | None = None  # the aggregate validated
    samples: dict[str, pd.DataFrame] = field(default_factory=dict)  # offending rows, on failure
    note: str | None = None  # why nothing was validated, or what went wrong
    data_docs_page: Path | None = None

    @property
    def unexpected_count(self) -> int:
        return sum(f.unexpected_count or 0 for f in self.failures)

    @property
    def affected_rows(self) -> int | None:
        counts = [f.affected_rows for f in self.failures if f.affected_rows is not None]
        return sum(counts) if counts else None


def gx_context(docs_dir: Path | None) -> gx.data_context.EphemeralDataContext:
    """An ephemeral GX context (in-memory stores) whose one Data Docs site is `docs_dir`."""
    sites = {}
    if docs_dir is not None:
        sites[SITE_NAME] = {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        data_docs_sites=sites,
        progress_bars=ProgressBarsConfig(globally=False),
        analytics_enabled=False,
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def run_checks(
    checks: list[QualityCheck],
    warehouse: Path,
    ctx: CheckContext,
    docs_dir: Path | None = None,
    notices: list[str] | None = None,
) -> list[CheckOutcome]:
    """Run the checks on the warehouse, opened read-only and closed before returning; write the
    Data Docs into docs_dir (if given), with `notices` (held loads) at the top of the index when given."""
    if not checks:
        return []
    if not Path(warehouse).exists():
        return [_broken(check, f"The warehouse {warehouse} does not exist.") for check in checks]
    docs_dir = Path(docs_dir).resolve() if docs_dir is not None else None
    context = gx_context(docs_dir)
    run_id = RunIdentifier(run_name=ctx.run_id or "manual", run_time=datetime.now(UTC))
    for check in checks:  # every suite, so that each has its page even when nothing is validated
        context.suites.add(SUITES[check.name]())
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute("set enable_progress_bar = false")  # it would print into the run's logs on long scans
        if ctx.duckdb is not None:
            ctx.duckdb.apply(con)  # the reconciliations scan every event: bounded like the loader
        outcomes = [_run_one(context, con, check, ctx, run_id) for check in checks]
    for outcome in outcomes:  # after the read-only connection is closed: a pass keeps its watermark
        if outcome.passed and outcome.frame is not None and outcome.check.keep is not None:
            outcome.check.keep(Path(warehouse), outcome.frame, ctx.run_id)
    if docs_dir is not None:
        _publish(context, outcomes, docs_dir, run_id, notices)
    return outcomes


def _broken(check: QualityCheck, message: str) -> CheckOutcome:
    return CheckOutcome(check, passed=False, summary=message, note=message)


def _run_one(
    context, con: duckdb.DuckDBPyConnection, check: QualityCheck, ctx: CheckContext, run_id: RunIdentifier
) -> CheckOutcome:
    try:
        frame = check.aggregate(con, ctx)
    except duckdb.Error as exc:
        return _broken(check, f"Could not aggregate {check.asset}: {type(exc).__name__}: {exc}")
    if isinstance(frame, Skip):
        return CheckOutcome(
            check, passed=True, summary=f"Nothing to validate: {frame.reason}", note=frame.reason
        )

    suite = context.suites.get(check.name)
    source_name = check.asset.replace("/", ".")
    try:
        source = context.data_sources.get(source_name)
    except KeyError:
        source = context.data_sources.add_pandas(source_name)
    batch = source.add_dataframe_asset(check.name).add_batch_definition_whole_dataframe("aggregate")
    validation = context.validation_definitions.add(
        gx.ValidationDefinition(name=check.name, data=batch, suite=suite)
    )
    result = validation.run(
        batch_parameters={"dataframe": frame},
        expectation_parameters=ctx.expectation_parameters(),
        result_format=_result_format(check, suite),
        run_id=run_id,
    )

    failures = [_failure(r) for r in result.results if not r.success]
    outcome = CheckOutcome(
        check,
        passed=bool(result.success),
        summary=" | ".join(f.line() for f in failures) or _passed_summary(len(result.results), frame),
        evaluated=len(result.results),
        failures=failures,
        frame=frame,
    )
    if failures and check.samples is not None:
        try:
            outcome.samples = check.samples(con, ctx)
        except duckdb.Error as exc:
            outcome.note = f"Could not fetch sample rows: {exc}"
    return outcome


def _passed_summary(evaluated: int, frame: pd.DataFrame) -> str:
    summary = f"{evaluated} expectation{'s' if evaluated > 1 else ''} met"
    if len(frame) == 1:  # a one-row aggregate: say what was observed, e.g. the reject share
        summary += " (" + ", ".join(f"{k}={_plain(v)}" for k, v in frame.iloc[0].items()) + ")"
    return summary + "."


def _result_format(check: QualityCheck, suite: gx.ExpectationSuite) -> dict:
    # The frames are small by construction, so the complete lists of unexpected rows are cheap.
    affected = [e.meta[AFFECTED_ROWS] for e in suite.expectations if e.meta and AFFECTED_ROWS in e.meta]
    index_columns = list(dict.fromkeys([*check.index_columns, *affected]))
    return {
        "result_format": "COMPLETE",
        "unexpected_index_column_names": index_columns,
        "return_unexpected_index_query": False,
    }


def _plain(value: Any) -> Any:
    """numpy and pandas scalars as plain Python values (for metadata, JSON and messages)."""
    if isinstance(value, pd.Timestamp):
        return value.isoformat(sep=" ")
    if hasattr(value, "item"):
        return value.item()
    return value


def _rule(kwargs: dict) -> str:
    if "value_set" in kwargs:
        return "in {" + ", ".join(map(str, kwargs["value_set"])) + "}"
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    if low is not None and high is not None:
        return f"= {low}" if low == high else f"between {low} and {high}"
    if low is not None:
        return f">= {low}"
    if high is not None:
        return f"<= {high}"
    return ""


def _exception_message(info: dict) -> str | None:
    # GX reports one exception, or one per metric (a dict of them).
    infos = [info] if "raised_exception" in info else [v for v in info.values() if isinstance(v, dict)]
    messages = [i.get("exception_message") for i in infos if i.get("raised_exception")]
    return "; ".join(str(m) for m in messages) or None


def _failure(expectation_result) -> ExpectationFailure:
    config = expectation_result.expectation_config
    kwargs = dict(config.kwargs)
    result = expectation_result.result or {}
    error = _exception_message(expectation_result.exception_info or {})
    rows = [{k: _plain(v) for k, v in row.items()} for row in result.get("unexpected_index_list") or []]
    affected_column = (config.meta or {}).get(AFFECTED_ROWS)
    affected = None
    if affected_column and rows and all(affected_column in row for row in rows):
        affected = int(sum(row[affected_column] or 0 for row in rows))
    condition = kwargs.get("row_condition")
    return ExpectationFailure(
        expectation=config.type,
        column=kwargs.get("column"),
        rule=_rule(kwargs) + (f" where {condition}" if condition else ""),
        description=config.description or config.type,
        unexpected_count=result.get("unexpected_count"),
        element_count=result.get("element_count"),
        affected_rows=affected,
        observed_value=_plain(result.get("observed_value")),
        unexpected_rows=rows[:SAMPLE_SIZE],
        error=error,
    )


def _publish(
    context, outcomes: list[CheckOutcome], docs_dir: Path, run_id: RunIdentifier, notices: list[str] | None
) -> None:
    """Render this call's validation and suite pages, point each outcome at its page, update the index.

    Data Docs are a report: failing to write them is logged, never a failed check.
    """
    try:
        docs_dir.mkdir(parents=True, exist_ok=True)
        # No GX index: it would drop the pages of the other layers' steps (see data_docs.py).
        context.build_data_docs(site_names=[SITE_NAME], build_index=False)
        pages = {}
        for key in context.validation_results_store.list_keys():
            pages[key.expectation_suite_identifier.name] = _page(context, key)
        for outcome in outcomes:
            outcome.data_docs_page = pages.get(outcome.check.name)
        suite_pages = [_page(context, ExpectationSuiteIdentifier(o.check.name)) for o in outcomes]
        data_docs.make_offline(docs_dir, [p for p in [*pages.values(), *suite_pages] if p is not None])
        data_docs.record(docs_dir, [_ledger_entry(context, o, docs_dir, run_id) for o in outcomes], notices)
    except Exception as exc:  # noqa: BLE001 - a report must not fail the checks
        log.warning(f"Could not write the Data Docs into {docs_dir}: {type(exc).__name__}: {exc}")


def _page(context, resource_identifier) -> Path | None:
    [site] = context.get_docs_sites_urls(resource_identifier=resource_identifier, site_name=SITE_NAME)
    return Path(unquote(urlparse(site["site_url"]).path)) if site["site_url"] else None


def _ledger_entry(context, outcome: CheckOutcome, docs_dir: Path, run_id: RunIdentifier) -> dict:
    page = outcome.data_docs_page
    suite_page = _page(context, ExpectationSuiteIdentifier(outcome.check.name))
    return {
        "check": outcome.check.name,
        "asset": outcome.check.asset,
        "severity": outcome.check.severity,
        "status": "passed" if outcome.passed else "failed",
        "summary": outcome.summary,
        "run_id": run_id.run_name,
        "validated_at": run_id.run_time.strftime("%Y-%m-%d %H:%M:%S"),
        "page": page.relative_to(docs_dir).as_posix() if page else None,
        "suite_page": suite_page.relative_to(docs_dir).as_posix() if suite_page else None,
    }
