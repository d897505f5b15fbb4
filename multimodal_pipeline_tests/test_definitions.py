import dagster as dg

from multimodal_pipeline.defs import build_defs


def test_definitions_load_with_expected_assets_checks_sensor_and_partitions(tmp_path):
    defs = build_defs(tmp_path, config_file="")
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {"raw_video", "audio", "audit_catalog"} <= keys
    checks = {(c.asset_key.to_user_string(), c.name) for c in graph.asset_check_keys}
    assert {("raw_video", "raw_has_audio_stream"), ("audio", "audio_duration_matches_source"),
            ("audio", "audio_not_silent"), ("chat_events", "chat_reject_rate"),
            ("aligned_pairs", "alignment_acceptance_rate"), ("curated_snapshot", "curated_no_pii"),
            ("adapter_checkpoint", "adapter_loss_fell"), ("eval_report", "eval_regression_gate"),
            ("corpus_snapshot", "corpus_no_pii"), ("corpus_eval", "corpus_regression_gate")} <= checks
    # checks that could not fail are gone: the IO manager validates schemas, the ledger is verified by the raw step
    assert not {name for _, name in checks} & {"raw_checksum_matches_ledger", "audio_format_as_configured",
                                                "chat_schema_holds", "alignment_responses_follow_messages"}
    # one step per tier: every per-video check runs inside its asset's step
    job = defs.resolve_job_def("video_pipeline")
    assert sorted(job.graph.node_dict) == sorted(["raw_video", "audio", "chat_events", "speech_segments",
                                                  "aligned_pairs", "curated_snapshot", "adapter_checkpoint",
                                                  "eval_report"])
    assert defs.get_sensor_def("inbox_sensor").job_name == "video_pipeline"
    for key in ("raw_video", "audio"):
        partitions = graph.get(dg.AssetKey(key)).partitions_def
        assert isinstance(partitions, dg.DynamicPartitionsDefinition) and partitions.name == "videos"
    job = defs.resolve_job_def("video_pipeline")
    assert {"raw_video", "audio"} <= {k.to_user_string() for k in job.asset_layer.selected_asset_keys}


def test_module_definitions_importable():
    from multimodal_pipeline.definitions import defs

    assert defs.get_sensor_def("inbox_sensor")


def test_config_change_marks_only_the_tiers_that_read_it_stale(data_root, sample_mp4, tmp_path):
    from dagster._core.definitions.data_version import CachingStaleStatusResolver, StaleStatus
    from dagster._core.loader import LoadingContextForTest

    from multimodal_pipeline_tests.dagster_helpers import add_videos, materialize_partition

    config = tmp_path / "pipeline.yaml"
    config.write_text("audio:\n  sample_rate: 16000\n")
    instance = dg.DagsterInstance.ephemeral()
    defs, _ = add_videos(data_root, [f"{sample_mp4} id=v"], instance, config_file=config)
    assert materialize_partition(defs, instance, "v", selection=["raw_video", "audio"]).success

    def status(definitions, key: str) -> StaleStatus:
        resolver = CachingStaleStatusResolver(instance, definitions.resolve_asset_graph(),
                                              LoadingContextForTest(instance))  # what the UI's stale badge reads
        return resolver.get_status(dg.AssetKey(key), "v")

    assert status(defs, "raw_video") == StaleStatus.FRESH and status(defs, "audio") == StaleStatus.FRESH
    config.write_text("audio:\n  sample_rate: 8000\n")
    changed = build_defs(data_root, config_file=config)
    assert status(changed, "raw_video") == StaleStatus.FRESH and status(changed, "audio") == StaleStatus.STALE
    graph = changed.resolve_asset_graph()
    assert graph.get(dg.AssetKey("audio")).metadata["config"].data["audio"]["sample_rate"] == 8000  # on its page
    assert graph.get(dg.AssetKey("audio")).code_version != defs.resolve_asset_graph().get(
        dg.AssetKey("audio")).code_version


def test_report_urls_point_into_the_served_artifacts(tmp_path, monkeypatch):
    from multimodal_pipeline.settings import DataLayout

    layout = DataLayout(tmp_path)
    assert layout.report_url(tmp_path / "artifacts" / "reviews" / "v.html") == "http://127.0.0.1:3001/reviews/v.html"
    monkeypatch.setenv("MMP_REPORTS_URL", "http://127.0.0.1:9999/")
    assert layout.report_url(tmp_path / "artifacts" / "eval" / "r.html") == "http://127.0.0.1:9999/eval/r.html"
    assert layout.report_url(tmp_path / "elsewhere.html") is None
