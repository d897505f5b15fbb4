"""``generate_stream``: plan, synthesize and write one synthetic stream (video, three chat files, script, truth)."""

from __future__ import annotations

import contextlib
import json
import os
import random
from pathlib import Path
from typing import Any

from . import chatfmt
from .media import write_mp4
from .plan import Msg, Plan, plan_stream
from .spec import CHAT_FORMATS, CHAT_SUFFIXES, DemoStream, StreamSpec
from .tts import Speaker

SCHEMA_VERSION = 1


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _dump(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=1) + "\n"


def _script_doc(plan: Plan, spec: StreamSpec, tts: dict, media: dict) -> dict:
    utts = []
    for u in plan.utterances:
        utts.append({
            "utt_id": u.utt_id,
            "start_ms": u.start_ms,
            "end_ms": u.end_ms,
            "text": u.text,
            "kind": u.kind,
            "answers": u.msg.msg_id if u.msg else None,
            "style": u.style,
            "part": u.part,
            "voice": u.voice,
            "words": [{"word": w, "start_ms": s, "end_ms": e} for w, s, e in u.words_ms()],
        })
    return {
        "schema_version": SCHEMA_VERSION,
        "name": spec.name,
        "seed": spec.seed,
        "duration_ms": plan.duration_ms,
        "streamer": spec.streamer,
        "family": spec.family,
        "game": plan.game,
        "tts": tts,
        "media": media,
        "word_timing": "eSpeak NG word events (library) or per-word synthesis (CLI), trimmed to audible "
                       "5 ms frames; integer ms from video start",
        "utterances": utts,
    }


def _truth_message(m: Msg, ids: chatfmt.Ids, spec: StreamSpec) -> dict:
    answered = m.answered and bool(m.utts)
    return {
        "msg_id": m.msg_id,
        "ts_ms": m.ts_ms,
        "author": m.author.handle,
        "author_spoken": m.author.spoken,
        "author_ids": {"youtube": m.author.yt_channel, "twitch": m.author.twitch_id},
        "is_bot": m.author.is_bot,
        "text": m.text,
        "text_by_format": {
            "youtube_live_chat": chatfmt.youtube_text(m, spec),
            "twitch_comments": chatfmt.twitch_text(m),
            "twitch_irc": chatfmt.twitch_text(m),
        },
        "category": m.category,
        "kind": m.kind,
        "is_question": m.is_question,
        "topic": m.topic,
        "amount": m.amount,
        "bits": m.bits,
        "group": m.group,
        "reply_to": m.reply_to.msg_id if m.reply_to else None,
        "answered": answered,
        "answered_by": "streamer" if answered else m.answered_by,
        "style": m.style if answered else None,
        "read_text": m.read_text if (answered and m.style == "read_aloud") else None,
        "answer_start_ms": m.utts[0].start_ms if answered else None,
        "answer_end_ms": m.utts[-1].end_ms if answered else None,
        "lag_ms": (m.utts[0].start_ms - m.ts_ms) if answered else None,
        "answer_utt_ids": [u.utt_id for u in m.utts] if answered else [],
        "case": m.case,
        "reply_text": m.reply_text if answered else None,
        "reply_start_ms": m.reply_start_ms if answered else None,
        "reply_end_ms": m.reply_end_ms if answered else None,
        "ids": {
            "youtube_live_chat": ids.youtube,
            "twitch_comments": ids.twitch,
            "twitch_irc": ids.twitch,
        },
    }


