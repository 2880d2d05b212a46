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
import pytest

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


# Raw rows the loader would refuse, written around it, each breaking one staging rule: the rules of
# stg_sales_events_rules (dbt/tests/generic/row_rules.sql), by name, and the singular test. The
# meeting's null direction is no broken rule (null is not checked there, as in dbt's accepted_values).
# A value outside event_type's, direction's or purpose's vocabulary fails the build itself on DuckDB,
# which stores them as ENUMs (macro as_vocabulary): see the test after this one.
PLANTED = {
    "outcome_fits_its_event_type": "('m1', 'meeting', 'connected', null, null, null)",
    "required_fields_of_each_type": "('p1', 'purchase', null, null, null, null)",
    "amounts_not_negative": "('p2', 'purchase', null, null, null, -5)",
}
NOT_SENT = "('l1', 'offer_lost', null, null, 'o-never-sent', null)"  # stg_sales_events_offers_were_sent


def _test_results(stdout: str) -> dict[str, str]:
    """{test name: pass, fail or warn} from a dbt run's JSON log."""
    results = {}
    for line in stdout.splitlines():
        node = json.loads(line).get("data", {}).get("node_info", {})
        if node.get("resource_type") == "test" and node.get("node_status") in ("pass", "fail", "warn"):
            results[node["node_name"]] = node["node_status"]
    return results


def _problems(warehouse: Path, sql: str) -> dict[str, int]:
    """A compiled rules test (one row per broken rule) run on the warehouse: {problem: failures}."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return dict(con.execute(f"select problem, failures from ({sql}) as found").fetchall())


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
            from (values {", ".join([*PLANTED.values(), NOT_SENT])})
            """
        )
    built = dbt("build", "--select", "stg_sales_events", "--exclude-resource-type", "unit_test",
                "--log-format", "json", warehouse=warehouse)  # fmt: skip
    results = _test_results(built.stdout)
    assert results == {
        "stg_sales_events_rules": "fail",
        "stg_sales_events_offers_were_sent": "warn",  # an unknown offer only warns
    }
    [compiled] = (tmp_path / "target" / "compiled").rglob("stg_sales_events_rules.sql")
    assert _problems(warehouse, compiled.read_text()) == dict.fromkeys(PLANTED, 1)


def test_a_value_outside_the_vocabulary_fails_the_staging_build_naming_it(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        ensure_raw_schema(con)
        con.execute(
            """
            insert into raw.sales_events (event_id, event_type, direction, outcome, occurred_at, contact_id,
                                          source_file, row_number, load_id, loaded_at)
            values ('c1', 'call', 'sideways', 'busy', timestamp '2025-01-01 10:00:00', 'c', 'planted.jsonl', 1, 1,
                    now()::timestamp)
            """
        )
    built = dbt(
        "build", "--select", "stg_sales_events", "--exclude-resource-type", "unit_test", warehouse=warehouse
    )
    assert built.returncode == 1
    assert "stg_sales_events: direction 'sideways' is not one of outbound, inbound" in built.stdout
    with duckdb.connect(str(warehouse), read_only=True) as con:  # nothing staged, the raw row kept
        assert con.execute("select count(*) from raw.sales_events").fetchone()[0] == 1
        assert not con.execute(
            "select * from information_schema.tables where table_name = 'stg_sales_events'"
        ).fetchall()


@pytest.fixture(scope="module")
def compiled(tmp_path_factory) -> tuple[Path, dict[str, str], dict[str, str]]:
    """The generic data tests proven below, compiled once: (warehouse, {test: SQL}, {model: relation}).
    Each test then writes the tables its rules read and runs the SQL on them."""
    warehouse = tmp_path_factory.mktemp("generic_tests") / "warehouse.duckdb"
    done = dbt("compile", "--select", "offer_loss_rate,test_name:metric_mart_shape", "metric_values_rules",
               "int_conversion_hazards_rules", "stg_sales_events_rules", warehouse=warehouse)  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:]
    nodes = json.loads((warehouse.parent / "target" / "manifest.json").read_text())["nodes"].values()
    tests = {
        node["name"]: node["compiled_code"] for node in nodes if node.get("compiled_code")
    }  # those selected
    relations = {node["name"]: node["relation_name"] for node in nodes if node["resource_type"] == "model"}
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema if not exists staging; create schema if not exists intermediate;"
                    " create schema if not exists marts")  # fmt: skip
    return warehouse, tests, relations


