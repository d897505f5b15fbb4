"""The null test on real data: real chat of one stream against the real transcript of another. Every accepted pair is
false, so the figure is accepted pairs per hour of chat (goal: at most 2).

    python -m benchmarks.null_align [--scorer PATH]

Chat: the Twitch comments of VOD 1087079172 (48 min). Transcripts: the dokiscripts SRTs of two unrelated Dokibird
streams, each cut to the chat's length (from the first cue on). Both from ../shared/fixtures/real (test and
evaluation only).

`tuning_null_inputs` is a second, disjoint real null set for `benchmarks/fit_scorer.py` (which chooses the similarity
floor and the threshold with it): other real chat logs (the nymn IRC dump, the pytchat replay) against the second
transcript from minute 55 on, which this test never reads (it reads the first 50 minutes; the real-noise streams of
`eval_align` take their monologue from the first transcript and their chat from the Twitch comments above).
"""

from __future__ import annotations

import argparse
import json

import polars as pl

from benchmarks.common import write_result
from benchmarks.eval_align import FIXTURES
from multimodal_pipeline.align import align_full
from multimodal_pipeline.asr.subtitles import srt_segments
from multimodal_pipeline.chat import parse_chat
from multimodal_pipeline.contracts.align_config import AlignConfig
from multimodal_pipeline.contracts.curate_config import CurateConfig
from multimodal_pipeline.curate.filters import prompt_filter

CHAT = FIXTURES / "charlie-collard__twitch-chat-replay" / "1087079172.json"
TRANSCRIPTS = sorted((FIXTURES / "duckautomata__dokiscripts-data").glob("*.srt"))
TUNING_CHATS = (FIXTURES / "taizan-hokuto__pytchat" / "chatreplay.json",
                FIXTURES / "Chatterino__chatterino2" / "recentmessages-nymn.json")
TUNING_TRANSCRIPT = FIXTURES / "duckautomata__dokiscripts-data" / "20240329_twitch_v2105205489.srt"
TUNING_FROM_MS = 55 * 60_000


def tuning_null_inputs() -> list[tuple[pl.DataFrame, pl.DataFrame, float]]:
    """(speech, chat, hours of chat) windows of the tuning null set: consecutive windows of the tuning transcript from
    `TUNING_FROM_MS` to its end, against the first tuning chat, then the last one (the dense nymn chat) again and
    again (each from time 0)."""
    chats = []
    for path in TUNING_CHATS:
        chat = parse_chat(path, "null-tuning").events
        chats.append(chat.with_columns(ts_ms=pl.col("ts_ms") - chat["ts_ms"].min()))
    end = int(srt_segments(TUNING_TRANSCRIPT, "null-tuning")["end_ms"].max())
    out, start, k = [], TUNING_FROM_MS, 0
    while True:
        chat = chats[min(k, len(chats) - 1)]
        length = int(chat["ts_ms"].max()) + 60_000
        if start + length > end:
            return out
        speech = srt_segments(TUNING_TRANSCRIPT, "null-tuning", start_ms=start, end_ms=start + length)
        out.append((speech, chat, int(chat["ts_ms"].max()) / 3_600_000))
        start, k = start + length, k + 1


def null_test(config: AlignConfig | None = None) -> list[dict]:
    config = config or AlignConfig()
    chat = parse_chat(CHAT, "null").events
    hours = (chat["ts_ms"].max() - chat["ts_ms"].min()) / 3_600_000
    out = []
    for srt in TRANSCRIPTS:
        first = srt_segments(srt, "null")["start_ms"].min()
        speech = srt_segments(srt, "null", start_ms=first, end_ms=first + int(chat["ts_ms"].max()) + 60_000)
        pairs, _, _ = align_full(speech, chat, config, "null", prompt_filter(CurateConfig(), config.prompt_filters))
        acc = pairs.filter(pl.col("accepted"))
        out.append({"transcript": srt.name, "chat_messages": chat.height, "hours": round(hours, 3),
                    "speech_segments": speech.height, "accepted": acc.height,
                    "accepted_per_hour": round(acc.height / hours, 2),
                    "examples": acc.select("prompt", "lead", "response", "score").head(10).to_dicts()})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scorer", default=None, help="a fitted scorer JSON (default: the bundled one)")
    args = parser.parse_args()
    rows = null_test(AlignConfig(scorer_path=args.scorer))
    for r in rows:
        print(json.dumps({k: v for k, v in r.items() if k != "examples"}))
        for e in r["examples"]:
            print("   ", json.dumps(e, ensure_ascii=False))
    path = write_result("align_null", {"chat": CHAT.name, "runs": rows, "goal_per_hour": 2})
    print(f"-> {path}")


if __name__ == "__main__":
    main()
