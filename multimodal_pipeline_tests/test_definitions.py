import dagster as dg

from multimodal_pipeline.defs import build_defs


def test_definitions_load_with_expected_assets_checks_sensor_and_partitions(tmp_path):
    defs = build_defs(tmp_path, config_file="")
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {"raw_video", "audio", "audit_catalog"} <= keys
    checks = {(c.asset_key.to_user_string(), c.name) for c in graph.asset_check_keys}
    assert {("raw_video", "raw_checksum_matches_ledger"), ("raw_video", "raw_has_audio_stream"),
            ("audio", "audio_duration_matches_source"), ("audio", "audio_not_silent"),
            ("audio", "audio_format_as_configured")} <= checks
    assert defs.get_sensor_def("inbox_sensor").job_name == "video_pipeline"
    for key in ("raw_video", "audio"):
        partitions = graph.get(dg.AssetKey(key)).partitions_def
        assert isinstance(partitions, dg.DynamicPartitionsDefinition) and partitions.name == "videos"
    job = defs.resolve_job_def("video_pipeline")
    assert {"raw_video", "audio"} <= {k.to_user_string() for k in job.asset_layer.selected_asset_keys}


def test_module_definitions_importable():
    from multimodal_pipeline.definitions import defs

    assert defs.get_sensor_def("inbox_sensor")
