"""A small HubSpot account, and the canonical events it must give, written by hand from the rules.

`populate(api)` fills the API imitation; `SYNC1_EVENTS` are the events of its first sync (the
end-to-end test also loads them directly as canonical events); `edit_for_sync2(api)` changes a few
records, whose events are `SYNC2_EVENTS`. Records that must not give events are listed with the
reason the mapping must give (`SYNC1_NOT_MAPPED`).
"""

from __future__ import annotations

from typing import Any

from .hubspot_api import HubSpotApi

CONNECTED = "f240bbac-87c9-4f6e-bf70-924b57d47db7"
BUSY = "9d9162e7-6cf3-4944-bf63-4dff82258764"
NO_ANSWER = "73a0d17f-1163-4015-bdd5-ec830791da20"
LEFT_LIVE_MESSAGE = "a4c4c377-d246-4b32-a13b-75a56a4cd0ff"
LEFT_VOICEMAIL = "b2cf5968-551e-4856-9783-52b3da59a7d0"
WRONG_NUMBER = "17b47fee-58de-441e-a44c-c6300d46f273"
CUSTOM_DISPOSITION = "c0ffee00-0000-4000-8000-000000000001"
TOKEN = "pat-na1-loopback"
REFERRAL_PROPERTY = "referred_by"

ANA, BEN = "ana@example.com", "ben@example.com"


def c(contact: str) -> str:
    return f"hubspot:contact:{contact}"


def event(
    event_id: str, event_type: str, occurred_at: str, contact: str, updated_at: str, **fields: Any
) -> dict:
    return {"event_id": event_id, "event_type": event_type, "occurred_at": occurred_at, "contact_id": c(contact),
            "updated_at": updated_at, **fields}  # fmt: skip


