"""MLflow tracking on a local SQLite backend (MLflow refuses its file store by default), and promotion tags.

Store: `sqlite:///<artifacts>/mlflow/mlflow.db`; artifact root: `<artifacts>/mlflow/artifacts/<experiment>/`.
A promoted run carries the tags `promoted=true`, `promotion_scope=<scope>` and `promoted_at=<epoch ms>`; the last
promoted adapter of a scope is the promoted run with the latest `promoted_at`. Clients are built per call with an
explicit tracking URI: nothing touches MLflow's global state.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from multimodal_pipeline.storage.locks import exclusive

PROMOTED_TAG = "promoted"
SCOPE_TAG = "promotion_scope"
PROMOTED_AT_TAG = "promoted_at"
DEFAULT_SCOPE = "default"


def default_mlflow_uri(artifacts_dir: str | Path) -> str:
    """`$MLFLOW_TRACKING_URI` when set (a tracking server or database that several machines share), else SQLite in
    `artifacts_dir`."""
    shared = os.environ.get("MLFLOW_TRACKING_URI", "").strip()
    return shared or f"sqlite:///{(Path(artifacts_dir) / 'mlflow' / 'mlflow.db').resolve()}"


def artifact_root(mlflow_uri: str) -> Path | None:
    """The artifact root beside a SQLite store (`<dir of mlflow.db>/artifacts`), or None for other backends."""
    if mlflow_uri.startswith("sqlite:///"):
        return Path(mlflow_uri.removeprefix("sqlite:///")).parent / "artifacts"
    return None


def prewarm() -> threading.Thread:
    """Import MLflow's client and SQLAlchemy store in a background thread (about 2 s of imports on a small CPU)
    while the model trains; join the thread before logging."""

    def work() -> None:
        with contextlib.suppress(Exception):
            import mlflow.store.tracking.sqlalchemy_store  # noqa: F401
            import mlflow.tracking  # noqa: F401

    thread = threading.Thread(target=work, name="mlflow-prewarm", daemon=True)
    thread.start()
    return thread


@functools.lru_cache(maxsize=None)
def _open_sqlite_store(mlflow_uri: str) -> None:
    """Open a SQLite store once per process, under a lock beside the database file: the first client creates (or
    upgrades) its tables, and two workers doing that at once made the second fail ("table ... already exists")."""
    from mlflow.tracking import MlflowClient

    db = Path(mlflow_uri.removeprefix("sqlite:///"))
    with exclusive(db.with_name(db.name + ".lock"), "MLflow store set-up", wait_s=600):
        MlflowClient(tracking_uri=mlflow_uri).search_experiments(max_results=1)


def client(mlflow_uri: str) -> Any:
    """A client of the store at `mlflow_uri` (a SQLite store is set up first, see `_open_sqlite_store`)."""
    from mlflow.tracking import MlflowClient

    if mlflow_uri.startswith("sqlite:///"):
        _open_sqlite_store(mlflow_uri)
    return MlflowClient(tracking_uri=mlflow_uri)


def experiment_id(mlflow_uri: str, name: str) -> str:
    c = client(mlflow_uri)
    exp = c.get_experiment_by_name(name)
    if exp is not None:
        return exp.experiment_id
    root = artifact_root(mlflow_uri)
    location = (root / name).resolve().as_uri() if root is not None else None
    try:
        return c.create_experiment(name, artifact_location=location)
    except Exception:  # noqa: BLE001 - created concurrently by another process
        exp = c.get_experiment_by_name(name)
        if exp is None:
            raise
        return exp.experiment_id


def log_training_run(
    mlflow_uri: str,
    experiment: str,
    *,
    run_name: str,
    params: dict[str, Any],
    tags: dict[str, str],
    history: list[dict[str, Any]],
    summary: dict[str, float],
    artifacts: dict[str, Path],
) -> str:
    """One finished run: params, per-step loss metrics, summary metrics, artifact dirs/files. Returns the run ID."""
    from mlflow.entities import Metric, Param

    c = client(mlflow_uri)
    run = c.create_run(experiment_id(mlflow_uri, experiment), run_name=run_name,
                       tags={"mlflow.runName": run_name, **tags})
    run_id = run.info.run_id
    try:
        now = int(time.time() * 1000)
        metrics = []
        for entry in history:
            step = int(entry.get("step", 0))
            for key, name in (("loss", "train_loss"), ("eval_loss", "eval_loss"), ("learning_rate", "learning_rate"),
                              ("grad_norm", "grad_norm")):
                if entry.get(key) is not None:
                    metrics.append(Metric(name, float(entry[key]), now, step))
        metrics += [Metric(k, float(v), now, 0) for k, v in summary.items() if v is not None]
        param_list = [Param(k, str(v)[:6000]) for k, v in sorted(params.items())]
        for i in range(0, len(param_list), 100):  # log_batch takes at most 100 params and 1000 metrics
            c.log_batch(run_id, params=param_list[i:i + 100])
        for i in range(0, len(metrics), 900):
            c.log_batch(run_id, metrics=metrics[i:i + 900])
        for name, path in artifacts.items():
            path = Path(path)
            if path.is_dir():
                c.log_artifacts(run_id, str(path), artifact_path=name)
            elif path.is_file():
                c.log_artifact(run_id, str(path), artifact_path=name)
        c.set_terminated(run_id, "FINISHED")
    except BaseException:
        c.set_terminated(run_id, "FAILED")
        raise
    return run_id


def log_eval(mlflow_uri: str, run_id: str, metrics: dict[str, float], report_dir: Path | None = None) -> None:
    """Add evaluation metrics (and the report) to a training run."""
    from mlflow.entities import Metric

    c = client(mlflow_uri)
    now = int(time.time() * 1000)
    items = [Metric(k, float(v), now, 0) for k, v in metrics.items() if v is not None]
    for i in range(0, len(items), 900):
        c.log_batch(run_id, metrics=items[i:i + 900])
    if report_dir is not None and Path(report_dir).is_dir():
        c.log_artifacts(run_id, str(report_dir), artifact_path="eval_report")


@dataclass(frozen=True)
class PromotedAdapter:
    run_id: str
    scope: str
    adapter_path: str
    adapter_sha256: str
    base_model_sha256: str
    test_loss: float | None
    promoted_at: int


def promote(run_id: str, mlflow_uri: str, *, scope: str = DEFAULT_SCOPE, test_loss: float | None = None) -> None:
    """Mark a run's adapter as the promoted one of `scope` (tags on the run; the latest promotion wins)."""
    from mlflow.entities import RunTag

    tags = [RunTag(PROMOTED_TAG, "true"), RunTag(SCOPE_TAG, scope), RunTag(PROMOTED_AT_TAG, str(time.time_ns()))]
    if test_loss is not None:
        tags.append(RunTag("promoted_test_loss", repr(float(test_loss))))
    client(mlflow_uri).log_batch(run_id, tags=tags)


