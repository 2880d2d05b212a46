"""CRM extraction (docs/sources.md): dlt sources for HubSpot and Salesforce (`hubspot.py`,
`salesforce.py`), dlt's own DuckDB file beside the warehouse (`staging.py`), and the SQL mapping to
canonical events with its seed tables and ledger (`mapping.py`, `sql/`, `seeds/`)."""
