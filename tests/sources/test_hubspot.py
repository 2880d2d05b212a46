"""HubSpot through a loopback imitation of its API: extraction (dlt), every mapping rule, two syncs."""

from __future__ import annotations

import shutil
from datetime import datetime
from types import SimpleNamespace

import dlt
import duckdb
import pytest
from dlt.common.runtime import anon_tracker
from dlt.pipeline.exceptions import PipelineStepFailed

from dagster_project.lib.ingestion.loader import load_landing_dir
from dagster_project.lib.sources.hubspot import HubSpotSettings, epoch_ms, hubspot_mapping, hubspot_source
from dagster_project.lib.sources.mapping import SEEDS_DIR, map_to_landing
from dagster_project.lib.sources.staging import crm_pipeline, staging_database

from .hubspot_api import RATE_LIMITED, UNAUTHORIZED, HubSpotApi
from .hubspot_fixture import (
    CUSTOM_DISPOSITION,
    REFERRAL_PROPERTY,
    SYNC1_EVENTS,
    SYNC1_NOT_MAPPED,
    SYNC2_EVENTS,
    TOKEN,
    edit_for_sync2,
    populate,
)
from .loopback import Throttle, serve
from .sync import events_in, expected, outcomes, sync

CALL_SEARCH = "/crm/v3/objects/calls/search"


@pytest.fixture(scope="module")
def hubspot(tmp_path_factory):
    """Two syncs of the fixture account: pages of 3, a search window of 6, one 429 on the calls."""
    api = HubSpotApi(token=TOKEN, search_window=6)
    populate(api)
    folder = tmp_path_factory.mktemp("hubspot")
    warehouse, landing = folder / "warehouse.duckdb", folder / "landing"
    with serve(api, UNAUTHORIZED, Throttle(CALL_SEARCH, RATE_LIMITED)) as url:
        settings = HubSpotSettings(TOKEN, url, REFERRAL_PROPERTY, page_size=3, search_window=6)
        mapping = hubspot_mapping(settings)
        first = sync(hubspot_source(settings), mapping, warehouse, landing, datetime(2025, 3, 6))
        first_calls, api.calls = api.calls, []
        first_records = sum(len(records) for records in api.objects.values())
        edit_for_sync2(api)
        second = sync(hubspot_source(settings), mapping, warehouse, landing, datetime(2025, 3, 11))
    return SimpleNamespace(api=api, settings=settings, mapping=mapping, warehouse=warehouse, landing=landing,
                           first=first, second=second, first_calls=first_calls, second_calls=api.calls,
                           first_records=first_records)  # fmt: skip


def test_first_sync_gives_the_events_of_every_rule(hubspot):
    assert events_in(hubspot.first.events_file) == expected(SYNC1_EVENTS)


def test_every_record_is_mapped_or_has_its_reason(hubspot):
    result = hubspot.first
    records = hubspot.first_records
    assert (result.records, result.mapped, result.no_event, result.rejected) == (40, 27, 4, 9)
    assert records == result.records and result.balanced()
    ledger = outcomes(hubspot.warehouse, "hubspot", result.sync_id)
    assert len(ledger) == records
    not_mapped = {key: value for key, value in ledger.items() if value[0] != "mapped"}
    assert not_mapped == SYNC1_NOT_MAPPED


def test_extraction_pages_retries_and_restarts_past_the_search_window(hubspot):
    searches = [(c.body.get("after"), c.body["filterGroups"][0]["filters"][0]["value"])
                for c in hubspot.first_calls if c.path == CALL_SEARCH]  # fmt: skip
    restart = epoch_ms("2025-02-07T10:00:00Z")  # call 206, the last of the first window
    # the first request got a 429 and was sent again after Retry-After; pages of 3; a window of 6
    assert searches == [(None, "0"), (None, "0"), ("3", "0"), (None, restart), ("3", restart)]
    batches = [c for c in hubspot.first_calls if c.path == "/crm/v4/associations/calls/contacts/batch/read"]
    assert [len(c.body["inputs"]) for c in batches] == [3, 3, 3, 2]  # one batch per page (206 twice)
    assert {"/crm/v3/owners", "/crm/v3/pipelines/deals", "/calling/v1/dispositions"} <= {
        c.path for c in hubspot.first_calls
    }


