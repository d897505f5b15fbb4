"""Who speaks: voices found by clustering speaker embeddings, the streamer's voice among them, a label per word and
segments cut where the voice changes.

- windows: 1.6 s speaker embeddings every `hop_ms` over the speech (the segments' spans, merged);
- voices: average-linkage clustering of (a sample of) the windows by cosine distance; clusters holding less than
  `min_voice_share` of the windows are no voice of their own; one refinement pass re-centres every voice on the
  windows nearest to it;
- the streamer: the voice with the most speech, or the voice nearest a reference clip of the streamer (none when
  even the nearest is farther than `cluster_distance`);
- words: the mean similarity of the windows covering a word's midpoint decides its voice; the streamer likelihood
  is a softmax of those similarities; a short run of another voice between two runs of one voice is smoothed away;
- segments: cut at every change of voice, so each segment is one voice (`speaker`, `streamer_p`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from multimodal_pipeline.asr.transcription import segment_piece
from multimodal_pipeline.contracts import STREAMER, SpeechSegment, frame_from_records
from multimodal_pipeline.contracts.speaker_config import SpeakerConfig
from multimodal_pipeline.speaker import encoder
from multimodal_pipeline.storage import StageCache, config_hash, sha256_file, stage_key
from multimodal_pipeline.storage.hashing import frame_sha256

CODE_VERSION = "speakers-2"  # 2: mel features computed with numpy instead of librosa
STAGE = "speakers"


@dataclass(frozen=True)
class Voices:
    """Unit centroids of the voices found, their labels and which one is the streamer (None: not found)."""

    centroids: np.ndarray
    labels: tuple[str, ...]
    streamer: int | None


@dataclass
class SpeakerResult:
    segments: pl.DataFrame
    stats: dict[str, Any] = field(default_factory=dict)


def merged_regions(segments: pl.DataFrame, gap_ms: int = 300) -> list[tuple[int, int]]:
    """The spoken words' spans (a segment's span when it has no words), sorted, merged when less than `gap_ms`
    apart: windows see speech, not the silences inside a segment."""
    spans = sorted((w["start_ms"], w["end_ms"]) if w else (s, e)
                   for s, e, words in segments.select("start_ms", "end_ms", "words").iter_rows()
                   for w in (words or [None]))
    out: list[list[int]] = []
    for a, b in spans:
        if b <= a:
            continue
        if out and a - out[-1][1] < gap_ms:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-9)


def find_voices(emb: np.ndarray, durations: np.ndarray, config: SpeakerConfig,
                reference: np.ndarray | None = None) -> Voices:
    """Cluster the window embeddings into voices and pick the streamer's (see the module doc)."""
    n = len(emb)
    if n == 0:
        return Voices(np.zeros((0, emb.shape[1] if emb.ndim == 2 else 256), np.float32), (), None)
    sample = np.unique(np.linspace(0, n - 1, min(n, config.max_cluster_windows)).round().astype(int))
    if len(sample) < 2:
        assign = np.zeros(len(sample), int)
    else:
        from sklearn.cluster import AgglomerativeClustering

        assign = AgglomerativeClustering(n_clusters=None, distance_threshold=config.cluster_distance,
                                         metric="cosine", linkage="average").fit_predict(emb[sample])
    counts = np.bincount(assign)
    keep = [c for c in np.argsort(-counts) if counts[c] >= config.min_voice_share * len(sample)] or \
        [int(np.argmax(counts))]
    centroids = _unit(np.stack([emb[sample][assign == c].mean(axis=0) for c in keep]))
    nearest = np.argmax(emb @ centroids.T, axis=1)  # one refinement pass over every window
    centroids = _unit(np.stack([emb[nearest == k].mean(axis=0) if (nearest == k).any() else centroids[k]
                                for k in range(len(keep))]))
    talk = np.bincount(np.argmax(emb @ centroids.T, axis=1), weights=durations, minlength=len(keep))
    order = np.argsort(-talk)
    centroids = centroids[order]
    if reference is None:
        streamer: int | None = 0
    else:
        sims = centroids @ reference
        streamer = int(np.argmax(sims)) if float(sims.max()) >= 1.0 - config.cluster_distance else None
    labels, k = [], 0
    for i in range(len(centroids)):
        if i == streamer:
            labels.append(STREAMER)
        else:
            k += 1
            labels.append(f"other-{k}")
    return Voices(centroids.astype(np.float32), tuple(labels), streamer)


