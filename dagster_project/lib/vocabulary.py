"""The event vocabulary of docs/contract.md ("Input"), in one place: the loader validates with it,
the quality checks and the demo generator read it, and a test holds the dbt project's accepted values
to it."""

CANONICAL_COLUMNS = [
    "event_id", "event_type", "occurred_at", "contact_id", "rep_id", "lead_source", "direction",
    "purpose", "outcome", "offer_id", "amount", "referred_contact_id", "is_valid", "updated_at",
]  # fmt: skip

# Every event needs these; a file whose records lack one of them fails as a file.
REQUIRED_COLUMNS = ["event_id", "event_type", "occurred_at", "contact_id"]

EVENT_TYPES = [
    "lead_created", "lead_qualified", "call", "email", "meeting", "offer_sent", "offer_lost",
    "purchase", "referral",
]  # fmt: skip
DIRECTIONS = ["outbound", "inbound"]
PURPOSES = ["sales", "support"]
CALL_OUTCOMES = ["connected", "voicemail", "gatekeeper", "no_answer", "busy", "wrong_number"]
MEETING_OUTCOMES = ["held", "no_show", "cancelled"]
REQUIRED_BY_TYPE = {
    "call": ["direction", "outcome"],
    "email": ["direction"],
    "meeting": ["outcome"],
    "offer_sent": ["offer_id", "amount"],
    "offer_lost": ["offer_id"],
    "purchase": ["amount"],
    "referral": ["is_valid"],
}
