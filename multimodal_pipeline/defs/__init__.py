"""The Dagster layer: partitions, resources, one module per tier (asset + its checks), sensors, jobs."""

import os
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from multimodal_pipeline.defs import (
    aligned_pairs, audio, chat_events, curated_snapshot, raw_video, speech_segments, training,
)
from multimodal_pipeline.defs.qa import qa_job, qa_sensor, qa_summary
from multimodal_pipeline.defs.catalog import build_catalog_asset
from multimodal_pipeline.defs.io_manager import ContentAddressedParquetIOManager
from multimodal_pipeline.defs.jobs import corpus_pipeline, refresh_catalog, video_executor, video_pipeline
from multimodal_pipeline.defs.resources import PipelineResource
from multimodal_pipeline.defs.sensors import corpus_automation_sensor, inbox_sensor
from multimodal_pipeline.defs.versions import versioned
from multimodal_pipeline.settings import DataLayout, default_config_file, default_data_root, load_config
from multimodal_pipeline.storage.root import DataRoot

TIER_MODULES = [raw_video, audio, speech_segments, chat_events, aligned_pairs, curated_snapshot, training]


def build_defs(data_root: str | Path | None = None, config_file: str | Path | None = None) -> dg.Definitions:
    """All definitions, storing data under `data_root` (default `$MMP_DATA_ROOT` or `data/` in the checkout)."""
    store = DataRoot(data_root or default_data_root())  # a folder or an object-store URI
    config = config_file if config_file is not None else default_config_file()
    assets = versioned(dg.load_assets_from_modules(TIER_MODULES), load_config(config or None))
    layout, root = DataLayout(store.local), store.uri
    return dg.Definitions(
        assets=[*assets, build_catalog_asset(assets), qa_summary],
        jobs=[video_pipeline, corpus_pipeline, refresh_catalog, qa_job],
        sensors=[inbox_sensor, qa_sensor, corpus_automation_sensor],
        # with MMP_EXECUTOR=celery, ad-hoc materializations (the UI's Materialize, `dagster asset materialize`) go to
        # the Celery workers too; otherwise Dagster's default executor
        executor=video_executor() if os.environ.get("MMP_EXECUTOR") == "celery" else None,
        resources={
            "io_manager": ContentAddressedParquetIOManager(data_root=root),
            "pipeline": PipelineResource(data_root=root, config_file=str(config or "")),
            "duckdb": DuckDBResource(database=str(layout.catalog)),
        },
    )
