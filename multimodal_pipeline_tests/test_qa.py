"""The per-video QA table: each video's gates as its own last run left them; one failed video never shows on
another's row."""

import dagster as dg
import polars as pl

from multimodal_pipeline.media.fixtures import make_mp4
from multimodal_pipeline_tests.conftest import serve_directory
from multimodal_pipeline_tests.dagster_helpers import add_videos, materialize_partition


def test_qa_summary_is_true_per_video(data_root, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    make_mp4(site / "tone.mp4", seconds=3.0)  # a tone: no speech, so its speech gate fails
    instance = dg.DagsterInstance.ephemeral()
    with serve_directory(site) as base:
        defs, _ = add_videos(data_root, [f"{base}/tone.mp4 id=tone", f"{base}/missing.mp4 id=gone"], instance)
        assert not materialize_partition(defs, instance, "tone").success
        assert not materialize_partition(defs, instance, "gone").success
    result = defs.resolve_job_def("refresh_qa").execute_in_process(instance=instance)
    statuses = result.output_for_node("qa_summary")

    def status(video: str, gate: str) -> tuple[str, str]:
        row = statuses.filter((pl.col("video_id") == video) & (pl.col("gate") == gate)).row(0, named=True)
        return row["status"], row["description"]

    assert status("tone", "raw_has_audio_stream") == ("passed", "")
    assert status("tone", "audio_not_silent")[0] == "passed"
    assert status("tone", "speech_coverage")[0] == "failed"
    assert status("tone", "chat_inside_video") == ("warning", "no chat for this video: no chat sidecar was given or "
                                                               "found")
    assert status("tone", "alignment_acceptance_rate") == ("not run", "not run: speech_segments failed first")
    state, why = status("gone", "raw_has_audio_stream")
    assert state == "not run" and why.startswith("the step failed:") and "missing.mp4" in why
    assert status("gone", "audio_not_silent") == ("not run", "not run: raw_video failed first")
    assert set(statuses["video_id"]) == {"tone", "gone"}
    meta = result.asset_materializations_for_node("qa_summary")[0].metadata
    assert meta["videos"].value == 2 and meta["videos_failing"].value == 2
    assert "| gone | 0 | 0 | 0 | 18 | raw_has_audio_stream: the step failed" in meta["summary"].value
    assert (data_root / "artifacts" / "qa" / "summary.md").read_text().startswith("# QA per video")


def test_qa_sensor_requests_a_refresh_after_a_finished_video_run(data_root, sample_mp4):
    instance = dg.DagsterInstance.ephemeral()
    defs, _ = add_videos(data_root, [f"{sample_mp4} id=one"], instance)
    sensor = defs.get_sensor_def("qa_sensor")
    idle = sensor(dg.build_sensor_context(instance=instance))
    assert not idle.run_requests
    materialize_partition(defs, instance, "one", selection=["raw_video"])
    after = sensor(dg.build_sensor_context(instance=instance, cursor=idle.cursor))
    assert len(after.run_requests) == 1
    again = sensor(dg.build_sensor_context(instance=instance, cursor=after.cursor))
    assert not again.run_requests