def _truth_doc(plan: Plan, spec: StreamSpec, ids: dict[str, chatfmt.Ids], channel: dict, files: dict) -> dict:
    msgs = [_truth_message(m, ids[m.msg_id], spec) for m in plan.messages]
    cats: dict[str, int] = {}
    for m in msgs:
        cats[m["category"]] = cats.get(m["category"], 0) + 1
    styles: dict[str, int] = {}
    for m in msgs:
        if m["answered"]:
            styles[m["style"]] = styles.get(m["style"], 0) + 1
    return {
        "schema_version": SCHEMA_VERSION,
        "name": spec.name,
        "seed": spec.seed,
        "duration_ms": plan.duration_ms,
        "stream_start_epoch_ms": spec.stream_start_epoch_ms,
        "streamer": spec.streamer,
        "streamer_spoken": spec.streamer.lower(),
        "game": plan.game,
        "channel": channel,
        "spec": spec.to_dict(),
        "files": files,
        "summary": {
            "messages": len(msgs),
            "answered": sum(1 for m in msgs if m["answered"]),
            "questions": sum(1 for m in msgs if m["is_question"]),
            "categories": dict(sorted(cats.items())),
            "answer_styles": dict(sorted(styles.items())),
            "utterances": len(plan.utterances),
            "speech_ms": sum(u.end_ms - u.start_ms for u in plan.utterances),
            "guest_speech_ms": sum(u.end_ms - u.start_ms for u in plan.utterances if u.voice == "guest"),
        },
        "messages": msgs,
        "thanks": plan.thanks,
        "viewers": [{"handle": v.handle, "spoken": v.spoken} for v in plan.viewers],
    }


def generate_stream(out_dir: Path | str, spec: StreamSpec | None = None) -> DemoStream:
    """Generate one synthetic stream into ``out_dir`` and return its paths."""
    spec = spec or StreamSpec()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "video": out / f"{spec.name}.mp4",
        "chat": {fmt: out / f"{spec.name}{CHAT_SUFFIXES[fmt]}" for fmt in CHAT_FORMATS},
        "script": out / f"{spec.name}.script.json",
        "truth": out / f"{spec.name}.truth.json",
    }
    with contextlib.ExitStack() as stack:
        speaker = stack.enter_context(Speaker(spec.voice, spec.rate_wpm, spec.tts_backend))
        guest = (stack.enter_context(Speaker(spec.guest_voice, spec.rate_wpm, spec.tts_backend))
                 if spec.guest_voice else None)
        plan = plan_stream(spec, speaker, guest)
        tts = {
            "engine": "espeak-ng",
            "version": speaker.version,
            "backend": speaker.backend,
            "voice": spec.voice,
            "guest_voice": spec.guest_voice,
            "rate_wpm": spec.rate_wpm,
            "sample_rate": speaker.sample_rate,
        }
        ids = chatfmt.assign_ids(plan, spec)
        r = random.Random(f"multimodal_pipeline.synth:{spec.seed}:channel")
        channel = {
            "user_id": str(r.randrange(10_000_000, 999_999_999)),
            "video_id": str(r.randrange(1_000_000_000, 2_999_999_999)),
            "stream_id": str(r.randrange(10_000_000_000, 99_999_999_999)),
            "youtube_video_id": "".join(r.choice(chatfmt._B64) for _ in range(11)),
            "irc_channel": "#" + spec.streamer.lower(),
        }
        for fmt, writer in (
            ("youtube_live_chat", lambda p: chatfmt.write_youtube(p, plan, spec, ids)),
            ("twitch_comments", lambda p: chatfmt.write_twitch_comments(p, plan, spec, ids, channel)),
            ("twitch_irc", lambda p: chatfmt.write_twitch_irc(p, plan, spec, ids, channel)),
        ):
            final = paths["chat"][fmt]
            tmp = final.with_name(final.name + ".tmp")
            writer(tmp)
            os.replace(tmp, final)
        tmp_video = paths["video"].with_name(paths["video"].name + ".tmp")
        media = write_mp4(tmp_video, plan, spec, speaker.sample_rate)
        os.replace(tmp_video, paths["video"])
    files = {"video": paths["video"].name, "script": paths["script"].name, "truth": paths["truth"].name}
    files.update({fmt: p.name for fmt, p in paths["chat"].items()})
    _atomic_write_text(paths["script"], _dump(_script_doc(plan, spec, tts, media)))
    _atomic_write_text(paths["truth"], _dump(_truth_doc(plan, spec, ids, channel, files)))
    return DemoStream(spec=spec, video=paths["video"], chat=paths["chat"], script=paths["script"], truth=paths["truth"])
