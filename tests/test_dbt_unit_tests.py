"""dbt's own tests: the unit tests (`unit_tests:` in the models' .yml), every metric rule on tiny
inputs, and the staging data tests, each failing on the raw row that breaks its rule.

Pipeline runs skip the unit tests (they test SQL, not data); here they run against an empty
warehouse whose tables give dbt the column types.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb

from dagster_project.lib.ingestion.raw_schema import ensure_raw_schema
from dagster_project.lib.settings import DBT_PROJECT_DIR

DBT = str(Path(sys.executable).parent / "dbt")


def dbt(*args: str, warehouse: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [DBT, *args, "--profiles-dir", ".", "--target-path", str(warehouse.parent / "target"),
         "--vars", json.dumps({"warehouse": str(warehouse)})],
        cwd=DBT_PROJECT_DIR,
        capture_output=True,
        text=True,
    )  # fmt: skip


def test_every_dbt_unit_test_passes(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        ensure_raw_schema(con)
    built = dbt("run", "--empty", warehouse=warehouse)
    assert built.returncode == 0, built.stdout[-3000:]

    result = dbt("test", "--select", "test_type:unit", warehouse=warehouse)
    assert result.returncode == 0, result.stdout[-5000:]
    summary = [line for line in result.stdout.splitlines() if "Done. PASS=" in line]
    passed = int(summary[-1].split("PASS=")[1].split()[0])
    assert passed >= 20, summary  # one or more per metric, plus staging and the facts


# Raw rows the loader would refuse, written around it, each breaking one staging rule.
PLANTED = {
    "stg_sales_events_outcome_fits_its_event_type": "('m1', 'meeting', 'connected', null, null, null)",
    "stg_sales_events_required_fields_of_each_type": "('p1', 'purchase', null, null, null, null)",
    "stg_sales_events_amounts_not_negative": "('p2', 'purchase', null, null, null, -5)",
    "accepted_values_stg_sales_events_direction": "('c1', 'call', 'busy', 'sideways', null, null)",
    "stg_sales_events_offers_were_sent": "('l1', 'offer_lost', null, null, 'o-never-sent', null)",
}


def test_each_staging_rule_fails_on_the_raw_row_that_breaks_it(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        ensure_raw_schema(con)
        con.execute(
            f"""
            insert into raw.sales_events
                (event_id, event_type, outcome, direction, offer_id, amount, occurred_at, contact_id,
                 raw_record, source_file, row_number, load_id, loaded_at)
            select *, timestamp '2025-01-01 10:00:00', 'c', '{{}}', 'planted.jsonl', 1, 1, now()::timestamp
            from (values {", ".join(PLANTED.values())})
            """
        )
    built = dbt("build", "--select", "stg_sales_events", "--exclude-resource-type", "unit_test",
                "--log-format", "json", warehouse=warehouse)  # fmt: skip
    results = {}
    for line in built.stdout.splitlines():
        data = json.loads(line).get("data", {})
        node = data.get("node_info", {})
        if node.get("resource_type") == "test" and node.get("node_status") in ("pass", "fail", "warn"):
            results[node["node_name"]] = node["node_status"]
    broken = {name: status for name, status in results.items() if status != "pass"}
    assert {name.split("__")[0] for name in broken} == set(PLANTED)
    assert broken["stg_sales_events_offers_were_sent"] == "warn"  # an unknown offer only warns


# marts.offer_loss_rate rows (period_start, dimension, dimension_value, numerator, denominator, value,
# won, lost, open) over the month spine Jan-Feb 2025: a good slice, then one row per broken rule.
GOOD = ["('2025-01-01', 'all', null, 1, 2, 0.5, 1, 1, 0)", "('2025-02-01', 'all', null, 0, 0, null, 0, 0, 0)"]
BROKEN_MART_ROWS = {
    "dimension is not all, rep_id": "('2025-01-01', 'lead_source', 'web', 1, 2, 0.5, 1, 1, 0)",
    "dimension_value is not null exactly for the all slice": "('2025-01-01', 'rep_id', null, 1, 2, 0.5, 1, 1, 0)",
    "numerator is negative": "('2025-01-01', 'rep_id', 'r-2', -1, 2, -0.5, 0, 0, 0)",
    "numerator is above denominator": "('2025-01-01', 'rep_id', 'r-3', 3, 2, 1.5, 0, 3, 0)",
    "value is not numerator / denominator": "('2025-01-01', 'rep_id', 'r-4', 1, 4, 0.5, 3, 1, 0)",
    "open_offers is null": "('2025-01-01', 'rep_id', 'r-5', 1, 2, 0.5, 1, 1, null)",
    "more than one row for the slice and month": "('2025-02-01', 'all', null, 0, 0, null, 0, 0, 0)",
    "missing month": "('2025-03-01', 'rep_id', 'r-6', 0, 0, null, 0, 0, 0)",  # and outside the spine
}


def _problems_found(warehouse: Path, model: str, test: str, count: str) -> dict[str, int]:
    """Compile a model's generic data test and run it on the warehouse: {problem: rows}."""
    compiled = dbt("compile", "--select", f"{model},test_name:{test}", warehouse=warehouse)
    assert compiled.returncode == 0, compiled.stdout[-3000:]
    [path] = (warehouse.parent / "target" / "compiled").rglob(f"{test}_*.sql")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return dict(
            con.execute(f"select problem, {count} from ({path.read_text()}) group by problem").fetchall()
        )


def test_the_metric_mart_shape_test_names_each_broken_rule(tmp_path):
    """One query checks a mart's whole shape (dbt/tests/generic/metric_mart_shape.sql); each planted
    row comes back with the rule it breaks."""
    warehouse = tmp_path / "warehouse.duckdb"
    rows = ", ".join(GOOD + list(BROKEN_MART_ROWS.values()))
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema intermediate; create schema marts")
        con.execute("create table intermediate.int_months as select * from (values (date '2025-01-01'),"
                    " (date '2025-02-01')) t(period_start)")  # fmt: skip
        con.execute(
            "create table marts.offer_loss_rate as select cast(p as date) as period_start, d as dimension,"
            " v as dimension_value, n::double as numerator, q::double as denominator, r::double as value,"
            f" w as won_offers, l as lost_offers, o as open_offers from (values {rows}) t(p, d, v, n, q, r, w, l, o)"
        )
    problems = _problems_found(warehouse, "offer_loss_rate", "metric_mart_shape", "count(*)")
    # r-6's March row is outside the spine and its slice lacks January and February; the six other
    # slices besides 'all' (planted in January) lack February.
    assert problems == {
        **{rule: 1 for rule in BROKEN_MART_ROWS if rule != "missing month"},
        "outside the month spine": 1,
        "missing month": 2 + 6,
    }


def test_not_null_columns_names_each_null_column_once(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.metric_values as select * from (values"
            " ('conversations', date '2025-01-01', 'all', 3.0),"
            " (null, date '2025-01-01', 'all', 3.0),"
            " ('conversations', null, 'all', null),"
            " ('conversations', null, 'all', 1.0)) t(metric, period_start, dimension, numerator)"
        )
    found = _problems_found(warehouse, "metric_values", "not_null_columns", "sum(rows_with_null)")
    assert found == {"metric is null": 1, "period_start is null": 2, "numerator is null": 1}