def populate(api: HubSpotApi) -> None:
    api.owners = [{"id": "1", "email": "Ana@Example.com", "firstName": "Ana"}, {"id": "2", "email": BEN}]
    api.pipelines = [
        {"id": "default", "label": "Sales Pipeline", "displayOrder": 0, "stages": [
            {"id": "appointmentscheduled", "label": "Appointment", "metadata": {"isClosed": "false", "probability": "0.2"}},
            {"id": "closedwon", "label": "Closed Won", "metadata": {"isClosed": "true", "probability": "1.0"}},
            {"id": "closedlost", "label": "Closed Lost", "metadata": {"isClosed": "true", "probability": "0.0"}},
        ]},
        # A second pipeline whose labels say nothing: metadata decides, and one stage is ambiguous.
        {"id": "77", "label": "Renewals", "displayOrder": 1, "stages": [
            {"id": "101", "label": "On hold", "metadata": {"isClosed": "true", "probability": "0.5"}},
            {"id": "102", "label": "Lost (renewal)", "metadata": {"isClosed": "true", "probability": "1.0"}},
        ]},
    ]  # fmt: skip
    api.dispositions = [
        {"id": CONNECTED, "label": "Connected"}, {"id": BUSY, "label": "Busy"},
        {"id": NO_ANSWER, "label": "No answer"}, {"id": LEFT_LIVE_MESSAGE, "label": "Left live message"},
        {"id": LEFT_VOICEMAIL, "label": "Left voicemail"}, {"id": WRONG_NUMBER, "label": "Wrong number"},
        {"id": CUSTOM_DISPOSITION, "label": "Reached gatekeeper"},
    ]  # fmt: skip

    # contacts: created, original source, owner, sales-qualified date, referrer
    api.put(
        "contacts",
        "101",
        "2025-01-20T10:00:00Z",
        createdate="2025-01-06T09:00:00Z",
        hs_analytics_source="ORGANIC_SEARCH",
        hubspot_owner_id="1",
        hs_lifecyclestage_salesqualifiedlead_date="2025-01-20T10:00:00Z",
        email="kim@client.com",
    )
    api.put(
        "contacts",
        "102",
        "2025-01-10T12:00:00Z",
        createdate="2025-01-10T12:00:00Z",
        hs_analytics_source="PAID_SOCIAL",
        hubspot_owner_id="2",
    )
    api.put(
        "contacts",
        "103",
        "2025-02-03T08:00:00Z",
        createdate="2025-02-03T08:00:00Z",
        hs_analytics_source="OFFLINE",
        hubspot_owner_id="1",
        referred_by="kim@client.com",
    )
    api.put(
        "contacts",
        "104",
        "2025-02-15T08:00:00Z",
        createdate="2025-02-15T08:00:00Z",
        hubspot_owner_id="3",
        referred_by="nobody@nowhere.com",
    )
    api.put(
        "contacts",
        "105",
        "2025-01-02T00:00:00Z",
        createdate="2025-01-02T00:00:00Z",
        hs_analytics_source="DIRECT_TRAFFIC",
        hubspot_owner_id="2",
    )  # a customer since 2024 (deal 509)
    api.put(
        "contacts",
        "107",
        "2025-01-15T10:00:00Z",
        createdate="2025-01-15T10:00:00Z",
        hs_analytics_source="REFERRALS",
        hubspot_owner_id="2",
        referred_by="105",
    )

    def call(cid, when, direction, disposition, contact, owner="1", status="COMPLETED", ticket=None):
        api.put(
            "calls",
            cid,
            when,
            hs_timestamp=when,
            hs_call_direction=direction,
            hs_call_disposition=disposition,
            hs_call_status=status,
            hubspot_owner_id=owner,
        )
        if contact:
            api.associate("calls", cid, "contacts", contact)
        if ticket:
            api.associate("calls", cid, "tickets", ticket)

    call("201", "2025-01-08T10:00:00Z", "OUTBOUND", CONNECTED, "101")
    call("202", "2025-01-09T10:00:00Z", "OUTBOUND", NO_ANSWER, "102", owner="2")
    call("203", "2025-01-12T10:00:00Z", "OUTBOUND", LEFT_VOICEMAIL, "102", owner="2")
    call("204", "2025-02-05T10:00:00Z", "OUTBOUND", LEFT_LIVE_MESSAGE, "103")
    call("205", "2025-02-06T10:00:00Z", "INBOUND", CONNECTED, "105", owner="2", ticket="9001")
    call("206", "2025-02-07T10:00:00Z", "OUTBOUND", CUSTOM_DISPOSITION, "103")
    call("207", "2025-02-08T10:00:00Z", "OUTBOUND", CONNECTED, None)
    call("208", "2025-02-09T10:00:00Z", "OUTBOUND", None, "103", status="IN_PROGRESS")
    call("209", "2025-02-16T10:00:00Z", "OUTBOUND", BUSY, "104", owner="3")
    call("210", "2025-02-17T10:00:00Z", "OUTBOUND", WRONG_NUMBER, "104", owner="3")
    # 101 and 102 on one call: the contact with the smallest id is the one the event is about
    api.associate("calls", "201", "contacts", "102", "101")

    def email(eid, when, direction, contact, owner="1"):
        api.put("emails", eid, when, hs_timestamp=when, hs_email_direction=direction, hubspot_owner_id=owner)
        api.associate("emails", eid, "contacts", contact)

    email("301", "2025-01-11T09:00:00Z", "EMAIL", "102", owner="2")
    email("302", "2025-01-15T09:00:00Z", "INCOMING_EMAIL", "101")
    email("303", "2025-02-07T09:00:00Z", "FORWARDED_EMAIL", "103")
    email("304", "2025-02-08T09:00:00Z", None, "103")

    def meeting(mid, start, outcome, contact, owner="1"):
        api.put(
            "meetings",
            mid,
            start,
            hs_timestamp=start,
            hs_meeting_start_time=start,
            hs_meeting_outcome=outcome,
            hubspot_owner_id=owner,
        )
        api.associate("meetings", mid, "contacts", contact)

    meeting("401", "2025-01-25T15:00:00Z", "COMPLETED", "101")
    meeting("402", "2025-02-10T15:00:00Z", "NO_SHOW", "103")
    meeting("403", "2025-01-30T15:00:00Z", "CANCELED", "102", owner="2")
    meeting("404", "2025-03-01T15:00:00Z", "SCHEDULED", "104", owner="3")
    meeting("405", "2025-02-11T15:00:00Z", "b6b55a5c-custom-outcome", "103")

    def deal(did, modified, stage, contact, pipeline="default", amount=None, closedate=None, owner="1"):
        api.put(
            "deals",
            did,
            modified,
            dealstage=stage,
            pipeline=pipeline,
            amount=amount,
            closedate=closedate,
            hubspot_owner_id=owner,
        )
        if contact:
            api.associate("deals", did, "contacts", contact)

    deal("501", "2025-02-01T12:00:00Z", "closedwon", "101", amount="12000", closedate="2025-02-01T00:00:00Z")
    deal("502", "2025-02-20T12:00:00Z", "closedlost", "102", closedate="2025-02-20T00:00:00Z", owner="2")
    deal("503", "2025-02-21T12:00:00Z", "appointmentscheduled", "104", owner="3")
    deal("504", "2025-02-22T12:00:00Z", "101", "103", pipeline="77", closedate="2025-02-22T00:00:00Z")
    deal("505", "2025-02-23T12:00:00Z", "999", "103")
    deal(
        "506",
        "2025-02-25T12:00:00Z",
        "closedwon",
        "105",
        amount="800.50",
        closedate="2025-02-25T00:00:00Z",
        owner="2",
    )
    deal("507", "2025-02-26T12:00:00Z", "closedwon", "103", closedate="2025-02-26T00:00:00Z")
    deal(
        "509",
        "2024-09-01T12:00:00Z",
        "closedwon",
        "105",
        "default",
        "3000",
        "2024-09-01T00:00:00Z",
        owner="2",
    )
    deal(
        "510",
        "2024-10-15T12:00:00Z",
        "closedwon",
        "105",
        "default",
        "1000",
        "2024-10-15T00:00:00Z",
        owner="2",
    )
    deal(
        "508",
        "2025-03-05T12:00:00Z",
        "102",
        "105",
        pipeline="77",
        amount="500",
        closedate="2025-03-05T00:00:00Z",
        owner="2",
    )

    def quote(qid, created, status, deal_id, contact=None, amount=None, owner=None):
        api.put(
            "quotes",
            qid,
            created,
            hs_createdate=created,
            hs_status=status,
            hs_quote_amount=amount,
            hubspot_owner_id=owner,
        )
        if deal_id:
            api.associate("quotes", qid, "deals", deal_id)
        if contact:
            api.associate("quotes", qid, "contacts", contact)

    quote(
        "601", "2025-01-22T10:00:00Z", "APPROVAL_NOT_NEEDED", "501", contact="101", amount="12000", owner="1"
    )
    quote("602", "2025-02-12T10:00:00Z", "APPROVED", "502", amount="9000")  # contact and rep: the deal's
    quote("603", "2025-02-13T10:00:00Z", "DRAFT", "503", amount="100")
    quote("604", "2025-02-14T10:00:00Z", "APPROVAL_NOT_NEEDED", None, contact="103", amount="100")
    quote("605", "2025-02-15T10:00:00Z", "SIGNED_ELSEWHERE", "501", amount="100")  # fmt: skip


