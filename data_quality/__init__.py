"""Great Expectations suites for the raw, staging and mart layers, and the code that runs them.

- `checks.py`: the catalog: every check's name, asset, severity and the aggregate it validates
  (imported by Dagster at load time, so it never imports GX).
- `aggregates/`: DuckDB SQL that reduces a layer to small frames (per load, per day, per value).
- `suites/`: the expectation suites (GX Core 1.x), one per check, versioned here.
- `runner.py`: validates the frames with GX's pandas data source and builds the Data Docs.
- `data_docs.py`: where the Data Docs go, and the offline index of the latest results.

See docs/data_quality.md.
"""
