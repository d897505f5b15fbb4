import contextlib
import functools
import http.server
import threading
from pathlib import Path

import pytest

from multimodal_pipeline.media.fixtures import make_mp4

from multimodal_pipeline_tests.real_fixtures import SHARED_REAL, real_fixture

REPO = Path(__file__).resolve().parent.parent
__all__ = ["SHARED_REAL", "real_fixture"]


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