SYNC1_EVENTS = [
    # contacts: lead_created (+ lead_qualified, + referral)
    event(c("101"), "lead_created", "2025-01-06T09:00:00Z", "101", "2025-01-20T10:00:00Z", rep_id=ANA,
          lead_source="organic_search"),
    event(c("101") + ":qualified", "lead_qualified", "2025-01-20T10:00:00Z", "101", "2025-01-20T10:00:00Z", rep_id=ANA),
    event(c("102"), "lead_created", "2025-01-10T12:00:00Z", "102", "2025-01-10T12:00:00Z", rep_id=BEN,
          lead_source="paid_social"),
    event(c("103"), "lead_created", "2025-02-03T08:00:00Z", "103", "2025-02-03T08:00:00Z", rep_id=ANA,
          lead_source="offline"),
    event(c("103") + ":referral", "referral", "2025-02-03T08:00:00Z", "101", "2025-02-03T08:00:00Z", rep_id=ANA,
          referred_contact_id=c("103"), is_valid=True),
    event(c("104"), "lead_created", "2025-02-15T08:00:00Z", "104", "2025-02-15T08:00:00Z", rep_id="hubspot:owner:3"),
    event(c("104") + ":referral", "referral", "2025-02-15T08:00:00Z", "nobody@nowhere.com", "2025-02-15T08:00:00Z",
          rep_id="hubspot:owner:3", referred_contact_id=c("104"), is_valid=False),
    event(c("105"), "lead_created", "2025-01-02T00:00:00Z", "105", "2025-01-02T00:00:00Z", rep_id=BEN,
          lead_source="direct_traffic"),
    event(c("107"), "lead_created", "2025-01-15T10:00:00Z", "107", "2025-01-15T10:00:00Z", rep_id=BEN,
          lead_source="referrals"),
    event(c("107") + ":referral", "referral", "2025-01-15T10:00:00Z", "105", "2025-01-15T10:00:00Z", rep_id=BEN,
          referred_contact_id=c("107"), is_valid=True),
    # calls: direction and disposition; a call on a ticket is support
    event("hubspot:call:201", "call", "2025-01-08T10:00:00Z", "101", "2025-01-08T10:00:00Z", rep_id=ANA,
          direction="outbound", purpose="sales", outcome="connected"),
    event("hubspot:call:202", "call", "2025-01-09T10:00:00Z", "102", "2025-01-09T10:00:00Z", rep_id=BEN,
          direction="outbound", purpose="sales", outcome="no_answer"),
    event("hubspot:call:203", "call", "2025-01-12T10:00:00Z", "102", "2025-01-12T10:00:00Z", rep_id=BEN,
          direction="outbound", purpose="sales", outcome="voicemail"),
    event("hubspot:call:204", "call", "2025-02-05T10:00:00Z", "103", "2025-02-05T10:00:00Z", rep_id=ANA,
          direction="outbound", purpose="sales", outcome="gatekeeper"),
    event("hubspot:call:205", "call", "2025-02-06T10:00:00Z", "105", "2025-02-06T10:00:00Z", rep_id=BEN,
          direction="inbound", purpose="support", outcome="connected"),
    event("hubspot:call:209", "call", "2025-02-16T10:00:00Z", "104", "2025-02-16T10:00:00Z",
          rep_id="hubspot:owner:3", direction="outbound", purpose="sales", outcome="busy"),
    event("hubspot:call:210", "call", "2025-02-17T10:00:00Z", "104", "2025-02-17T10:00:00Z",
          rep_id="hubspot:owner:3", direction="outbound", purpose="sales", outcome="wrong_number"),
    # emails: EMAIL out, INCOMING_EMAIL and FORWARDED_EMAIL in
    event("hubspot:email:301", "email", "2025-01-11T09:00:00Z", "102", "2025-01-11T09:00:00Z", rep_id=BEN,
          direction="outbound", purpose="sales"),
    event("hubspot:email:302", "email", "2025-01-15T09:00:00Z", "101", "2025-01-15T09:00:00Z", rep_id=ANA,
          direction="inbound", purpose="sales"),
    event("hubspot:email:303", "email", "2025-02-07T09:00:00Z", "103", "2025-02-07T09:00:00Z", rep_id=ANA,
          direction="inbound", purpose="sales"),
    # meetings by outcome
    event("hubspot:meeting:401", "meeting", "2025-01-25T15:00:00Z", "101", "2025-01-25T15:00:00Z", rep_id=ANA,
          purpose="sales", outcome="held"),
    event("hubspot:meeting:402", "meeting", "2025-02-10T15:00:00Z", "103", "2025-02-10T15:00:00Z", rep_id=ANA,
          purpose="sales", outcome="no_show"),
    event("hubspot:meeting:403", "meeting", "2025-01-30T15:00:00Z", "102", "2025-01-30T15:00:00Z", rep_id=BEN,
          purpose="sales", outcome="cancelled"),
    # deals: won (stage metadata closed, probability 1) = purchase; lost (probability 0) = offer_lost
    event("hubspot:deal:501", "purchase", "2025-02-01T00:00:00Z", "101", "2025-02-01T12:00:00Z", rep_id=ANA,
          offer_id="hubspot:deal:501", amount=12000.0),
    event("hubspot:deal:502", "offer_lost", "2025-02-20T00:00:00Z", "102", "2025-02-20T12:00:00Z", rep_id=BEN,
          offer_id="hubspot:deal:502"),
    event("hubspot:deal:506", "purchase", "2025-02-25T00:00:00Z", "105", "2025-02-25T12:00:00Z", rep_id=BEN,
          offer_id="hubspot:deal:506", amount=800.5),
    event("hubspot:deal:509", "purchase", "2024-09-01T00:00:00Z", "105", "2024-09-01T12:00:00Z", rep_id=BEN,
          offer_id="hubspot:deal:509", amount=3000.0),
    event("hubspot:deal:510", "purchase", "2024-10-15T00:00:00Z", "105", "2024-10-15T12:00:00Z", rep_id=BEN,
          offer_id="hubspot:deal:510", amount=1000.0),
    # "Lost (renewal)" is closed with probability 1: won, whatever its label says
    event("hubspot:deal:508", "purchase", "2025-03-05T00:00:00Z", "105", "2025-03-05T12:00:00Z", rep_id=BEN,
          offer_id="hubspot:deal:508", amount=500.0),
    # quotes sent = offer_sent of their deal
    event("hubspot:quote:601", "offer_sent", "2025-01-22T10:00:00Z", "101", "2025-01-22T10:00:00Z", rep_id=ANA,
          offer_id="hubspot:deal:501", amount=12000.0),
    event("hubspot:quote:602", "offer_sent", "2025-02-12T10:00:00Z", "102", "2025-02-12T10:00:00Z", rep_id=BEN,
          offer_id="hubspot:deal:502", amount=9000.0),
]  # fmt: skip

