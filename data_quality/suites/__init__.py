"""The expectation suites (GX Core 1.x), versioned in this folder: one module a layer, one suite a
check, each named after its Dagster check. Importing this package imports GX (seconds): only the
runner does, when checks run."""

from collections.abc import Callable

from data_quality.gx import gx

from . import marts, raw, staging


def _suites(module) -> dict[str, Callable[[], gx.ExpectationSuite]]:
    return {name: fn for name, fn in vars(module).items() if name.startswith("gx_") and callable(fn)}


SUITES: dict[str, Callable[[], gx.ExpectationSuite]] = {**_suites(raw), **_suites(staging), **_suites(marts)}
