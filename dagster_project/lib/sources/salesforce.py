"""Salesforce as a dlt source: SOQL over the REST API, or the weekly Data Export's CSV files.

REST: one `query` resource per object, `WHERE SystemModstamp >= <last sync>` (dlt incremental;
SystemModstamp is the field Salesforce indexes for replication and it also moves on system
changes), paged by `nextRecordsUrl`. Pagination, 429 with Retry-After and 5xx retries are dlt's.
Data Export: the same tables from `<Object>.csv` (API field names as headers), so one mapping
serves both; a weekly export is a full snapshot, and dlt's incremental keeps only what changed.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dlt
from dlt.extract.source import DltSource
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.rest_api import rest_api_source

from dagster_project.lib.vocabulary import CALL_OUTCOMES, DIRECTIONS

from .hubspot import snake_case
from .mapping import CrmMapping, Seed, View

API_VERSION = "62.0"
INITIAL_MODSTAMP = "1970-01-01T00:00:00.000+0000"
COMMON_FIELDS = ["Id", "LastModifiedDate", "SystemModstamp"]

# Object -> (table, the fields the mapping reads besides COMMON_FIELDS).
OBJECTS: dict[str, tuple[str, list[str]]] = {
    "Lead": ("leads", ["CreatedDate", "OwnerId", "LeadSource", "IsConverted", "ConvertedDate", "ConvertedContactId"]),
    "Contact": ("contacts", ["OwnerId"]),
    "Task": ("tasks", ["WhoId", "WhatId", "OwnerId", "TaskSubtype", "CallType", "CallDisposition",
                       "CompletedDateTime", "Status", "IsClosed"]),
    "Event": ("events", ["WhoId", "WhatId", "OwnerId", "StartDateTime", "EndDateTime"]),
    "Opportunity": ("opportunities", ["OwnerId", "Amount", "CloseDate", "IsClosed", "IsWon", "StageName"]),
    "OpportunityContactRole": ("opportunity_contact_roles", ["OpportunityId", "ContactId", "IsPrimary"]),
    "Quote": ("quotes", ["CreatedDate", "OpportunityId", "ContactId", "Status", "GrandTotal"]),
    "Case": ("cases", []),
    "User": ("users", ["Email"]),
}  # fmt: skip
# Objects an org may not have (Quotes must be enabled): their INVALID_TYPE answer means "none".
OPTIONAL_OBJECTS = {"Quote"}


@dataclass(frozen=True)
class SalesforceSettings:
    instance_url: str | None = None  # e.g. https://yourcompany.my.salesforce.com
    token: str | None = None  # an OAuth access token (docs/sources.md: how to get one)
    export_dir: Path | None = None  # the unzipped weekly Data Export
    api_version: str = API_VERSION

    @property
    def uses_api(self) -> bool:
        return bool(self.instance_url and self.token)

    @property
    def enabled(self) -> bool:
        return self.uses_api or self.export_dir is not None


def soql_datetime(value: str | datetime) -> str:
    """A SOQL datetime literal, to the second (the query is `>=`: dlt drops records it already has)."""
    if isinstance(value, str):
        value = datetime.strptime(value[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _fields(obj: str) -> list[str]:
    return [*COMMON_FIELDS, *OBJECTS[obj][1]]


def _text_columns(obj: str) -> dict[str, dict[str, Any]]:
    # Text, as the mapping reads them: the API's JSON and the export's CSV give the same tables.
    return {f: {"data_type": "text", "nullable": True} for f in _fields(obj)}


def _without_attributes(record: dict[str, Any]) -> dict[str, Any]:
    record.pop("attributes", None)
    return record


def _query_resource(obj: str, api_version: str) -> dict[str, Any]:
    soql = (
        f"SELECT {', '.join(_fields(obj))} FROM {obj} "
        "WHERE SystemModstamp >= {incremental.start_value} ORDER BY SystemModstamp ASC"
    )
    endpoint: dict[str, Any] = {
        "path": f"services/data/v{api_version}/query",
        "params": {"q": soql},
        "data_selector": "records",
        "paginator": {"type": "json_link", "next_url_path": "nextRecordsUrl"},
        "incremental": {
            "cursor_path": "SystemModstamp",
            "initial_value": INITIAL_MODSTAMP,
            "convert": soql_datetime,
        },
    }
    if obj in OPTIONAL_OBJECTS:
        endpoint["response_actions"] = [{"status_code": 400, "content": "INVALID_TYPE", "action": "ignore"}]
    return {
        "name": OBJECTS[obj][0],
        "primary_key": "Id",  # as the API names it: dlt's incremental reads the raw records
        "write_disposition": "merge",
        "columns": _text_columns(obj),
        "processing_steps": [{"map": _without_attributes}],
        "endpoint": endpoint,
    }


def salesforce_api_source(settings: SalesforceSettings) -> DltSource:
    config = {
        "client": {
            "base_url": settings.instance_url.rstrip("/") + "/",
            "auth": BearerTokenAuth(settings.token),
        },
        "resources": [_query_resource(obj, settings.api_version) for obj in OBJECTS],
    }
    return rest_api_source(config, name="salesforce")


def _csv_rows(path: Path, fields: list[str]) -> Iterator[dict[str, Any]]:
    with path.open(newline="", encoding="utf-8-sig") as f:  # exports may start with a byte-order mark
        for row in csv.DictReader(f):
            yield {field: row.get(field) or None for field in fields}


def _export_resource(obj: str, folder: Path):
    path = folder / f"{obj}.csv"

    @dlt.resource(
        name=OBJECTS[obj][0],
        primary_key="Id",
        write_disposition="merge",
        columns=_text_columns(obj),
        incremental=dlt.sources.incremental("SystemModstamp", initial_value=INITIAL_MODSTAMP),
    )
    def rows():
        if path.exists():  # an export without an object's file has none of it
            yield from _csv_rows(path, _fields(obj))

    return rows


def salesforce_export_source(folder: Path) -> DltSource:
    @dlt.source(name="salesforce_export")
    def salesforce_export():
        return [_export_resource(obj, folder) for obj in OBJECTS]

    return salesforce_export()


def salesforce_source(settings: SalesforceSettings) -> DltSource:
    """The API when its URL and token are set, else the Data Export folder."""
    if settings.uses_api:
        return salesforce_api_source(settings)
    if settings.export_dir is not None:
        return salesforce_export_source(settings.export_dir)
    raise ValueError("Salesforce needs an instance URL and a token, or a Data Export folder")


# --- the mapping's view of dlt's tables (sql/salesforce.sql reads these names) ---------------------


def _view(name: str, obj: str, **columns: str) -> View:
    return View(name, OBJECTS[obj][0], {c: snake_case(f) for c, f in {"id": "Id", **columns}.items()})


def salesforce_mapping() -> CrmMapping:
    views = [
        _view("sf_leads", "Lead", last_modified="LastModifiedDate", created="CreatedDate", owner_id="OwnerId",
              lead_source="LeadSource", is_converted="IsConverted", converted_date="ConvertedDate",
              converted_contact_id="ConvertedContactId"),
        _view("sf_contacts", "Contact", owner_id="OwnerId"),
        _view("sf_tasks", "Task", last_modified="LastModifiedDate", who_id="WhoId", what_id="WhatId",
              owner_id="OwnerId", subtype="TaskSubtype", call_type="CallType", call_disposition="CallDisposition",
              completed="CompletedDateTime", status="Status", is_closed="IsClosed"),
        _view("sf_events", "Event", last_modified="LastModifiedDate", who_id="WhoId", what_id="WhatId",
              owner_id="OwnerId", start_at="StartDateTime", end_at="EndDateTime"),
        _view("sf_opportunities", "Opportunity", last_modified="LastModifiedDate", owner_id="OwnerId",
              amount="Amount", close_date="CloseDate", is_closed="IsClosed", is_won="IsWon", stage="StageName"),
        _view("sf_contact_roles", "OpportunityContactRole", opportunity_id="OpportunityId", contact_id="ContactId",
              is_primary="IsPrimary"),
        _view("sf_quotes", "Quote", last_modified="LastModifiedDate", created="CreatedDate",
              opportunity_id="OpportunityId", contact_id="ContactId", status="Status", grand_total="GrandTotal"),
        _view("sf_cases", "Case"),
        _view("sf_users", "User", email="Email"),
    ]  # fmt: skip
    seeds = [
        Seed("salesforce_task_subtypes", ["task_subtype", "event_type", "direction"],
             {"event_type": ["call", "email", ""], "direction": [*DIRECTIONS, ""]}),
        Seed("salesforce_call_dispositions", ["call_disposition", "outcome"], {"outcome": CALL_OUTCOMES}),
        Seed("salesforce_quote_statuses", ["quote_status", "sent", "lost"],
             {"sent": ["true", "false"], "lost": ["true", "false"]}),
    ]  # fmt: skip
    # An opportunity (and its quotes) is mapped again when its contact roles change: the roles name
    # its contact, and a role added later does not touch the opportunity itself.
    dependents = """
        select 'opportunity' as object, opportunity_id as record_id from sf_contact_roles
        where _dlt_load_id in (select load_id from new_loads)
        union
        select 'quote', q.id from sf_quotes q join sf_contact_roles r on r.opportunity_id = q.opportunity_id
        where r._dlt_load_id in (select load_id from new_loads)
    """
    return CrmMapping("salesforce", views, seeds, dependents)
