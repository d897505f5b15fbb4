"""Generated media for tests and benchmarks: a small MP4 with frames and an AAC tone, written by PyAV."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def make_mp4(path: Path, seconds: float = 3.0, audio: bool = True, video: bool = True, rate: int = 44_100,
             tone_hz: float = 440.0, amplitude: float = 0.3, fps: int = 5) -> Path:
    """An MP4 of `seconds` (mpeg4 frames 64x48, AAC stereo tone with a little noise), streamed in 1024-sample chunks."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    with av.open(str(path), "w", format="mp4") as out:
        vs = out.add_stream("mpeg4", rate=fps) if video else None
        if vs is not None:
            vs.width, vs.height, vs.pix_fmt = 64, 48, "yuv420p"
        aus = out.add_stream("aac", rate=rate, layout="stereo") if audio else None
        if vs is not None:
            for i in range(int(seconds * fps)):
                frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), (i * 20) % 255, dtype=np.uint8), format="rgb24")
                frame.pts = i
                out.mux(vs.encode(frame))
            out.mux(vs.encode(None))
        if aus is not None:
            total = int(seconds * rate)
            for start in range(0, total, 1024):
                n = min(1024, total - start)
                t = (start + np.arange(n)) / rate
                wave = amplitude * np.sin(2 * np.pi * tone_hz * t) + 0.01 * rng.standard_normal(n)
                pcm = (wave * 32767).astype(np.int16)
                frame = av.AudioFrame.from_ndarray(np.repeat(pcm, 2).reshape(1, -1), format="s16", layout="stereo")
                frame.sample_rate = rate
                frame.pts = start
                frame.time_base = Fraction(1, rate)
                out.mux(aus.encode(frame))
            out.mux(aus.encode(None))
    return path
