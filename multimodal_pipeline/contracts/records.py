"""Record models of the eight tiers (plus the cross-video corpus tiers, which reuse them).

Every time is integer milliseconds from the start of the video. Hashes are lowercase hex sha256.
"""

from __future__ import annotations

from typing import ClassVar

import polars as pl

from multimodal_pipeline.contracts.base import Record


class RawVideo(Record):
    """Manifest row of an immutable original stored under data/raw/."""

    tier: ClassVar[str] = "raw_video"
    schema_version: ClassVar[int] = 2  # 2: `subs_*` (an existing transcript), `voice_*` (a reference clip)
    table_rules = (
        ("bytes", "bytes > 0", lambda: pl.col("bytes") > 0),
        ("sha256", "64 hex characters", lambda: pl.col("sha256").str.contains(r"^[0-9a-f]{64}$")),
        ("duration_ms", "duration_ms >= 0", lambda: pl.col("duration_ms").is_null() | (pl.col("duration_ms") >= 0)),
    )

    video_id: str
    source_uri: str
    path: str
    sha256: str
    bytes: int
    title: str | None
    duration_ms: int | None
    container: str | None
    video_codec: str | None
    audio_codec: str | None
    audio_channels: int | None
    audio_sample_rate: int | None
    extractor: str
    uploader: str | None
    chat_source: str | None
    chat_path: str | None
    chat_sha256: str | None
    subs_source: str | None = None
    subs_path: str | None = None
    subs_sha256: str | None = None
    voice_path: str | None = None  # a clip of the streamer's voice (`voice=`), the speakers' reference
    voice_sha256: str | None = None
    downloaded_at: str
    ytdlp_version: str


class Audio(Record):
    """The decoded, resampled audio of one video."""

    tier: ClassVar[str] = "audio"
    table_rules = (
        ("sample_rate", "sample_rate > 0", lambda: pl.col("sample_rate") > 0),
        ("duration_ms", "duration_ms >= 0", lambda: pl.col("duration_ms") >= 0),
    )

    video_id: str
    path: str
    sha256: str
    sample_rate: int
    channels: int
    source_channels: int
    source_sample_rate: int
    duration_ms: int
    rms_dbfs: float
    peak_dbfs: float
    config_hash: str


class Word(Record):
    word: str
    start_ms: int
    end_ms: int
    prob: float


#: the speaker label of the stream's own voice (the dominant voice, or the one matching a reference clip)
STREAMER = "streamer"


class SpeechSegment(Record):
    """One transcribed segment of one voice; `words` carries word-level timing.

    `speaker` is `streamer` for the stream's own voice and `other-N` for guests, game characters and videos; a segment
    is cut where the voice changes. `streamer_p` is the likelihood that the segment is the streamer's voice (1.0 when
    the speakers were not told apart). `timing` says where the word times come from."""

    tier: ClassVar[str] = "speech_segments"
    schema_version: ClassVar[int] = 2  # 2: `speaker`, `streamer_p`, `timing`
    table_rules = (
        ("start_ms", "start_ms >= 0", lambda: pl.col("start_ms") >= 0),
        ("end_ms", "end_ms >= start_ms", lambda: pl.col("end_ms") >= pl.col("start_ms")),
        ("streamer_p", "0 <= streamer_p <= 1", lambda: pl.col("streamer_p").is_between(0.0, 1.0)),
    )

    video_id: str
    segment_id: str
    start_ms: int
    end_ms: int
    text: str
    words: list[Word]
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float
    speaker: str = STREAMER
    streamer_p: float = 1.0
    #: where the word times come from: "asr" (the recognizer), "subtitle" (an existing transcript's own word times)
    #: or "spread" (a subtitle cue without word times: its words spread evenly over the cue)
    timing: str = "asr"


class Fragment(Record):
    """A run of a chat message: plain text or one emote/emoji."""

    type: str  # "text" | "emote" | "emoji"
    text: str
    emote_id: str | None


