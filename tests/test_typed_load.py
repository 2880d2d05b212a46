"""A typed Parquet file is loaded as typed (lib/ingestion/validation.py), and DuckDB's limits are
settings that reach every DuckDB process of a run (docs/contract.md, "Settings")."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime

import duckdb
import pytest

from dagster_project.lib.dbt_build import dbt_vars
from dagster_project.lib.ingestion.loader import load_landing_dir
from dagster_project.lib.ingestion.raw_schema import ensure_raw_schema
from dagster_project.lib.settings import DBT_PROJECT_DIR, DuckDBConfig, Settings, SettingsError
from tests.test_ingestion import fetch

# Three rows with typed columns: a call with the unknown column set, a purchase without it, and a
# purchase whose (typed) amount is negative.
TYPED_FILE = """
select * from (values
    ('e-1', 'call', timestamp '2025-03-01 10:00:00', 'c-1', 'outbound', 'busy', null::double,
     null::boolean, timestamptz '2025-03-01 12:00:00+02', 'asked for a call back'),
    ('e-2', 'purchase', timestamp '2025-03-02 11:30:00.5', 'c-2', null, null, 12.5, null, null, null),
    ('e-3', 'purchase', timestamp '2025-03-03 09:00:00', 'c-3', null, null, -5.0, null, null, 'x'),
    ('e-4', 'referral', timestamp '2025-03-04 09:00:00', 'c-4', null, null, null, true, null, null)
) t(event_id, event_type, occurred_at, contact_id, direction, outcome, amount, is_valid, updated_at,
    crm_note)
"""


def test_a_typed_parquet_file_keeps_its_types_and_only_its_unknown_columns(tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    duckdb.sql(f"copy ({TYPED_FILE}) to '{landing / 'typed.parquet'}' (format parquet)")
    [result] = load_landing_dir(landing, tmp_path / "w.duckdb")
    assert (result.status, result.rows_read, result.rows_accepted, result.rows_rejected) == (
        "loaded",
        4,
        3,
        1,
    )

    rows = fetch(
        tmp_path / "w.duckdb",
        "select event_id, occurred_at, amount, is_valid, updated_at, raw_record, row_number"
        " from raw.sales_events order by event_id",
    )
    assert rows == [
        ("e-1", datetime(2025, 3, 1, 10), None, None, datetime(2025, 3, 1, 10), '{"crm_note":"asked for a call back"}', 1),
        ("e-2", datetime(2025, 3, 2, 11, 30, 0, 500000), 12.5, None, None, None, 2),  # no unknown value
        ("e-4", datetime(2025, 3, 4, 9), None, True, None, None, 4),
    ]  # fmt: skip
    [(row_number, reason, record)] = fetch(
        tmp_path / "w.duckdb", "select row_number, reason, raw_record from raw.rejected_events"
    )
    assert (row_number, reason) == (3, "amount is negative: -5.0")
    assert json.loads(record) == {  # a rejected row keeps the whole record
        "event_id": "e-3", "event_type": "purchase", "occurred_at": "2025-03-03 09:00:00", "contact_id": "c-3",
        "direction": None, "outcome": None, "amount": -5.0, "is_valid": None, "updated_at": None, "crm_note": "x",
    }  # fmt: skip


def test_an_older_warehouse_gets_a_nullable_raw_record(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        ensure_raw_schema(con)
        con.execute("alter table raw.sales_events alter column raw_record set not null")  # as it was
        ensure_raw_schema(con)
        [[nullable]] = con.execute(
            "select is_nullable from information_schema.columns where table_name = 'sales_events'"
            " and column_name = 'raw_record'"
        ).fetchall()
    assert nullable == "YES"


@pytest.mark.parametrize(
    ("field", "value", "variable"),
    [
        ("duckdb_memory_limit", "80%", "SALES_DUCKDB_MEMORY_LIMIT"),
        ("duckdb_memory_limit", "0GB", "SALES_DUCKDB_MEMORY_LIMIT"),
        ("duckdb_memory_limit", "2", "SALES_DUCKDB_MEMORY_LIMIT"),
        ("duckdb_threads", "0", "SALES_DUCKDB_THREADS"),
        ("duckdb_threads", "two", "SALES_DUCKDB_THREADS"),
    ],
)
def test_a_bad_duckdb_setting_is_refused_naming_its_variable(field, value, variable):
    with pytest.raises(SettingsError, match=rf"^{variable}={value!r} is not valid: expected "):
        Settings.from_values(**{field: value})


def test_the_duckdb_settings_reach_the_loader_and_dbt(tmp_path):
    settings = Settings.from_values(
        warehouse=str(tmp_path / "w.duckdb"),
        duckdb_memory_limit="700MB",
        duckdb_threads="1",
        duckdb_temp_dir=str(tmp_path / "spill"),
    )
    assert settings.duckdb == DuckDBConfig("700MB", 1, tmp_path / "spill")
    default = Settings.from_values(warehouse=str(tmp_path / "w.duckdb")).duckdb
    assert (default.memory_limit, default.threads, default.temp_dir) == ("2GB", None, tmp_path / "tmp")

    with duckdb.connect() as con:  # what the loader does with its connection
        settings.duckdb.apply(con)
        applied = con.execute(
            "select current_setting('memory_limit'), current_setting('threads'), current_setting('temp_directory')"
        ).fetchone()
    assert applied == ("667.5 MiB", 1, str(tmp_path / "spill"))

    # dbt's DuckDB profile sets them from the run's vars.
    shown = subprocess.run(
        [sys.executable, "-m", "dbt.cli.main", "show", "--quiet", "--output", "json", "--inline",
         "select current_setting('memory_limit') as m, current_setting('threads') as t,"
         " current_setting('temp_directory') as d",
         "--vars", json.dumps(dbt_vars(settings)), "--project-dir", str(DBT_PROJECT_DIR),
         "--profiles-dir", str(DBT_PROJECT_DIR), "--target", "duckdb"],
        capture_output=True, text=True, check=True, cwd=tmp_path,
    )  # fmt: skip
    assert json.loads(shown.stdout)["show"] == [{"m": "667.5 MiB", "t": 1, "d": str(tmp_path / "spill")}]


def test_a_json_line_the_line_reader_cannot_split_is_a_rejected_row(tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "a.jsonl").write_text(
        '{"event_id": "e1"}\n{"event_id": "e\x012"}\n'
    )  # \x01: the reader's delimiter
    [result] = load_landing_dir(landing, tmp_path / "w.duckdb")
    assert (result.rows_read, result.rows_rejected) == (2, 2)
    reasons = [
        r[0] for r in fetch(tmp_path / "w.duckdb", "select reason from raw.rejected_events order by 1")
    ]
    assert reasons[0].startswith("malformed line (too many columns)") and reasons[1].startswith("missing")
