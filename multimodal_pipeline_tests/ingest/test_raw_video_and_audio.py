"""raw_video and audio end to end through Dagster: a real HTTP server on loopback, real yt-dlp, real PyAV."""

import os
import shutil
from pathlib import Path

import av
import dagster as dg
import pytest

from multimodal_pipeline.ingest.fetch import IngestError, acquire
from multimodal_pipeline.ingest.inbox import InboxEntry
from multimodal_pipeline.ingest.ledger import Ledger
from multimodal_pipeline.media.probe import MediaError, NoAudioStreamError
from multimodal_pipeline.storage import TableStore, sha256_file
from multimodal_pipeline_tests.conftest import make_mp4, real_fixture, serve_directory
from multimodal_pipeline_tests.dagster_helpers import add_videos
from multimodal_pipeline_tests.dagster_helpers import materialize_partition as _materialize

INGEST = ["raw_video", "audio"]


def materialize_partition(defs, instance, key, selection=None):
    """These tiers only: the tone MP4s here have no speech for the later tiers."""
    return _materialize(defs, instance, key, selection=selection or INGEST)


def _visible_files(root: Path) -> list[Path]:
    """Files a reader could take for data: not temporary files, not the per-video lock files."""
    return [p for p in root.rglob("*")
            if p.is_file() and not any(part.startswith((".tmp-", ".locks")) for part in p.parts)]


def _failure_text(result) -> str:
    """The failed step's error message, causes included (what the Dagster UI shows for the run)."""
    error = result.get_step_failure_events()[0].event_specific_data.error
    parts = []
    while error is not None:
        parts.append(error.message)
        error = error.cause
    return "\n".join(parts)


def _checks(result) -> dict[str, bool]:
    return {e.check_name: e.passed for e in result.get_asset_check_evaluations()}


def test_http_ingest_through_dagster_ledger_manifest_rerun_and_tamper(data_root, tmp_path):
    site = tmp_path / "site"
    make_mp4(site / "stream.mp4", seconds=4.0)
    (site / "stream.chat.jsonl").write_text('{"ts_ms": 10, "author": "a", "text": "hi"}\n')
    instance = dg.DagsterInstance.ephemeral()
    with serve_directory(site) as base:
        defs, sensed = add_videos(data_root, [f"{base}/stream.mp4 chat={base}/stream.chat.jsonl"], instance)
        (request,) = sensed.run_requests
        key = request.partition_key
        assert key.startswith("url-")
        result = materialize_partition(defs, instance, key)
        assert result.success
        assert all(_checks(result).values()) and len(_checks(result)) == 3

        store = TableStore.of_data_root(data_root)
        manifest = store.read("raw_video", key).row(0, named=True)
        assert manifest["extractor"].lower() == "generic" and manifest["source_uri"] == f"{base}/stream.mp4"
        assert manifest["sha256"] == sha256_file(site / "stream.mp4")
        assert manifest["audio_codec"] == "aac" and manifest["video_codec"] == "mpeg4"
        assert abs(manifest["duration_ms"] - 4000) < 150 and manifest["ytdlp_version"]
        assert manifest["chat_sha256"] == sha256_file(site / "stream.chat.jsonl")
        ledger = Ledger(data_root / "raw").entries()
        assert [(e.role, e.sha256) for e in ledger] == [("video", manifest["sha256"]), ("chat", manifest["chat_sha256"])]
        # the table holds keys relative to the data root, never absolute local paths
        assert manifest["path"] == f"raw/videos/{manifest['sha256']}.mp4"
        assert manifest["chat_path"] == f"raw/chat/{manifest['chat_sha256']}.jsonl"

        audio = store.read("audio", key).row(0, named=True)
        assert audio["sample_rate"] == 16_000 and audio["channels"] == 1 and audio["source_channels"] == 2
        assert abs(audio["duration_ms"] - 4000) < 150
        assert audio["path"] == f"staged/audio/{audio['sha256']}.flac"
        with av.open(data_root / audio["path"]) as f:
            s = f.streams.audio[0]
            assert s.codec_context.sample_rate == 16_000 and s.codec_context.channels == 1

        # idempotent re-run: the server is gone, nothing is downloaded, the same files come out
        first_tables = sorted(p.name for p in (data_root / "staged" / "tables").rglob("*.parquet"))
    result = materialize_partition(defs, instance, key)
    assert result.success
    assert sorted(p.name for p in (data_root / "staged" / "tables").rglob("*.parquet")) == first_tables
    assert len(Ledger(data_root / "raw").entries()) == 2

    # tamper: raw files are immutable, a changed byte is an error that is never silently replaced
    os.chmod(data_root / manifest["path"], 0o644)
    with open(data_root / manifest["path"], "r+b") as f:
        f.seek(100)
        f.write(b"XXXX")
    result = materialize_partition(defs, instance, key, selection=["raw_video"])
    assert not result.success
    failure = _failure_text(result)
    assert "was modified" in failure and manifest["sha256"][:16] in failure


def test_local_real_flac_is_ingested(data_root):
    jfk = real_fixture("openai__whisper/jfk.flac")
    instance = dg.DagsterInstance.ephemeral()
    defs, sensed = add_videos(data_root, [str(jfk)], instance)
    key = sensed.run_requests[0].partition_key
    assert key == f"file-{sha256_file(jfk)[:16]}"
    result = materialize_partition(defs, instance, key)
    assert result.success and all(_checks(result).values())
    audio = TableStore.of_data_root(data_root).read("audio", key).row(0, named=True)
    assert audio["duration_ms"] == 11_000 and audio["source_sample_rate"] == 44_100 and audio["rms_dbfs"] > -40


