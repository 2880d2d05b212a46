"""An independent reference implementation of the ten metrics, in plain pandas.

Written only from the data contract (docs/contract.md: "Input", "Derived facts", "The ten metrics") and the decisions the
contract leaves open (listed below), never from the dbt models: the point is to check the SQL against
code that did not share its reasoning. `compute_metric_values(raw_events)` takes the rows of
`raw.sales_events` and returns the rows `marts.metric_values` must hold.

Decisions taken where the contract is silent (shared with the dbt models' author):

- One event per `event_id`: the latest `updated_at` wins; versions without `updated_at` rank below
  those with one; ties and versions without it go to the last delivery (highest `load_id`, then
  highest `row_number`). `lead_source` missing -> 'unknown', `purpose` missing -> 'sales'.
- `as_of` = the given instant, else the latest `occurred_at` among the deduplicated events; events
  after it are dropped before anything else.
- Dimensions: 'all' (dimension_value null) and 'rep_id' for every metric; 'lead_source' for the lead
  metrics (days_to_customer, prospect_conversion_rate, never_engaged_rate). The rep of a row is the
  event's rep (metrics 1-3), the rep of the contact's first `lead_created` (5, 6, 8), of the first
  purchase (4, 9, 10), of the offer's first `offer_sent` (7). A null rep is 'unknown'.
- No gaps: every month from the first month of the (as_of-filtered) data to the month of as_of, for
  every metric, dimension, and dimension value that feeds the metric in some month. An empty month is
  numerator 0 / denominator null / value 0 for a count, numerator 0 / denominator 0 / value null for
  a rate or a mean. The 'all' rows are always there (even for a metric with no population at all).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

OUTPUT_COLUMNS = [
    "metric",
    "period_start",
    "dimension",
    "dimension_value",
    "numerator",
    "denominator",
    "value",
]

# The windows of docs/contract.md ("The ten metrics"), under the names of the dbt vars.
DEFAULT_WINDOWS: Mapping[str, int] = {
    "never_engaged_window_days": 30,
    "repeat_purchase_window_days": 90,
    "referral_window_months": 6,
    "offer_expiry_days": 90,
}

# key -> (is a count, has the lead_source breakdown), in the contract's order.
METRICS: dict[str, tuple[bool, bool]] = {
    "conversations": (True, False),
    "prospect_calls": (True, False),
    "prospecting_emails": (True, False),
    "conversations_to_close": (False, False),
    "days_to_customer": (False, True),
    "prospect_conversion_rate": (False, True),
    "offer_loss_rate": (False, False),
    "never_engaged_rate": (False, True),
    "repeat_purchase_90d_rate": (False, False),
    "referral_6m_rate": (False, False),
}

CANONICAL_COLUMNS = [
    "event_id", "event_type", "occurred_at", "contact_id", "rep_id", "lead_source", "direction",
    "purpose", "outcome", "offer_id", "amount", "referred_contact_id", "is_valid", "updated_at",
]  # fmt: skip

TEXT_COLUMNS = [
    "event_id", "event_type", "contact_id", "rep_id", "lead_source", "direction", "purpose", "outcome",
    "offer_id", "referred_contact_id",
]  # fmt: skip

FIRST = ["occurred_at", "event_id"]  # the order that picks a "first" event


# --------------------------------------------------------------------------------------------------
# Input preparation: types, deduplication, defaults, as_of
# --------------------------------------------------------------------------------------------------


def _utc_naive(values: pd.Series) -> pd.Series:
    """Timestamps (or ISO text) -> naive UTC datetime64; an offset is honoured, naive means UTC."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC").dt.tz_localize(None)
    if pd.api.types.is_datetime64_dtype(values.dtype):
        return values
    return pd.to_datetime(values, utc=True, format="ISO8601").dt.tz_localize(None)


def parse_as_of(value) -> pd.Timestamp:
    """ISO timestamp or date (text, datetime, Timestamp) -> naive UTC Timestamp; a date is its midnight."""
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp


