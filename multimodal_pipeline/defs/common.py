import os
import warnings
from dataclasses import dataclass

import dagster as dg
import polars as pl

from multimodal_pipeline.defs.partitions import videos
from multimodal_pipeline.defs.resources import PipelineResource
from multimodal_pipeline.storage import MissingTableError
from multimodal_pipeline.storage.hashing import frame_sha256

VIDEO_TAGS = {"mmp/scope": "video"}

# Partitioned asset checks (partitions_def on a check) are what we rely on; Dagster marks them "preview".
warnings.filterwarnings("ignore", message=".*partitions_def on an AssetCheckSpec.*")
# so are data versions on outputs (content hashes: see `output`)
warnings.filterwarnings("ignore", message=".*`data_version` of initializer `Output.__init__`.*")
# Run logs carry progress as log lines at a sane rate (each step logs its own): no progress bars from the libraries
# (tqdm, Hugging Face), no deprecation notices of the libraries' own internals. Step processes import this module.
os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
for _category in (FutureWarning, DeprecationWarning):
    warnings.filterwarnings("ignore", category=_category, module=r"(transformers|torch|trl|peft|datasets|accelerate|"
                                                                  r"huggingface_hub|sentence_transformers|faster_whisper|"
                                                                  r"ctranslate2|mlflow|pydantic|sklearn)(\.|$)")


@dataclass(frozen=True)
class Gate:
    """An asset check computed inside its asset's step (one step per tier); a failed blocking gate fails the step
    after the table is stored, so nothing downstream runs on it."""

    name: str
    description: str
    blocking: bool = True


def gated_asset(gates: tuple[Gate, ...] = (), partitions_def=None, **kwargs):
    """`dg.asset` with `gates` as its `check_specs` (keyed to the asset the decorated function defines)."""
    def decorate(fn):
        specs = [dg.AssetCheckSpec(g.name, asset=fn.__name__, description=g.description, blocking=g.blocking,
                                   partitions_def=partitions_def) for g in gates]
        return dg.asset(partitions_def=partitions_def, check_specs=specs, **kwargs)(fn)

    return decorate


def video_asset(gates: tuple[Gate, ...] = (), **kwargs):
    """A per-video tier: partitioned by `videos`, stored by the content-addressed Parquet IO manager, its gates
    computed in the same step."""
    return gated_asset(gates, partitions_def=videos, tags=VIDEO_TAGS, group_name="per_video", **kwargs)


def output(table: pl.DataFrame, metadata: dict) -> dg.Output:
    """A tier's table with its data version: the hash of its content, so a re-run that yields the same table leaves
    what was built from it fresh, and one that changes it marks that stale in the UI."""
    return dg.Output(table, metadata=metadata, data_version=dg.DataVersion(frame_sha256(table)[:16]))


def check_result(name: str, passed: bool, metadata: dict, description: str = "",
                 warn: bool = False) -> dg.AssetCheckResult:
    """One gate's result; `warn`: a failure that is a warning (never blocks)."""
    meta = {k: dg.MetadataValue.json(v) if isinstance(v, (list, dict)) else v for k, v in metadata.items()
            if v is not None}
    return dg.AssetCheckResult(check_name=name, passed=bool(passed), metadata=meta, description=description or None,
                               severity=dg.AssetCheckSeverity.WARN if warn else dg.AssetCheckSeverity.ERROR)


def check_from(name: str, result: tuple[bool, dict], description: str = "") -> dg.AssetCheckResult:
    """Wrap a domain check's `(passed, metadata)`; lists and dicts become JSON metadata."""
    passed, metadata = result
    if not passed and not description:
        # the reason a person reads in the QA view: the check's own words, else its figures
        description = str(metadata.get("error") or metadata.get("reason") or "") or "; ".join(
            f"{k} {v}" for k, v in metadata.items() if isinstance(v, (int, float, str, list, dict))
            and len(str(v)) <= 80)[:300]
    return check_result(name, passed, metadata, description)


def no_chat(name: str, what: str) -> dg.AssetCheckResult:
    """The gate of a video without live chat: a warning, not a failure (there is nothing to pair)."""
    return check_result(name, False, {"chat_events": 0}, f"no chat for this video: {what}", warn=True)


def side_table_name(asset: str) -> str:
    return f"{asset}_rejects"


def store_rejects(pipeline: PipelineResource, asset: str, partition: str | None, rejects: pl.DataFrame) -> dict:
    """Rejected rows are kept, never dropped: a content-addressed table beside the asset's own."""
    tables = pipeline.tables
    stored = tables.write(rejects, side_table_name(asset), partition, 1)
    return {"rejects_path": dg.MetadataValue.path(tables.url(stored)), "rejected_rows": stored.rows}


def load_rejects(pipeline: PipelineResource, asset: str, partition: str | None) -> pl.DataFrame:
    try:
        return pipeline.tables.read(side_table_name(asset), partition)
    except MissingTableError:
        return pl.DataFrame()