def test_second_sync_asks_only_for_what_changed(hubspot):
    filters = {c.path.split("/")[4]: c.body["filterGroups"][0]["filters"][0]["value"]
               for c in hubspot.second_calls if c.path.endswith("/search")}  # fmt: skip
    assert filters["calls"] == epoch_ms("2025-02-17T10:00:00Z")  # the last modification seen
    assert filters["contacts"] == epoch_ms("2025-02-15T08:00:00Z")
    with duckdb.connect(str(staging_database(hubspot.warehouse, "hubspot")), read_only=True) as con:
        last_load = con.execute("select max(load_id) from hubspot._dlt_loads").fetchone()[0]
        loaded = {
            table: sorted(r[0] for r in con.execute(f"select id from hubspot.{table} where _dlt_load_id = ?",
                                                    [last_load]).fetchall())
            for table in ["contacts", "calls", "emails", "meetings", "deals", "quotes"]
        }  # fmt: skip
    assert loaded == {"contacts": ["106"], "calls": ["203"], "emails": [], "meetings": ["404"], "deals": ["503"],
                      "quotes": []}  # fmt: skip


def test_second_sync_events_supersede_the_edited_records(hubspot):
    second = events_in(hubspot.second.events_file)
    assert second == expected(SYNC2_EVENTS)
    first = {e["event_id"]: e for e in events_in(hubspot.first.events_file)}
    edited = next(e for e in second if e["event_id"] == "hubspot:call:203")
    assert (first["hubspot:call:203"]["outcome"], edited["outcome"]) == ("voicemail", "connected")
    assert edited["updated_at"] > first["hubspot:call:203"]["updated_at"]  # the later version wins in staging
    # the still-rejected records are tried again (a seed may have been extended) and stay rejected
    result = hubspot.second
    assert (result.records, result.mapped, result.no_event, result.rejected) == (4 + 9, 4, 0, 9)


def test_events_load_unchanged_into_the_raw_layer(hubspot, tmp_path):
    results = load_landing_dir(hubspot.landing, tmp_path / "warehouse.duckdb")
    assert [(r.source_file.split("/")[0], r.rows_read, r.rows_rejected) for r in results] == [
        ("hubspot", len(SYNC1_EVENTS), 0),
        ("hubspot", len(SYNC2_EVENTS), 0),
    ]


def test_extending_a_seed_maps_the_records_it_rejected(hubspot, tmp_path):
    seeds = shutil.copytree(SEEDS_DIR, tmp_path / "seeds")
    with (seeds / "hubspot_call_dispositions.csv").open("a") as f:
        f.write(f"{CUSTOM_DISPOSITION},Reached gatekeeper,gatekeeper\n")
    with (seeds / "hubspot_deal_stages.csv").open("a") as f:
        f.write("77,101,lost\n")
    database = staging_database(hubspot.warehouse, "hubspot")
    result = map_to_landing(
        hubspot.mapping, database, tmp_path / "landing", datetime(2025, 3, 12), seeds_dir=seeds
    )
    mapped = {e["event_id"]: (e["event_type"], e["outcome"]) for e in events_in(result.events_file)}
    assert mapped == {"hubspot:call:206": ("call", "gatekeeper"), "hubspot:deal:504": ("offer_lost", None)}
    assert (result.records, result.mapped, result.rejected) == (9, 2, 7)


def test_staging_is_dlts_own_file_and_telemetry_is_off(hubspot):
    assert not hubspot.warehouse.exists()  # extraction never opens the warehouse
    assert staging_database(hubspot.warehouse, "hubspot").is_file()
    assert dlt.config["runtime.dlthub_telemetry"] is False
    assert anon_tracker._ANON_TRACKER_ENDPOINT is None  # no anonymous tracker was started


def test_a_wrong_token_fails_the_sync_with_hubspots_answer(tmp_path):
    api = HubSpotApi(token=TOKEN)
    with serve(api, UNAUTHORIZED) as url:
        source = hubspot_source(HubSpotSettings("not-the-token", url))
        with pytest.raises(PipelineStepFailed, match="401"):
            crm_pipeline("hubspot", tmp_path / "warehouse.duckdb").run(source)
    assert api.calls and all(c.path.endswith("/search") or "owners" in c.path or "pipelines" in c.path
                             or "dispositions" in c.path for c in api.calls)  # fmt: skip
