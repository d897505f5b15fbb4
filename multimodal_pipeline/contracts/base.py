"""Record base class and the derivation of Polars schemas from pydantic models.

One source of truth: every tier's table schema is derived from its pydantic record model, so a column has one
name and one type everywhere. Times are integer milliseconds from the start of the video.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from typing import Any, ClassVar, Union, get_args, get_origin

import polars as pl
from pydantic import BaseModel, ConfigDict

_SCALARS: dict[type, pl.DataType] = {
    int: pl.Int64(),
    float: pl.Float64(),
    str: pl.String(),
    bool: pl.Boolean(),
}


class Record(BaseModel):
    """A row of a tier table. Subclasses declare fields; the table schema follows from them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: name of the tier (the asset key) this record belongs to
    tier: ClassVar[str] = ""
    #: bumped whenever the columns change; written into every Parquet file's metadata
    schema_version: ClassVar[int] = 1
    #: row-level rules checked on whole tables: (field, rule text, expression that must hold)
    table_rules: ClassVar[tuple[tuple[str, str, Callable[[], pl.Expr]], ...]] = ()


def _unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1 and len(get_args(annotation)) == 2:
            return args[0], True
    return annotation, False


def dtype_of(annotation: Any) -> pl.DataType:
    """Polars dtype for a pydantic field annotation."""
    annotation, _ = _unwrap_optional(annotation)
    if annotation in _SCALARS:
        return _SCALARS[annotation]
    origin = get_origin(annotation)
    if origin in (list, typing.List):  # noqa: UP006
        (inner,) = get_args(annotation)
        return pl.List(dtype_of(inner))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return pl.Struct({name: dtype_of(f.annotation) for name, f in annotation.model_fields.items()})
    raise TypeError(f"no Polars dtype for annotation {annotation!r}")


def polars_schema(model: type[BaseModel]) -> pl.Schema:
    """The Polars schema of a record model, columns in declaration order."""
    return pl.Schema({name: dtype_of(f.annotation) for name, f in model.model_fields.items()})


def nullable_fields(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(name for name, f in model.model_fields.items() if _unwrap_optional(f.annotation)[1])


def empty_frame(model: type[BaseModel]) -> pl.DataFrame:
    return pl.DataFrame(schema=polars_schema(model))


def frame_from_records(model: type[BaseModel], rows: list[BaseModel] | list[dict[str, Any]]) -> pl.DataFrame:
    """Build a table with exactly the model's schema from records or dicts."""
    defaults = {name: f.default for name, f in model.model_fields.items() if not f.is_required()}
    dicts = [r.model_dump() if isinstance(r, BaseModel) else {**defaults, **r} for r in rows]
    return pl.DataFrame(dicts, schema=polars_schema(model))
