"""Package names imported on first use (PEP 562): importing one light module of a package (a config, the atomic
writer) does not load what its siblings need (Polars, DuckDB)."""

from __future__ import annotations

import importlib
from collections.abc import Callable


def lazy_exports(package: str, where: dict[str, str], namespace: dict) -> tuple[Callable, Callable]:
    """`(__getattr__, __dir__)` for `package`: `where` maps each exported name to the submodule that defines it; a
    name is imported on first use and kept in the package's `namespace`."""

    def __getattr__(name: str):
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = importlib.import_module(f"{package}.{where[name]}")
        # every name of that submodule at once: importing it has just set the package's attribute of its own name
        # (`contracts.validate`, the module), which must not hide the export of the same name (the function)
        namespace.update({n: getattr(module, n) for n, sub in where.items() if sub == where[name]})
        return namespace[name]

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(where))

    return __getattr__, __dir__