def _write(warehouse: Path, relation: str, columns: str, rows: list[str], select: str = "*") -> None:
    """The table the test reads, made of the planted rows."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            f"create or replace table {relation} as select {select} from (values {', '.join(rows)}) t({columns})"
        )


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


def test_the_metric_mart_shape_test_names_each_broken_rule(compiled):
    """One query checks a mart's whole shape (dbt/tests/generic/metric_mart_shape.sql); each planted
    row comes back with the rule it breaks."""
    warehouse, tests, relations = compiled
    _write(warehouse, relations["int_months"], "period_start", ["(date '2025-01-01')", "(date '2025-02-01')"])
    _write(
        warehouse,
        relations["offer_loss_rate"],
        "p, d, v, n, q, r, w, l, o",
        GOOD + list(BROKEN_MART_ROWS.values()),
        select="cast(p as date) as period_start, d as dimension, v as dimension_value, n::double as numerator,"
        " q::double as denominator, r::double as value, w as won_offers, l as lost_offers, o as open_offers",
    )
    [sql] = [sql for name, sql in tests.items() if name.startswith("metric_mart_shape_offer_loss_rate")]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        problems = dict(
            con.execute(f"select problem, count(*) from ({sql}) as found group by problem").fetchall()
        )
    # r-6's March row is outside the spine and its slice lacks January and February; the six other
    # slices besides 'all' (planted in January) lack February.
    assert problems == {
        **{rule: 1 for rule in BROKEN_MART_ROWS if rule != "missing month"},
        "outside the month spine": 1,
        "missing month": 2 + 6,
    }


# marts.metric_values rows (metric, period_start, dimension, dimension_value, numerator, denominator,
# value): two good rows, then rows each breaking one rule of metric_values_rules, by the rule's name.
METRIC_COLUMNS = "metric, period_start, dimension, dimension_value, numerator, denominator, value"
GOOD_METRIC_ROWS = [
    "('conversations', date '2025-01-01', 'all', null, 3.0, null, 3.0)",
    "('offer_loss_rate', date '2025-01-01', 'rep_id', 'r1', 1.0, 2.0, 0.5)",
    "('days_to_customer', date '2025-01-01', 'rep_id', 'r0', 0.0, 0.0, null)",  # no member: no value
]
BROKEN_METRIC_ROWS = {
    "numerator is null": "('days_to_customer', date '2025-01-01', 'rep_id', 'r2', null, 0.0, null)",
    "metric is not one of conversations, prospect_calls, prospecting_emails, conversations_to_close, "
    "days_to_customer, prospect_conversion_rate, offer_loss_rate, never_engaged_rate, "
    "repeat_purchase_90d_rate, referral_6m_rate": "('revenue', date '2025-01-01', 'all', null, 1.0, 1.0, 1.0)",
    "dimension is not one of all, rep_id, lead_source": "('conversations', date '2025-01-01', 'region', 'north', 1.0, null, 1.0)",
    "numerator is below 0": "('days_to_customer', date '2025-01-01', 'rep_id', 'r3', -2.0, 1.0, -2.0)",
    "value_is_ratio": "('offer_loss_rate', date '2025-01-01', 'rep_id', 'r4', 1.0, 4.0, 0.5)",
    "rates_are_fractions": "('offer_loss_rate', date '2025-01-01', 'rep_id', 'r5', 3.0, 2.0, 1.5)",
    "dimension_value_null_exactly_for_all": "('conversations', date '2025-01-01', 'rep_id', null, 1.0, null, 1.0)",
    "denominator_null_only_for_counts": "('conversations', date '2025-01-01', 'rep_id', 'r6', 2.0, 4.0, 0.5)",
}
# A rate with a negative numerator breaks two rules, and counts in both.
TWICE_BROKEN = "('offer_loss_rate', date '2025-01-01', 'rep_id', 'r7', -1.0, 2.0, -0.5)"


def test_the_row_rules_test_names_each_broken_rule_with_its_rows(compiled):
    """Every kind of rule of dbt/tests/generic/row_rules.sql (not null, accepted values, bounds,
    named expressions) in one query: each planted row comes back under the rule it breaks."""
    warehouse, tests, relations = compiled
    rows = GOOD_METRIC_ROWS + list(BROKEN_METRIC_ROWS.values()) + [TWICE_BROKEN]
    _write(warehouse, relations["metric_values"], METRIC_COLUMNS, rows)
    assert _problems(warehouse, tests["metric_values_rules"]) == {
        **dict.fromkeys(BROKEN_METRIC_ROWS, 1),
        "numerator is below 0": 2,
        "rates_are_fractions": 2,
    }
    _write(warehouse, relations["metric_values"], METRIC_COLUMNS, GOOD_METRIC_ROWS)
    assert _problems(warehouse, tests["metric_values_rules"]) == {}


def test_the_row_rules_bounds_are_closed_and_let_nulls_through(compiled):
    """[0, 1] holds 0 and 1; a null is only the not-null rule's business."""
    warehouse, tests, relations = compiled
    rows = ["(0.0)", "(1.0)", "(0.5)", "(null)", "(-0.1)", "(1.2)", "(7.0)"]
    _write(warehouse, relations["int_conversion_hazards"], "hazard", rows)
    assert _problems(warehouse, tests["int_conversion_hazards_rules"]) == {
        "hazard is null": 1,
        "hazard is below 0": 1,
        "hazard is above 1": 2,
    }


