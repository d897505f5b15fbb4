"""Decode a file's audio stream and resample it to a lossless mono file, streaming in constant memory."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from multimodal_pipeline.contracts.config import AudioConfig
from multimodal_pipeline.media.probe import MediaError, NoAudioStreamError
from multimodal_pipeline.storage.atomic import temporary_path
from multimodal_pipeline.storage.hashing import sha256_file

_CONTAINER = {"flac": ("flac", ".flac"), "pcm_s16le": ("wav", ".wav")}
_LAYOUT = {1: "mono", 2: "stereo"}


@dataclass(frozen=True)
class ExtractedAudio:
    path: Path
    sha256: str
    sample_rate: int
    channels: int
    source_channels: int
    source_sample_rate: int
    duration_ms: int
    rms_dbfs: float
    peak_dbfs: float


def _dbfs(value: float) -> float:
    return 20 * math.log10(value) if value > 0 else -120.0


def extract_audio(src: str | Path, out_dir: str | Path, config: AudioConfig | None = None,
                  progress=None) -> ExtractedAudio:
    """Decode the first audio stream of `src`, resample, encode losslessly into `out_dir/<sha256><ext>`.

    Frames are decoded, resampled and encoded one at a time, so memory does not grow with the file's length.
    `progress(done_ms, total_ms)` is called about every 10 % of the file.
    """
    config = config or AudioConfig()
    if config.codec not in _CONTAINER:
        raise ValueError(f"unsupported audio codec {config.codec!r}: choose one of {sorted(_CONTAINER)}")
    fmt, ext = _CONTAINER[config.codec]
    out_dir = Path(out_dir)
    samples = 0
    sum_sq = 0.0
    peak = 0
    with temporary_path(out_dir, suffix=ext) as tmp:
        try:
            inp = av.open(str(src))
        except av.error.FFmpegError as exc:
            raise MediaError(f"{src}: cannot be opened as media ({exc})") from exc
        with inp:
            stream = next(iter(inp.streams.audio), None)
            if stream is None:
                raise NoAudioStreamError(f"{src}: has no audio stream (streams: "
                                         f"{', '.join(s.type for s in inp.streams) or 'none'})")
            stream.thread_type = "AUTO"
            source_channels = stream.codec_context.channels
            source_rate = stream.codec_context.sample_rate
            total_ms = int(inp.duration * 1000 // av.time_base) if inp.duration else 0
            # Large output frames: one encode call and one level measurement per ~1 s of audio, not per packet.
            resampler = av.AudioResampler(format="s16", layout=_LAYOUT[config.channels], rate=config.sample_rate,
                                          frame_size=config.sample_rate)
            with av.open(str(tmp), "w", format=fmt) as out:
                ostream = out.add_stream(config.codec, rate=config.sample_rate, layout=_LAYOUT[config.channels])
                ostream.format = "s16"
                next_report = 0.0

                def write(frames) -> None:
                    """Encode resampled frames, keeping the running level figures (no whole-file arrays)."""
                    nonlocal samples, sum_sq, peak
                    for rframe in frames:
                        pcm = rframe.to_ndarray()
                        samples += rframe.samples
                        sum_sq += float(np.square(pcm, dtype=np.float64).sum())
                        peak = max(peak, int(np.abs(pcm.astype(np.int32)).max(initial=0)))
                        out.mux(ostream.encode(rframe))

                try:
                    for frame in inp.decode(stream):
                        frame.pts = None
                        write(resampler.resample(frame))
                        if progress and total_ms:
                            done = samples * 1000 / config.sample_rate
                            if done >= next_report:
                                progress(int(done), total_ms)
                                next_report = done + total_ms * 0.1
                except av.error.FFmpegError as exc:
                    raise MediaError(f"{src}: audio stream cannot be decoded ({exc})") from exc
                write(resampler.resample(None))
                out.mux(ostream.encode(None))
        if samples == 0:
            raise MediaError(f"{src}: the audio stream decoded to no samples")
        digest = sha256_file(tmp)
        final = out_dir / f"{digest}{ext}"
        if not final.exists():
            os.replace(tmp, final)
    rms = math.sqrt(sum_sq / (samples * config.channels)) / 32768.0
    return ExtractedAudio(
        path=final, sha256=digest, sample_rate=config.sample_rate, channels=config.channels,
        source_channels=source_channels, source_sample_rate=source_rate,
        duration_ms=samples * 1000 // config.sample_rate,
        rms_dbfs=round(_dbfs(rms), 2), peak_dbfs=round(_dbfs(peak / 32768.0), 2),
    )
