"""Configuration of speaker labelling in the `speech_segments` tier (the `asr.speakers` section): which speech is the
streamer's own voice. Pure data, no I/O."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class SpeakerConfig(BaseModel):
    """How voices are told apart: speaker embeddings of short windows (the Resemblyzer encoder, whose weights ship
    in its PyPI package), clustered; the streamer is the dominant voice, or the voice of a reference clip."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: off: every segment is the streamer's (`streamer_p` 1.0), as before speakers were told apart
    enabled: bool = True
    device: Literal["auto", "cpu", "cuda"] = "auto"
    #: step between the 1.6 s embedding windows over the speech (1600: side by side; an 800 ms step costs twice the
    #: time and labelled no better on the tuning streams)
    hop_ms: int = Field(1600, ge=100, le=1600)
    #: two groups of windows are one voice while their mean cosine distance is below this (average linkage)
    cluster_distance: float = Field(0.35, gt=0.0, lt=2.0)
    #: a cluster with less than this share of the windows is no voice of its own (laughs, noise, one-off sounds):
    #: its windows go to the nearest voice
    min_voice_share: float = Field(0.05, ge=0.0, lt=0.5)
    #: at most this many windows are clustered (an even sample); every window is then labelled by its nearest voice
    max_cluster_windows: int = Field(2000, ge=50)
    #: a run of another voice shorter than this between two runs of one voice is taken as that voice
    min_turn_ms: int = Field(1200, ge=0)
    #: softmax temperature of the streamer likelihood over the voices' cosine similarities
    temperature: float = Field(0.05, gt=0.0)
    #: an audio file of the streamer alone (any format the audio tier decodes): the streamer is the voice closest to
    #: it, not the dominant one; the inbox line's `voice=` sets it per video
    reference: str | None = None
