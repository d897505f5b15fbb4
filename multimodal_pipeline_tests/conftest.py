import contextlib
import functools
import http.server
import threading
from pathlib import Path

import pytest

from multimodal_pipeline.media.fixtures import make_mp4

REPO = Path(__file__).resolve().parent.parent
SHARED_REAL = REPO.parent / "shared" / "fixtures" / "real"


def real_fixture(relative: str) -> Path:
    path = SHARED_REAL / relative
    if not path.exists():
        pytest.skip(f"real fixture {path} not present (../shared beside the checkout)")
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
