"""A small Salesforce org, and the canonical events it must give, written by hand from the rules."""

from __future__ import annotations

from typing import Any

from .salesforce_api import SalesforceApi

TOKEN = "00Dloopback!session"
ANA, BEN = "ana@example.com", "ben@example.com"
SEEDS = "seeds/salesforce_"


def done(when: str) -> str:
    return when.replace("Z", ".000+0000")


def event(
    event_id: str, event_type: str, occurred_at: str, contact: str, updated_at: str, **fields: Any
) -> dict:
    return {"event_id": f"salesforce:{event_id}", "event_type": event_type, "occurred_at": occurred_at,
            "contact_id": f"salesforce:{contact}", "updated_at": updated_at, **fields}  # fmt: skip


def populate(api: SalesforceApi) -> None:
    api.put("User", "005A", "2024-06-01T00:00:00Z", Email="Ana@Example.com")
    api.put("User", "005B", "2024-06-01T00:00:00Z", Email=BEN)
    api.put(
        "Lead",
        "00Q1",
        "2025-01-20T09:00:00Z",
        CreatedDate=done("2025-01-05T09:00:00Z"),
        OwnerId="005A",
        LeadSource="Webinar",
        IsConverted=True,
        ConvertedDate="2025-01-20",
        ConvertedContactId="0031",
    )
    api.put(
        "Lead",
        "00Q2",
        "2025-01-07T10:00:00Z",
        CreatedDate=done("2025-01-07T10:00:00Z"),
        OwnerId="005B",
        LeadSource="Web",
        IsConverted=False,
    )
    api.put(
        "Lead",
        "00Q3",
        "2025-01-08T10:00:00Z",
        CreatedDate=done("2025-01-08T10:00:00Z"),
        OwnerId="005B",
        IsConverted=True,
        ConvertedDate=None,
    )
    api.put("Contact", "0031", "2025-01-20T09:00:00Z", OwnerId="005A")
    api.put("Contact", "0032", "2024-11-01T00:00:00Z", OwnerId="005B")  # a customer who never was a lead
    api.put("Case", "500X", "2025-01-10T00:00:00Z")

    def task(tid, subtype, who, owner="005A", completed=None, closed=True, modified=None, **fields):
        api.put(
            "Task",
            tid,
            modified or completed or "2025-01-11T00:00:00Z",
            TaskSubtype=subtype,
            WhoId=who,
            OwnerId=owner,
            CompletedDateTime=done(completed) if completed else None,
            IsClosed=closed,
            Status="Completed" if closed else "Not Started",
            **fields,
        )

    task(
        "00T1",
        "Call",
        "00Q2",
        "005B",
        "2025-01-08T10:00:00Z",
        CallType="Outbound",
        CallDisposition="Left Voicemail",
    )
    task(
        "00T2",
        "Call",
        "00Q1",
        completed="2025-01-09T11:00:00Z",
        CallType="Outbound",
        CallDisposition="Connected",
    )
    task(
        "00T3",
        "Call",
        "0032",
        "005B",
        "2025-01-10T12:00:00Z",
        CallType="Inbound",
        CallDisposition="connected",
        WhatId="500X",
    )
    task("00T4", "Email", "0031", completed="2025-01-21T08:00:00Z")
    task(
        "00T5",
        "Call",
        "0031",
        completed="2025-01-22T08:00:00Z",
        CallType="Outbound",
        CallDisposition="Reached Assistant",
    )
    task("00T6", "Call", "0031", closed=False, CallType="Outbound")
    task("00T7", "Task", "0031", completed="2025-01-23T08:00:00Z")
    task(
        "00T8",
        "Call",
        "0031",
        modified="2025-01-24T08:00:00Z",
        CallType="Outbound",
        CallDisposition="Busy",
        ActivityDate="2025-01-24",
    )
    task(
        "00T9",
        "Call",
        "0031",
        completed="2025-01-25T08:00:00Z",
        CallType="Internal",
        CallDisposition="Connected",
    )
    task("00TA", "SMS", "0031", completed="2025-01-26T08:00:00Z")

    api.put(
        "Event",
        "00U1",
        "2025-01-14T09:00:00Z",
        WhoId="0031",
        OwnerId="005A",
        StartDateTime=done("2025-01-15T14:00:00Z"),
        EndDateTime=done("2025-01-15T15:00:00Z"),
    )
    api.put(
        "Event",
        "00U2",
        "2025-01-14T09:00:00Z",
        WhoId="0031",
        OwnerId="005A",
        StartDateTime=done("2025-04-01T14:00:00Z"),
        EndDateTime=done("2025-04-01T15:00:00Z"),
    )

    def opportunity(oid, modified, won, closed=True, amount=None, close_date=None, owner="005A"):
        api.put(
            "Opportunity",
            oid,
            modified,
            IsWon=won,
            IsClosed=closed,
            Amount=amount,
            CloseDate=close_date,
            OwnerId=owner,
            StageName="Closed Won" if won else ("Closed Lost" if closed else "Prospecting"),
        )

    opportunity("0061", "2025-02-01T12:00:00Z", True, amount=15000.0, close_date="2025-02-01")
    opportunity("0062", "2025-02-10T12:00:00Z", False, close_date="2025-02-10", owner="005B")
    opportunity("0063", "2025-02-11T12:00:00Z", False, closed=False)
    opportunity("0064", "2025-02-12T12:00:00Z", True, amount=100.0, close_date="2025-02-12")
    opportunity("0065", "2025-02-13T12:00:00Z", True, amount=2500.0, close_date="2025-02-13", owner="005B")
    api.put(
        "OpportunityContactRole",
        "00K1",
        "2025-01-25T00:00:00Z",
        OpportunityId="0061",
        ContactId="0031",
        IsPrimary=True,
    )
    api.put(
        "OpportunityContactRole",
        "00K2",
        "2025-02-01T00:00:00Z",
        OpportunityId="0062",
        ContactId="0032",
        IsPrimary=False,
    )  # the only role: the opportunity's contact all the same
    api.put(
        "OpportunityContactRole",
        "00K3",
        "2025-02-02T00:00:00Z",
        OpportunityId="0064",
        ContactId="0031",
        IsPrimary=False,
    )
    api.put(
        "OpportunityContactRole",
        "00K4",
        "2025-02-02T00:00:00Z",
        OpportunityId="0064",
        ContactId="0032",
        IsPrimary=False,
    )

    def quote(qid, modified, status, opp, created, total=None, contact=None):
        api.put(
            "Quote",
            qid,
            modified,
            Status=status,
            OpportunityId=opp,
            CreatedDate=done(created),
            GrandTotal=total,
            ContactId=contact,
        )

    quote("0Q01", "2025-01-25T10:00:00Z", "Presented", "0061", "2025-01-25T10:00:00Z", 15000.0, "0031")
    quote("0Q02", "2025-02-09T10:00:00Z", "Denied", "0062", "2025-02-05T10:00:00Z", 7000.0)
    quote("0Q03", "2025-02-06T10:00:00Z", "Draft", "0063", "2025-02-06T10:00:00Z", 300.0)
    quote("0Q04", "2025-02-07T10:00:00Z", "Expired", "0063", "2025-02-07T10:00:00Z", 300.0)  # fmt: skip