def _key_problems(problems: dict[str, int]) -> dict[str, int]:
    return {
        rule: n
        for rule, n in problems.items()
        if rule.startswith("more than one row") or rule.endswith(" is null")
    }


def test_the_key_rule_names_duplicates_and_null_key_columns(compiled):
    """A duplicated key, the 'all' slice (null dimension_value, nullable) twice included, and a null
    in each key column that may not be null (`key` of dbt/tests/generic/row_rules.sql)."""
    warehouse, tests, relations = compiled
    rows = [
        "('conversations', date '2025-01-01', 'all', null)",
        "('conversations', date '2025-01-01', 'all', null)",  # duplicate: nulls are equal
        "('conversations', date '2025-02-01', 'all', null)",
        *["('conversations', date '2025-01-01', 'rep_id', 'r1')"] * 3,  # one key, three rows
        "('conversations', date '2025-01-01', 'rep_id', 'r2')",
        "(null, date '2025-01-01', 'all', null)",
        "('conversations', null, 'rep_id', 'r3')",
        "('conversations', date '2025-01-01', null, 'r4')",
    ]
    _write(warehouse, relations["metric_values"], "metric, period_start, dimension, dimension_value", rows,
           select="*, 1.0 as numerator, cast(null as double) as denominator, 1.0 as value")  # fmt: skip
    assert _key_problems(_problems(warehouse, tests["metric_values_rules"])) == {
        "more than one row per (metric, period_start, dimension, dimension_value)": 2,
        "metric is null": 1,
        "period_start is null": 1,
        "dimension is null": 1,
    }


def test_the_key_of_the_latest_batch_is_looked_up_in_the_whole_table(compiled):
    """of_latest_batch: a key of the latest build's rows that is also on an older row (a version an
    incremental build left behind) or twice in the build fails; duplicates and nulls among older
    rows alone were the older builds' business, and so are their other rules."""
    warehouse, tests, relations = compiled
    rows = [
        "('e1', 1)", "('e2', 1)", "('e2', 1)", "(null, 1)", "('e3', 1)",  # older build
        "('e3', 2)", "('e4', 2)", "('e4', 2)", "(null, 2)", "('e5', 2)",  # latest build
    ]  # fmt: skip
    staged = (
        "event_id, 'lead_created' as event_type, timestamp '2025-01-01 10:00:00' as occurred_at, 'c' as contact_id,"
        " 'web' as lead_source, 'sales' as purpose, cast(null as varchar) as direction, cast(null as varchar) as outcome,"
        " cast(null as varchar) as offer_id,"
        " cast(null as double) as amount, cast(null as boolean) as is_valid, batch_load_id"
    )
    _write(warehouse, relations["stg_sales_events"], "event_id, batch_load_id", rows, select=staged)
    assert _problems(warehouse, tests["stg_sales_events_rules"]) == {
        "more than one row per (event_id)": 2,  # e3 and e4
        "event_id is null": 1,
    }
