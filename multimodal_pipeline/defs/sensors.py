import json
from pathlib import Path

import dagster as dg

from multimodal_pipeline.defs.jobs import video_pipeline
from multimodal_pipeline.defs.partitions import videos
from multimodal_pipeline.defs.resources import PipelineResource
from multimodal_pipeline.ingest.inbox import inbox_files, parse_uri_list
from multimodal_pipeline.ingest.registry import is_registered, register
from multimodal_pipeline.storage import config_hash


def _file_state(path) -> str:
    stat = path.stat()
    return f"{stat.st_mtime_ns}:{stat.st_size}"


@dg.sensor(job=video_pipeline, minimum_interval_seconds=15, default_status=dg.DefaultSensorStatus.RUNNING)
def inbox_sensor(context: dg.SensorEvaluationContext, pipeline: PipelineResource) -> dg.SensorResult:
    """Turns each new video in a URI-list file of `data/inbox/` into a `videos` partition and one run request.

    The cursor holds the (mtime, size) of the inbox files already read, so an unchanged file is not read again;
    a re-dropped or edited file adds only videos that are not partitions yet. A run's key names the video and the
    inbox file's state, so a partition that was deleted and is listed again runs again, while a retried tick
    does not request the same run twice.
    """
    layout = pipeline.layout
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    current = {p.name: _file_state(p) for p in inbox_files(layout.inbox)}
    changed = [layout.inbox / name for name, state in current.items() if seen.get(name) != state]
    if not changed:
        return dg.SensorResult(skip_reason=f"no new or changed URI lists in {layout.inbox}",
                               cursor=json.dumps(current, sort_keys=True))
    existing = set(context.instance.get_dynamic_partitions(videos.name))
    new_entries, new_partitions = [], []
    for path in changed:
        entries, errors = parse_uri_list(path)
        for error in errors:
            context.log.warning(f"skipped malformed inbox line {error}")
        for entry in entries:
            # a known partition is skipped, unless this data root has no registry entry for it (a new data root
            # under the same Dagster instance): then it is registered and run here too
            if entry.video_id in existing and is_registered(pipeline.registry, entry.video_id):
                continue
            register(pipeline.registry, entry)
            if entry.video_id not in existing:
                new_partitions.append(entry.video_id)
            existing.add(entry.video_id)
            new_entries.append(entry)
        context.log.info(f"{path.name}: {len(entries)} videos, {len(errors)} malformed lines")
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(partition_key=e.video_id,
                          run_key=f"{e.video_id}:{Path(e.inbox_file).name}:{current.get(Path(e.inbox_file).name)}",
                          tags={"mmp/source_uri": e.uri[:200], "mmp/inbox": f"{e.inbox_file}:{e.line}",
                                "mmp/config_sha256": config_hash(pipeline.video_config(e.video_id))[:16]})
            for e in new_entries
        ],
        dynamic_partitions_requests=[videos.build_add_request(new_partitions)] if new_partitions else [],
        cursor=json.dumps(current, sort_keys=True),
    )


#: evaluates the corpus chain's automation conditions (`defs/versions.py`); on by default, unlike Dagster's own
#: default automation sensor, so the corpus updates itself under `make ui` without a toggle
corpus_automation_sensor = dg.AutomationConditionSensorDefinition(
    "corpus_automation", target=dg.AssetSelection.groups("corpus"), default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=60,
    description="Rebuilds the corpus snapshot at the first tick of curate.corpus_schedule after new videos' "
                "snapshots landed, then its adapter and evaluation.")