SYNC1_EVENTS = [
    # a converted lead is its contact; its conversion is its qualification
    event("lead:00Q1", "lead_created", "2025-01-05T09:00:00Z", "contact:0031", "2025-01-20T09:00:00Z",
          rep_id=ANA, lead_source="webinar"),
    event("lead:00Q1:converted", "lead_qualified", "2025-01-20T00:00:00Z", "contact:0031",
          "2025-01-20T09:00:00Z", rep_id=ANA),
    event("lead:00Q2", "lead_created", "2025-01-07T10:00:00Z", "lead:00Q2", "2025-01-07T10:00:00Z",
          rep_id=BEN, lead_source="web"),
    # tasks: calls by CallType and CallDisposition (at CompletedDateTime), emails; a Case's are support
    event("task:00T1", "call", "2025-01-08T10:00:00Z", "lead:00Q2", "2025-01-08T10:00:00Z", rep_id=BEN,
          direction="outbound", purpose="sales", outcome="voicemail"),
    event("task:00T2", "call", "2025-01-09T11:00:00Z", "contact:0031", "2025-01-09T11:00:00Z", rep_id=ANA,
          direction="outbound", purpose="sales", outcome="connected"),
    event("task:00T3", "call", "2025-01-10T12:00:00Z", "contact:0032", "2025-01-10T12:00:00Z", rep_id=BEN,
          direction="inbound", purpose="support", outcome="connected"),
    event("task:00T4", "email", "2025-01-21T08:00:00Z", "contact:0031", "2025-01-21T08:00:00Z", rep_id=ANA,
          direction="outbound", purpose="sales"),
    # an event that has ended is a meeting held
    event("event:00U1", "meeting", "2025-01-15T14:00:00Z", "contact:0031", "2025-01-14T09:00:00Z", rep_id=ANA,
          purpose="sales", outcome="held"),
    # opportunities: won = purchase at CloseDate, closed not won = offer_lost; contact by contact role
    event("opportunity:0061", "purchase", "2025-02-01T00:00:00Z", "contact:0031", "2025-02-01T12:00:00Z",
          rep_id=ANA, offer_id="salesforce:opportunity:0061", amount=15000.0),
    event("opportunity:0062", "offer_lost", "2025-02-10T00:00:00Z", "contact:0032", "2025-02-10T12:00:00Z",
          rep_id=BEN, offer_id="salesforce:opportunity:0062"),
    # quotes presented (or later) = offer_sent of their opportunity; denied = also offer_lost
    event("quote:0Q01", "offer_sent", "2025-01-25T10:00:00Z", "contact:0031", "2025-01-25T10:00:00Z", rep_id=ANA,
          offer_id="salesforce:opportunity:0061", amount=15000.0),
    event("quote:0Q02", "offer_sent", "2025-02-05T10:00:00Z", "contact:0032", "2025-02-09T10:00:00Z", rep_id=BEN,
          offer_id="salesforce:opportunity:0062", amount=7000.0),
    event("quote:0Q02:denied", "offer_lost", "2025-02-09T10:00:00Z", "contact:0032", "2025-02-09T10:00:00Z",
          rep_id=BEN, offer_id="salesforce:opportunity:0062"),
]  # fmt: skip