def deduplicate(raw_events: pd.DataFrame) -> pd.DataFrame:
    """One row per event_id (the winning version), typed, with the contract's defaults applied."""
    events = raw_events.copy()
    for column in CANONICAL_COLUMNS:
        if column not in events.columns:
            events[column] = None
    for column in TEXT_COLUMNS:  # plain Python strings and None, whatever the reader gave
        events[column] = events[column].astype(object).where(events[column].notna(), None)
    if "load_id" not in events.columns:
        events["load_id"] = 0
    if "row_number" not in events.columns:
        events["row_number"] = range(1, len(events) + 1)
    events["occurred_at"] = _utc_naive(events["occurred_at"])
    events["updated_at"] = _utc_naive(events["updated_at"])

    # Ascending sort, winner last: without updated_at < with it; then updated_at; then delivery order.
    events["has_updated_at"] = events["updated_at"].notna()
    events = events.sort_values(
        ["event_id", "has_updated_at", "updated_at", "load_id", "row_number"],
        na_position="first",
        kind="stable",
    )
    events = events.drop_duplicates("event_id", keep="last").drop(columns="has_updated_at")

    events["lead_source"] = events["lead_source"].fillna("unknown")
    events["purpose"] = events["purpose"].fillna("sales")
    events["is_valid"] = events["is_valid"].astype("boolean").fillna(False).astype(bool)
    return events.reset_index(drop=True)


def month_start(stamps: pd.Series) -> pd.Series:
    """First day of each timestamp's calendar month (datetime64 at midnight)."""
    return stamps.dt.to_period("M").dt.to_timestamp()


# --------------------------------------------------------------------------------------------------
# Derived facts (docs/contract.md ("Derived facts"))
# --------------------------------------------------------------------------------------------------


def first_by_contact(events: pd.DataFrame) -> pd.DataFrame:
    """Each contact's first event among `events`, by (occurred_at, event_id)."""
    return events.sort_values(FIRST, kind="stable").drop_duplicates("contact_id", keep="first")


def is_conversation(events: pd.DataFrame) -> pd.Series:
    """A connected call, a held meeting or an inbound email, with purpose sales."""
    kind, outcome, direction = events["event_type"], events["outcome"], events["direction"]
    exchange = (
        ((kind == "call") & (outcome == "connected"))
        | ((kind == "meeting") & (outcome == "held"))
        | ((kind == "email") & (direction == "inbound"))
    )
    return (exchange & (events["purpose"] == "sales")).fillna(False).astype(bool)


def first_purchases(events: pd.DataFrame) -> pd.DataFrame:
    """contact_id, fp_at, fp_event_id, fp_rep: every customer's first purchase."""
    first = first_by_contact(events[events["event_type"] == "purchase"])
    return first.rename(columns={"occurred_at": "fp_at", "event_id": "fp_event_id", "rep_id": "fp_rep"})[
        ["contact_id", "fp_at", "fp_event_id", "fp_rep"]
    ]


def leads(events: pd.DataFrame, purchases_first: pd.DataFrame) -> pd.DataFrame:
    """contact_id, lead_at, lead_source, lead_rep, fp_at: the leads (not customers before their lead time)."""
    first = first_by_contact(events[events["event_type"] == "lead_created"])
    first = first.rename(columns={"occurred_at": "lead_at", "rep_id": "lead_rep"})
    first = first[["contact_id", "lead_at", "lead_source", "lead_rep"]]
    first = first.merge(purchases_first[["contact_id", "fp_at"]], on="contact_id", how="left")
    already_customer = first["fp_at"].notna() & (first["fp_at"] < first["lead_at"])
    return first[~already_customer].reset_index(drop=True)


def qualification_times(events: pd.DataFrame) -> pd.DataFrame:
    """contact_id, qualified_at: each contact's first lead_qualified."""
    qualified = events[events["event_type"] == "lead_qualified"]
    return (
        qualified.groupby("contact_id", as_index=False)["occurred_at"]
        .min()
        .rename(columns={"occurred_at": "qualified_at"})
    )


# --------------------------------------------------------------------------------------------------
# Facts per metric: one row per counted thing, with its period, breakdown values, and contribution
# (numerator, denominator). Every row is in the metric's population.
# --------------------------------------------------------------------------------------------------


def _facts(
    period: pd.Series, rep: pd.Series, numerator, lead_source: pd.Series | None = None
) -> pd.DataFrame:
    """One row per member of a metric's population; each member counts 1 in the denominator."""
    frame = pd.DataFrame(
        {
            "period_start": month_start(period).to_numpy(),
            "rep_id": rep.astype(object).where(rep.notna(), "unknown").to_numpy(),
            "lead_source": None if lead_source is None else lead_source.astype(object).to_numpy(),
        }
    )
    frame["numerator"] = (
        numerator if isinstance(numerator, float) else pd.Series(numerator, dtype=float).to_numpy()
    )
    frame["denominator"] = 1.0
    return frame


