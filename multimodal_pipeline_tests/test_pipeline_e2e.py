"""Every per-video tier of a generated stream through the real Dagster job: yt-dlp over loopback HTTP, PyAV,
faster-whisper, the chat adapters and the aligner, with every asset check."""

import dagster as dg
import polars as pl
import pytest

from multimodal_pipeline.storage import TableStore
from multimodal_pipeline_tests.conftest import serve_directory
from multimodal_pipeline_tests.dagster_helpers import add_videos, materialize_partition


@pytest.mark.slow
def test_generated_stream_through_every_tier(data_root, tmp_path):
    from multimodal_pipeline.synth import StreamSpec, generate_stream

    stream = generate_stream(tmp_path / "site", StreamSpec(seed=0, duration_s=150, name="e2e"))
    config = tmp_path / "pipeline.yaml"
    config.write_text("curate:\n  split_block_ms: 15000\n")  # a short video still fills three splits
    instance = dg.DagsterInstance.ephemeral()
    with serve_directory(tmp_path / "site") as base:
        defs, sensed = add_videos(data_root, [f"{base}/e2e.mp4 chat={base}/{stream.chat['youtube_live_chat'].name} "
                                              "id=e2e"], instance, config_file=config)
        result = materialize_partition(defs, instance, "e2e")
    assert result.success
    checks = {f"{e.asset_key.to_user_string()}.{e.check_name}": e.passed for e in result.get_asset_check_evaluations()}
    assert len(checks) >= 22 and all(checks.values()), checks
    store = TableStore(data_root / "staged" / "tables")
    speech = store.read("speech_segments", "e2e")
    chat = store.read("chat_events", "e2e")
    pairs = store.read("aligned_pairs", "e2e")
    assert speech.height >= 5 and chat.height >= 20
    accepted = pairs.filter(pl.col("accepted"))
    truth = stream.load_truth()
    answered = {m["text"] for m in truth["messages"] if m["answered"] and m["kind"] in ("message", "paid")}
    assert accepted.height >= 1 and set(accepted["prompt"]) <= answered
    mat = instance.get_latest_materialization_event(dg.AssetKey("aligned_pairs")).asset_materialization
    assert mat.metadata["review"].value.endswith("e2e.html")
    assert "Accepted pairs" in open(mat.metadata["review"].value).read()

    samples = store.read("curated_snapshot", "e2e")
    assert samples.height >= 3 and set(samples["split"]) == {"train", "val", "test"}
    export = instance.get_latest_materialization_event(dg.AssetKey("curated_snapshot")).asset_materialization
    from datasets import load_from_disk

    dataset = load_from_disk(f"{export.metadata['export'].value}/dataset")
    assert sum(len(dataset[s]) for s in dataset) == samples.height
    # the cross-video corpus over every partition that passed its gates
    corpus = defs.resolve_job_def("corpus_pipeline").execute_in_process(instance=instance)
    assert corpus.success and store.read("corpus_snapshot", None).height == samples.height
