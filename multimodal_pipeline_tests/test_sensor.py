import json

import dagster as dg

from multimodal_pipeline.defs import build_defs
from multimodal_pipeline.ingest.registry import lookup
from multimodal_pipeline_tests.dagster_helpers import run_inbox


def test_sensor_adds_partitions_and_runs_skips_bad_lines_and_honours_cursor(data_root, sample_mp4, capfd):
    inbox = data_root / "inbox"
    (inbox / "a.txt").write_text(
        "# my streams\n"
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ\n"
        f"{sample_mp4} chat=/somewhere/chat.json\n"
        "http://127.0.0.1:9/vod.mp4 id=My-Stream\n"
        "https://example.org/a.mp4 colour=red\n"
        "\n"
        "https://example.org/b.mp4 id=bad/key\n"
    )
    defs = build_defs(data_root, config_file="")
    instance = dg.DagsterInstance.ephemeral()
    result = run_inbox(defs, instance)
    keys = [r.partition_key for r in result.run_requests]
    assert len(keys) == 3
    assert keys[0] == "youtube-dQw4w9WgXcQ" and keys[1].startswith("file-") and keys[2] == "My-Stream"
    assert all(len(r.tags["mmp/config_sha256"]) == 16 for r in result.run_requests)  # the settings each run uses
    (request,) = result.dynamic_partitions_requests
    assert list(request.partition_keys) == keys
    warnings = capfd.readouterr().err
    assert "a.txt:5" in warnings and "unknown option 'colour=red'" in warnings
    assert "a.txt:7" in warnings and "invalid video id" in warnings
    entry = lookup(data_root / "registry", keys[1])
    assert entry.chat == "/somewhere/chat.json" and entry.line == 3

    instance.add_dynamic_partitions("videos", keys)
    again = run_inbox(defs, instance, cursor=result.cursor)
    assert not again.run_requests
    assert again.skip_reason is not None  # unchanged inbox: nothing read

    (inbox / "b.txt").write_text(open(inbox / "a.txt").read() + "https://example.org/new.mp4\n")
    third = run_inbox(defs, instance, cursor=again.cursor)
    assert len(third.run_requests) == 1 and third.run_requests[0].partition_key.startswith("url-")
    assert json.loads(third.cursor).keys() == {"a.txt", "b.txt"}


def test_a_new_data_root_under_the_same_instance_registers_known_videos_again(tmp_path):
    """The partition exists in the Dagster instance, but this data root has never seen the video: it is registered
    and run here (no new partition is added)."""
    instance = dg.DagsterInstance.ephemeral()
    for root in (tmp_path / "first", tmp_path / "second"):
        (root / "inbox").mkdir(parents=True)
        (root / "inbox" / "a.txt").write_text("http://127.0.0.1:9/vod.mp4 id=My-Stream\n")
        result = run_inbox(build_defs(root, config_file=""), instance)
        assert [r.partition_key for r in result.run_requests] == ["My-Stream"]
        assert lookup(root / "registry", "My-Stream").uri == "http://127.0.0.1:9/vod.mp4"
        for request in result.dynamic_partitions_requests:
            instance.add_dynamic_partitions("videos", list(request.partition_keys))
        assert instance.get_dynamic_partitions("videos") == ["My-Stream"]
    # and the same root again: nothing new
    assert not run_inbox(build_defs(tmp_path / "second", config_file=""), instance).run_requests
