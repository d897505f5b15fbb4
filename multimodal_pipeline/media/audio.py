"""Decode a file's audio stream and resample it to a lossless mono file, streaming in constant memory (decoding and
resampling inside libav on the calling thread, encoding on a second one)."""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import av
import numpy as np

from multimodal_pipeline.contracts.config import AudioConfig
from multimodal_pipeline.media.probe import MediaError, NoAudioStreamError
from multimodal_pipeline.storage.atomic import temporary_path
from multimodal_pipeline.storage.hashing import config_hash, sha256_file

if TYPE_CHECKING:
    from multimodal_pipeline.storage.stage import StageCache

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


class _GraphFailed(Exception):
    """The libav-side decode stopped on an error; the packet loop redoes the file (and counts what does not decode)."""


def _graph_batches(src: str | Path, stream_index: int, config: AudioConfig) -> Iterator[list[av.AudioFrame]]:
    """Demux, decode and resample inside libav (`amovie -> aformat -> abuffersink`, the same samples as `_Resampler`),
    a second of output per pull. PyAV lets go of the GIL while a pull runs, so decoding overlaps the encoder thread;
    per-packet calls from Python (which hold it) are gone. Any libav error raises `_GraphFailed`: the movie source
    stops at the first packet that does not decode, where the packet loop puts silence and counts it."""
    try:
        graph = av.filter.Graph()
        movie = graph.add("amovie", filename=str(src), streams=str(stream_index))
        fmt = graph.add("aformat", sample_rates=str(config.sample_rate), sample_fmts="s16",
                        channel_layouts=_LAYOUT[config.channels])
        sink = graph.add("abuffersink")
        movie.link_to(fmt)
        fmt.link_to(sink)
        graph.configure()
        graph.set_audio_frame_size(config.sample_rate)
        while True:
            try:
                frame = sink.pull()
            except av.error.EOFError:
                return
            yield [frame]
    except av.error.FFmpegError as exc:  # BlockingIOError included: a movie source never waits for input
        raise _GraphFailed(str(exc)) from exc


class _PacketLoop:
    """Demux and decode packet by packet from Python, resampling through `_Resampler`: slower than the graph, but a
    packet that does not decode is replaced by silence of its length and counted (`warn` is told about each)."""

    def __init__(self, src: str | Path, config: AudioConfig, warn=None):
        self.src, self.config, self.warn = src, config, warn
        self.corrupt = 0

    def batches(self, inp, stream) -> Iterator[list[av.AudioFrame]]:
        resampler = _Resampler(self.config, pull_every=stream.codec_context.sample_rate or self.config.sample_rate)
        try:
            for packet in inp.demux(stream):
                try:
                    frames = packet.decode()
                except av.error.FFmpegError as exc:  # one bad packet: skip it, count it
                    frames = [self._bad_packet(stream, packet, exc)]
                for frame in frames:
                    if ready := resampler.push(frame):
                        yield ready
            yield resampler.push(None)
        except av.error.FFmpegError as exc:  # the container itself cannot be read on
            raise MediaError(f"{self.src}: audio stream cannot be decoded ({exc})") from exc

    def _bad_packet(self, stream, packet, exc: Exception) -> av.AudioFrame:
        self.corrupt += 1
        limit = self.config.max_corrupt_packets
        if self.corrupt > limit:
            at = f"{float(packet.pts * packet.time_base):.2f} s" if packet.pts is not None else "an unknown time"
            raise MediaError(f"{self.src}: more than max_corrupt_packets={limit} audio packets do not decode "
                             f"(the last one at {at}: {exc})") from exc
        if self.warn:
            self.warn(f"{self.src}: an audio packet does not decode ({exc}): silence in its place")
        return _silence(stream, packet)


