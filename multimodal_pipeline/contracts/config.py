"""Configs of the ingestion and audio tiers (other tiers keep theirs beside them in this package)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from multimodal_pipeline.contracts.align_config import AlignConfig
from multimodal_pipeline.contracts.asr_config import AsrConfig
from multimodal_pipeline.contracts.chat_config import ChatConfig
from multimodal_pipeline.contracts.curate_config import CurateConfig
from multimodal_pipeline.contracts.train_config import EvalConfig, TrainConfig


class IngestConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    allow_file_urls: bool = Field(False, description="let yt-dlp read file:// URLs (off by default, as in yt-dlp)")
    format: str = Field("best", description="yt-dlp format selector; single-file formats need no ffmpeg")
    socket_timeout_s: float = 20.0
    retries: int = Field(2, description="yt-dlp's own retries of a failed request, and the chat sidecar's")
    retry_backoff_s: float = Field(1.0, description="first wait before the sidecar is fetched again (doubles)")
    max_bytes: int | None = Field(None, description="refuse originals larger than this (enforced while downloading)")
    max_chat_bytes: int = Field(2 * 1024**3, description="refuse chat sidecars larger than this (while downloading)")
    lock_wait_s: float = Field(600.0, description="how long a run waits for another run of the same video")
    youtube_live_chat: bool = Field(True, description="request YouTube's live-chat replay as the chat sidecar")


class AudioConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sample_rate: int = 16_000
    channels: int = 1
    codec: str = Field("flac", description="lossless output: flac or pcm_s16le (wav)")
    silence_floor_dbfs: float = Field(-50.0, description="RMS below this is 'silent' (asset check)")
    duration_tolerance_ms: int = Field(500, description="audio vs container duration (asset check)")
    max_corrupt_packets: int = Field(50, description="audio packets that do not decode, skipped with a warning; "
                                                     "more fail the extraction")


class PipelineConfig(BaseModel):
    """The whole pipeline's configuration: one section per tier (`pipeline.yaml`, all optional)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ingest: IngestConfig = IngestConfig()
    audio: AudioConfig = AudioConfig()
    asr: AsrConfig = Field(default_factory=AsrConfig)
    chat: ChatConfig = Field(default_factory=ChatConfig)
    align: AlignConfig = AlignConfig()
    curate: CurateConfig = Field(default_factory=CurateConfig)
    train: TrainConfig = Field(default_factory=TrainConfig)
    eval: EvalConfig = Field(default_factory=EvalConfig)
