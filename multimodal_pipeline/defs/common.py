import warnings

import dagster as dg
import polars as pl

from multimodal_pipeline.defs.partitions import videos
from multimodal_pipeline.defs.resources import PipelineResource
from multimodal_pipeline.storage import MissingTableError, TableStore

VIDEO_TAGS = {"mmp/scope": "video"}

# Partitioned asset checks (partitions_def on a check) are what we rely on; Dagster marks them "preview".
warnings.filterwarnings("ignore", message=".*partitions_def on an AssetCheckSpec.*")


def video_asset(**kwargs):
    """A per-video tier: partitioned by `videos`, stored by the content-addressed Parquet IO manager."""
    return dg.asset(partitions_def=videos, tags=VIDEO_TAGS, group_name="per_video", **kwargs)


def video_check(asset, blocking: bool = False, **kwargs):
    """A check of one partition of a per-video tier (`partitions_def` so it loads only that partition)."""
    return dg.asset_check(asset=asset, partitions_def=videos, blocking=blocking, **kwargs)


def check_result(passed: bool, metadata: dict, description: str = "") -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=bool(passed), metadata=metadata, description=description or None,
                               severity=dg.AssetCheckSeverity.ERROR)


def check_from(result: tuple[bool, dict], description: str = "") -> dg.AssetCheckResult:
    """Wrap a domain check's `(passed, metadata)`; lists and dicts become JSON metadata."""
    passed, metadata = result
    meta = {k: dg.MetadataValue.json(v) if isinstance(v, (list, dict)) else v for k, v in metadata.items()
            if v is not None}
    if not passed and not description:
        description = str(metadata.get("error") or metadata.get("reason") or "")
    return check_result(passed, meta, description)


def side_table_name(asset: str) -> str:
    return f"{asset}_rejects"


def store_rejects(pipeline: PipelineResource, asset: str, partition: str | None, rejects: pl.DataFrame) -> dict:
    """Rejected rows are kept, never dropped: a content-addressed table beside the asset's own."""
    stored = TableStore(pipeline.layout.tables).write(rejects, side_table_name(asset), partition, 1)
    return {"rejects_path": dg.MetadataValue.path(stored.path), "rejected_rows": stored.rows}


def load_rejects(pipeline: PipelineResource, asset: str, partition: str | None) -> pl.DataFrame:
    try:
        return TableStore(pipeline.layout.tables).read(side_table_name(asset), partition)
    except MissingTableError:
        return pl.DataFrame()
