"""End to end: HubSpot-shaped API data alone, through the Dagster assets and the whole pipeline, gives
the same ten metrics as the same activity written directly as canonical events."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb

from dagster_project.definitions import defs as project_defs
from dagster_project.defs import dbt, ingestion, sources
from dagster_project.defs.resources import warehouse_resource
from dagster_project.defs.sources import CRM_EVENT_KEYS, HubSpotResource
from tests.conftest import warehouse_settings, write_jsonl

from .hubspot_api import UNAUTHORIZED, HubSpotApi
from .hubspot_fixture import REFERRAL_PROPERTY, SYNC1_EVENTS, TOKEN, populate
from .loopback import serve


def _rows(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def metric_values(warehouse: Path) -> list[tuple]:
    return _rows(warehouse, "select * from marts.metric_values order by all")


def test_the_raw_layer_waits_for_both_crms():
    graph = project_defs.resolve_asset_graph()
    assert set(CRM_EVENT_KEYS) <= graph.get(dg.AssetKey(["raw", "sales_events"])).parent_keys


def test_hubspot_alone_gives_the_metrics_of_the_same_activity_as_canonical_events(tmp_path, dagster_instance):
    # What the metrics need (extraction, raw, dbt models); the checks and serving are tested elsewhere.
    metrics = (
        dg.AssetSelection.assets(["marts", "metric_values"])
        .upstream()
        .required_multi_asset_neighbors()
        .without_checks()
    )
    defs = dg.Definitions.merge(
        ingestion.defs, dbt.defs, sources.build_defs(hubspot=True, salesforce=False),
        dg.Definitions(
            jobs=[dg.define_asset_job("from_hubspot", metrics),
                  dg.define_asset_job("from_events", metrics - dg.AssetSelection.groups("hubspot"))],
            resources={"warehouse": warehouse_resource()}, executor=dg.in_process_executor,
        ),
    )  # fmt: skip

    def run(job: str, folder: Path, **resources) -> dg.ExecuteInProcessResult:
        warehouse = warehouse_settings(folder / "landing", folder / "warehouse.duckdb")
        return defs.resolve_job_def(job).execute_in_process(
            instance=dagster_instance, resources={"warehouse": warehouse, **resources}
        )

    api = HubSpotApi(token=TOKEN)
    populate(api)
    crm, canonical = tmp_path / "hubspot", tmp_path / "canonical"
    with serve(api, UNAUTHORIZED) as url:
        hubspot = HubSpotResource(token=TOKEN, api_url=url, referral_property=REFERRAL_PROPERTY)
        result = run("from_hubspot", crm, hubspot=hubspot)
    mapped = result.asset_materializations_for_node("hubspot__canonical_events")[0].metadata
    assert (mapped["records"].value, mapped["records_rejected"].value, mapped["events"].value) == (40, 9, 31)

    write_jsonl(canonical / "landing" / "events.jsonl", SYNC1_EVENTS)
    assert run("from_events", canonical).success

    raw = "select count(*), count(distinct event_id) from raw.sales_events"
    assert _rows(crm / "warehouse.duckdb", raw) == _rows(canonical / "warehouse.duckdb", raw) == [(31, 31)]
    assert _rows(crm / "warehouse.duckdb", "select count(*) from raw.rejected_events") == [(0,)]
    from_crm, from_events = (
        metric_values(crm / "warehouse.duckdb"),
        metric_values(canonical / "warehouse.duckdb"),
    )
    assert from_crm == from_events
    # not a vacuous equality: each of the ten metrics has a month with a non-zero numerator
    assert len({row[0] for row in from_crm if row[4]}) == 10