def word_voices(times: np.ndarray, starts: np.ndarray, emb: np.ndarray, voices: Voices, config: SpeakerConfig
                ) -> tuple[np.ndarray, np.ndarray]:
    """(voice index, streamer likelihood) at each time (ms): the mean similarity of the windows covering it."""
    sims = emb @ voices.centroids.T  # (windows, voices)
    cums = np.vstack([np.zeros((1, sims.shape[1])), np.cumsum(sims, axis=0)])
    lo = np.searchsorted(starts, times - encoder.WINDOW_MS, side="right")
    hi = np.searchsorted(starts, times, side="right")
    none = hi <= lo  # no window covers it: the nearest window before (or the first)
    lo = np.where(none, np.clip(hi - 1, 0, len(starts) - 1), lo)
    hi = np.where(none, lo + 1, hi)
    mean = (cums[hi] - cums[lo]) / (hi - lo)[:, None]
    voice = np.argmax(mean, axis=1)
    if voices.streamer is None:
        return voice, np.zeros(len(times))
    z = (mean - mean.max(axis=1, keepdims=True)) / config.temperature
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    return voice, p[:, voices.streamer]


def smooth(voice: np.ndarray, begin: np.ndarray, end: np.ndarray, min_turn_ms: int) -> np.ndarray:
    """Relabel a run shorter than `min_turn_ms` whose neighbours on both sides are one other voice."""
    voice = voice.copy()
    changed = True
    while changed:
        changed = False
        runs = np.flatnonzero(np.diff(voice)) + 1
        bounds = [0, *runs.tolist(), len(voice)]
        for r in range(1, len(bounds) - 2):
            a, b = bounds[r], bounds[r + 1]
            if voice[a - 1] == voice[b] and end[b - 1] - begin[a] < min_turn_ms:
                voice[a:b] = voice[a - 1]
                changed = True
                break
    return voice


def split_by_voice(segments: pl.DataFrame, voice: np.ndarray, p: np.ndarray, voices: Voices) -> pl.DataFrame:
    """Segments (in time order) cut at every change of voice of their words (one row per single-voice piece); the
    first piece keeps the segment's start and id, the last its end."""
    rows, w = [], 0
    for seg in segments.iter_rows(named=True):
        words = seg["words"] or []
        n = max(1, len(words))
        v, pw = voice[w: w + n], p[w: w + n]
        w += n
        cuts = [i for i in range(1, len(words)) if v[i] != v[i - 1]]
        pieces = list(zip([0, *cuts], [*cuts, n], strict=True))
        for k, (a, b) in enumerate(pieces):
            row = dict(seg)
            if len(pieces) > 1:
                row = segment_piece(seg, words[a:b])
                if k == 0:
                    row["start_ms"] = seg["start_ms"]
                else:
                    row["segment_id"] = f"{seg['segment_id']}-{k}"
                if k == len(pieces) - 1:
                    row["end_ms"] = seg["end_ms"]
            if words:
                span = np.array([max(1, x["end_ms"] - x["start_ms"]) for x in words[a:b]], float)
                row["streamer_p"] = float(np.clip((pw[a:b] * span).sum() / span.sum(), 0.0, 1.0))
            else:
                row["streamer_p"] = float(np.clip(pw[0], 0.0, 1.0))
            row["speaker"] = voices.labels[int(v[a])]
            rows.append(row)
    return frame_from_records(SpeechSegment, rows)


