"""The CRM settings and seed tables: bad values fail with messages that say what to fix."""

from __future__ import annotations

import shutil

import dagster as dg
import pytest

from dagster_project.defs.sources import HubSpotResource, SalesforceResource, build_defs
from dagster_project.defs.sources.resources import hubspot_enabled, salesforce_enabled
from dagster_project.lib.settings import SettingsError
from dagster_project.lib.sources.hubspot import HubSpotSettings, hubspot_mapping
from dagster_project.lib.sources.mapping import SEEDS_DIR, SeedError, read_seed
from dagster_project.lib.sources.salesforce import salesforce_mapping

MAPPINGS = [hubspot_mapping(HubSpotSettings(token="t")), salesforce_mapping()]


@pytest.mark.parametrize("seed", [s for m in MAPPINGS for s in m.seeds], ids=lambda s: s.name)
def test_shipped_seeds_are_valid(seed):
    rows = read_seed(seed)
    assert seed.name == "hubspot_deal_stages" or rows  # every seed but the stage overrides ships rows


def test_a_bad_seed_row_names_its_file_line_and_the_accepted_values(tmp_path):
    seeds = shutil.copytree(SEEDS_DIR, tmp_path / "seeds")
    path = seeds / "hubspot_call_dispositions.csv"
    path.write_text(path.read_text() + "1234,Spoke to the CEO,spoke\n")
    (seed,) = [s for s in MAPPINGS[0].seeds if s.name == "hubspot_call_dispositions"]
    with pytest.raises(SeedError, match=r"hubspot_call_dispositions.csv, line 8: outcome must be one of "
                                        r"connected, voicemail, .*, not 'spoke'"):  # fmt: skip
        read_seed(seed, seeds)
    path.write_text("id,outcome\n")
    with pytest.raises(SeedError, match="the header must be disposition_id,label,outcome"):
        read_seed(seed, seeds)


def test_hubspot_settings_name_the_variable_to_fix():
    with pytest.raises(SettingsError, match="SALES_HUBSPOT_TOKEN=''"):
        HubSpotResource().settings()
    with pytest.raises(
        SettingsError, match="SALES_HUBSPOT_API_URL='api.hubapi.com' is not valid: expected an http"
    ):
        HubSpotResource(token="t", api_url="api.hubapi.com").settings()
    settings = HubSpotResource(token=" t ", referral_property="referred_by").settings()
    assert settings == HubSpotSettings(
        token="t", api_url="https://api.hubapi.com", referral_property="referred_by"
    )


def test_salesforce_settings_name_the_variable_to_fix(tmp_path):
    with pytest.raises(SettingsError, match="SALES_SALESFORCE_TOKEN"):
        SalesforceResource(instance_url="https://acme.my.salesforce.com").settings()
    with pytest.raises(
        SettingsError, match="SALES_SALESFORCE_EXPORT_DIR='/nowhere' is not valid: expected an existing"
    ):
        SalesforceResource(export_dir="/nowhere").settings()
    with pytest.raises(SettingsError, match="SALES_SALESFORCE_API_VERSION='v62'"):
        SalesforceResource(
            instance_url="https://a.my.salesforce.com", token="t", api_version="v62"
        ).settings()
    api = SalesforceResource(instance_url="https://acme.my.salesforce.com/", token="t").settings()
    assert (api.uses_api, api.instance_url) == (True, "https://acme.my.salesforce.com")
    export = SalesforceResource(export_dir=str(tmp_path)).settings()
    assert (export.uses_api, export.export_dir) == (False, tmp_path)


def test_a_group_is_on_when_its_credentials_are_set(monkeypatch):
    for variable in ["SALES_HUBSPOT_TOKEN", "SALES_SALESFORCE_INSTANCE_URL", "SALES_SALESFORCE_TOKEN",
                     "SALES_SALESFORCE_EXPORT_DIR"]:  # fmt: skip
        monkeypatch.delenv(variable, raising=False)
    assert (hubspot_enabled(), salesforce_enabled()) == (False, False)
    monkeypatch.setenv("SALES_SALESFORCE_EXPORT_DIR", "/exports/salesforce")
    monkeypatch.setenv("SALES_HUBSPOT_TOKEN", "pat-na1-x")
    assert (hubspot_enabled(), salesforce_enabled()) == (True, True)

    def groups(defs: dg.Definitions) -> tuple[set[str], set[str]]:
        """(groups with assets to run, CRMs that are off: one external asset each)"""
        on = {spec.group_name for a in defs.assets if isinstance(a, dg.AssetsDefinition) for spec in a.specs}
        off = {a.key.path[0] for a in defs.assets if isinstance(a, dg.AssetSpec)}
        return on, off

    assert groups(build_defs(hubspot=False, salesforce=False)) == (set(), {"hubspot", "salesforce"})
    assert groups(build_defs(hubspot=True, salesforce=False)) == ({"hubspot"}, {"salesforce"})
    assert groups(build_defs(hubspot=True, salesforce=True)) == ({"hubspot", "salesforce"}, set())