@pytest.fixture
def bad_site(tmp_path):
    site = tmp_path / "bad"
    site.mkdir()
    (site / "empty.mp4").write_bytes(b"")
    good = make_mp4(tmp_path / "full.mp4", seconds=3.0)
    data = good.read_bytes()
    (site / "truncated.mp4").write_bytes(data[: len(data) // 2])
    (site / "notmedia.mp4").write_bytes(b"<html><body>this is a web page, not a video</body></html>\n" * 50)
    make_mp4(site / "silent-film.mp4", seconds=2.0, audio=False)
    return site


@pytest.mark.parametrize("name, expected", [
    ("missing.mp4", "404"),
    ("empty.mp4", ""),
    ("truncated.mp4", ""),
    ("notmedia.mp4", ""),
])
def test_bad_http_inputs_fail_clearly_and_leave_nothing(data_root, bad_site, name, expected):
    with serve_directory(bad_site) as base:
        entry = InboxEntry("bad-video", f"{base}/{name}", None, "inbox.txt", 1)
        with pytest.raises((IngestError, MediaError)) as err:
            acquire(entry, data_root / "raw")
    message = str(err.value)
    assert name in message and expected in message
    assert _visible_files(data_root / "raw") == [] and list((data_root / "raw").glob(".tmp-*")) == []


def test_unreachable_and_unsupported_urls_and_missing_sidecar(data_root, sample_mp4):
    with pytest.raises(IngestError, match="download failed"):
        acquire(InboxEntry("x", "http://127.0.0.1:9/none.mp4", None, "i", 1), data_root / "raw")
    with pytest.raises(IngestError, match="unsupported URL|download failed"):
        acquire(InboxEntry("x", "ftp-unknown://what/ever", None, "i", 1), data_root / "raw")
    with pytest.raises(IngestError, match="file:// URLs are disabled"):
        acquire(InboxEntry("x", f"file://{sample_mp4}", None, "i", 1), data_root / "raw")
    with pytest.raises(IngestError, match="chat sidecar not found: /nope/chat.json"):
        acquire(InboxEntry("x", str(sample_mp4), "/nope/chat.json", "i", 1), data_root / "raw")
    assert _visible_files(data_root / "raw") == []


def test_one_bad_video_fails_its_partition_only_with_reason_in_dagster(data_root, bad_site, sample_mp4):
    shutil.copy(sample_mp4, bad_site / "good.mp4")
    instance = dg.DagsterInstance.ephemeral()
    with serve_directory(bad_site) as base:
        defs, sensed = add_videos(data_root, [f"{base}/notmedia.mp4 id=broken", f"{base}/good.mp4 id=fine",
                                              f"{base}/silent-film.mp4 id=silent"], instance)
        broken = materialize_partition(defs, instance, "broken")
        fine = materialize_partition(defs, instance, "fine")
        silent = materialize_partition(defs, instance, "silent")
    assert not broken.success and fine.success
    message = _failure_text(broken)
    assert "notmedia.mp4" in message and "not a media file" in message
    # a video without audio is stored, its blocking check says why, and audio never runs
    checks = _checks(silent)
    assert checks["raw_has_audio_stream"] is False
    materialized = [e.asset_key.to_user_string() for e in silent.get_asset_materialization_events()]
    assert "raw_video" in materialized and "audio" not in materialized

    def audio_partitions() -> set[str]:
        records = instance.fetch_materializations(dg.AssetKey("audio"), limit=100).records
        return {r.partition_key for r in records}

    assert audio_partitions() == {"fine"}


def test_audio_of_video_without_audio_is_a_specific_error(tmp_path):
    from multimodal_pipeline.media.audio import extract_audio

    silent = make_mp4(tmp_path / "nosound.mp4", seconds=1.0, audio=False)
    with pytest.raises(NoAudioStreamError, match="nosound.mp4: has no audio stream"):
        extract_audio(silent, tmp_path / "out")
    assert not (tmp_path / "out").exists() or _visible_files(tmp_path / "out") == []


def test_unchanged_audio_is_reused_by_stage_key_and_verified(tmp_path):
    from multimodal_pipeline.contracts.config import AudioConfig
    from multimodal_pipeline.media.audio import extract_audio_cached
    from multimodal_pipeline.storage import StageCache

    src = make_mp4(tmp_path / "v.mp4", seconds=2.0)
    cache, out = StageCache(tmp_path / "cache"), tmp_path / "audio"
    first, hit = extract_audio_cached(src, sha256_file(src), out, AudioConfig(), cache)
    assert not hit
    again, hit = extract_audio_cached(src, sha256_file(src), out, AudioConfig(), cache)
    assert hit and again == first
    # another setting is another stage key; a stored file that no longer verifies is decoded again
    assert not extract_audio_cached(src, sha256_file(src), out, AudioConfig(codec="pcm_s16le"), cache)[1]
    first.path.write_bytes(b"damaged")
    redone, hit = extract_audio_cached(src, sha256_file(src), out, AudioConfig(), cache)
    assert not hit and sha256_file(redone.path) == first.sha256
