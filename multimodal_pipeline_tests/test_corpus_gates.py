"""Which videos the corpus takes: a video whose own snapshot is too small to fill three splits gets no adapter of its
own, but its samples are good training data and go into the corpus; a video that fails a data gate stays out."""

import dagster as dg
import polars as pl

from multimodal_pipeline.contracts import CuratedSample
from multimodal_pipeline.curate import checks, curate_video
from multimodal_pipeline.defs import build_defs
from multimodal_pipeline.settings import load_config
from multimodal_pipeline.storage import TableStore
from multimodal_pipeline_tests.curate.helpers import generated_stream


def _corpus(data_root, config, videos: list[str]):
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("videos", videos)
    job = build_defs(data_root, config_file=config).resolve_job_def("corpus_pipeline")
    result = job.execute_in_process(instance=instance, asset_selection=[dg.AssetKey("corpus_snapshot")])
    return result, TableStore.of_data_root(data_root).read("corpus_snapshot", None)


def test_a_video_too_short_for_splits_of_its_own_still_goes_into_the_corpus(data_root, tmp_path):
    config = tmp_path / "pipeline.yaml"
    config.write_text("curate:\n  split_block_ms: 20000\n")
    settings = load_config(config).curate
    store = TableStore.of_data_root(data_root)
    sizes = {}
    # 40 questions 20 s apart fill three splits; 2 questions in 40 s (two time blocks) cannot
    for video, n in (("long", 40), ("short", 2)):
        pairs, events, speech = generated_stream(n, video_id=video)
        samples = curate_video(pairs, events, speech, video, settings).samples
        store.write(samples, "curated_snapshot", video, CuratedSample.schema_version)
        sizes[video] = samples.height
        assert checks.check_min_samples_per_split(samples)[0] is (video == "long")
    ok, meta = checks.check_min_samples_per_split(store.read("curated_snapshot", "short"))
    assert not ok and "split_block_ms" in meta["reason"]

    result, corpus = _corpus(data_root, config, ["long", "short"])
    assert result.success
    per_video = dict(corpus.group_by("video_id").agg(pl.len()).iter_rows())
    # (the two videos ask the same first questions: the corpus keeps one of each across videos)
    assert set(per_video) == {"long", "short"} and 1 <= per_video["short"] <= sizes["short"]
    # the short video keeps its own split assignment in the corpus
    short = corpus.filter(pl.col("video_id") == "short")
    assert set(short["split"]) == set(store.read("curated_snapshot", "short")["split"])


def test_a_video_that_fails_a_data_gate_stays_out_of_the_corpus(data_root, tmp_path):
    config = tmp_path / "pipeline.yaml"
    config.write_text("curate:\n  split_block_ms: 20000\n")
    settings = load_config(config).curate
    store = TableStore.of_data_root(data_root)
    for video in ("long", "leaky"):
        pairs, events, speech = generated_stream(40, video_id=video)
        samples = curate_video(pairs, events, speech, video, settings).samples
        if video == "leaky":  # a prompt that sits in two splits of the video: no_shared_prompt fails
            first = samples.filter(pl.col("split") == "test").row(0, named=True)["prompt"]
            samples = samples.with_columns(prompt=pl.when(pl.col("split") == "train").then(pl.lit(first))
                                           .otherwise(pl.col("prompt")))
        store.write(samples, "curated_snapshot", video, CuratedSample.schema_version)
    result, corpus = _corpus(data_root, config, ["long", "leaky"])
    assert result.success and set(corpus["video_id"]) == {"long"}
