"""Render the planned speech into an MP4 (H.264 video + AAC audio) with PyAV, in one-second chunks.

Audio: the speech timeline (eSpeak's 22.05 kHz mono) is mixed per output chunk, resampled by linear
interpolation to the output rate, copied to every channel and given light white noise (seeded per chunk and
channel, so a chunk does not depend on how the stream was cut into chunks). Memory stays at one chunk of
output audio plus the cached utterance samples.

Video: a small frame per 1/fps s: slowly drifting background, a bar that moves with time, a progress bar,
an mm:ss clock and a red square while the streamer speaks.
"""

from __future__ import annotations

import bisect
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from .plan import Plan
from .spec import StreamSpec

_FONT = {  # 3x5 digits
    "0": "111101101101111", "1": "010110010010111", "2": "111001111100111", "3": "111001111001111",
    "4": "101101111001001", "5": "111100111001111", "6": "111100111101111", "7": "111001001001001",
    "8": "111101111101111", "9": "111101111001111", ":": "000010000010000",
}


def _draw_text(img: np.ndarray, text: str, x: int, y: int, scale: int, color: tuple[int, int, int]) -> None:
    for ch in text:
        bits = _FONT[ch]
        for r in range(5):
            for c in range(3):
                if bits[r * 3 + c] == "1":
                    y0, x0 = y + r * scale, x + c * scale
                    img[y0 : y0 + scale, x0 : x0 + scale] = color
        x += 4 * scale


