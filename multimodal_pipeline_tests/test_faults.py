"""Fault injection: a killed run, a torn ledger line, two runs of one video at once, a full disk, damaged media, a
connection reset or a 404 mid-download. Each test injects its faults for real (SIGKILL of a real process,
RLIMIT_FSIZE, a loopback server that drops the socket) and then checks that nothing was lost or left half-written.
"""

from __future__ import annotations

import http.server
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest

import dagster as dg

from multimodal_pipeline.contracts.config import AudioConfig, IngestConfig
from multimodal_pipeline.ingest.fetch import IngestError, _fetch_sidecar, acquire
from multimodal_pipeline.ingest.inbox import InboxEntry, parse_uri_list
from multimodal_pipeline.ingest.ledger import Ledger, LedgerCorruptError
from multimodal_pipeline.ingest.registry import register, video_overrides
from multimodal_pipeline.media.audio import extract_audio
from multimodal_pipeline.media.fixtures import make_mp4
from multimodal_pipeline.media.probe import MediaError
from multimodal_pipeline.storage import TableStore
from multimodal_pipeline.storage.hashing import sampled_sha256, sha256_file
from multimodal_pipeline.storage.locks import LockBusyError, exclusive
from multimodal_pipeline_tests.dagster_helpers import add_videos, materialize_partition, run_inbox

REPO = Path(__file__).resolve().parent.parent


def no_temporary_files(root: Path) -> list[Path]:
    return [p for p in root.rglob(".tmp-*")]


