"""What to generate (:class:`StreamSpec`) and what was generated (:class:`DemoStream`)."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

CHAT_FORMATS: tuple[str, ...] = ("youtube_live_chat", "twitch_comments", "twitch_irc")
CHAT_SUFFIXES: dict[str, str] = {
    "youtube_live_chat": ".live_chat.json",
    "twitch_comments": ".twitch.json",
    "twitch_irc": ".irc.log",
}
TTS_BACKENDS = ("auto", "lib", "cli")


@dataclass(frozen=True)
class StreamSpec:
    """Parameters of one synthetic stream. Same spec (same seed) => same files."""

    seed: int = 0
    duration_s: float = 60.0
    name: str = "demo"
    streamer: str = "Nova"
    fps: int = 2
    width: int = 160
    height: int = 90
    stream_start_epoch_ms: int = 1_700_000_000_000
    chat_rate_per_min: float = 30.0
    # Share of all chat messages that the streamer answers (30 msg/min * 0.07 ~ one answer every 29 s).
    answer_share: float = 0.07
    # Share of all chat messages that are questions to the streamer (answered or not).
    question_share: float = 0.15
    lag_min_s: float = 1.5
    lag_max_s: float = 12.0
    voice: str = "en-us"
    rate_wpm: int = 160
    audio_rate: int = 44100
    audio_channels: int = 2
    noise_dbfs: float = -50.0
    tts_backend: str = "auto"  # "auto" (library, else command line), "lib" or "cli"
    family: str = "alpha"  # the wording (synth/families): alpha to epsilon tune, zeta and eta are held out
    hard_cases: bool = True  # late, one-word, long and paired answers, dismissals, thank-yous, out-of-order reading
    real_monologue: str | None = None  # an SRT transcript of a real stream: its lines become the monologue
    real_chat: str | None = None  # a real chat log (Twitch comments JSON, IRC dump): its lines become chat chatter
    guest_voice: str | None = None  # a second eSpeak NG voice (e.g. "en-us+Annie"): a guest who talks and answers
    guest_share: float = 0.3  # share of the monologue lines the guest says
    guest_answer_share: float = 0.3  # share of the answer slots the guest takes (the streamer does not answer them)

    def __post_init__(self) -> None:
        problems = []
        if not 5.0 <= self.duration_s <= 4 * 3600:
            problems.append("duration_s must be between 5 s and 4 h")
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", self.name):
            problems.append("name must be a plain file stem ([A-Za-z0-9_.-])")
        if not re.fullmatch(r"[A-Za-z]{2,20}", self.streamer):
            problems.append("streamer must be 2-20 ASCII letters (it is spoken and used as the channel)")
        if not 1 <= self.fps <= 60:
            problems.append("fps must be 1..60")
        if self.width < 16 or self.height < 16 or self.width % 2 or self.height % 2:
            problems.append("width and height must be even and at least 16")
        if self.chat_rate_per_min <= 0:
            problems.append("chat_rate_per_min must be positive")
        if not 0.0 <= self.answer_share <= self.question_share <= 1.0:
            problems.append("need 0 <= answer_share <= question_share <= 1")
        if not 0.5 <= self.lag_min_s < self.lag_max_s <= 120:
            problems.append("need 0.5 <= lag_min_s < lag_max_s <= 120")
        if not 80 <= self.rate_wpm <= 450:
            problems.append("rate_wpm must be 80..450")
        if self.audio_rate not in (16000, 22050, 32000, 44100, 48000):
            problems.append("audio_rate must be one of 16000, 22050, 32000, 44100, 48000")
        if self.audio_channels not in (1, 2):
            problems.append("audio_channels must be 1 or 2")
        if not (0.0 <= self.guest_share <= 1.0 and 0.0 <= self.guest_answer_share <= 1.0):
            problems.append("guest_share and guest_answer_share must be between 0 and 1")
        if self.guest_voice is not None and not re.fullmatch(r"[A-Za-z0-9_+-]{2,40}", self.guest_voice):
            problems.append("guest_voice must be an eSpeak NG voice name such as en-us+Annie")
        if self.tts_backend not in TTS_BACKENDS:
            problems.append(f"tts_backend must be one of {TTS_BACKENDS}")
        from .families import FAMILY_NAMES

        if self.family not in FAMILY_NAMES:
            problems.append(f"family must be one of {FAMILY_NAMES}")
        if problems:
            raise ValueError("invalid StreamSpec: " + "; ".join(problems))

    @property
    def duration_ms(self) -> int:
        return int(round(self.duration_s * 1000))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class DemoStream:
    """Paths of one generated stream."""

    spec: StreamSpec
    video: Path
    chat: dict[str, Path] = field(hash=False)
    script: Path
    truth: Path

    def load_truth(self) -> dict[str, Any]:
        return json.loads(self.truth.read_text(encoding="utf-8"))

    def load_script(self) -> dict[str, Any]:
        return json.loads(self.script.read_text(encoding="utf-8"))

    def paths(self) -> dict[str, str]:
        out = {"video": str(self.video)}
        out.update({f"chat.{k}": str(v) for k, v in self.chat.items()})
        out["script"] = str(self.script)
        out["truth"] = str(self.truth)
        return out
