"""Probe a media file with PyAV: container, duration, streams. Bad media gets a specific error."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av


class MediaError(ValueError):
    """The file is not usable media; the message says why and names the file."""


class NoAudioStreamError(MediaError):
    pass


@dataclass(frozen=True)
class MediaInfo:
    container: str
    duration_ms: int | None
    video_codec: str | None
    audio_codec: str | None
    audio_channels: int | None
    audio_sample_rate: int | None
    width: int | None
    height: int | None


def probe(path: str | Path) -> MediaInfo:
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise MediaError(f"{path}: the file is empty (0 bytes)")
    try:
        with av.open(str(path)) as container:
            v = next(iter(container.streams.video), None)
            a = next(iter(container.streams.audio), None)
            if v is None and a is None:
                raise MediaError(f"{path}: no audio or video stream (format {container.format.name})")
            duration = container.duration
            if duration is None and a is not None and a.duration is not None and a.time_base is not None:
                duration = int(a.duration * a.time_base * av.time_base)
            # Decode the first audio packet: a file whose index opens but whose data is unreadable fails here.
            if a is not None:
                for packet in container.demux(a):
                    if packet.size:
                        packet.decode()
                        break
            return MediaInfo(
                container=container.format.name,
                duration_ms=int(duration * 1000 // av.time_base) if duration is not None else None,
                video_codec=v.codec_context.name if v is not None else None,
                audio_codec=a.codec_context.name if a is not None else None,
                audio_channels=a.codec_context.channels if a is not None else None,
                audio_sample_rate=a.codec_context.sample_rate if a is not None else None,
                width=v.codec_context.width if v is not None else None,
                height=v.codec_context.height if v is not None else None,
            )
    except MediaError:
        raise
    except av.error.InvalidDataError as exc:
        raise MediaError(f"{path}: not a media file PyAV/FFmpeg can read, or truncated ({exc})") from exc
    except av.error.FFmpegError as exc:
        raise MediaError(f"{path}: cannot be read as media ({exc})") from exc
