"""Great Expectations, imported without pyspark: every module here imports GX from this one.

GX probes for pyspark when it is imported. pyspark 4 (installed for the Spark target, which runs it
in dbt's own process) exits the whole process at import when the main module has no file, as in a
Dagster run worker, and costs seconds of import elsewhere. So GX is imported while pyspark looks
absent, and pyspark stays importable afterwards for whoever needs it.
"""

import sys

_hide_pyspark = "pyspark" not in sys.modules
if _hide_pyspark:
    sys.modules["pyspark"] = None  # `import pyspark` raises ImportError: "not installed" for GX
try:
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )
    from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier
finally:
    if _hide_pyspark:
        del sys.modules["pyspark"]

__all__ = [
    "DataContextConfig", "ExpectationSuiteIdentifier", "InMemoryStoreBackendDefaults", "ProgressBarsConfig",
    "RunIdentifier", "gx", "gxe",
]  # fmt: skip
