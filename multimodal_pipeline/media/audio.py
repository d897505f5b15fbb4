"""Decode a file's audio stream and resample it to a lossless mono file, streaming in constant memory (decoding and
resampling on the calling thread, encoding on a second one)."""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import queue
import threading
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


class _Resampler:
    """Downmix and resample through a libav filter graph (`abuffer -> aformat -> abuffersink`, as PyAV's
    `AudioResampler` builds it, so the samples are the same), set up from the first frame. Frames are pushed one at a
    time but pulled only about once a second of input (`pull_every` samples): the sink hands out `frame_size`-sample
    frames, and asking for one earlier only raises "try again" (most of PyAV's per-packet cost)."""

    def __init__(self, config: AudioConfig, pull_every: int):
        self.config, self.pull_every = config, pull_every
        self.graph: av.filter.Graph | None = None
        self.template: tuple | None = None
        self.pending = 0

    def _setup(self, frame: av.AudioFrame) -> None:
        self.template = (frame.format.name, frame.layout.name, frame.sample_rate)
        graph = av.filter.Graph()
        extra = {"time_base": str(frame.time_base)} if frame.time_base is not None else {}
        src = graph.add("abuffer", sample_rate=str(frame.sample_rate), sample_fmt=frame.format.name,
                        channel_layout=frame.layout.name, **extra)
        fmt = graph.add("aformat", sample_rates=str(self.config.sample_rate), sample_fmts="s16",
                        channel_layouts=_LAYOUT[self.config.channels])
        self.sink = graph.add("abuffersink")
        src.link_to(fmt)
        fmt.link_to(self.sink)
        graph.configure()
        graph.set_audio_frame_size(self.config.sample_rate)
        self.src, self.graph = src, graph

    def push(self, frame: av.AudioFrame | None) -> list[av.AudioFrame]:
        """Resampled frames ready after `frame` (None: the end, everything left)."""
        if frame is not None:
            if self.graph is None:
                self._setup(frame)
            elif (frame.format.name, frame.layout.name, frame.sample_rate) != self.template:
                raise MediaError(f"the audio format changes inside the stream ({self.template} -> "
                                 f"{(frame.format.name, frame.layout.name, frame.sample_rate)})")
            frame.pts = None
            self.src.push(frame)
            self.pending += frame.samples
            if self.pending < self.pull_every:
                return []
            self.pending = 0
        elif self.graph is None:
            return []
        else:
            self.src.push(None)
        out = []
        while True:
            try:
                out.append(self.sink.pull())
            except (av.error.BlockingIOError, av.error.EOFError):
                return out


class _Encoder:
    """Encodes and writes resampled frames on a thread of its own (libav's FLAC encoder runs without the GIL), so
    that decoding and resampling go on meanwhile; keeps the running level figures. The queue is bounded: memory
    stays flat whatever the file's length. An error on the thread is raised again by `put` or `close`."""

    def __init__(self, out, ostream, depth: int = 16):
        self.out, self.ostream = out, ostream
        self.queue: queue.Queue = queue.Queue(maxsize=depth)
        self.samples, self.sum_sq, self.peak = 0, 0.0, 0
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="audio-encoder", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            while (frames := self.queue.get()) is not None:
                for frame in frames:
                    pcm = frame.to_ndarray()
                    self.samples += frame.samples
                    self.sum_sq += float(np.square(pcm, dtype=np.float64).sum())
                    self.peak = max(self.peak, int(np.abs(pcm.astype(np.int32)).max(initial=0)))
                    self.out.mux(self.ostream.encode(frame))
            self.out.mux(self.ostream.encode(None))
        except BaseException as exc:  # handed to the caller
            self.error = exc
            while self.queue.get() is not None:  # let the producer finish
                pass

    def put(self, frames: list) -> None:
        if self.error is not None:
            raise self.error
        if frames:
            self.queue.put(frames)

    def close(self, flush: bool = True) -> None:
        """Wait for the thread; `flush` False: an error on the caller's side, the frames queued are dropped."""
        if not flush:
            with contextlib.suppress(queue.Empty):
                while True:
                    self.queue.get_nowait()
        self.queue.put(None)
        self.thread.join()
        if flush and self.error is not None:
            raise self.error


def extract_audio(src: str | Path, out_dir: str | Path, config: AudioConfig | None = None,
                  progress=None, warn=None) -> ExtractedAudio:
    """Decode the first audio stream of `src`, resample, encode losslessly into `out_dir/<sha256><ext>`.

    Frames are decoded and resampled one at a time and encoded on a second thread through a bounded queue, so memory
    does not grow with the file's length. `progress(done_ms, total_ms)` is called about every 10 % of the file. A
    packet that does not decode is skipped and counted (`warn` is told about each); more than
    `config.max_corrupt_packets` of them fail the extraction.
    """
    config = config or AudioConfig()
    if config.codec not in _CONTAINER:
        raise ValueError(f"unsupported audio codec {config.codec!r}: choose one of {sorted(_CONTAINER)}")
    fmt, ext = _CONTAINER[config.codec]
    out_dir = Path(out_dir)
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
            resampler = _Resampler(config, pull_every=source_rate or config.sample_rate)
            with av.open(str(tmp), "w", format=fmt) as out:
                ostream = out.add_stream(config.codec, rate=config.sample_rate, layout=_LAYOUT[config.channels])
                ostream.format = "s16"
                encoder = _Encoder(out, ostream)
                done_samples = 0
                next_report = 0.0
                try:
                    for packet in inp.demux(stream):
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
                            frames = [_silence(stream, packet)]
                        for frame in frames:
                            ready = resampler.push(frame)
                            if ready:
                                encoder.put(ready)
                                done_samples += sum(f.samples for f in ready)
                        if progress and total_ms:
                            done = done_samples * 1000 / config.sample_rate
                            if done >= next_report:
                                progress(int(done), total_ms)
                                next_report = done + total_ms * 0.1
                    encoder.put(resampler.push(None))
                except av.error.FFmpegError as exc:  # the container itself cannot be read on
                    encoder.close(flush=False)
                    raise MediaError(f"{src}: audio stream cannot be decoded ({exc})") from exc
                except BaseException:
                    encoder.close(flush=False)
                    raise
                encoder.close()
        samples, sum_sq, peak = encoder.samples, encoder.sum_sq, encoder.peak
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
        path = cache.working_file(Path(out_dir) / Path(record["path"]).name, record["sha256"])
        if path is not None:
            return ExtractedAudio(**{**record, "path": path}), True
    result = extract_audio(src, out_dir, config, progress=progress, warn=warn)
    cache.put("audio", key, {**dataclasses.asdict(result), "path": result.path.name})  # the same on every machine
    return result, False
