"""HubSpot as a dlt source: CRM v3 objects, owners, deal pipelines and call dispositions.

Objects are read through the CRM search endpoints, the only ones that filter on the last-modified
property, so each sync asks HubSpot only for what changed since the last one (dlt incremental on
`updatedAt`, sent as the `GTE` filter). Search never returns associations: a transformer reads them
page by page with the v4 batch endpoint (one call per page and associated object type).
Pagination, 429 with Retry-After and 5xx retries are dlt's (its REST client).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import dlt
from dlt.common.normalizers.naming.snake_case import NamingConvention
from dlt.extract.resource import DltResource
from dlt.extract.source import DltSource
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator
from dlt.sources.rest_api import rest_api_resources
from requests import Request, Response

from dagster_project.lib.vocabulary import CALL_OUTCOMES, DIRECTIONS, MEETING_OUTCOMES

from .mapping import CrmMapping, Seed, View

PUBLIC_API_URL = "https://api.hubapi.com"
INITIAL_MODIFIED = "1970-01-01T00:00:00.000Z"

# Object type -> (its last-modified property, the properties the mapping reads).
OBJECTS: dict[str, tuple[str, list[str]]] = {
    "contacts": (
        "lastmodifieddate",
        ["createdate", "lastmodifieddate", "email", "hubspot_owner_id", "hs_analytics_source",
         "hs_lifecyclestage_salesqualifiedlead_date"],
    ),
    "calls": (
        "hs_lastmodifieddate",
        ["hs_timestamp", "hs_lastmodifieddate", "hubspot_owner_id", "hs_call_direction",
         "hs_call_disposition", "hs_call_status"],
    ),
    "emails": ("hs_lastmodifieddate", ["hs_timestamp", "hs_lastmodifieddate", "hubspot_owner_id", "hs_email_direction"]),
    "meetings": (
        "hs_lastmodifieddate",
        ["hs_timestamp", "hs_lastmodifieddate", "hubspot_owner_id", "hs_meeting_start_time", "hs_meeting_outcome"],
    ),
    "deals": (
        "hs_lastmodifieddate",
        ["hs_lastmodifieddate", "hubspot_owner_id", "dealstage", "pipeline", "amount", "closedate"],
    ),
    "quotes": (
        "hs_lastmodifieddate",
        ["hs_createdate", "hs_lastmodifieddate", "hubspot_owner_id", "hs_status", "hs_quote_amount"],
    ),
}  # fmt: skip

# Object type -> the object types whose associated ids the mapping needs.
ASSOCIATIONS: dict[str, list[str]] = {
    "calls": ["contacts", "tickets"],
    "emails": ["contacts", "tickets"],
    "meetings": ["contacts", "tickets"],
    "deals": ["contacts"],
    "quotes": ["contacts", "deals"],
}


@dataclass(frozen=True)
class HubSpotSettings:
    token: str
    api_url: str = PUBLIC_API_URL
    # The contact property that names who referred a contact (a contact id or e-mail); None: no referrals.
    referral_property: str | None = None
    page_size: int = 200  # the search endpoints' maximum
    search_window: int = 10_000  # results one search query can page through (HubSpot's limit)


def snake_case(name: str) -> str:
    """The column name dlt gives a HubSpot property."""
    return NamingConvention().normalize_identifier(name)


def epoch_ms(value: str | datetime) -> str:
    """HubSpot's search filters take datetimes as epoch milliseconds."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return str(int(value.timestamp() * 1000))


class SearchPaginator(JSONResponseCursorPaginator):
    """`paging.next.after` into the request body; past the search window, a new query.

    One search query pages through at most `window` results. The results are sorted by the
    last-modified property, so the query starts again from the last record's modification time
    (GTE: records at that instant come twice; dlt keeps one per primary key).
    """

    def __init__(self, limit: int, window: int) -> None:
        super().__init__(cursor_path="paging.next.after", cursor_body_path="after")
        self.limit, self.window = limit, window
        self._window_start: str | None = None
        self._restart_from: str | None = None

    def init_request(self, request: Request) -> None:
        self._window_start = _filter(request)["value"]

    def update_state(self, response: Response, data: list[Any] | None = None) -> None:
        super().update_state(response, data)
        if self._next_reference is None or int(self._next_reference) + self.limit <= self.window:
            return
        restart_from = epoch_ms(data[-1]["updatedAt"])
        if restart_from == self._window_start:
            raise RuntimeError(
                f"more than {self.window} HubSpot records were modified at the same instant "
                f"({restart_from} ms): the search endpoint cannot page past them"
            )
        self._restart_from = restart_from

    def update_request(self, request: Request) -> None:
        if self._restart_from is None:
            super().update_request(request)
            return
        _filter(request)["value"] = self._window_start = self._restart_from
        request.json.pop("after", None)
        self._restart_from = None