def metric_facts(
    events: pd.DataFrame, as_of: pd.Timestamp, windows: Mapping[str, int]
) -> dict[str, pd.DataFrame]:
    """The facts of each of the ten metrics over deduplicated events that are all <= as_of."""
    kind = events["event_type"]
    conversation = is_conversation(events)
    fp = first_purchases(events)
    lead = leads(events, fp)
    qualified = qualification_times(events)

    with_fp = events.merge(fp[["contact_id", "fp_at", "fp_event_id"]], on="contact_id", how="left")
    prospect = ~(with_fp["fp_at"].notna() & (with_fp["fp_at"] < with_fp["occurred_at"]))
    outbound_sales = (events["direction"] == "outbound") & (events["purpose"] == "sales")

    facts: dict[str, pd.DataFrame] = {}

    # 1-3: counts of events, by the event's month and rep.
    for key, mask in {
        "conversations": conversation,
        "prospect_calls": (kind == "call") & outbound_sales & prospect.values,
        "prospecting_emails": (kind == "email") & outbound_sales & prospect.values,
    }.items():
        chosen = events[mask.fillna(False).astype(bool)]
        facts[key] = _facts(chosen["occurred_at"], chosen["rep_id"], 1.0)

    # 4: conversations between qualification and first purchase, per contact qualified by then.
    closers = fp.merge(qualified, on="contact_id", how="inner")
    closers = closers[closers["qualified_at"] <= closers["fp_at"]]
    talks = events[conversation][["contact_id", "occurred_at"]].merge(closers, on="contact_id")
    talks = talks[(talks["qualified_at"] <= talks["occurred_at"]) & (talks["occurred_at"] <= talks["fp_at"])]
    per_contact = talks.groupby("contact_id").size()
    closers_talks = closers["contact_id"].map(per_contact).fillna(0)
    facts["conversations_to_close"] = _facts(closers["fp_at"], closers["fp_rep"], closers_talks)

    # 5: days from lead time to first purchase, per lead that bought at or after its lead time.
    bought = lead[lead["fp_at"].notna() & (lead["fp_at"] >= lead["lead_at"])]
    days = (bought["fp_at"] - bought["lead_at"]).dt.total_seconds() / 86400
    facts["days_to_customer"] = _facts(
        bought["fp_at"], bought["lead_rep"], days, lead_source=bought["lead_source"]
    )

    # 6: leads by lead month; converted if first purchase at or after lead time (and <= as_of: filtered).
    converted = lead["fp_at"].notna() & (lead["fp_at"] >= lead["lead_at"])
    facts["prospect_conversion_rate"] = _facts(
        lead["lead_at"], lead["lead_rep"], converted.astype(float), lead_source=lead["lead_source"]
    )

    # 7: offers decided (won or lost) by the month they were sent; open ones are out.
    sent = events[kind == "offer_sent"].sort_values(FIRST, kind="stable").drop_duplicates("offer_id")
    won_ids = set(events.loc[(kind == "purchase") & events["offer_id"].notna(), "offer_id"])
    lost_ids = set(events.loc[(kind == "offer_lost") & events["offer_id"].notna(), "offer_id"])
    won = sent["offer_id"].isin(won_ids)
    expired = sent["occurred_at"] + pd.Timedelta(days=windows["offer_expiry_days"]) <= as_of
    lost = ~won & (sent["offer_id"].isin(lost_ids) | expired)
    decided = sent[won | lost]
    facts["offer_loss_rate"] = _facts(
        decided["occurred_at"], decided["rep_id"], lost[won | lost].astype(float)
    )

    # 8: mature leads with nothing (conversation, qualification, purchase) in [lead time, + window].
    window = pd.Timedelta(days=windows["never_engaged_window_days"])
    mature = lead[lead["lead_at"] + window <= as_of]
    engaging = events[conversation | kind.isin(["lead_qualified", "purchase"])][["contact_id", "occurred_at"]]
    engaging = engaging.merge(mature[["contact_id", "lead_at"]], on="contact_id")
    engaging = engaging[
        (engaging["lead_at"] <= engaging["occurred_at"])
        & (engaging["occurred_at"] <= engaging["lead_at"] + window)
    ]
    never = ~mature["contact_id"].isin(set(engaging["contact_id"]))
    facts["never_engaged_rate"] = _facts(
        mature["lead_at"], mature["lead_rep"], never.astype(float), lead_source=mature["lead_source"]
    )

    # 9: mature customers with another purchase in [first purchase, + window].
    window = pd.Timedelta(days=windows["repeat_purchase_window_days"])
    mature = fp[fp["fp_at"] + window <= as_of]
    repeats = with_fp[(kind == "purchase").values & (with_fp["event_id"] != with_fp["fp_event_id"]).values]
    repeats = repeats[
        (repeats["fp_at"] <= repeats["occurred_at"]) & (repeats["occurred_at"] <= repeats["fp_at"] + window)
    ]
    repeated = mature["contact_id"].isin(set(repeats["contact_id"]))
    facts["repeat_purchase_90d_rate"] = _facts(mature["fp_at"], mature["fp_rep"], repeated.astype(float))

    # 10: mature customers with a valid referral in [first purchase, + calendar months].
    months = pd.DateOffset(months=windows["referral_window_months"])
    mature = fp[fp["fp_at"] + months <= as_of]
    referrals = with_fp[((kind == "referral") & events["is_valid"]).values]
    referrals = referrals[
        (referrals["fp_at"] <= referrals["occurred_at"])
        & (referrals["occurred_at"] <= referrals["fp_at"] + months)
    ]
    referred = mature["contact_id"].isin(set(referrals["contact_id"]))
    facts["referral_6m_rate"] = _facts(mature["fp_at"], mature["fp_rep"], referred.astype(float))
    return facts


