"""The CRM settings as Dagster resources (docs/sources.md): each field reads its variable when set.

`settings()` checks the values and returns the plain settings the extraction takes
(dagster_project/lib/sources/); `setup_for_execution` does it when a run starts, so a bad value
fails the run within seconds with a message naming the variable.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import dagster as dg
from pydantic import Field

from dagster_project.defs.resources import _from_env
from dagster_project.lib.settings import SettingsError, resolve_path
from dagster_project.lib.sources.hubspot import PUBLIC_API_URL, HubSpotSettings
from dagster_project.lib.sources.salesforce import API_VERSION, SalesforceSettings

HUBSPOT_ENV_VARS = {
    "token": "SALES_HUBSPOT_TOKEN",
    "api_url": "SALES_HUBSPOT_API_URL",
    "referral_property": "SALES_HUBSPOT_REFERRAL_PROPERTY",
}
SALESFORCE_ENV_VARS = {
    "instance_url": "SALES_SALESFORCE_INSTANCE_URL",
    "token": "SALES_SALESFORCE_TOKEN",
    "export_dir": "SALES_SALESFORCE_EXPORT_DIR",
    "api_version": "SALES_SALESFORCE_API_VERSION",
}


def _url(variable: str, value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(variable, value, "an http(s) URL, e.g. https://yourcompany.my.salesforce.com")
    return value.strip().rstrip("/")


class HubSpotResource(dg.ConfigurableResource):
    """HubSpot's API: a private app's access token; extraction is on when it is set."""

    token: str = Field("", description="SALES_HUBSPOT_TOKEN: a private app's access token")
    api_url: str = Field(PUBLIC_API_URL, description="SALES_HUBSPOT_API_URL: the API's base URL")
    referral_property: str = Field(
        "", description="SALES_HUBSPOT_REFERRAL_PROPERTY: contact property naming the referrer (empty: none)"
    )

    def settings(self) -> HubSpotSettings:
        if not self.token.strip():
            raise SettingsError("SALES_HUBSPOT_TOKEN", self.token, "a HubSpot private app access token")
        return HubSpotSettings(
            token=self.token.strip(),
            api_url=_url("SALES_HUBSPOT_API_URL", self.api_url),
            referral_property=self.referral_property.strip() or None,
        )

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self.settings()


class SalesforceResource(dg.ConfigurableResource):
    """Salesforce: the REST API (instance URL + access token), or a folder of Data Export CSVs."""

    instance_url: str = Field(
        "", description="SALES_SALESFORCE_INSTANCE_URL, e.g. https://acme.my.salesforce.com"
    )
    token: str = Field("", description="SALES_SALESFORCE_TOKEN: an OAuth access token")
    export_dir: str = Field(
        "",
        description="SALES_SALESFORCE_EXPORT_DIR: the unzipped weekly Data Export (used without API settings)",
    )
    api_version: str = Field(API_VERSION, description="SALES_SALESFORCE_API_VERSION")

    def settings(self) -> SalesforceSettings:
        url, token, folder = self.instance_url.strip(), self.token.strip(), self.export_dir.strip()
        if bool(url) != bool(token):
            missing = "SALES_SALESFORCE_TOKEN" if url else "SALES_SALESFORCE_INSTANCE_URL"
            raise SettingsError(missing, "", "a value: the API needs both the instance URL and a token")
        if not url and not folder:
            raise SettingsError(
                "SALES_SALESFORCE_EXPORT_DIR", folder, "a folder of Data Export CSVs, or the API settings"
            )
        export_dir = resolve_path(folder) if folder else None
        if export_dir is not None and not url and not export_dir.is_dir():
            raise SettingsError("SALES_SALESFORCE_EXPORT_DIR", folder, "an existing folder")
        if not self.api_version.replace(".", "").isdigit():
            raise SettingsError("SALES_SALESFORCE_API_VERSION", self.api_version, "a version such as 62.0")
        return SalesforceSettings(
            instance_url=_url("SALES_SALESFORCE_INSTANCE_URL", url) if url else None,
            token=token or None,
            export_dir=Path(export_dir) if export_dir else None,
            api_version=self.api_version,
        )

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self.settings()


def hubspot_resource() -> HubSpotResource:
    return HubSpotResource(**_from_env(HUBSPOT_ENV_VARS))


def salesforce_resource() -> SalesforceResource:
    return SalesforceResource(**_from_env(SALESFORCE_ENV_VARS))


def hubspot_enabled() -> bool:
    """On when its token is set (read when the definitions load, like the resources' variables)."""
    return bool(os.environ.get(HUBSPOT_ENV_VARS["token"]))


def salesforce_enabled() -> bool:
    """On when any of its API or export variables is set: a half-set API fails the run, naming the other."""
    return any(
        os.environ.get(SALESFORCE_ENV_VARS[field]) for field in ("instance_url", "token", "export_dir")
    )
