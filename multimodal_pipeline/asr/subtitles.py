"""Existing transcripts as speech segments: SRT, WebVTT and YouTube `json3` captions, in the `SpeechSegment` contract.

- SRT and WebVTT cues carry no word timing: the words are spread evenly over the cue (`timing = "spread"`). WebVTT
  cues with inline time tags (`<00:01:02.500>`, YouTube's automatic captions) give those words their times
  (`timing = "subtitle"`); the rolling lines of automatic captions (a cue repeating the previous cue's line) are said
  once.
- json3 (YouTube's caption format, the one yt-dlp fetches with automatic captions) gives every word chunk its own
  start (`tOffsetMs`): `timing = "subtitle"`.
- A malformed cue (a timing line that does not parse, a cue ending before it starts, a json3 event without a start)
  raises `SubtitleError` naming the file and the line (or event) number.

Used by the speech tier when a video has a transcript (`asr.subtitles`, the inbox line's `subs=`) and for real
transcripts in evaluation (the null test).
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import polars as pl

from multimodal_pipeline.contracts import SpeechSegment, frame_from_records

_SRT_TIME = re.compile(r"^(\d+):(\d\d):(\d\d)[,.](\d{3})\s*-->\s*(\d+):(\d\d):(\d\d)[,.](\d{3})")
_VTT_TS = r"(?:(\d+):)?(\d\d):(\d\d)\.(\d{3})"
_VTT_TIME = re.compile(rf"^{_VTT_TS}\s+-->\s+{_VTT_TS}(?:\s+.*)?$")
_VTT_INLINE = re.compile(rf"<{_VTT_TS}>")
_TAG = re.compile(r"</?[^>]*>")

SUFFIXES = (".srt", ".vtt", ".json3", ".json")


class SubtitleError(ValueError):
    def __init__(self, path: str | Path, line: int, message: str):
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line = str(path), line


def _ms(h: str | None, m: str, s: str, ms: str) -> int:
    return ((int(h or 0) * 60 + int(m)) * 60 + int(s)) * 1000 + int(ms)


def _spread(text: str, a: int, b: int) -> list[dict[str, Any]]:
    words = text.split()
    step = (b - a) / max(1, len(words))
    return [{"word": w, "start_ms": a + round(k * step), "end_ms": a + max(round((k + 1) * step), round(k * step) + 1),
             "prob": 1.0} for k, w in enumerate(words)]


def _row(video_id: str, n: int, words: list[dict[str, Any]], a: int, b: int, timing: str) -> dict[str, Any]:
    return {"video_id": video_id, "segment_id": f"{video_id}-sub{n:06d}", "start_ms": a, "end_ms": b,
            "text": " ".join(w["word"] for w in words), "words": words, "avg_logprob": 0.0, "no_speech_prob": 0.0,
            "compression_ratio": 1.0, "timing": timing}


def _cues(path: str | Path, lines: list[str], timing: re.Pattern[str], example: str, first: int = 0,
          skip: tuple[str, ...] = ()) -> list[tuple[int, int, int, str]]:
    """(line number, start, end, payload lines joined by newlines) of every cue; blocks starting with `skip` words
    (WebVTT's NOTE, STYLE, REGION) are passed over."""
    cues, i = [], first
    while i < len(lines):
        line = lines[i].strip()
        if skip and line.startswith(skip):
            while i < len(lines) and lines[i].strip():
                i += 1
            continue
        if "-->" not in line:
            i += 1
            continue
        m = timing.match(line)
        if not m:
            raise SubtitleError(path, i + 1, f"cannot read the cue timing {line!r} (expected {example})")
        number = i + 1
        payload = []
        i += 1
        while i < len(lines) and lines[i].strip():
            payload.append(lines[i].strip())
            i += 1
        cues.append((number, _ms(*m.groups()[:4]), _ms(*m.groups()[4:]), "\n".join(payload)))
    return cues


def _cues_srt(path: str | Path, lines: list[str]) -> list[tuple[int, int, int, str]]:
    return _cues(path, lines, _SRT_TIME, "00:00:01,000 --> 00:00:02,500")


def _cues_vtt(path: str | Path, lines: list[str]) -> list[tuple[int, int, int, str]]:
    if not lines or not lines[0].lstrip("\ufeff").startswith("WEBVTT"):
        raise SubtitleError(path, 1, "a WebVTT file starts with the line WEBVTT")
    return _cues(path, lines, _VTT_TIME, "00:00:01.000 --> 00:00:02.500", 1, ("NOTE", "STYLE", "REGION"))


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(_TAG.sub("", text))).strip()