SYNC1_NOT_MAPPED = {
    ("lead", "00Q3"): ("rejected", "converted lead has no ConvertedDate"),
    ("task", "00T5"): ("rejected", f"unknown CallDisposition 'Reached Assistant': add it to {SEEDS}call_dispositions.csv"),
    ("task", "00T6"): ("no_event", "task not completed (Status Not Started)"),
    ("task", "00T7"): ("no_event", "TaskSubtype Task is neither a call nor an email"),
    ("task", "00T8"): ("rejected", "completed task has no CompletedDateTime (ActivityDate is date-only)"),
    ("task", "00T9"): ("no_event", "internal call (CallType Internal)"),
    ("task", "00TA"): ("rejected", f"unknown TaskSubtype SMS: add it to {SEEDS}task_subtypes.csv"),
    ("event", "00U2"): ("no_event", "meeting has not ended yet"),
    ("opportunity", "0063"): ("no_event", "opportunity is open (StageName Prospecting)"),
    ("opportunity", "0064"): ("rejected", "opportunity has 2 contact roles and none is primary "
                                          "(OpportunityContactRole.IsPrimary)"),
    ("opportunity", "0065"): ("rejected", "opportunity has no contact role (OpportunityContactRole)"),
    ("quote", "0Q03"): ("no_event", "quote not presented (Status Draft)"),
    ("quote", "0Q04"): ("rejected", f"unknown quote Status Expired: add it to {SEEDS}quote_statuses.csv"),
}  # fmt: skip
SYNC1_RECORDS = (
    3 + 10 + 2 + 5 + 4
)  # leads, tasks, events, opportunities, quotes (the objects that give events)


def edit_for_sync2(api: SalesforceApi) -> None:
    """A call's disposition corrected, a contact role added, a lead created; a meeting's end passes."""
    api.put("Task", "00T1", "2025-03-05T09:00:00Z", CallDisposition="Connected")
    api.put(
        "OpportunityContactRole",
        "00K5",
        "2025-03-05T09:05:00Z",
        OpportunityId="0065",
        ContactId="0032",
        IsPrimary=True,
    )
    api.put(
        "Lead",
        "00Q4",
        "2025-03-01T08:00:00Z",
        CreatedDate=done("2025-03-01T08:00:00Z"),
        OwnerId="005B",
        LeadSource="Event",
        IsConverted=False,
    )


SYNC2_EVENTS = [
    event("task:00T1", "call", "2025-01-08T10:00:00Z", "lead:00Q2", "2025-03-05T09:00:00Z", rep_id=BEN,
          direction="outbound", purpose="sales", outcome="connected"),
    # the opportunity did not change; its new contact role makes it mappable
    event("opportunity:0065", "purchase", "2025-02-13T00:00:00Z", "contact:0032", "2025-02-13T12:00:00Z",
          rep_id=BEN, offer_id="salesforce:opportunity:0065", amount=2500.0),
    event("lead:00Q4", "lead_created", "2025-03-01T08:00:00Z", "lead:00Q4", "2025-03-01T08:00:00Z", rep_id=BEN,
          lead_source="event"),
    # the second sync runs after the meeting's end
    event("event:00U2", "meeting", "2025-04-01T14:00:00Z", "contact:0031", "2025-01-14T09:00:00Z", rep_id=ANA,
          purpose="sales", outcome="held"),
]  # fmt: skip