def kill_after_ready(script: str, args: list[str], ready: str, delay_s: float, busy=None) -> None:
    """Start `python -c script args`, wait until it prints `ready` (and until `busy()` is true, when given), let it
    work `delay_s` seconds more, SIGKILL it."""
    proc = subprocess.Popen([sys.executable, "-c", script, *args], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == ready
    deadline = time.monotonic() + 300
    while busy is not None and not busy():
        assert proc.poll() is None and time.monotonic() < deadline, "the process never got to the point to kill"
        time.sleep(0.05)
    time.sleep(delay_s)
    proc.send_signal(signal.SIGKILL)
    proc.wait()


# --- the ledger ------------------------------------------------------------------------------------------------


def test_torn_ledger_tail_is_reported_repaired_and_kept(tmp_path):
    raw = tmp_path / "raw"
    ledger = Ledger(raw)
    ledger.append("v1", "video", raw / "videos" / "a.mp4", "a" * 64, 10, "http://x/a.mp4")
    torn = '{"bytes": 10, "path": "/data/raw/videos/' + "b" * 64 + '.mp4", "recorded_at": "2026-'
    with open(ledger.path, "a") as f:
        f.write(torn)  # what a crash in the middle of an append leaves
    assert [e.video_id for e in ledger.entries()] == ["v1"] and ledger.torn_tail == torn
    ledger.append("v2", "video", raw / "videos" / "c.mp4", "c" * 64, 10, "http://x/c.mp4")
    assert [e.video_id for e in Ledger(raw).entries()] == ["v1", "v2"]
    kept = [json.loads(line) for line in ledger.torn_path.read_text().splitlines()]
    assert kept[0]["text"] == torn  # the torn bytes are kept, with the hash of the file they were about
    # a bad line that is not the last one is not a torn write: reading stops with file and line
    lines = ledger.path.read_text().splitlines()
    ledger.path.write_text("\n".join([lines[0], "{garbage", lines[1]]) + "\n")
    with pytest.raises(LedgerCorruptError, match=r"ledger.jsonl:2: not a ledger entry"):
        Ledger(raw).entries()


def test_whole_last_line_without_newline_is_kept(tmp_path):
    ledger = Ledger(tmp_path)
    ledger.append("v1", "video", tmp_path / "a", "a" * 64, 1, "u")
    ledger.path.write_bytes(ledger.path.read_bytes().rstrip(b"\n"))
    assert len(ledger.entries()) == 1 and ledger.torn_tail is None
    ledger.append("v2", "video", tmp_path / "b", "b" * 64, 1, "u")
    assert [e.video_id for e in ledger.entries()] == ["v1", "v2"] and not ledger.torn_path.exists()


APPENDER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from multimodal_pipeline.ingest.ledger import Ledger
    ledger = Ledger(Path(sys.argv[1]))
    print("ready", flush=True)
    k = 0
    while True:
        k += 1
        ledger.append(f"v{k}", "video", Path(f"/x/{k}.mp4"), f"{k:064d}", k, "http://x")
""")


def test_ledger_survives_sigkill_during_appends(tmp_path):
    """A process appending as fast as it can is killed at random moments; the ledger always parses afterwards and
    the next append goes on from a whole line."""
    rng = random.Random(7)
    for _ in range(5):
        kill_after_ready(APPENDER, [str(tmp_path)], "ready", rng.uniform(0.05, 0.3))
        ledger = Ledger(tmp_path)
        before = len(ledger.entries())  # never raises
        ledger.append("after", "video", tmp_path / "z", "f" * 64, 1, "u")
        entries = ledger.entries()
        assert len(entries) == before + 1 and entries[-1].video_id == "after" and ledger.torn_tail is None


# --- downloads -------------------------------------------------------------------------------------------------


class _Site(http.server.BaseHTTPRequestHandler):
    """`/slow/<name>`: the file in 16 KiB pieces, 50 ms apart; `/nolength/<name>`: the same without a
    Content-Length; `/reset/<name>`: half the file, then the socket is dropped; `/flaky/<name>`: a reset on the
    first request, the file on the next; `/missing`: 404."""

    root: Path
    requests: list[str]
    flaky_resets = 1

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802 (the handler's API)
        type(self).requests.append(self.path)
        kind, _, name = self.path.lstrip("/").partition("/")
        path = self.root / name
        if kind == "missing" or not path.is_file():
            self.send_error(404, "Not Found")
            return
        data = path.read_bytes()
        if kind == "flaky" and sum(1 for r in self.requests if r == self.path) <= self.flaky_resets:
            kind = "reset"
        self.send_response(200)
        self.send_header("Content-Type", "video/mp4")
        if kind != "nolength":
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if kind == "reset":
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.connection.shutdown(2)
            self.connection.close()
            return
        slow = kind in ("slow", "nolength")
        step = 16 * 1024 if slow else len(data)
        try:
            for k in range(0, len(data), step):
                self.wfile.write(data[k:k + step])
                if slow:
                    time.sleep(0.05)
        except (BrokenPipeError, ConnectionResetError):  # the client stopped reading (a size cap, a killed run)
            pass


@pytest.fixture
def site(tmp_path):
    folder = tmp_path / "site"
    folder.mkdir()
    handler = type("Handler", (_Site,), {"root": folder, "requests": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield folder, f"http://127.0.0.1:{server.server_address[1]}", handler.requests, handler
    finally:
        server.shutdown()
        server.server_close()


def test_connection_reset_mid_download_is_retried_then_a_clear_transient_error(data_root, site, sample_mp4):
    folder, base, requests, _handler = site
    shutil.copy(sample_mp4, folder / "v.mp4")
    config = IngestConfig(retries=2)
    with pytest.raises(IngestError) as err:
        acquire(InboxEntry("reset", f"{base}/reset/v.mp4", None, "i", 1), data_root / "raw", config)
    assert err.value.transient and "download failed" in str(err.value) and "v.mp4" in str(err.value)
    assert requests.count("/reset/v.mp4") >= 2  # yt-dlp tried again before giving up
    assert not no_temporary_files(data_root / "raw") and not Ledger(data_root / "raw").entries()
    # a 404 is not transient: no retry can help, the step fails at once
    with pytest.raises(IngestError) as err:
        acquire(InboxEntry("gone", f"{base}/missing/v.mp4", None, "i", 1), data_root / "raw", config)
    assert not err.value.transient and "404" in str(err.value)


def test_sidecar_is_retried_with_backoff_and_capped_while_streaming(tmp_path, site, sample_mp4):
    folder, base, requests, _handler = site
    (folder / "chat.json").write_bytes(b"x" * 300_000)
    waits: list[float] = []
    config = IngestConfig(retries=3, retry_backoff_s=0.5)
    got = _fetch_sidecar(f"{base}/flaky/chat.json", tmp_path, config, sleep=waits.append)
    assert got.stat().st_size == 300_000 and waits == [0.5]
    with pytest.raises(IngestError, match=r"after 4 attempts"):
        _fetch_sidecar(f"{base}/reset/chat.json", tmp_path, config, sleep=waits.append)
    assert waits[1:] == [0.5, 1.0, 2.0]  # doubling
    with pytest.raises(IngestError, match="HTTP 404") as err:
        _fetch_sidecar(f"{base}/missing/chat.json", tmp_path, config, sleep=waits.append)
    assert not err.value.transient and len(waits) == 4  # not retried
    with pytest.raises(IngestError, match="max_chat_bytes=100000"):
        _fetch_sidecar(f"{base}/plain/chat.json", tmp_path, IngestConfig(max_chat_bytes=100_000))


def test_size_cap_holds_while_streaming(data_root, site, sample_mp4):
    """A server that announces the size is refused before the download; one that does not is stopped at the cap."""
    folder, base, requests, _handler = site
    big = make_mp4(folder / "big.mp4", seconds=20.0)
    cap = big.stat().st_size // 3
    with pytest.raises(IngestError, match=f"larger than max_bytes={cap}"):
        acquire(InboxEntry("big", f"{base}/slow/big.mp4", None, "i", 1), data_root / "raw",
                IngestConfig(max_bytes=cap))
    with pytest.raises(IngestError, match=f"more than max_bytes={cap} bytes; download stopped"):
        acquire(InboxEntry("big2", f"{base}/nolength/big.mp4", None, "i", 1), data_root / "raw",
                IngestConfig(max_bytes=cap))
    assert not no_temporary_files(data_root / "raw") and not list((data_root / "raw").glob("videos/*"))


ACQUIRE = textwrap.dedent("""
    import sys
    from pathlib import Path
    from multimodal_pipeline.contracts.config import IngestConfig
    from multimodal_pipeline.ingest.fetch import acquire
    from multimodal_pipeline.ingest.inbox import InboxEntry
    print("start", flush=True)
    acquire(InboxEntry(sys.argv[2], sys.argv[3], None, "i", 1), Path(sys.argv[1]),
            IngestConfig(lock_wait_s=float(sys.argv[4])), log=lambda m: print(m, flush=True))
    print("done", flush=True)
""")


def _acquire_process(raw: Path, video_id: str, uri: str, wait_s: float = 600) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", ACQUIRE, str(raw), video_id, uri, str(wait_s)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_sigkill_during_download_then_rerun_succeeds_and_leaves_nothing(data_root, site):
    folder, base, _, _handler = site
    video = make_mp4(folder / "long.mp4", seconds=30.0)  # about 1.5 s to serve in 16 KiB pieces
    raw = data_root / "raw"
    rng = random.Random(3)
    for _ in range(3):
        proc = _acquire_process(raw, "killed", f"{base}/slow/long.mp4")
        deadline = time.monotonic() + 60
        while not any(p.is_dir() for p in raw.glob(".tmp-killed@*/")):  # the download has begun
            assert time.monotonic() < deadline and proc.poll() is None, "the run never started its download"
            time.sleep(0.02)
        time.sleep(rng.uniform(0.1, 1.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert no_temporary_files(raw)  # what the killed runs left behind ...
    record = acquire(InboxEntry("killed", f"{base}/slow/long.mp4", None, "i", 1), raw)
    assert not no_temporary_files(raw)  # ... is swept by the next run of that video
    assert record.sha256 == sha256_file(video) and sha256_file(record.path) == record.sha256
    entries = Ledger(raw).entries()
    assert [e.video_id for e in entries] == ["killed"]


def test_two_runs_of_one_video_at_once_one_waits_or_is_refused(data_root, site):
    folder, base, _, _handler = site
    make_mp4(folder / "v.mp4", seconds=30.0)
    raw = data_root / "raw"
    first = _acquire_process(raw, "same", f"{base}/slow/v.mp4")
    assert first.stdout.readline().strip() == "start"
    deadline = time.monotonic() + 30
    while not (raw / ".locks" / "same.lock").exists() or not (raw / ".locks" / "same.lock").read_text():
        assert time.monotonic() < deadline, "the first run never took the video's lock"
        time.sleep(0.02)
    refused = _acquire_process(raw, "same", f"{base}/slow/v.mp4", wait_s=0)
    out, err = refused.communicate(timeout=60)
    assert refused.returncode != 0 and "video same: busy, held by pid" in err
    waiting = _acquire_process(raw, "same", f"{base}/slow/v.mp4", wait_s=120)
    out_w, err_w = waiting.communicate(timeout=120)
    first.communicate(timeout=60)
    assert first.returncode == 0 and waiting.returncode == 0, err_w
    assert "waiting for pid" in out_w and "already stored and verified" in out_w
    assert [e.video_id for e in Ledger(raw).entries()] == ["same"]  # downloaded and recorded once


def test_lock_is_released_when_its_holder_is_killed(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import time
        from multimodal_pipeline.storage.locks import exclusive
        with exclusive({str(tmp_path / 'x.lock')!r}, "thing"):
            print("held", flush=True)
            time.sleep(60)
    """)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(LockBusyError, match="thing: busy, held by pid"):
        with exclusive(tmp_path / "x.lock", "thing", wait_s=0):
            pass
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    with exclusive(tmp_path / "x.lock", "thing", wait_s=5):
        pass