def _filter(request: Request) -> dict[str, Any]:
    return request.json["filterGroups"][0]["filters"][0]


def _search_resource(object_type: str, settings: HubSpotSettings) -> dict[str, Any]:
    modified, properties = OBJECTS[object_type]
    if object_type == "contacts" and settings.referral_property:
        properties = [*properties, settings.referral_property]
    return {
        "name": object_type,
        "primary_key": "id",
        "write_disposition": "merge",
        # Text, as HubSpot sends them: no type guessing, and a column exists before any value arrives.
        "columns": {
            f"properties__{snake_case(p)}": {"data_type": "text", "nullable": True} for p in properties
        },
        "endpoint": {
            "path": f"crm/v3/objects/{object_type}/search",
            "method": "POST",
            "json": {
                "filterGroups": [
                    {
                        "filters": [
                            {
                                "propertyName": modified,
                                "operator": "GTE",
                                "value": "{incremental.start_value}",
                            }
                        ]
                    }
                ],
                "sorts": [{"propertyName": modified, "direction": "ASCENDING"}],
                "properties": properties,
                "limit": settings.page_size,
            },
            "data_selector": "results",
            "paginator": SearchPaginator(settings.page_size, settings.search_window),
            "incremental": {
                "cursor_path": "updatedAt",
                "initial_value": INITIAL_MODIFIED,
                "convert": epoch_ms,
            },
        },
    }


def _reference_resources() -> list[dict[str, Any]]:
    """Owners, deal pipelines and dispositions: small lists, read whole every sync."""
    return [
        {
            "name": "owners",
            "primary_key": "id",
            "write_disposition": "replace",
            "endpoint": {
                "path": "crm/v3/owners",
                "params": {"limit": 100},
                "data_selector": "results",
                "paginator": {"type": "cursor", "cursor_path": "paging.next.after", "cursor_param": "after"},
            },
        },
        {
            "name": "deal_pipelines",
            "write_disposition": "replace",
            "endpoint": {
                "path": "crm/v3/pipelines/deals",
                "data_selector": "results",
                "paginator": "single_page",
            },
        },
        {
            "name": "call_dispositions",
            "write_disposition": "replace",
            "endpoint": {"path": "calling/v1/dispositions", "data_selector": "$", "paginator": "single_page"},
        },
    ]


def read_associations(
    client: RESTClient, from_type: str, to_type: str, ids: list[str]
) -> dict[str, list[str]]:
    """The ids of `to_type` records associated with each of `ids` (v4 batch read, following paging)."""
    found: dict[str, list[str]] = {}
    inputs = [{"id": i} for i in ids]
    while inputs:
        response = client.post(
            f"crm/v4/associations/{from_type}/{to_type}/batch/read", json={"inputs": inputs}
        )
        response.raise_for_status()  # 429 and 5xx were retried by dlt's session already
        inputs = []
        for result in response.json().get("results", []):
            from_id = str(result["from"]["id"])
            found.setdefault(from_id, []).extend(str(to["toObjectId"]) for to in result.get("to", []))
            after = (result.get("paging") or {}).get("next", {}).get("after")
            if after:
                inputs.append({"id": from_id, "after": after})
    return found