def last_promoted(mlflow_uri: str, *, scope: str = DEFAULT_SCOPE) -> PromotedAdapter | None:
    """The most recently promoted adapter of `scope`, over every experiment of the store; None if none yet."""
    from mlflow.entities import ViewType

    c = client(mlflow_uri)
    experiments = [e.experiment_id for e in c.search_experiments(view_type=ViewType.ACTIVE_ONLY)]
    if not experiments:
        return None
    runs = c.search_runs(
        experiments, filter_string=f"tags.{PROMOTED_TAG} = 'true' and tags.{SCOPE_TAG} = '{scope}'",
        max_results=1000,
    )
    if not runs:
        return None
    run = max(runs, key=lambda r: int(r.data.tags.get(PROMOTED_AT_TAG, "0")))
    tags, params, metrics = run.data.tags, run.data.params, run.data.metrics
    loss = tags.get("promoted_test_loss")
    return PromotedAdapter(
        run_id=run.info.run_id,
        scope=scope,
        adapter_path=tags.get("adapter_path", ""),
        adapter_sha256=params.get("adapter_sha256", ""),
        base_model_sha256=params.get("base_model_sha256", ""),
        test_loss=float(loss) if loss is not None else metrics.get("eval_test_loss_adapter"),
        promoted_at=int(tags.get(PROMOTED_AT_TAG, "0")),
    )
