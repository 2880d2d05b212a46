"""The targets file: line-by-line checks, the raw tables and the WARN check, the planning settings."""

from __future__ import annotations

from datetime import date

import dagster as dg
import duckdb
import pytest

from dagster_project.defs.planning.assets import REFUSED_CHECK, sales_targets
from dagster_project.defs.planning.resources import PlanningResource
from dagster_project.lib.planning.settings import DEMO_TARGETS_FILE, PlanningSettings, PlanningSettingsError
from dagster_project.lib.planning.targets import parse_targets, read_targets_file
from tests.conftest import warehouse_settings

HEADER = "period_start,period_end,measure,dimension,dimension_value,target"

MALFORMED = "\n".join([
    HEADER,
    "2026-01-01,2026-03-31,new_customers,all,,150",          # 2 ok
    "2026-01-01,2026-03-31,revenue,lead_source,webinar,1e5",   # 3 ok
    "2026-02-30,2026-03-31,new_customers,all,,10",            # 4 no such day
    "2026-03-01,2026-02-01,new_customers,all,,10",            # 5 ends before it starts
    "2026-01-01,2026-03-31,leads,all,,10",                    # 6 unknown measure
    "2026-01-01,2026-03-31,new_customers,region,emea,10",     # 7 unknown dimension
    "2026-01-01,2026-03-31,new_customers,all,rep-01,10",      # 8 value for 'all'
    "2026-01-01,2026-03-31,new_customers,rep_id,,10",         # 9 no value for rep_id
    "2026-01-01,2026-03-31,conversations,all,,-5",            # 10 negative
    "2026-01-01,2026-03-31,conversations,all,,lots",          # 11 not a number
    "2026-01-01,2026-03-31,conversations,all,,",              # 12 missing target
    "2026-01-01,2026-03-31,new_customers,all,,150,extra",     # 13 one value too many
    "",                                                       # 14 blank: not a row
    "2026-01-01,2026-03-31,new_customers,all,,99",            # 15 same as line 2
    " 2026-04-01 , 2026-06-30 , prospect_calls , rep_id , rep-01 , 300 ",  # 16 ok (spaces)
])  # fmt: skip


def test_malformed_file_is_refused_line_by_line():
    parsed = parse_targets(MALFORMED, "targets.csv")
    assert [t.line_number for t in parsed.targets] == [2, 3, 16]
    assert parsed.targets[1].target == 100000.0
    assert parsed.targets[2].dimension_value == "rep-01" and parsed.targets[2].period_end == date(2026, 6, 30)
    reasons = {r.line_number: r.reason for r in parsed.refused}
    assert sorted(reasons) == [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15]
    assert reasons[4] == "period_start '2026-02-30' is not a date (YYYY-MM-DD)"
    assert reasons[5] == "period_end 2026-02-01 is before period_start 2026-03-01"
    assert reasons[6].startswith("measure 'leads' is not one of new_customers, revenue")
    assert reasons[7] == "dimension 'region' is not one of all, rep_id, lead_source"
    assert reasons[8] == "dimension_value must be empty when dimension is all, not 'rep-01'"
    assert reasons[9] == "dimension_value is required when dimension is rep_id"
    assert reasons[10] == "target '-5' must be a number >= 0"
    assert reasons[11] == "target 'lots' is not a number"
    assert reasons[12] == "missing target"
    assert reasons[13] == "7 values where the header has 6 columns"
    assert reasons[15] == "same period, measure and slice as line 2"
    # Every data line is accounted for (the blank one is no row).
    assert parsed.lines_read == 14


def test_a_bad_header_refuses_every_line():
    parsed = parse_targets(
        "period_start,period_end,measure,dimension,target\n2026-01-01,2026-01-31,revenue,all,5\n"
    )
    assert parsed.targets == []
    assert [(r.line_number, r.reason) for r in parsed.refused] == [
        (1, "header: missing column dimension_value (expected " + HEADER + ")"),
        (2, "not read: the header (line 1) is refused"),
    ]


def test_demo_targets_are_all_accepted():
    parsed = read_targets_file(DEMO_TARGETS_FILE)
    assert parsed.refused == [] and len(parsed.targets) >= 10
    assert {t.measure for t in parsed.targets} >= {"new_customers", "revenue", "conversations"}


def test_settings_name_the_variable_and_the_accepted_forms(tmp_path):
    with pytest.raises(
        PlanningSettingsError, match=r"SALES_FISCAL_YEAR_START_MONTH='13' is not a month.*1 \(January\)"
    ):
        PlanningSettings.from_values(None, "13")
    with pytest.raises(PlanningSettingsError, match=r"SALES_TARGETS_FILE='nowhere.csv': no such file"):
        PlanningSettings.from_values("nowhere.csv", None)
    default = PlanningSettings.from_values(None, "")
    assert (default.targets_file, default.fiscal_year_start_month) == (DEMO_TARGETS_FILE, 1)
    assert PlanningSettings.from_values(str(DEMO_TARGETS_FILE), " 7 ").dbt_vars() == {
        "fiscal_year_start_month": 7
    }


def test_asset_writes_accepted_and_refused_lines_and_warns(tmp_path):
    targets_file = tmp_path / "targets.csv"
    targets_file.write_text(MALFORMED, encoding="utf-8")
    warehouse = tmp_path / "warehouse.duckdb"
    resources = {
        "planning": PlanningResource(targets_file=str(targets_file)),
        "warehouse": warehouse_settings(tmp_path / "landing", warehouse),
    }
    result = dg.materialize([sales_targets], resources=resources, raise_on_error=False)
    assert result.success  # refused lines never fail the run
    [check] = result.get_asset_check_evaluations()
    assert check.check_name == REFUSED_CHECK and not check.passed
    assert check.severity == dg.AssetCheckSeverity.WARN
    listing = check.metadata["refused_lines"].value
    assert "| 4 | period_start '2026-02-30' is not a date (YYYY-MM-DD) |" in listing
    assert check.metadata["lines_refused"].value == 11
    with duckdb.connect(str(warehouse), read_only=True) as con:
        accepted = con.execute("select line_number from raw.sales_targets order by 1").fetchall()
        refused = con.execute("select line_number from raw.refused_targets order by 1").fetchall()
    assert [n for (n,) in accepted] == [2, 3, 16]
    assert [n for (n,) in refused] == [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15]

    # The file is the truth: fixed, the next load replaces both tables and the check passes.
    targets_file.write_text(HEADER + "\n2026-01-01,2026-03-31,new_customers,all,,150\n", encoding="utf-8")
    result = dg.materialize([sales_targets], resources=resources)
    assert result.get_asset_check_evaluations()[0].passed
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from raw.sales_targets").fetchone()[0] == 1
        assert con.execute("select count(*) from raw.refused_targets").fetchone()[0] == 0