def _frame(spec: StreamSpec, t_ms: int, duration_ms: int, speaking: bool) -> np.ndarray:
    w, h = spec.width, spec.height
    phase = (t_ms / 1000.0) / 60.0 * 2 * np.pi
    base = np.array([40 + 30 * np.sin(phase), 40 + 30 * np.sin(phase + 2.1), 70 + 30 * np.sin(phase + 4.2)])
    img = np.empty((h, w, 3), dtype=np.uint8)
    img[:] = base.astype(np.uint8)
    bar_w = max(2, w // 20)
    x = int((t_ms / 1000.0 * w / 8) % (w - bar_w))
    img[h // 4 : h // 4 * 3, x : x + bar_w] = (230, 230, 60)
    prog = int(w * min(1.0, t_ms / max(1, duration_ms)))
    img[h - 4 :, :prog] = (255, 255, 255)
    s = t_ms // 1000
    scale = max(1, h // 45)
    _draw_text(img, f"{s // 60:02d}:{s % 60:02d}", 3, 3, scale, (255, 255, 255))
    if speaking:
        q = max(4, h // 8)
        img[3 : 3 + q, w - 3 - q : w - 3] = (220, 30, 30)
    return img


class _SpeechTimeline:
    """The planned utterances as one virtual mono signal at the synthesizer's rate."""

    def __init__(self, plan: Plan, sample_rate: int):
        self.sr = sample_rate
        self.items = []
        for u in plan.utterances:
            start = int(round(u.start_ms * sample_rate / 1000))
            self.items.append((start, start + len(u.speech.samples), u.speech.samples))
        self.starts = [a for a, _b, _x in self.items]
        self.max_len = max((b - a for a, b, _x in self.items), default=0)

    def render(self, a: int, b: int) -> np.ndarray:
        out = np.zeros(max(0, b - a), dtype=np.float32)
        lo = bisect.bisect_left(self.starts, a - self.max_len)
        hi = bisect.bisect_left(self.starts, b)
        for s, e, x in self.items[lo:hi]:
            if e <= a or s >= b:
                continue
            i0, i1 = max(s, a), min(e, b)
            out[i0 - a : i1 - a] += x[i0 - s : i1 - s].astype(np.float32) * (0.8 / 32768.0)
        return out

    def speaking_at(self, sample: int) -> bool:
        i = bisect.bisect_right(self.starts, sample) - 1
        return i >= 0 and self.items[i][0] <= sample < self.items[i][1]


def _open_video_stream(container, spec: StreamSpec):
    # x264's frame-type lookahead made about 1 encode in 20 differ from the others, even on one thread (measured:
    # 11 of 200 encodes of the same frames in one process); without it, 700 of 700 were identical
    x264 = {"preset": "veryfast", "crf": "30", "g": str(10 * spec.fps), "x264-params": "rc-lookahead=0"}
    for codec, options in (("libx264", x264),
                           ("h264", {}), ("mpeg4", {"qscale": "8"})):
        try:
            stream = container.add_stream(codec, rate=spec.fps, options=options)
        except Exception:
            continue
        stream.width, stream.height = spec.width, spec.height
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, spec.fps)
        stream.codec_context.thread_count = 1  # one thread: byte-identical output across runs
        return stream
    raise RuntimeError("PyAV has no H.264 or MPEG-4 encoder")


def write_mp4(path: Path, plan: Plan, spec: StreamSpec, tts_rate: int) -> dict:
    """Write the stream's MP4 and return facts about it (codecs, rates, duration)."""
    duration_ms = plan.duration_ms
    out_sr = spec.audio_rate
    n_out = int(round(duration_ms * out_sr / 1000))
    n_frames = max(1, -(-duration_ms * spec.fps // 1000))
    layout = "stereo" if spec.audio_channels == 2 else "mono"
    timeline = _SpeechTimeline(plan, tts_rate)
    noise_rms = float(10 ** (spec.noise_dbfs / 20.0))
    ratio = tts_rate / out_sr

    container = av.open(str(path), "w", format="mp4")
    try:
        vstream = _open_video_stream(container, spec)
        astream = container.add_stream("aac", rate=out_sr, layout=layout, options={"aac_coder": "fast"})
        astream.bit_rate = 96_000 if spec.audio_channels == 2 else 64_000
        astream.time_base = Fraction(1, out_sr)
        frame_size = 1024
        pending = np.zeros((spec.audio_channels, 0), dtype=np.float32)
        apts = 0
        vi = 0
        chunk = out_sr  # one second of output per step
        for c0 in range(0, n_out, chunk):
            c1 = min(n_out, c0 + chunk)
            # Linear interpolation of the speech timeline at the output sample times.
            pos = np.arange(c0, c1, dtype=np.float64) * ratio
            a = int(np.floor(pos[0]))
            b = int(np.floor(pos[-1])) + 2
            src = timeline.render(a, b)
            mono = np.interp(pos, np.arange(a, b, dtype=np.float64), src).astype(np.float32)
            rng = np.random.default_rng([spec.seed, 7, c0 // chunk])
            noise = rng.standard_normal((spec.audio_channels, c1 - c0)).astype(np.float32) * noise_rms
            block = np.clip(mono[None, :] + noise, -1.0, 1.0).astype(np.float32)
            pending = np.concatenate([pending, block], axis=1)
            last = c1 == n_out
            while pending.shape[1] >= frame_size or (last and pending.shape[1] > 0):
                take = pending[:, :frame_size]
                pending = pending[:, frame_size:]
                frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(take), format="fltp", layout=layout)
                frame.sample_rate = out_sr
                frame.pts = apts
                frame.time_base = Fraction(1, out_sr)
                apts += take.shape[1]
                for packet in astream.encode(frame):
                    container.mux(packet)
            # Video frames up to the end of this chunk.
            t_end_ms = c1 * 1000 // out_sr
            while vi < n_frames and (vi * 1000 // spec.fps < t_end_ms or last):
                t_ms = vi * 1000 // spec.fps
                speaking = timeline.speaking_at(int(t_ms * tts_rate / 1000))
                rgb = _frame(spec, t_ms, duration_ms, speaking)
                vf = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
                vf.pts = vi
                vf.time_base = Fraction(1, spec.fps)
                for packet in vstream.encode(vf):
                    container.mux(packet)
                vi += 1
        for packet in astream.encode(None):
            container.mux(packet)
        for packet in vstream.encode(None):
            container.mux(packet)
        info = {
            "video_codec": vstream.codec_context.name,
            "audio_codec": astream.codec_context.name,
            "width": spec.width,
            "height": spec.height,
            "fps": spec.fps,
            "video_frames": n_frames,
            "audio_sample_rate": out_sr,
            "audio_channels": spec.audio_channels,
            "audio_samples": n_out,
            "noise_dbfs": spec.noise_dbfs,
        }
    finally:
        container.close()
    return info
