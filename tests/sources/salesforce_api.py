"""An imitation of the Salesforce REST query API, shaped as Salesforce documents it.

`GET /services/data/vXX.X/query?q=SELECT f1, f2 FROM Obj WHERE SystemModstamp >= <datetime>
ORDER BY SystemModstamp ASC` answers `{totalSize, done, nextRecordsUrl, records}`; each record has
`attributes {type, url}` and the selected fields; the next batch is at `nextRecordsUrl`
(`/services/data/vXX.X/query/<locator>-<offset>`). Datetimes look like 2025-01-05T10:00:00.000+0000.
An object the org does not have answers 400 INVALID_TYPE. Every request needs a bearer token.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .loopback import Call, Reply

UNAUTHORIZED = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
RATE_LIMITED = [{"message": "Too many requests", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
SOQL = re.compile(
    r"SELECT (?P<fields>.+?) FROM (?P<object>\w+)"
    r"(?: WHERE (?P<field>LastModifiedDate|SystemModstamp) (?P<op>>=|>) (?P<since>\S+))?"
    r"(?: ORDER BY (?P<order>\w+) ASC)?"
)


def sf_datetime(iso: str) -> str:
    """2025-01-05T10:00:00Z -> Salesforce's 2025-01-05T10:00:00.000+0000."""
    value = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def _parse(value: str) -> datetime:
    value = value.replace("Z", "+00:00")
    value = re.sub(r"([+-]\d\d)(\d\d)$", r"\1:\2", value)
    return datetime.fromisoformat(value)


@dataclass
class SalesforceApi:
    token: str
    version: str = "62.0"
    batch_size: int = 2000
    records: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # object -> Id -> record
    missing_objects: set[str] = field(default_factory=set)  # e.g. {"Quote"}: Quotes not enabled
    calls: list[Call] = field(default_factory=list)
    _cursors: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def put(self, obj: str, record_id: str, modified: str, **fields: Any) -> None:
        """Create or edit a record; `modified` (ISO) is its LastModifiedDate and SystemModstamp."""
        record = self.records.setdefault(obj, {}).setdefault(record_id, {"Id": record_id})
        record.update(fields)
        record["LastModifiedDate"] = record["SystemModstamp"] = sf_datetime(modified)

    def route(self, call: Call) -> Reply:
        base = f"/services/data/v{self.version}/query"
        if call.path == base:
            return self._query(call.query["q"][0])
        if call.path.startswith(base + "/"):
            locator, offset = call.path.rsplit("/", 1)[1].rsplit("-", 1)
            return self._batch(locator, int(offset))
        return Reply(404, [{"message": f"no route {call.path}", "errorCode": "NOT_FOUND"}])

    def _query(self, soql: str) -> Reply:
        m = SOQL.fullmatch(soql.strip())
        if not m:
            return Reply(400, [{"message": f"unexpected SOQL: {soql}", "errorCode": "MALFORMED_QUERY"}])
        obj = m["object"]
        if obj in self.missing_objects:
            return Reply(
                400, [{"message": f"sObject type '{obj}' is not supported.", "errorCode": "INVALID_TYPE"}]
            )
        fields = [f.strip() for f in m["fields"].split(",")]
        rows = list(self.records.get(obj, {}).values())
        if m["field"]:
            since = _parse(m["since"])
            keep = (lambda v: v >= since) if m["op"] == ">=" else (lambda v: v > since)
            rows = [r for r in rows if keep(_parse(r[m["field"]]))]
        if m["order"]:
            rows.sort(key=lambda r: (_parse(r[m["order"]]), r["Id"]))
        selected = [
            {"attributes": {"type": obj, "url": f"/services/data/v{self.version}/sobjects/{obj}/{r['Id']}"},
             **{f: r.get(f) for f in fields}}
            for r in rows
        ]  # fmt: skip
        locator = f"01g{len(self._cursors):015d}"
        self._cursors[locator] = selected
        return self._batch(locator, 0)

    def _batch(self, locator: str, offset: int) -> Reply:
        rows = self._cursors[locator]
        end = offset + self.batch_size
        body = {"totalSize": len(rows), "done": end >= len(rows), "records": rows[offset:end]}
        if end < len(rows):
            body["nextRecordsUrl"] = f"/services/data/v{self.version}/query/{locator}-{end}"
        return Reply(200, body)