class ChatEvent(Record):
    """One normalized chat event, whatever the source format."""

    tier: ClassVar[str] = "chat_events"
    KINDS: ClassVar[tuple[str, ...]] = (
        "message", "paid", "sticker", "membership", "gift", "moderation", "notice", "system",
    )
    table_rules = (
        ("kind", "a known kind", lambda: pl.col("kind").is_in(list(ChatEvent.KINDS))),
    )

    video_id: str
    event_id: str
    ts_ms: int
    author: str | None
    author_id: str | None
    text: str
    source: str
    kind: str
    fragments: list[Fragment]
    amount: str | None
    deleted: bool
    raw_ref: str


class AlignedPair(Record):
    """One candidate (chat event, response span) pairing, accepted or rejected with a reason."""

    tier: ClassVar[str] = "aligned_pairs"
    schema_version: ClassVar[int] = 2  # 2: `lead` (the read-aloud or name said before the answer)
    table_rules = (
        ("response_end_ms", "response_end_ms >= response_start_ms",
         lambda: pl.col("response_end_ms") >= pl.col("response_start_ms")),
        ("reject_reason", "rejected rows carry a reason, accepted rows none",
         lambda: pl.col("accepted") == pl.col("reject_reason").is_null()),
    )

    video_id: str
    pair_id: str
    event_id: str
    event_ts_ms: int
    author: str | None
    prompt: str
    lead: str | None
    response: str
    response_start_ms: int
    response_end_ms: int
    lag_ms: int
    offset_ms: int
    read_aloud: float
    author_named: bool
    lexical_overlap: float
    answer_overlap: float
    is_question: bool
    chat_density: float
    embedding_similarity: float | None
    score: float
    accepted: bool
    reject_reason: str | None


class Message(Record):
    role: str
    content: str


class CuratedSample(Record):
    """A train-ready sample in chat `messages` form, assigned to one split of one snapshot."""

    tier: ClassVar[str] = "curated_snapshot"
    table_rules = (
        ("split", "one of train/val/test", lambda: pl.col("split").is_in(["train", "val", "test"])),
    )

    video_id: str
    sample_id: str
    pair_id: str
    split: str
    prompt: str
    response: str
    messages: list[Message]
    response_start_ms: int
    score: float
    snapshot_id: str
    template_sha256: str
    #: the chat event of the prompt (traceability to the chat tier); optional so older tables stay valid
    event_id: str | None = None
    #: chatter names said in prompt and response that were replaced by <USER>
    names_scrubbed: int | None = None


class AdapterCheckpoint(Record):
    """A trained LoRA adapter and everything needed to trace it back to its data."""

    tier: ClassVar[str] = "adapter_checkpoint"

    adapter_path: str
    adapter_sha256: str
    stage_key: str
    mlflow_run_id: str
    base_model_id: str
    base_model_sha256: str
    snapshot_id: str
    split_manifest_sha256: str
    template_sha256: str
    train_samples: int
    train_loss: float
    eval_loss: float | None
    # added by the training tier
    chat_template_sha256: str  # the training chat template (with {% generation %} markers) the adapter was fit with
    config_hash: str  # hash of the TrainConfig fields that can change the adapter
    val_samples: int
    train_steps: int
    train_tokens: int  # non-padding tokens seen in training
    device: str  # "cpu" | "cuda"
    lineage_path: str  # <artifacts>/adapters/<adapter_sha256>.lineage.json


class EvalMetric(Record):
    """One metric of an evaluation, base model against adapter."""

    tier: ClassVar[str] = "eval_report"

    metric: str
    base: float
    adapter: float
    delta: float
    higher_is_better: bool
    verdict: str  # "better" | "worse" | "same"
    adapter_sha256: str
    snapshot_id: str
    suite_sha256: str
    # added by the evaluation tier
    reference: float | None  # the same statistic over the real responses, where one exists (lengths)
    n: int  # samples the metric is computed over


TIER_RECORDS: dict[str, type[Record]] = {
    m.tier: m
    for m in (RawVideo, Audio, SpeechSegment, ChatEvent, AlignedPair, CuratedSample, AdapterCheckpoint, EvalMetric)
}
