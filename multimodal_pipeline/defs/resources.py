from pathlib import Path

import dagster as dg

from multimodal_pipeline.contracts.config import PipelineConfig
from multimodal_pipeline.ingest.registry import video_overrides
from multimodal_pipeline.settings import DataLayout, load_config, with_overrides


class PipelineResource(dg.ConfigurableResource):
    """Where the data tiers live and the pipeline configuration (`pipeline.yaml`, one section per tier)."""

    data_root: str
    config_file: str = ""

    @property
    def layout(self) -> DataLayout:
        return DataLayout(Path(self.data_root))

    @property
    def config(self) -> PipelineConfig:
        return load_config(self.config_file or None)

    def video_config(self, video_id: str) -> PipelineConfig:
        """The configuration of one video: `pipeline.yaml` with the settings of its inbox line (`start=`,
        `chat_offset=`, `lang=`) applied."""
        return with_overrides(self.config, video_overrides(self.layout.registry, video_id))
