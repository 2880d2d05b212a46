"""CRM extraction (docs/sources.md): a `hubspot` and a `salesforce` asset group, each on when its
credentials are set when the definitions load."""

import dagster as dg
from dagster_dlt import DagsterDltResource

from .assets import CRM_EVENT_KEYS, hubspot_assets, salesforce_assets
from .resources import (
    HubSpotResource,
    SalesforceResource,
    hubspot_enabled,
    hubspot_resource,
    salesforce_enabled,
    salesforce_resource,
)


def build_defs(hubspot: bool, salesforce: bool) -> dg.Definitions:
    """The groups asked for, with their resources. Tests pass other resources to their runs."""
    assets = [*(hubspot_assets() if hubspot else []), *(salesforce_assets() if salesforce else [])]
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
