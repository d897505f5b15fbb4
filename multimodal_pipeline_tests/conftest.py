import contextlib
import functools
import http.server
import threading
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_REAL = REPO.parent / "shared" / "fixtures" / "real"


def real_fixture(relative: str) -> Path:
    path = SHARED_REAL / relative
    if not path.exists():
        pytest.skip(f"real fixture {path} not present (../shared beside the checkout)")
    return path


def make_mp4(path: Path, seconds: float = 3.0, audio: bool = True, video: bool = True,
             rate: int = 44_100, tone_hz: float = 440.0, amplitude: float = 0.3) -> Path:
    """A small MP4 (mpeg4 frames + AAC stereo tone) written with PyAV."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w", format="mp4") as out:
        vs = out.add_stream("mpeg4", rate=5) if video else None
        if vs is not None:
            vs.width, vs.height, vs.pix_fmt = 64, 48, "yuv420p"
        aus = out.add_stream("aac", rate=rate, layout="stereo") if audio else None
        if vs is not None:
            for i in range(int(seconds * 5)):
                img = np.full((48, 64, 3), (i * 20) % 255, dtype=np.uint8)
                frame = av.VideoFrame.from_ndarray(img, format="rgb24")
                frame.pts = i
                out.mux(vs.encode(frame))
            out.mux(vs.encode(None))
        if aus is not None:
            n = int(seconds * rate)
            t = np.arange(n) / rate
            pcm = (amplitude * np.sin(2 * np.pi * tone_hz * t) * 32767).astype(np.int16)
            stereo = np.stack([pcm, pcm])
            for start in range(0, n, 1024):
                chunk = np.ascontiguousarray(stereo[:, start:start + 1024].T.reshape(1, -1))
                frame = av.AudioFrame.from_ndarray(chunk, format="s16", layout="stereo")
                frame.sample_rate = rate
                frame.pts = start
                frame.time_base = Fraction(1, rate)
                out.mux(aus.encode(frame))
            out.mux(aus.encode(None))
    return path


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass


@contextlib.contextmanager
def serve_directory(directory: Path):
    """A real HTTP server on 127.0.0.1 (random port) serving `directory`; yields its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def data_root(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "data"
    for sub in ("raw", "staged", "curated", "artifacts", "inbox"):
        (root / sub).mkdir(parents=True)
    monkeypatch.setenv("MMP_DATA_ROOT", str(root))
    return root


@pytest.fixture(scope="session")
def sample_mp4(tmp_path_factory) -> Path:
    return make_mp4(tmp_path_factory.mktemp("media") / "sample.mp4", seconds=3.0)