class _Progress:
    """`progress(done_ms, total_ms)` about every 10 % of the file, never backwards (a redo after the graph failed
    reports nothing until it passes what was reported)."""

    def __init__(self, progress, total_ms: int, sample_rate: int):
        self.progress, self.total_ms, self.sample_rate = progress, total_ms, sample_rate
        self.next_report = 0.0

    def __call__(self, done_samples: int) -> None:
        if self.progress and self.total_ms:
            done = done_samples * 1000 / self.sample_rate
            if done >= self.next_report:
                self.progress(int(done), self.total_ms)
                self.next_report = done + self.total_ms * 0.1


def _encode(batches: Iterator[list[av.AudioFrame]], tmp: Path, config: AudioConfig, report: _Progress) -> _Encoder:
    """Write the resampled frames of `batches` into `tmp` (encoding on the encoder's thread); the encoder, closed."""
    with av.open(str(tmp), "w", format=_CONTAINER[config.codec][0]) as out:
        ostream = out.add_stream(config.codec, rate=config.sample_rate, layout=_LAYOUT[config.channels])
        ostream.format = "s16"
        encoder = _Encoder(out, ostream)
        done = 0
        try:
            for frames in batches:
                encoder.put(frames)
                done += sum(f.samples for f in frames)
                report(done)
        except BaseException:
            encoder.close(flush=False)
            raise
        encoder.close()
    return encoder


def extract_audio(src: str | Path, out_dir: str | Path, config: AudioConfig | None = None,
                  progress=None, warn=None) -> ExtractedAudio:
    """Decode the first audio stream of `src`, resample, encode losslessly into `out_dir/<sha256><ext>`.

    Decoding and resampling run inside libav (`_graph_batches`) and encoding on a second thread through a bounded
    queue, so memory does not grow with the file's length. A file with a packet that does not decode is redone
    packet by packet (`_PacketLoop`): such a packet is skipped and counted (`warn` is told about each), and more than
    `config.max_corrupt_packets` of them fail the extraction. `progress(done_ms, total_ms)` is called about every
    10 % of the file.
    """
    config = config or AudioConfig()
    if config.codec not in _CONTAINER:
        raise ValueError(f"unsupported audio codec {config.codec!r}: choose one of {sorted(_CONTAINER)}")
    ext = _CONTAINER[config.codec][1]
    out_dir = Path(out_dir)
    loop = _PacketLoop(src, config, warn)
    with temporary_path(out_dir, suffix=ext) as tmp:
        try:
            inp = av.open(str(src))
        except av.error.FFmpegError as exc:
            raise MediaError(f"{src}: cannot be opened as media ({exc})") from exc
        with inp:  # closed before the graph opens the file again: one demuxer's index in memory at a time
            stream = next(iter(inp.streams.audio), None)
            if stream is None:
                raise NoAudioStreamError(f"{src}: has no audio stream (streams: "
                                         f"{', '.join(s.type for s in inp.streams) or 'none'})")
            index = stream.index
            source_channels = stream.codec_context.channels
            source_rate = stream.codec_context.sample_rate
            report = _Progress(progress, int(inp.duration * 1000 // av.time_base) if inp.duration else 0,
                               config.sample_rate)
        try:
            encoder = _encode(_graph_batches(src, index, config), tmp, config, report)
        except _GraphFailed:
            with av.open(str(src)) as inp:
                stream = inp.streams[index]
                stream.thread_type = "AUTO"
                encoder = _encode(loop.batches(inp, stream), tmp, config, report)
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
        rms_dbfs=round(_dbfs(rms), 2), peak_dbfs=round(_dbfs(peak / 32768.0), 2), corrupt_packets=loop.corrupt,
    )


#: bump when the audio produced from the same source and config changes
CODE_VERSION = "audio-2"


def extract_audio_cached(src: str | Path, source_sha256: str, out_dir: str | Path, config: AudioConfig | None,
                         cache: StageCache, progress=None, warn=None) -> tuple[ExtractedAudio, bool]:
    """`extract_audio`, reused by stage key (source sha256, config, code version) when the stored file is still there
    and its sha256 verifies; (result, cache hit)."""
    from multimodal_pipeline.storage.stage import stage_key  # Polars: not needed by `extract_audio` alone

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