# --- tables ----------------------------------------------------------------------------------------------------

WRITER = textwrap.dedent("""
    import sys
    import polars as pl
    from multimodal_pipeline.storage import TableStore
    store = TableStore(sys.argv[1])
    print("ready", flush=True)
    k = 0
    while True:
        k += 1
        store.write(pl.DataFrame({"k": list(range(k, k + 200_000))}), "t", "p", 1)
""")


def test_sigkill_during_table_writes_leaves_a_table_that_verifies(tmp_path):
    rng = random.Random(11)
    store = TableStore(tmp_path)
    for _ in range(4):
        kill_after_ready(WRITER, [str(tmp_path)], "ready", rng.uniform(0.3, 1.0))
        # the pointer names a whole table whose bytes hash to its name; a half-written file is never visible
        assert store.read("t", "p").height == 200_000
        assert all(p.stem == sha256_file(p) for p in (tmp_path / "t").glob("*.parquet"))
    leftovers = no_temporary_files(tmp_path)
    for p in leftovers:  # an hour later, the next write sweeps them
        os.utime(p, (time.time() - 7200, time.time() - 7200))
    store.write(pl.DataFrame({"k": [1]}), "t", "p", 1)
    assert not no_temporary_files(tmp_path), "a killed run's temporary files were not removed"


