import dagster as dg

from multimodal_pipeline.defs.common import VIDEO_TAGS
from multimodal_pipeline.defs.partitions import videos

#: Every per-video asset of one partition, with its checks (the inbox sensor requests this job). The tiers run one
#: after the other in the run's own process: one import of the stack per run instead of one per step (the heavy
#: steps are sequential anyway: ASR and training hold their concurrency pools); videos run in parallel as runs.
video_pipeline = dg.define_asset_job(
    name="video_pipeline",
    selection=dg.AssetSelection.tag(*next(iter(VIDEO_TAGS.items()))),
    partitions_def=videos,
    executor_def=dg.in_process_executor,
    description="All per-video tiers of one video partition, checks included.",
)

#: Refreshes the DuckDB audit catalog (one view per tier over the current Parquet).
refresh_catalog = dg.define_asset_job(name="refresh_catalog", selection=dg.AssetSelection.assets("audit_catalog"),
                                      description="Recreate the DuckDB views over the current tables.")

#: The cross-video chain: one snapshot (and model) over every video that passed its gates.
corpus_pipeline = dg.define_asset_job(name="corpus_pipeline", selection=dg.AssetSelection.tag("mmp/scope", "corpus"),
                                      executor_def=dg.in_process_executor,
                                      description="Corpus snapshot over every curated video that passed its gates.")
