"""The suites as Dagster asset checks: their definitions, their metadata, the Data Docs, and a real
run in which a load over the reject limit holds staging and the marts (the raw gate)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import duckdb

from dagster_project.defs import quality
from dagster_project.defs.resources import WAREHOUSE_POOL
from dagster_project.lib.metadata import check_metadata
from data_quality import data_docs
from data_quality.checks import ALL_CHECKS, CHECKS_BY_LAYER
from data_quality.context import CheckContext
from tests.test_quality_suites import NOW, RUN, loaded_file, staged, steady_events, warehouse

CALL = {
    "event_type": "call",
    "contact_id": "c-1",
    "rep_id": "r-1",
    "direction": "outbound",
    "outcome": "busy",
}


def test_loading_the_checks_does_not_import_great_expectations():
    code = (
        "import sys, dagster_project.defs.quality; quality_imports_pandas = 'pandas' in sys.modules; "
        "import dagster_project.definitions as d; d.defs.resolve_asset_graph(); "
        "print('great_expectations' in sys.modules, quality_imports_pandas)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_two_multi_asset_checks_in_the_warehouse_pool():
    checks_defs = list(quality.defs.asset_checks)
    assert {d.node_def.name for d in checks_defs} == {"gx_raw_checks", "gx_reconciliation_checks"}
    assert {d.node_def.pool for d in checks_defs} == {WAREHOUSE_POOL}
    specs = {(s.asset_key.to_user_string(), s.name): s for d in checks_defs for s in d.check_specs}
    assert {name for _, name in specs} == {c.name for c in ALL_CHECKS}
    assert all(name.startswith("gx_") for _, name in specs)
    assert {asset for asset, _ in specs} == {
        "raw/sales_events",
        "staging/stg_sales_events",
        "marts/metric_values",
    }
    # None blocks by failing its step: the raw gate holds the marts instead (the run succeeds).
    assert not any(spec.blocking for spec in specs.values())
    assert all(spec.description for spec in specs.values())


def test_severities():
    severity = {c.name: c.severity for c in ALL_CHECKS}
    assert severity["gx_raw_reject_share"] == "ERROR"
    warn = {"gx_raw_failed_files", "gx_raw_future_events", "gx_raw_daily_volume"}
    assert {name for name, s in severity.items() if s == "WARN"} == warn


def run_raw(tmp_path, files, **ctx):
    from data_quality.runner import run_checks

    context = CheckContext(**{"run_id": RUN, "now": NOW, "as_of": None, "max_reject_share": 0.05, **ctx})
    path = warehouse(tmp_path, steady_events(40), files, rejected=12)
    return path, run_checks(CHECKS_BY_LAYER["raw"], path, context, docs_dir=tmp_path / "docs")


def test_metadata_names_the_failed_expectation_counts_and_docs(tmp_path):
    _, outcomes = run_raw(tmp_path, [loaded_file(1, 100, 12)])
    outcome = next(o for o in outcomes if o.check.name == "gx_raw_reject_share")
    metadata = check_metadata(outcome, tmp_path / "docs")
    assert "Rejected rows are at most SALES_MAX_REJECT_SHARE" in metadata["failed_expectations"].value
    assert "between 0.0 and 0.05" in metadata["failed_expectations"].value
    assert metadata["unexpected_count"].value == 1 and metadata["affected_rows"].value == 12
    assert metadata["reject_share"].value == 0.12 and metadata["max_reject_share"].value == 0.05
    assert metadata["rows_read"].value == 100 and metadata["rows_rejected"].value == 12
    assert "missing event_id" in metadata["top_reject_reasons"].value
    assert "file-1.jsonl" in metadata["files_of_this_load"].value
    assert metadata["data_docs_page"].value.endswith(".html")
    assert metadata["data_docs_index"].value == str((tmp_path / "docs" / "index.html").resolve())
    assert metadata["summary"].value == outcome.summary


def test_a_passing_check_reports_what_it_observed(tmp_path):
    _, outcomes = run_raw(tmp_path, [loaded_file(1, 400, 12)])
    outcome = next(o for o in outcomes if o.check.name == "gx_raw_reject_share")
    assert outcome.passed and "reject_share=0.03" in outcome.summary
    assert "failed_expectations" not in check_metadata(outcome, None)


def test_the_warehouse_is_read_only_and_closed_after_the_checks(tmp_path):
    path, _ = run_raw(tmp_path, [loaded_file(1, 100, 1)])
    # DuckDB refuses a read-write connection in a process that still holds a read-only one.
    with duckdb.connect(str(path)) as con:
        assert con.execute("select count(*) from raw.loaded_files").fetchone()[0] == 1


def test_a_missing_warehouse_fails_the_checks_instead_of_creating_it(tmp_path):
    from data_quality.runner import run_checks

    context = CheckContext(run_id=RUN, now=NOW, as_of=None, max_reject_share=0.05)
    outcomes = run_checks(CHECKS_BY_LAYER["marts"], tmp_path / "none.duckdb", context)
    assert not any(o.passed for o in outcomes) and "does not exist" in outcomes[0].summary
    assert not (tmp_path / "none.duckdb").exists()


def test_data_docs_index_is_static_and_links_every_layers_results(tmp_path):
    from data_quality.runner import run_checks

    docs = tmp_path / "docs"
    events = steady_events(40)
    path = warehouse(tmp_path, events, [loaded_file(1, 100, 0)], staged=staged(events))
    context = CheckContext(run_id=RUN, now=NOW, as_of=None, max_reject_share=0.05)
    # Each layer runs in its own step, with its own GX context, into the same folder.
    run_checks(CHECKS_BY_LAYER["raw"], path, context, docs_dir=docs)
    run_checks(CHECKS_BY_LAYER["staging"], path, context, docs_dir=docs)

    index = (docs / "index.html").read_text()
    assert "<script" not in index and "http" not in index  # reads offline
    ledger = json.loads((docs / "checks.json").read_text())
    names = {c.name for c in CHECKS_BY_LAYER["raw"] + CHECKS_BY_LAYER["staging"]}
    assert set(ledger["latest"]) == names and len(ledger["history"]) == len(names)
    for entry in ledger["history"]:
        assert (docs / entry["page"]).exists() and entry["page"] in index
        assert (docs / entry["suite_page"]).exists()
    assert "Home" in (docs / ledger["latest"]["gx_raw_reject_share"]["page"]).read_text()
    # GX's pages fetch nothing from the network: no remote script, stylesheet or image is left.
    pages = list(docs.rglob("*.html"))
    assert len(pages) >= 2 * len(names)  # a result page and a suite page per check
    for page in pages:
        text = page.read_text()
        assert not re.search(r'<(script|img)[^>]*src="https?:|<link[^>]*href="https?:', text), page
    result_page = docs / ledger["latest"]["gx_raw_reject_share"]["page"]
    assert f'href="{os.path.relpath(docs / "offline.css", result_page.parent)}"' in result_page.read_text()
    assert (docs / "offline.css").read_text().strip()


def test_data_docs_keep_only_the_pages_of_the_kept_history(tmp_path, monkeypatch):
    from data_quality.runner import run_checks

    monkeypatch.setattr(data_docs, "HISTORY_LENGTH", 4)
    path = warehouse(tmp_path, steady_events(40), [loaded_file(1, 100, 0)])
    for n in range(2):
        context = CheckContext(run_id=f"run-{n}", now=NOW, as_of=None, max_reject_share=0.05)
        run_checks(CHECKS_BY_LAYER["raw"], path, context, docs_dir=tmp_path / "docs")
    pages = sorted(
        p.relative_to(tmp_path / "docs").as_posix() for p in (tmp_path / "docs/validations").rglob("*.html")
    )
    ledger = json.loads((tmp_path / "docs/checks.json").read_text())
    assert pages == sorted(e["page"] for e in ledger["history"] if e["page"])
    assert all("run-1" in page for page in pages)


# --- a real Dagster run ---------------------------------------------------------------------------


def test_the_project_definitions_hold_the_checks(definitions):
    keys = {key.name for key in definitions.resolve_asset_graph().asset_check_keys}
    assert {c.name for c in ALL_CHECKS} <= keys


def test_great_expectations_imports_in_a_run_worker_without_pyspark():
    """A Dagster run worker's main module has no file; pyspark 4 exits such a process at import, and
    GX probes for pyspark. The checks import GX without it (data_quality/gx.py)."""
    code = "import sys, data_quality.runner; print('imported', 'pyspark' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.split() == ["imported", "False"], done.stderr[-2000:]