SEEDS = "seeds/hubspot_"
SYNC1_NOT_MAPPED = {
    ("call", "206"): ("rejected", f"unknown call disposition {CUSTOM_DISPOSITION} (Reached gatekeeper): "
                                  f"add it to {SEEDS}call_dispositions.csv"),
    ("call", "207"): ("rejected", "call has no associated contact"),
    ("call", "208"): ("no_event", "call not finished (hs_call_status IN_PROGRESS)"),
    ("email", "304"): ("rejected", f"unknown hs_email_direction (empty): add it to {SEEDS}email_directions.csv"),
    ("meeting", "404"): ("no_event", "meeting not held yet (hs_meeting_outcome SCHEDULED)"),
    ("meeting", "405"): ("rejected", "unknown hs_meeting_outcome b6b55a5c-custom-outcome: add it to "
                                     f"{SEEDS}meeting_outcomes.csv"),
    ("deal", "503"): ("no_event", "deal is open (stage Appointment)"),
    ("deal", "504"): ("rejected", "deal stage On hold (101) is closed with probability 0.5, neither won (1) "
                                  f"nor lost (0): add it to {SEEDS}deal_stages.csv"),
    ("deal", "505"): ("rejected", f"unknown deal stage 999 of pipeline default: add it to {SEEDS}deal_stages.csv"),
    ("deal", "507"): ("rejected", "won deal has no amount: (empty)"),
    ("quote", "603"): ("no_event", "quote not sent (hs_status DRAFT)"),
    ("quote", "604"): ("rejected", "quote has no associated deal"),
    ("quote", "605"): ("rejected", f"unknown quote hs_status SIGNED_ELSEWHERE: add it to {SEEDS}quote_statuses.csv"),
}  # fmt: skip


