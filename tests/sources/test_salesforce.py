"""Salesforce through a loopback imitation of its REST API, and through a Data Export folder."""

from __future__ import annotations

import csv
from datetime import datetime
from types import SimpleNamespace

import duckdb
import pytest

from dagster_project.lib.sources.salesforce import (
    OBJECTS,
    SalesforceSettings,
    salesforce_api_source,
    salesforce_mapping,
    salesforce_source,
    soql_datetime,
)
from dagster_project.lib.sources.staging import crm_pipeline, staging_database

from .loopback import Throttle, serve
from .salesforce_api import RATE_LIMITED, UNAUTHORIZED, SalesforceApi
from .salesforce_fixture import (
    SYNC1_EVENTS,
    SYNC1_NOT_MAPPED,
    SYNC1_RECORDS,
    SYNC2_EVENTS,
    TOKEN,
    edit_for_sync2,
    populate,
)
from .sync import events_in, expected, outcomes, sync

FIRST, SECOND = datetime(2025, 3, 1), datetime(2025, 4, 2)  # the second sync is after meeting 00U2 ended


@pytest.fixture(scope="module")
def salesforce(tmp_path_factory):
    """Two syncs through the REST API: batches of 2 records, one 429 on the first query."""
    api = SalesforceApi(token=TOKEN, batch_size=2)
    populate(api)
    folder = tmp_path_factory.mktemp("salesforce")
    warehouse, landing = folder / "warehouse.duckdb", folder / "landing"
    with serve(api, UNAUTHORIZED, Throttle("/query", RATE_LIMITED)) as url:
        settings = SalesforceSettings(instance_url=url, token=TOKEN)
        first = sync(salesforce_source(settings), salesforce_mapping(), warehouse, landing, FIRST)
        first_calls, api.calls = api.calls, []
        export = {obj: [dict(r) for r in records.values()] for obj, records in api.records.items()}
        edit_for_sync2(api)
        second = sync(salesforce_source(settings), salesforce_mapping(), warehouse, landing, SECOND)
    return SimpleNamespace(api=api, warehouse=warehouse, first=first, second=second, first_calls=first_calls,
                           second_calls=api.calls, export=export)  # fmt: skip


def _soql(call) -> str:
    return call.query["q"][0] if "q" in call.query else call.path


def test_first_sync_gives_the_events_of_every_rule(salesforce):
    assert events_in(salesforce.first.events_file) == expected(SYNC1_EVENTS)


def test_every_record_is_mapped_or_has_its_reason(salesforce):
    result = salesforce.first
    assert (result.records, result.no_event, result.rejected) == (SYNC1_RECORDS, 6, 7) and result.balanced()
    ledger = outcomes(salesforce.warehouse, "salesforce", result.sync_id)
    assert len(ledger) == SYNC1_RECORDS
    assert {key: value for key, value in ledger.items() if value[0] != "mapped"} == SYNC1_NOT_MAPPED


def test_queries_page_by_next_records_url_and_retry_a_429(salesforce):
    queries = [_soql(c) for c in salesforce.first_calls]
    task_query = next(q for q in queries if " FROM Task " in q)
    assert task_query.startswith(
        "SELECT Id, LastModifiedDate, SystemModstamp, WhoId, WhatId, OwnerId, TaskSubtype"
    )
    assert task_query.endswith(
        "FROM Task WHERE SystemModstamp >= 1970-01-01T00:00:00Z ORDER BY SystemModstamp ASC"
    )
    assert queries[0] == queries[1] and " FROM Lead " in queries[0]  # the 429, then the same query again
    # ten tasks in batches of two: the query, then four nextRecordsUrl pages
    task_pages = [c.path for c in salesforce.first_calls if c.path.startswith("/services/data/v62.0/query/")]
    assert sum(1 for q in queries if " FROM Task " in q) == 1 and len(task_pages) >= 4


def test_second_sync_asks_only_for_what_changed(salesforce):
    queries = {
        q.split(" FROM ")[1].split(" ")[0]: q for q in map(_soql, salesforce.second_calls) if " FROM " in q
    }
    assert (
        "WHERE SystemModstamp >= 2025-01-26T08:00:00Z" in queries["Task"]
    )  # the last task seen, to the second
    assert "WHERE SystemModstamp >= 2025-02-02T00:00:00Z" in queries["OpportunityContactRole"]
    with duckdb.connect(str(staging_database(salesforce.warehouse, "salesforce")), read_only=True) as con:
        last_load = con.execute("select max(load_id) from salesforce._dlt_loads").fetchone()[0]
        loaded = {
            table: sorted(r[0] for r in con.execute(
                f"select id from salesforce.{table} where _dlt_load_id = ?", [last_load]).fetchall())
            for table, _ in OBJECTS.values()
        }  # fmt: skip
    assert {table: ids for table, ids in loaded.items() if ids} == {
        "leads": ["00Q4"], "tasks": ["00T1"], "opportunity_contact_roles": ["00K5"],
    }  # fmt: skip


def test_second_sync_maps_changes_dependents_and_meetings_that_ended(salesforce):
    assert events_in(salesforce.second.events_file) == expected(SYNC2_EVENTS)
    result = salesforce.second
    # changed (2) + the opportunity whose role was added + the meeting that ended + still rejected (6)
    assert (result.records, result.mapped, result.no_event, result.rejected) == (10, 4, 0, 6)


def test_data_export_csvs_give_the_same_events(salesforce, tmp_path):
    export = tmp_path / "export"
    export.mkdir()
    for obj, records in salesforce.export.items():
        fields = sorted({field for record in records for field in record})
        with (export / f"{obj}.csv").open("w", newline="", encoding="utf-8-sig") as f:
            writer = csv.DictWriter(f, fieldnames=[*fields, "IsDeleted"])  # exports carry more fields
            writer.writeheader()
            for record in records:
                # the export's forms: 1/0 checkboxes, ...Z datetimes, empty cells for nulls
                writer.writerow({k: {True: "1", False: "0", None: ""}.get(v, v) if isinstance(v, bool | None)
                                 else str(v).replace(".000+0000", ".000Z") for k, v in record.items()})  # fmt: skip
    settings = SalesforceSettings(export_dir=export)
    result = sync(
        salesforce_source(settings), salesforce_mapping(), tmp_path / "w.duckdb", tmp_path / "landing", FIRST
    )
    assert events_in(result.events_file) == expected(SYNC1_EVENTS)
    assert (result.records, result.rejected) == (SYNC1_RECORDS, 7)


def test_an_org_without_quotes_is_not_an_error(tmp_path):
    api = SalesforceApi(token=TOKEN, missing_objects={"Quote"})
    with serve(api, UNAUTHORIZED) as url:
        source = salesforce_api_source(SalesforceSettings(instance_url=url, token=TOKEN)).with_resources(
            "quotes"
        )
        crm_pipeline("salesforce", tmp_path / "warehouse.duckdb").run(source)
    assert [c.query["q"][0].split(" FROM ")[1].split(" ")[0] for c in api.calls] == ["Quote"]


def test_soql_datetimes_are_literals_to_the_second():
    assert soql_datetime("2025-01-25T08:00:00.000+0000") == "2025-01-25T08:00:00Z"
    assert soql_datetime(datetime.fromisoformat("2025-01-25T10:00:00.123+02:00")) == "2025-01-25T08:00:00Z"