def _vtt_words(payload: str, a: int, b: int, previous: list[str]) -> tuple[list[dict[str, Any]], str, list[str]]:
    """(words, timing, the cue's lines) of one WebVTT cue; lines already said by the previous cue are dropped."""
    lines = [ln for ln in payload.split("\n") if _clean(ln)]
    new = [ln for ln in lines if _clean(ln) not in previous]
    said = [_clean(ln) for ln in lines]
    body = " ".join(new)
    if not _VTT_INLINE.search(body):
        return _spread(_clean(body), a, b), "spread", said
    words: list[dict[str, Any]] = []
    t, pos = a, 0
    chunks: list[tuple[int, str]] = []
    for m in _VTT_INLINE.finditer(body):
        chunks.append((t, body[pos:m.start()]))
        t, pos = _ms(*m.groups()), m.end()
    chunks.append((t, body[pos:]))
    chunks = [(s, _clean(c)) for s, c in chunks if _clean(c)]
    for k, (s, c) in enumerate(chunks):
        e = chunks[k + 1][0] if k + 1 < len(chunks) else b
        words += _spread(c, s, max(e, s + 1))
    return words, "subtitle", said


def _json3(path: str | Path, text: str, video_id: str) -> list[dict[str, Any]]:
    try:
        events = json.loads(text)["events"]
    except (ValueError, KeyError, TypeError) as exc:
        raise SubtitleError(path, 1, f"not json3 captions (a JSON object with 'events'): {exc}") from None
    rows = []
    for n, ev in enumerate(events, 1):
        if not isinstance(ev, dict) or "segs" not in ev:
            continue
        if not isinstance(ev.get("tStartMs"), int):
            raise SubtitleError(path, n, "json3 event without an integer tStartMs (numbered by event)")
        a = ev["tStartMs"]
        b = a + int(ev.get("dDurationMs") or 0)
        segs = [(a + int(s.get("tOffsetMs", 0)), _clean(str(s.get("utf8", "")))) for s in ev["segs"]]
        segs = [(s, c) for s, c in segs if c]
        if not segs:
            continue
        timed = len(segs) > 1 or "tOffsetMs" in ev["segs"][0]
        words: list[dict[str, Any]] = []
        for k, (s, c) in enumerate(segs):
            e = segs[k + 1][0] if k + 1 < len(segs) else max(b, s + 1)
            words += _spread(c, s, max(e, s + 1))
        rows.append((a, max(b, words[-1]["end_ms"]), words, "subtitle" if timed else "spread"))
    out = []
    for k, (a, b, words, timing) in enumerate(rows):  # json3 events overlap (the next line starts first): clip
        end = min(b, rows[k + 1][0]) if k + 1 < len(rows) else b
        words = [{**w, "start_ms": min(w["start_ms"], max(end - 1, a)), "end_ms": min(w["end_ms"], max(end, a + 1))}
                 for w in words]
        out.append(_row(video_id, k, words, a, max(end, a + 1), timing))
    return out


def read_subtitles(path: str | Path, video_id: str, start_ms: int = 0, end_ms: int | None = None) -> pl.DataFrame:
    """The cues of an SRT, WebVTT or json3 file starting in [start_ms, end_ms) as SpeechSegment rows (times shifted
    by -start_ms), in time order."""
    text = Path(path).read_text(encoding="utf-8-sig", errors="replace")
    head = text.lstrip()[:10]
    if head.startswith("{") or Path(path).suffix.lower() == ".json3":
        rows = _json3(path, text, video_id)
    else:
        lines = text.splitlines()
        rows, previous = [], []
        vtt = head.startswith("WEBVTT") or Path(path).suffix.lower() == ".vtt"
        for number, a, b, payload in (_cues_vtt(path, lines) if vtt else _cues_srt(path, lines)):
            if b < a:
                raise SubtitleError(path, number, "cue ends before it starts")
            if vtt:
                words, timing, previous = _vtt_words(payload, a, b, previous)
            else:
                words, timing = _spread(_clean(payload), a, b), "spread"
            if words:
                rows.append(_row(video_id, len(rows), words, a, b, timing))
    picked = []
    for r in sorted(rows, key=lambda r: (r["start_ms"], r["end_ms"])):
        if r["start_ms"] < start_ms or (end_ms is not None and r["start_ms"] >= end_ms):
            continue
        shift = start_ms
        picked.append({**r, "segment_id": f"{video_id}-sub{len(picked):06d}", "start_ms": r["start_ms"] - shift,
                       "end_ms": r["end_ms"] - shift,
                       "words": [{**w, "start_ms": w["start_ms"] - shift, "end_ms": w["end_ms"] - shift}
                                 for w in r["words"]]})
    return frame_from_records(SpeechSegment, picked)


def srt_segments(path: str | Path, video_id: str, start_ms: int = 0, end_ms: int | None = None) -> pl.DataFrame:
    """`read_subtitles` (kept for the evaluation scripts that read the real SRT transcripts)."""
    return read_subtitles(path, video_id, start_ms, end_ms)
