import os

import dagster as dg

from multimodal_pipeline.defs.common import VIDEO_TAGS
from multimodal_pipeline.defs.partitions import videos


def video_executor() -> dg.ExecutorDefinition:
    """Where the per-video steps run. Default: in the run's own process (one import of the stack per run; the heavy
    steps are sequential anyway; videos run in parallel as runs). `MMP_EXECUTOR=celery`: every step is a Celery task
    on the workers listening to the broker `MMP_CELERY_BROKER` (results in `MMP_CELERY_BACKEND`, default the broker),
    for several processes or machines sharing the data root (docs/scale.md)."""
    if os.environ.get("MMP_EXECUTOR", "in_process") != "celery":
        return dg.in_process_executor
    from dagster_celery import celery_executor

    broker = os.environ.get("MMP_CELERY_BROKER", "redis://127.0.0.1:6379/0")
    return celery_executor.configured({"broker": broker, "backend": os.environ.get("MMP_CELERY_BACKEND", broker)},
                                      name="celery")


#: Every per-video asset of one partition, with its checks (the inbox sensor requests this job).
video_pipeline = dg.define_asset_job(
    name="video_pipeline",
    selection=dg.AssetSelection.tag(*next(iter(VIDEO_TAGS.items()))),
    partitions_def=videos,
    executor_def=video_executor(),
    description="All per-video tiers of one video partition, checks included.",
)

#: Refreshes the DuckDB audit catalog (one view per tier over the current Parquet).
refresh_catalog = dg.define_asset_job(name="refresh_catalog", selection=dg.AssetSelection.assets("audit_catalog"),
                                      description="Recreate the DuckDB views over the current tables.")

#: The cross-video chain: one snapshot (and model) over every video that passed its gates.
corpus_pipeline = dg.define_asset_job(name="corpus_pipeline", selection=dg.AssetSelection.tag("mmp/scope", "corpus"),
                                      executor_def=dg.in_process_executor,
                                      description="Corpus snapshot over every curated video that passed its gates.")
