"""The corpus chain updates itself: Dagster's own automation-condition evaluation over a real instance."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from multimodal_pipeline.defs import build_defs


def _land(instance: dg.DagsterInstance, videos: list[str]) -> None:
    """New videos' snapshots landed (materializations of their per-video tiers)."""
    instance.add_dynamic_partitions("videos", videos)
    for video in videos:
        for key in ("raw_video", "curated_snapshot"):
            instance.report_runless_asset_event(dg.AssetMaterialization(key, partition=video))


def test_corpus_rebuilds_once_per_schedule_tick_after_new_videos(tmp_path):
    defs = build_defs(tmp_path / "data", config_file="")
    instance = dg.DagsterInstance.ephemeral()
    corpus = dg.AssetSelection.groups("corpus")
    # evaluations run at five past an hour to come, not at the wall clock: run a few seconds before the hour, "30 s
    # later" would already be past the schedule's tick (curate.corpus_schedule: hourly)
    now = dt.datetime.now(dt.timezone.utc).replace(minute=5, second=0, microsecond=0) + dt.timedelta(hours=1)
    tick = now.replace(minute=0) + dt.timedelta(hours=1)

    def evaluate(at: dt.datetime, cursor=None):
        result = dg.evaluate_automation_conditions(defs=defs, instance=instance, asset_selection=corpus,
                                                   evaluation_time=at, cursor=cursor)
        return {k for k in ("corpus_snapshot", "corpus_adapter", "corpus_eval")
                if result.get_num_requested(dg.AssetKey(k))}, result.cursor

    requested, cursor = evaluate(now)
    assert requested == set()  # nothing has landed
    _land(instance, ["v1", "v2", "v3"])
    requested, cursor = evaluate(now + dt.timedelta(seconds=30), cursor)
    assert requested == set()  # debounced: not before the schedule's next tick
    requested, cursor = evaluate(tick + dt.timedelta(minutes=1), cursor)
    # once for three videos, the chain in one go (the adapter and its evaluation follow the new snapshot)
    assert requested == {"corpus_snapshot", "corpus_adapter", "corpus_eval"}
    requested, cursor = evaluate(tick + dt.timedelta(minutes=2), cursor)
    assert requested == set()
    # a later tick with no new video rebuilds nothing
    requested, cursor = evaluate(tick + dt.timedelta(hours=1, minutes=1), cursor)
    assert requested == set()
    # a new video after that: at the next tick
    _land(instance, ["v4"])
    requested, cursor = evaluate(tick + dt.timedelta(hours=1, minutes=30), cursor)
    assert requested == set()
    requested, cursor = evaluate(tick + dt.timedelta(hours=2, minutes=1), cursor)
    assert "corpus_snapshot" in requested


def test_the_corpus_automation_can_be_turned_off(tmp_path):
    config = tmp_path / "pipeline.yaml"
    config.write_text("curate:\n  corpus_schedule: ''\n")
    defs = build_defs(tmp_path / "data", config_file=config)
    graph = defs.resolve_asset_graph()
    assert all(graph.get(dg.AssetKey(k)).automation_condition is None
               for k in ("corpus_snapshot", "corpus_adapter", "corpus_eval"))
    assert graph.get(dg.AssetKey("corpus_snapshot")).automation_condition is None