# --------------------------------------------------------------------------------------------------
# The long table
# --------------------------------------------------------------------------------------------------


def _long_rows(metric: str, facts: pd.DataFrame, months: pd.DatetimeIndex, is_count: bool, by_source: bool):
    """Aggregate one metric's facts to every (month, dimension, dimension value), without gaps."""
    dimensions = ["all", "rep_id"] + (["lead_source"] if by_source else [])
    parts = []
    for dimension in dimensions:
        keyed = facts.assign(dimension_value="" if dimension == "all" else facts[dimension])
        sums = keyed.groupby(["period_start", "dimension_value"], as_index=False)[
            ["numerator", "denominator"]
        ].sum()
        values = [""] if dimension == "all" else sorted(set(keyed["dimension_value"]))
        grid = pd.MultiIndex.from_product(
            [months, values], names=["period_start", "dimension_value"]
        ).to_frame(index=False)
        rows = grid.merge(sums, on=["period_start", "dimension_value"], how="left")
        rows[["numerator", "denominator"]] = rows[["numerator", "denominator"]].fillna(0.0)
        rows["dimension"] = dimension
        if dimension == "all":
            rows["dimension_value"] = None
        parts.append(rows)
    rows = pd.concat(parts, ignore_index=True)
    rows["metric"] = metric
    if is_count:
        rows["denominator"] = float("nan")
        rows["value"] = rows["numerator"]
    else:
        rows["value"] = (rows["numerator"] / rows["denominator"]).where(rows["denominator"] != 0)
    return rows


def compute_metric_values(
    events: pd.DataFrame, as_of=None, windows: Mapping[str, int] = DEFAULT_WINDOWS
) -> pd.DataFrame:
    """The rows of marts.metric_values for the given rows of raw.sales_events.

    `as_of`: ISO text, date or timestamp (naive = UTC), or None for the latest occurred_at.
    `period_start` is returned as a datetime64 at midnight of the month's first day.
    """
    windows = {**DEFAULT_WINDOWS, **windows}
    deduped = deduplicate(events)
    if deduped.empty:
        return pd.DataFrame(columns=OUTPUT_COLUMNS)
    as_of = deduped["occurred_at"].max() if as_of is None else parse_as_of(as_of)
    kept = deduped[deduped["occurred_at"] <= as_of].reset_index(drop=True)
    if kept.empty:
        return pd.DataFrame(columns=OUTPUT_COLUMNS)

    first_month = kept["occurred_at"].min().to_period("M")
    months = pd.period_range(first_month, as_of.to_period("M"), freq="M").to_timestamp()

    facts = metric_facts(kept, as_of, windows)
    rows = [
        _long_rows(metric, facts[metric], months, is_count, by_source)
        for metric, (is_count, by_source) in METRICS.items()
    ]
    result = pd.concat(rows, ignore_index=True)[OUTPUT_COLUMNS]
    result["period_start"] = result["period_start"].astype("datetime64[ns]")
    result["dimension_value"] = (
        result["dimension_value"].astype(object).where(result["dimension_value"].notna(), None)
    )
    for column in ("numerator", "denominator", "value"):
        result[column] = result[column].astype(float)
    return result.reset_index(drop=True)