def label_segments(segments: pl.DataFrame, starts: np.ndarray, emb: np.ndarray, voices: Voices,
                   config: SpeakerConfig) -> pl.DataFrame:
    """Every word's voice (its segment's midpoint when it has no words), smoothed, then segments cut by voice."""
    segments = segments.sort("start_ms")
    mids, begin, end = [], [], []
    for s, e, words in segments.select("start_ms", "end_ms", "words").iter_rows():
        for x in (words or [{"start_ms": s, "end_ms": e}]):
            mids.append((x["start_ms"] + x["end_ms"]) // 2)
            begin.append(x["start_ms"])
            end.append(x["end_ms"])
    if not mids or len(voices.labels) == 0:
        return segments
    voice, p = word_voices(np.array(mids), starts, emb, voices, config)
    voice = smooth(voice, np.array(begin), np.array(end), config.min_turn_ms)
    return split_by_voice(segments, voice, p, voices)


def talk_time(segments: pl.DataFrame) -> dict[str, int]:
    """Milliseconds of speech per speaker label."""
    if segments.height == 0:
        return {}
    df = segments.group_by("speaker").agg((pl.col("end_ms") - pl.col("start_ms")).sum().alias("ms")).sort("speaker")
    return {k: int(v) for k, v in df.iter_rows()}


def label_speakers(audio_path: str | Path, segments: pl.DataFrame, config: SpeakerConfig | None = None, *,
                   audio_sha256: str | None = None, cache: StageCache | None = None,
                   reference: str | Path | None = None, samples: np.ndarray | None = None) -> SpeakerResult:
    """`segments` with `speaker` and `streamer_p` filled in and cut where the voice changes, and stats (talk time
    per voice, the streamer's share, whether a streamer was found). With `cache`, the same audio, segments, model,
    reference and config are never labelled twice."""
    config = config or SpeakerConfig()
    reference = reference or config.reference
    started = time.perf_counter()
    if not config.enabled or segments.height == 0:
        stats = _stats(segments, None, 0, config, reference, started, enabled=config.enabled)
        return SpeakerResult(segments, stats)
    if reference and not Path(reference).is_file():
        raise FileNotFoundError(f"speaker reference clip not found: {reference} (asr.speakers.reference, or voice= on "
                                "the inbox line)")
    ref_sha = sha256_file(reference) if reference else ""
    key = stage_key(STAGE, [audio_sha256 or sha256_file(audio_path), frame_sha256(segments), encoder.model_sha256(),
                            ref_sha], config_hash(config.model_copy(update={"reference": None})), CODE_VERSION)
    if cache is not None and (hit := cache.get(STAGE, key)) is not None and hit[1] is not None:
        record, table = hit
        return SpeakerResult(table.cast(dict(segments.schema)), {**record, "cache_hit": True})
    device = encoder.resolve_device(config.device)
    audio = encoder.read_audio(audio_path) if samples is None else samples
    starts, ends, emb = encoder.embed_regions(audio, merged_regions(segments), config.hop_ms, device)
    ref_emb = encoder.embed_clip(encoder.read_audio(reference), device) if reference else None
    voices = find_voices(emb, (ends - starts).astype(float), config, ref_emb)
    labelled = label_segments(segments, starts, emb, voices, config)
    stats = {**_stats(labelled, voices, len(emb), config, reference, started, enabled=True, device=device),
             "stage_key": key, "reference_sha256": ref_sha or None}
    if cache is not None:
        cache.put(STAGE, key, stats, labelled)
    return SpeakerResult(labelled, {**stats, "cache_hit": False})


def _stats(segments: pl.DataFrame, voices: Voices | None, windows: int, config: SpeakerConfig,
           reference: str | Path | None, started: float, *, enabled: bool, device: str | None = None
           ) -> dict[str, Any]:
    talk = talk_time(segments)
    total = sum(talk.values())
    return {
        "enabled": enabled,
        "voices": len(voices.labels) if voices is not None else (1 if total else 0),
        "streamer_found": voices is None or voices.streamer is not None,
        "talk_ms": talk,
        "streamer_share": round(talk.get(STREAMER, 0) / total, 4) if total else None,
        "windows": windows,
        "reference": str(reference) if reference else None,
        "model": "resemblyzer (GE2E voice encoder)" if enabled else None,
        "device": device,
        "elapsed_s": round(time.perf_counter() - started, 3),
    }
