"""CRM extraction (docs/sources.md): a `hubspot` and a `salesforce` asset group, each on when its
credentials are set when the definitions load."""

import dagster as dg
from dagster_dlt import DagsterDltResource

from .assets import CRM_EVENT_KEYS, hubspot_assets, salesforce_assets, switched_off
from .resources import (
    HubSpotResource,
    SalesforceResource,
    hubspot_enabled,
    hubspot_resource,
    salesforce_enabled,
    salesforce_resource,
)


def build_defs(hubspot: bool, salesforce: bool) -> dg.Definitions:
    """The groups asked for, with their resources; a CRM left off is one external asset that says how
    to turn it on. Tests pass other resources to their runs."""
    assets = [
        *(hubspot_assets() if hubspot else [switched_off("hubspot")]),
        *(salesforce_assets() if salesforce else [switched_off("salesforce")]),
    ]
    return dg.Definitions(
        assets=assets,
        resources={
            "hubspot": hubspot_resource(),
            "salesforce": salesforce_resource(),
            "dlt": DagsterDltResource(),
        },
    )


defs = build_defs(hubspot=hubspot_enabled(), salesforce=salesforce_enabled())

__all__ = ["CRM_EVENT_KEYS", "HubSpotResource", "SalesforceResource", "build_defs", "defs"]