FULL_DISK = textwrap.dedent("""
    import resource, signal, sys
    import polars as pl
    from multimodal_pipeline.storage import TableStore
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG, like a full disk
    resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))
    try:
        TableStore(sys.argv[1]).write(pl.DataFrame({"k": [str(i) * 7 for i in range(200_000)]}), "t", "p", 1)
    except OSError as exc:
        print(f"error: {exc}")
        sys.exit(3)
""")


def test_full_disk_during_a_table_write_is_a_clear_error_and_nothing_partial(tmp_path):
    store = TableStore(tmp_path)
    before = store.write(pl.DataFrame({"k": ["kept"]}), "t", "p", 1)
    proc = subprocess.run([sys.executable, "-c", FULL_DISK, str(tmp_path)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 3 and "File too large" in proc.stdout, proc.stderr[-2000:]
    assert store.current("t", "p") == before and store.read("t", "p")["k"].to_list() == ["kept"]
    assert not no_temporary_files(tmp_path) and len(list((tmp_path / "t").glob("*.parquet"))) == 1


# --- media -----------------------------------------------------------------------------------------------------


def test_truncated_and_random_byte_media_at_every_tenth_fail_clearly_or_decode(tmp_path):
    """A libav-encoded MP4 (H.264 + AAC) cut at 10 %, 20 % … 90 %, and with 10 % of its bytes overwritten by random
    bytes at each tenth: probing and audio extraction either work or raise MediaError, never anything else."""
    from multimodal_pipeline.media.probe import probe

    good = make_mp4(tmp_path / "good.mp4", seconds=6.0)
    data = good.read_bytes()
    rng = random.Random(5)
    outcomes = {"decoded": 0, "media_error": 0}
    for tenth in range(1, 10):
        cut = len(data) * tenth // 10
        noisy = bytearray(data)
        noisy[cut:cut + len(data) // 10] = rng.randbytes(len(data) // 10)
        for name, content in ((f"cut{tenth}.mp4", data[:cut]), (f"noise{tenth}.mp4", bytes(noisy))):
            path = tmp_path / name
            path.write_bytes(content)
            try:
                probe(path)
                extract_audio(path, tmp_path / "out")
                outcomes["decoded"] += 1
            except MediaError as exc:
                assert name in str(exc)
                outcomes["media_error"] += 1
    assert sum(outcomes.values()) == 18 and outcomes["media_error"] > 0


def test_corrupt_audio_packets_are_skipped_with_a_count_then_fail_past_the_limit(tmp_path):
    src = make_mp4(tmp_path / "a.mp4", seconds=10.0)
    data = bytearray(src.read_bytes())
    rng = random.Random(1)
    for off in range(len(data) // 3, len(data) // 3 + 4000, 97):
        data[off:off + 8] = rng.randbytes(8)
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(bytes(data))
    warnings: list[str] = []
    clean = extract_audio(src, tmp_path / "clean")
    damaged = extract_audio(bad, tmp_path / "damaged", warn=warnings.append)
    assert damaged.corrupt_packets > 0 and len(warnings) == damaged.corrupt_packets
    assert "silence in its place" in warnings[0]
    assert abs(damaged.duration_ms - clean.duration_ms) <= 50  # the audio keeps its length (and its clock)
    with pytest.raises(MediaError, match=r"bad.mp4: more than max_corrupt_packets=0 audio packets do not decode"):
        extract_audio(bad, tmp_path / "strict", AudioConfig(max_corrupt_packets=0))
    assert not no_temporary_files(tmp_path), "a killed run's temporary files were not removed"


# --- the inbox, the sensor, the catalog ------------------------------------------------------------------------


def test_inbox_line_options_reach_the_video_config(tmp_path):
    inbox = tmp_path / "list.txt"
    inbox.write_text("https://example.org/a.mp4 id=a start=2024-02-08T19:00:05Z chat_offset=-2.5s lang=de\n"
                     "https://example.org/b.mp4 id=b start=1707418805000 chat_offset=1500 lang=auto\n"
                     "https://example.org/c.mp4 id=c start=2024-02-08T19:00:05\n"
                     "https://example.org/d.mp4 id=d chat_offset=soon\n"
                     "https://example.org/e.mp4 id=e lang=English\n")
    entries, errors = parse_uri_list(inbox)
    a, b = entries
    assert (a.start_epoch_ms, a.chat_offset_ms, a.lang) == (1707418805000, -2500, "de")
    assert (b.start_epoch_ms, b.chat_offset_ms, b.lang) == (1707418805000, 1500, "auto")
    assert [(e.line, e.reason.split("': ")[0]) for e in errors] == [(3, "start='2024-02-08T19:00:05"),
                                                                      (4, "chat_offset='soon"), (5, "lang='English")]
    assert "time zone" in errors[0].reason
    registry = tmp_path / "registry"
    register(registry, a)
    register(registry, b)
    assert video_overrides(registry, "a") == {"chat": {"stream_start_epoch_ms": 1707418805000, "offset_ms": -2500},
                                              "asr": {"language": "de"}}
    assert video_overrides(registry, "b")["asr"] == {"language": None}
    assert video_overrides(registry, "not-registered") == {}


def test_inbox_voice_and_subs_options(tmp_path):
    """`voice=` (a reference clip of the streamer) and `subs=` (a transcript, or `auto`) reach the ASR section;
    relative paths are taken from the inbox file's folder; a URL is no reference clip."""
    from multimodal_pipeline.settings import with_overrides
    from multimodal_pipeline.contracts.config import PipelineConfig

    inbox = tmp_path / "list.txt"
    inbox.write_text("https://example.org/a.mp4 id=a voice=clips/me.wav subs=a.en.vtt\n"
                     "https://example.org/b.mp4 id=b subs=auto\n"
                     "https://example.org/c.mp4 id=c voice=https://example.org/me.wav\n")
    entries, errors = parse_uri_list(inbox)
    a, b = entries
    assert a.voice == str(tmp_path / "clips" / "me.wav") and a.subs == str(tmp_path / "a.en.vtt")
    assert b.subs == "auto" and b.voice is None
    assert [(e.line, "not a URL" in e.reason) for e in errors] == [(3, True)]
    config = with_overrides(PipelineConfig(), a.config_overrides())
    assert config.asr.speakers.reference == a.voice and config.asr.subtitles == a.subs
    # the other speaker settings keep their values: a sub-section is merged, not replaced
    assert config.asr.speakers.hop_ms == PipelineConfig().asr.speakers.hop_ms and config.asr.language == "en"


def test_chat_offset_and_start_apply_to_an_irc_log_through_dagster(data_root, sample_mp4):
    """An IRC log with wall-clock times: `start=` places it on the video's clock, `chat_offset=` shifts it."""
    start = 1707418805000
    irc = data_root / "chat.irc.log"
    lines = []
    for k, sec in enumerate((1, 2)):
        ts = start + sec * 1000
        lines.append(f"@badge-info=;color=#FF0000;display-name=Viewer{k};id=id-{k};tmi-sent-ts={ts};user-id={k} "
                     f":viewer{k}!viewer{k}@viewer{k}.tmi.twitch.tv PRIVMSG #chan :hello {k}")
    irc.write_text("\n".join(lines) + "\n")
    instance = dg.DagsterInstance.ephemeral()
    defs, sensed = add_videos(data_root, [f"{sample_mp4} chat={irc} id=irc start={start} chat_offset=-500"],
                              instance)
    result = materialize_partition(defs, instance, "irc", selection=["raw_video", "chat_events"])
    assert result.success
    events = TableStore.of_data_root(data_root).read("chat_events", "irc")
    assert sorted(events["ts_ms"].to_list()) == [500, 1500]


def test_sampled_fingerprint_of_large_files(tmp_path):
    small = tmp_path / "small.bin"
    small.write_bytes(os.urandom(1000))
    assert sampled_sha256(small) == sha256_file(small)
    big = tmp_path / "big.bin"
    with open(big, "wb") as f:  # 256 MiB, sparse: only the fingerprint's 1 MiB is ever read
        f.truncate(256 * 1024 * 1024)
    first = sampled_sha256(big)
    with open(big, "r+b") as f:
        f.seek(256 * 1024 * 1024 - 10)
        f.write(b"x")
    assert sampled_sha256(big) != first


def test_re_added_partition_runs_again(data_root, sample_mp4):
    instance = dg.DagsterInstance.ephemeral()
    defs, first = add_videos(data_root, [f"{sample_mp4} id=again"], instance)
    assert [r.partition_key for r in first.run_requests] == ["again"]
    instance.delete_dynamic_partition("videos", "again")
    time.sleep(0.01)
    (data_root / "inbox" / "list.txt").write_text(f"{sample_mp4} id=again\n# dropped again\n")
    second = run_inbox(defs, instance, cursor=first.cursor)
    assert [r.partition_key for r in second.run_requests] == ["again"]
    assert second.run_requests[0].run_key != first.run_requests[0].run_key


def test_sql_reads_while_the_catalog_is_held_for_writing(data_root):
    TableStore.of_data_root(data_root).write(pl.DataFrame({"video_id": ["v"], "n": [3]}), "audio", "v", 1)
    catalog = data_root / "artifacts" / "catalog.duckdb"
    with duckdb.connect(str(catalog)) as writer:  # the audit_catalog asset, mid-write
        writer.execute("CREATE TABLE busy AS SELECT 1")
        proc = subprocess.run([sys.executable, "-m", "multimodal_pipeline", "sql", "SELECT sum(n) AS n FROM audio"],
                              capture_output=True, text=True, cwd=REPO, timeout=120,
                              env={**os.environ, "MMP_DATA_ROOT": str(data_root)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "3" in proc.stdout.split("n")[-1]


def test_per_partition_run_limit_is_in_the_instance_config(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(REPO / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with dg.DagsterInstance.get() as instance:
        limits = instance.get_concurrency_config().run_queue_config.tag_concurrency_limits
    assert {"key": "dagster/partition", "value": {"applyLimitPerUniqueValue": True}, "limit": 1} in limits


def test_transient_download_failure_is_retried_by_dagster(data_root, site, sample_mp4, tmp_path):
    """A connection reset that outlasts yt-dlp's own retries: the step asks Dagster to run it again, and the
    second run succeeds. A 404 is not retried."""
    folder, base, requests, handler = site
    shutil.copy(sample_mp4, folder / "v.mp4")
    config = tmp_path / "pipeline.yaml"
    config.write_text("ingest:\n  retries: 1\n  retry_backoff_s: 0.01\n")
    instance = dg.DagsterInstance.ephemeral()
    defs, _ = add_videos(data_root, [f"{base}/flaky/v.mp4 id=flaky", f"{base}/missing/v.mp4 id=gone"], instance,
                         config_file=config)
    # the first step's requests (the extractor's look at the URL, the download, yt-dlp's one retry) are all reset;
    # the step's second run gets the file
    handler.flaky_resets = 3
    result = materialize_partition(defs, instance, "flaky", selection=["raw_video"])
    assert result.success
    step_events = [e.event_type_value for e in result.all_events if e.step_key == "raw_video"]
    assert "STEP_UP_FOR_RETRY" in step_events and "STEP_RESTARTED" in step_events
    gone = materialize_partition(defs, instance, "gone", selection=["raw_video"])
    assert not gone.success
    assert "STEP_UP_FOR_RETRY" not in [e.event_type_value for e in gone.all_events]


TRANSCRIBER = textwrap.dedent("""
    import sys
    from multimodal_pipeline.asr import AsrConfig, transcribe_full
    print("start", flush=True)
    r = transcribe_full(sys.argv[1], AsrConfig(), video_id="jfk", cache_dir=sys.argv[2])
    print("done", r.stats["cache_hit"], r.segments.height, flush=True)
""")


def test_sigkill_during_asr_then_rerun_uses_or_rebuilds_the_cache(tmp_path):
    from multimodal_pipeline_tests.real_fixtures import real_fixture

    jfk = real_fixture("openai__whisper/jfk.flac")
    cache = tmp_path / "asr_cache"
    rng = random.Random(2)
    for _ in range(2):
        # while loading the model, decoding or writing the cache
        kill_after_ready(TRANSCRIBER, [str(jfk), str(cache)], "start", rng.uniform(0.5, 3.0))
    done = subprocess.run([sys.executable, "-c", TRANSCRIBER, str(jfk), str(cache)], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    _, hit, rows = done.stdout.split()[-3:]
    assert int(rows) > 0
    again = subprocess.run([sys.executable, "-c", TRANSCRIBER, str(jfk), str(cache)], capture_output=True, text=True,
                           timeout=300)
    assert again.stdout.split()[-2] == "True" and again.stdout.split()[-1] == rows  # committed whole, then reused
    assert [p for p in cache.rglob("*.parquet") if p.stem != sha256_file(p)] == []


TRAINER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from multimodal_pipeline.train import train_adapter
    from multimodal_pipeline.train.synthetic import synthetic_snapshot
    from multimodal_pipeline_tests.train.conftest import TINY
    print("start", flush=True)
    r = train_adapter(synthetic_snapshot(40), Path(sys.argv[1]), TINY)
    print("done", r.checkpoint.adapter_sha256, flush=True)
""")


@pytest.mark.slow
def test_sigkill_during_training_then_rerun_trains_and_leaves_nothing(tmp_path):
    """Killed while converting the base model or training; the next run trains, stores a whole adapter (named by
    its content hash) and removes what the killed runs left."""
    from multimodal_pipeline.train import hash_dir

    rng = random.Random(4)
    for _ in range(2):  # killed while it holds temporary files (converting the base model, or training)
        kill_after_ready(TRAINER, [str(tmp_path)], "start", rng.uniform(0.0, 3.0),
                         busy=lambda: bool(no_temporary_files(tmp_path)))
        assert no_temporary_files(tmp_path)
    done = subprocess.run([sys.executable, "-c", TRAINER, str(tmp_path)], capture_output=True, text=True,
                          timeout=600, cwd=REPO)
    assert done.returncode == 0, done.stderr[-3000:]
    digest = done.stdout.split()[-1]
    adapters = [p for p in (tmp_path / "adapters").iterdir() if p.is_dir() and p.name not in ("tmp", "stages")]
    assert [p.name for p in adapters] == [digest] and hash_dir(adapters[0]) == digest
    assert not no_temporary_files(tmp_path), "a killed run's temporary files were not removed"


def test_orphaned_temporary_dirs_are_swept_only_when_their_owner_is_gone(tmp_path):
    from multimodal_pipeline.storage.atomic import OwnedDir, sweep_orphans

    mine = OwnedDir(tmp_path, ".tmp-run-")
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import time
        from multimodal_pipeline.storage.atomic import OwnedDir
        d = OwnedDir({str(tmp_path)!r}, ".tmp-run-")
        print(d.path, flush=True)
        time.sleep(60)
    """)], stdout=subprocess.PIPE, text=True)
    theirs = Path(holder.stdout.readline().strip())
    assert sweep_orphans(tmp_path, ".tmp-run-") == [] and theirs.is_dir() and mine.path.is_dir()
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert sweep_orphans(tmp_path, ".tmp-run-") == [theirs] and not theirs.exists() and mine.path.is_dir()
    mine.close()
    assert list(tmp_path.iterdir()) == []