def edit_for_sync2(api: HubSpotApi) -> None:
    """Four records change after the first sync; nothing else does."""
    api.put("calls", "203", "2025-03-10T09:00:00Z", hs_call_disposition=CONNECTED)  # a corrected outcome
    api.put("meetings", "404", "2025-03-10T09:05:00Z", hs_meeting_outcome="COMPLETED")
    api.put(
        "contacts", "106", "2025-03-08T08:00:00Z", createdate="2025-03-08T08:00:00Z", hubspot_owner_id="2"
    )
    api.put("deals", "503", "2025-03-10T09:10:00Z", dealstage="closedlost", closedate="2025-03-09T00:00:00Z")


SYNC2_EVENTS = [
    event("hubspot:call:203", "call", "2025-01-12T10:00:00Z", "102", "2025-03-10T09:00:00Z", rep_id=BEN,
          direction="outbound", purpose="sales", outcome="connected"),
    event("hubspot:meeting:404", "meeting", "2025-03-01T15:00:00Z", "104", "2025-03-10T09:05:00Z",
          rep_id="hubspot:owner:3", purpose="sales", outcome="held"),
    event(c("106"), "lead_created", "2025-03-08T08:00:00Z", "106", "2025-03-08T08:00:00Z", rep_id=BEN),
    event("hubspot:deal:503", "offer_lost", "2025-03-09T00:00:00Z", "104", "2025-03-10T09:10:00Z",
          rep_id="hubspot:owner:3", offer_id="hubspot:deal:503"),
]  # fmt: skip
