"""An imitation of the HubSpot APIs the extraction reads, shaped as HubSpot documents them.

- `POST /crm/v3/objects/{type}/search`: filterGroups (GTE on a datetime property, epoch ms),
  sorts, properties, limit, `after`; answers `{total, results, paging.next.after}`; a query cannot
  page past `search_window` results (HubSpot: 10,000), which is a 400 like HubSpot's.
- `POST /crm/v4/associations/{from}/{to}/batch/read`: `{inputs: [{id}]}` -> results of
  `{from: {id}, to: [{toObjectId, associationTypes}]}`; 207 with errors for ids without any.
- `GET /crm/v3/owners` (after-cursor paging), `GET /crm/v3/pipelines/deals`,
  `GET /calling/v1/dispositions` (a bare list).
Every request needs `Authorization: Bearer <token>`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .loopback import Call, Reply

UNAUTHORIZED = {
    "status": "error",
    "message": "Authentication credentials not found.",
    "category": "INVALID_AUTHENTICATION",
}
RATE_LIMITED = {
    "status": "error",
    "message": "You have reached your secondly limit.",
    "errorType": "RATE_LIMIT",
    "policyName": "SECONDLY",
}
MODIFIED_PROPERTY = {"contacts": "lastmodifieddate"}  # the other objects: hs_lastmodifieddate


def _ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(UTC).timestamp() * 1000)


@dataclass
class HubSpotApi:
    token: str
    objects: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # type -> id -> record
    associations: dict[tuple[str, str], dict[str, list[str]]] = field(default_factory=dict)
    owners: list[dict[str, Any]] = field(default_factory=list)
    pipelines: list[dict[str, Any]] = field(default_factory=list)
    dispositions: list[dict[str, str]] = field(default_factory=list)
    search_window: int = 10_000
    owners_page: int = 100
    calls: list[Call] = field(default_factory=list)

    # --- test set-up ------------------------------------------------------------------------------
    def put(self, object_type: str, record_id: str, modified: str, **properties: Any) -> None:
        """Create or edit a record; `modified` is its last modification (ISO)."""
        record = self.objects.setdefault(object_type, {}).setdefault(
            record_id, {"id": record_id, "properties": {}, "createdAt": modified, "archived": False}
        )
        record["properties"].update(properties)
        record["properties"]["hs_object_id"] = record_id
        record["properties"][MODIFIED_PROPERTY.get(object_type, "hs_lastmodifieddate")] = modified
        record["updatedAt"] = modified

    def associate(self, from_type: str, from_id: str, to_type: str, *to_ids: str) -> None:
        self.associations.setdefault((from_type, to_type), {})[from_id] = list(to_ids)

    # --- routing ------------------------------------------------------------------------------------
    def route(self, call: Call) -> Reply:
        if m := re.fullmatch(r"/crm/v3/objects/(\w+)/search", call.path):
            return self._search(m.group(1), call.body)
        if m := re.fullmatch(r"/crm/v4/associations/(\w+)/(\w+)/batch/read", call.path):
            return self._associations(m.group(1), m.group(2), call.body)
        if call.path == "/crm/v3/owners":
            start = int(call.query.get("after", ["0"])[0])
            page = self.owners[start : start + self.owners_page]
            more = start + self.owners_page < len(self.owners)
            paging = {"paging": {"next": {"after": str(start + self.owners_page)}}} if more else {}
            return Reply(200, {"results": page, **paging})
        if call.path == "/crm/v3/pipelines/deals":
            return Reply(200, {"results": self.pipelines})
        if call.path == "/calling/v1/dispositions":
            return Reply(200, self.dispositions)
        return Reply(404, {"status": "error", "message": f"no route {call.path}"})

    def _search(self, object_type: str, body: dict[str, Any]) -> Reply:
        (group,) = body["filterGroups"]
        (condition,) = group["filters"]
        assert condition["operator"] == "GTE"
        prop, since = condition["propertyName"], int(condition["value"])
        assert body["sorts"] == [{"propertyName": prop, "direction": "ASCENDING"}]
        limit, after = int(body["limit"]), int(body.get("after") or 0)
        if after + limit > self.search_window:
            return Reply(400, {"status": "error", "category": "VALIDATION_ERROR",
                               "message": f"Search is limited to {self.search_window} results"})  # fmt: skip
        matching = sorted(
            (r for r in self.objects.get(object_type, {}).values() if _ms(r["properties"][prop]) >= since),
            key=lambda r: (_ms(r["properties"][prop]), int(r["id"])),
        )
        page = matching[after : after + limit]
        results = [
            {**r, "properties": {p: r["properties"].get(p) for p in ["hs_object_id", *body["properties"]]}}
            for r in page
        ]
        more = after + limit < len(matching)
        paging = {"paging": {"next": {"after": str(after + limit), "link": "?after="}}} if more else {}
        return Reply(200, {"total": len(matching), "results": results, **paging})

    def _associations(self, from_type: str, to_type: str, body: dict[str, Any]) -> Reply:
        known = self.associations.get((from_type, to_type), {})
        results, errors = [], []
        for item in body["inputs"]:
            to_ids = known.get(item["id"])
            if to_ids:
                to = [{"toObjectId": int(t), "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": 1,
                                                                    "label": None}]} for t in to_ids]  # fmt: skip
                results.append({"from": {"id": item["id"]}, "to": to})
            else:
                errors.append({"status": "error", "category": "OBJECT_NOT_FOUND",
                               "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
                               "context": {"fromObjectId": [item["id"]]}})  # fmt: skip
        status = 207 if errors else 200
        reply = {"status": "COMPLETE", "results": results, "startedAt": "2025-01-01T00:00:00Z",
                 "completedAt": "2025-01-01T00:00:00Z"}  # fmt: skip
        if errors:
            reply.update(errors=errors, numErrors=len(errors))
        return Reply(status, reply)
