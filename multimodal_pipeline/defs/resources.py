from typing import Any

import dagster as dg
from pydantic import Field

from multimodal_pipeline.contracts.config import PipelineConfig
from multimodal_pipeline.ingest.registry import video_overrides
from multimodal_pipeline.settings import DataLayout, default_data_root, load_config, with_overrides
from multimodal_pipeline.storage import StageCache, TableStore
from multimodal_pipeline.storage.root import DataRoot


class PipelineResource(dg.ConfigurableResource):
    """Where the data tiers live and the pipeline configuration (`pipeline.yaml`, one section per tier), with the
    settings a run overrides (the Launchpad's `resources: pipeline: config: settings:`)."""

    data_root: str = Field("", description="where the tiers live: a folder or an object-store URI (s3://bucket/prefix) "
                                           "('' = $MMP_DATA_ROOT, else data/ in the checkout)")
    config_file: str = Field("", description="the pipeline.yaml the settings come from ('' = built-in defaults)")
    settings: dict[str, Any] = Field(default_factory=dict, description=(
        "this run's changes to pipeline.yaml, by section, e.g. {align: {accept_threshold: 0.7}, train: {max_steps: "
        "20}}: set them in the Launchpad; the run's config records them"))

    @property
    def store(self) -> DataRoot:
        """The data root: a folder or an object-store URI; everything stored goes through it by key."""
        return DataRoot(self.data_root or default_data_root())

    @property
    def layout(self) -> DataLayout:
        """The folders of the data root's working copy (where tools read and write files)."""
        return DataLayout(self.store.local)

    @property
    def tables(self) -> TableStore:
        return TableStore.of_data_root(self.store)

    @property
    def registry(self) -> DataRoot:
        return self.store.sub("registry")

    @property
    def stage_cache(self) -> StageCache:
        return StageCache(self.store.sub("staged/stage_cache"))

    @property
    def config(self) -> PipelineConfig:
        """`pipeline.yaml` with this run's `settings` applied (validated: an unknown section or field fails the step
        with its name)."""
        return with_overrides(load_config(self.config_file or None), self.settings)

    def video_config(self, video_id: str) -> PipelineConfig:
        """The configuration of one video: the run's configuration with the settings of its inbox line (`start=`,
        `chat_offset=`, `lang=`) applied."""
        return with_overrides(self.config, video_overrides(self.registry, video_id))
