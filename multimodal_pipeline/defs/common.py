import dagster as dg

from multimodal_pipeline.defs.partitions import videos

VIDEO_TAGS = {"mmp/scope": "video"}


def video_asset(**kwargs):
    """A per-video tier: partitioned by `videos`, stored by the content-addressed Parquet IO manager."""
    return dg.asset(partitions_def=videos, tags=VIDEO_TAGS, group_name="per_video", **kwargs)


def video_check(asset, blocking: bool = False, **kwargs):
    """A check of one partition of a per-video tier (`partitions_def` so it loads only that partition)."""
    return dg.asset_check(asset=asset, partitions_def=videos, blocking=blocking, **kwargs)


def check_result(passed: bool, metadata: dict, description: str = "") -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=bool(passed), metadata=metadata, description=description or None,
                               severity=dg.AssetCheckSeverity.ERROR)
