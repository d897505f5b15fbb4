"""Table validation against a record contract, with errors that name the file, the row and the field."""

from __future__ import annotations

import polars as pl

from multimodal_pipeline.contracts.base import Record, nullable_fields, polars_schema


class ContractError(ValueError):
    """A table broke its contract. The message names the source, the row (0-based) and the field."""

    def __init__(self, source: str, field: str, problem: str, row: int | None = None):
        self.source, self.field, self.problem, self.row = source, field, problem, row
        where = f"{source}: row {row}, field '{field}'" if row is not None else f"{source}: field '{field}'"
        super().__init__(f"{where}: {problem}")


def validate(df: pl.DataFrame, model: type[Record], source: str = "<table>") -> pl.DataFrame:
    """Check `df` against `model`; return it with its columns in contract order, or raise ContractError.

    Extra columns are allowed (a tier may carry more than the minimum) and kept after the contract's columns.
    """
    schema = polars_schema(model)
    for name, dtype in schema.items():
        if name not in df.columns:
            raise ContractError(source, name, f"missing column (expected {dtype})")
        actual = df.schema[name]
        if actual != dtype and not (actual == pl.Null and name in nullable_fields(model)):
            raise ContractError(source, name, f"dtype is {actual}, contract says {dtype}")
    for name in schema:
        if name in nullable_fields(model):
            continue
        nulls = df.select(pl.col(name).is_null().arg_true().first()).item()
        if nulls is not None:
            raise ContractError(source, name, "null in a required field", row=int(nulls))
    for field, rule, expr in model.table_rules:
        bad = df.select((~expr().fill_null(False)).arg_true().first()).item()
        if bad is not None:
            value = df[field][int(bad)]
            raise ContractError(source, field, f"breaks rule '{rule}' (value {value!r})", row=int(bad))
    extra = [c for c in df.columns if c not in schema]
    return df.select([*schema.keys(), *extra])
