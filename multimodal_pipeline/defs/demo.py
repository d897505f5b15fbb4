"""The one-command demo: generate a synthetic stream into the inbox and materialize every tier through Dagster."""

import os
import time
from pathlib import Path

import dagster as dg

from multimodal_pipeline.defs import build_defs
from multimodal_pipeline.settings import REPO_ROOT, DataLayout, default_data_root
from multimodal_pipeline.storage.root import DataRoot


#: console logs at INFO: progress and decisions, not every step event
QUIET = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}


def _report(run: dg.ExecuteInProcessResult) -> bool:
    """Print a run's check results and outcome; True when it succeeded."""
    for check in run.get_asset_check_evaluations():
        print(f"  check {check.asset_key.to_user_string()}.{check.check_name}: "
              f"{'passed' if check.passed else 'FAILED'}")
    print(f"  run {run.run_id}: {'succeeded' if run.success else 'FAILED'}")
    return run.success


def _instance() -> dg.DagsterInstance:
    os.environ.setdefault("DAGSTER_HOME", str(REPO_ROOT / "dagster_home"))
    Path(os.environ["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
    return dg.DagsterInstance.get()


def write_demo_inbox(layout: DataLayout, seed: int, minutes: float, chat_format: str) -> Path:
    """Generate the demo stream under data/demo/ and drop its URI list into the inbox."""
    from multimodal_pipeline.synth import StreamSpec, generate_stream

    name = f"demo-seed{seed}-{minutes:g}min"
    stream = generate_stream(layout.root / "demo" / name, StreamSpec(seed=seed, duration_s=minutes * 60, name=name))
    inbox_file = layout.inbox / f"{name}.txt"
    inbox_file.parent.mkdir(parents=True, exist_ok=True)
    inbox_file.write_text(f"# synthetic demo stream (seed {seed}); ground truth: {stream.truth}\n"
                          f"{stream.video} chat={stream.chat[chat_format]} id={name}\n")
    return inbox_file


def run_demo(seed: int = 0, minutes: float = 10.0, chat_format: str = "youtube_live_chat") -> int:
    started = time.monotonic()
    instance = _instance()
    root = default_data_root()
    layout = DataLayout(DataRoot(root).local)
    defs = build_defs(root)
    inbox_file = write_demo_inbox(layout, seed, minutes, chat_format)
    print(f"demo: wrote {inbox_file}")

    # The same path as the UI: the inbox sensor turns the URI list into partitions and run requests.
    sensor = defs.get_sensor_def("inbox_sensor")
    result = sensor(dg.build_sensor_context(instance=instance, resources={"pipeline": defs.resources["pipeline"]}))
    for request in result.dynamic_partitions_requests or []:
        instance.add_dynamic_partitions("videos", list(request.partition_keys))
    keys = [r.partition_key for r in result.run_requests or []] or [inbox_file.stem]

    job = defs.resolve_job_def("video_pipeline")
    failed = 0
    for key in keys:
        print(f"demo: materializing every per-video tier of partition '{key}' (run recorded in {instance.root_directory})")
        run = job.execute_in_process(partition_key=key, instance=instance, raise_on_error=False, run_config=QUIET)
        failed += not _report(run)
    if not failed:
        print("demo: the cross-video corpus over every video that passed its data gates (corpus_pipeline)")
        corpus = defs.resolve_job_def("corpus_pipeline").execute_in_process(instance=instance, raise_on_error=False,
                                                                            run_config=QUIET)
        failed += not _report(corpus)
    catalog = defs.resolve_job_def("refresh_catalog").execute_in_process(instance=instance, run_config=QUIET)
    views = catalog.asset_materializations_for_node("audit_catalog")[0].metadata["rows"].value
    print(f"demo: DuckDB catalog {layout.catalog}: rows per view {views}")
    print(f"demo: done in {time.monotonic() - started:.0f} s. Data under {root}/. "
          f"Open the UI with `make ui` (http://127.0.0.1:3000) to see the runs, partitions and checks.")
    return 1 if failed else 0
