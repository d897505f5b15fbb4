"""Decode a file's audio stream and resample it to a lossless mono file, streaming in constant memory."""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from multimodal_pipeline.contracts.config import AudioConfig
from multimodal_pipeline.media.probe import MediaError, NoAudioStreamError
from multimodal_pipeline.storage.atomic import temporary_path
from multimodal_pipeline.storage.hashing import config_hash, sha256_file
from multimodal_pipeline.storage.stage import StageCache, stage_key

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
    corrupt_packets: int = 0  # audio packets that did not decode (silence in their place)


def _dbfs(value: float) -> float:
    return 20 * math.log10(value) if value > 0 else -120.0


def _silence(stream, packet) -> av.AudioFrame:
    """Silence as long as a packet that could not be decoded, in the stream's own format: the audio keeps its
    length, so speech stays aligned with the video's clock (and the chat's)."""
    ctx = stream.codec_context
    seconds = float(packet.duration * packet.time_base) if packet.duration and packet.time_base else 0.0
    frame = av.AudioFrame(format=ctx.format.name if ctx.format else "s16",
                          layout=ctx.layout.name if ctx.layout else "mono",
                          samples=max(1, round(seconds * ctx.sample_rate)) if seconds else (ctx.frame_size or 1024))
    for plane in frame.planes:
        plane.update(bytes(plane.buffer_size))
    frame.sample_rate = ctx.sample_rate
    return frame


def extract_audio(src: str | Path, out_dir: str | Path, config: AudioConfig | None = None,
                  progress=None, warn=None) -> ExtractedAudio:
    """Decode the first audio stream of `src`, resample, encode losslessly into `out_dir/<sha256><ext>`.

    Frames are decoded, resampled and encoded one at a time, so memory does not grow with the file's length.
    `progress(done_ms, total_ms)` is called about every 10 % of the file. A packet that does not decode is skipped
    and counted (`warn` is told about each); more than `config.max_corrupt_packets` of them fail the extraction.
    """
    config = config or AudioConfig()
    if config.codec not in _CONTAINER:
        raise ValueError(f"unsupported audio codec {config.codec!r}: choose one of {sorted(_CONTAINER)}")
    fmt, ext = _CONTAINER[config.codec]
    out_dir = Path(out_dir)
    samples = 0
    sum_sq = 0.0
    peak = 0
    corrupt = 0
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
                    packets = inp.demux(stream)
                    for packet in packets:
                        try:
                            frames = packet.decode()
                        except av.error.FFmpegError as exc:  # one bad packet: skip it, count it
                            corrupt += 1
                            if corrupt > config.max_corrupt_packets:
                                at = (f"{float(packet.pts * packet.time_base):.2f} s" if packet.pts is not None
                                      else "an unknown time")
                                raise MediaError(f"{src}: more than max_corrupt_packets={config.max_corrupt_packets} "
                                                 f"audio packets do not decode (the last one at {at}: {exc})") from exc
                            if warn:
                                warn(f"{src}: an audio packet does not decode ({exc}): silence in its place")
                            write(resampler.resample(_silence(stream, packet)))
                            continue
                        for frame in frames:
                            frame.pts = None
                            write(resampler.resample(frame))
                        if progress and total_ms:
                            done = samples * 1000 / config.sample_rate
                            if done >= next_report:
                                progress(int(done), total_ms)
                                next_report = done + total_ms * 0.1
                except av.error.FFmpegError as exc:  # the container itself cannot be read on
                    raise MediaError(f"{src}: audio stream cannot be decoded ({exc})") from exc
                write(resampler.resample(None))
                out.mux(ostream.encode(None))
        if samples == 0:
            raise MediaError(f"{src}: the audio stream decoded to no samples")
        digest = sha256_file(tmp)
        final = out_dir / f"{digest}{ext}"
        if not final.exists() or sha256_file(final) != digest:  # a damaged copy under the right name is replaced
            os.replace(tmp, final)
    rms = math.sqrt(sum_sq / (samples * config.channels)) / 32768.0
    return ExtractedAudio(
        path=final, sha256=digest, sample_rate=config.sample_rate, channels=config.channels,
        source_channels=source_channels, source_sample_rate=source_rate,
        duration_ms=samples * 1000 // config.sample_rate,
        rms_dbfs=round(_dbfs(rms), 2), peak_dbfs=round(_dbfs(peak / 32768.0), 2), corrupt_packets=corrupt,
    )


#: bump when the audio produced from the same source and config changes
CODE_VERSION = "audio-2"


def extract_audio_cached(src: str | Path, source_sha256: str, out_dir: str | Path, config: AudioConfig | None,
                         cache: StageCache, progress=None, warn=None) -> tuple[ExtractedAudio, bool]:
    """`extract_audio`, reused by stage key (source sha256, config, code version) when the stored file is still there
    and its sha256 verifies; (result, cache hit)."""
    config = config or AudioConfig()
    key = stage_key("audio", [source_sha256], config_hash(config), CODE_VERSION)
    hit = cache.get("audio", key)
    if hit is not None:
        record, _ = hit
        path = Path(out_dir) / Path(record["path"]).name
        if path.exists() and sha256_file(path) == record["sha256"]:
            return ExtractedAudio(**{**record, "path": path}), True
    result = extract_audio(src, out_dir, config, progress=progress, warn=warn)
    cache.put("audio", key, {**dataclasses.asdict(result), "path": str(result.path)})
    return result, False