def _associations_resource(parent: DltResource, targets: list[str], client: RESTClient) -> DltResource:
    """Rows (from_id, to_object, to_id) for each page of changed records; to_id null when none.

    The merge key (from_id, to_object) replaces a record's whole set on each sync, so an association
    removed in HubSpot disappears here too.
    """

    @dlt.transformer(
        name=f"{parent.name}_associations",
        write_disposition={"disposition": "merge", "strategy": "delete-insert"},
        merge_key=["from_id", "to_object"],
        columns={"to_id": {"data_type": "text", "nullable": True}},
    )
    def associations(page: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
        ids = [str(record["id"]) for record in page]
        rows = []
        for target in targets:
            found = read_associations(client, parent.name, target, ids)
            rows += [
                {"from_id": i, "to_object": target, "to_id": t} for i in ids for t in found.get(i) or [None]
            ]
        yield rows

    return parent | associations


def hubspot_source(settings: HubSpotSettings) -> DltSource:
    """Every resource the HubSpot mapping reads; nothing is requested until the pipeline runs."""
    auth = BearerTokenAuth(settings.token)
    config = {
        "client": {"base_url": settings.api_url.rstrip("/") + "/", "auth": auth},
        "resources": [*(_search_resource(o, settings) for o in OBJECTS), *_reference_resources()],
    }
    resources = {resource.name: resource for resource in rest_api_resources(config)}
    client = RESTClient(base_url=config["client"]["base_url"], auth=auth)
    associations = [
        _associations_resource(resources[o], targets, client) for o, targets in ASSOCIATIONS.items()
    ]

    @dlt.source(name="hubspot")
    def hubspot() -> list[DltResource]:
        return [*resources.values(), *associations]

    return hubspot()


# --- the mapping's view of dlt's tables (sql/hubspot.sql reads these names) ------------------------


def _properties(**columns: str) -> dict[str, str]:
    return {view_column: "properties__" + snake_case(prop) for view_column, prop in columns.items()}


def _referrer(settings: HubSpotSettings) -> dict[str, str | None]:
    """The referral property's column; None (always null) when no property is configured."""
    prop = settings.referral_property
    return {"referrer": "properties__" + snake_case(prop) if prop else None}


def hubspot_mapping(settings: HubSpotSettings) -> CrmMapping:
    record = {"id": "id", "created_at": "created_at", "updated_at": "updated_at"}
    views = [
        View("hs_contacts", "contacts", {**record, **_properties(
            createdate="createdate", email="email", owner_id="hubspot_owner_id",
            original_source="hs_analytics_source", sql_date="hs_lifecyclestage_salesqualifiedlead_date"),
            **_referrer(settings)}),
        View("hs_calls", "calls", {**record, **_properties(
            hs_timestamp="hs_timestamp", owner_id="hubspot_owner_id", direction="hs_call_direction",
            disposition="hs_call_disposition", status="hs_call_status")}),
        View("hs_emails", "emails", {**record, **_properties(
            hs_timestamp="hs_timestamp", owner_id="hubspot_owner_id", direction="hs_email_direction")}),
        View("hs_meetings", "meetings", {**record, **_properties(
            hs_timestamp="hs_timestamp", start_time="hs_meeting_start_time", owner_id="hubspot_owner_id",
            outcome="hs_meeting_outcome")}),
        View("hs_deals", "deals", {**record, **_properties(
            owner_id="hubspot_owner_id", stage="dealstage", pipeline="pipeline", amount="amount",
            closedate="closedate")}),
        View("hs_quotes", "quotes", {**record, **_properties(
            createdate="hs_createdate", owner_id="hubspot_owner_id", status="hs_status",
            amount="hs_quote_amount")}),
        View("hs_owners", "owners", {"id": "id", "email": "email"}),
        View("hs_pipelines", "deal_pipelines", {"id": "id", "_dlt_id": "_dlt_id"}),
        View("hs_pipeline_stages", "deal_pipelines__stages", {
            "id": "id", "label": "label", "is_closed": "metadata__is_closed",
            "probability": "metadata__probability", "_dlt_parent_id": "_dlt_parent_id"}),
        View("hs_dispositions", "call_dispositions", {"id": "id", "label": "label"}),
        *(View(f"hs_{o}_associations", f"{o}_associations",
               {"from_id": "from_id", "to_object": "to_object", "to_id": "to_id"}) for o in ASSOCIATIONS),
    ]  # fmt: skip
    seeds = [
        Seed("hubspot_call_dispositions", ["disposition_id", "label", "outcome"], {"outcome": CALL_OUTCOMES}),
        Seed(
            "hubspot_email_directions",
            ["email_direction", "direction"],
            {"direction": DIRECTIONS},
        ),
        Seed(
            "hubspot_meeting_outcomes", ["meeting_outcome", "outcome"], {"outcome": [*MEETING_OUTCOMES, ""]}
        ),
        Seed(
            "hubspot_deal_stages",
            ["pipeline_id", "stage_id", "outcome"],
            {"outcome": ["won", "lost", "open"]},
        ),
        Seed("hubspot_quote_statuses", ["quote_status", "sent"], {"sent": ["true", "false"]}),
    ]
    return CrmMapping("hubspot", views, seeds)
