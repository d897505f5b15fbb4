"""The regression gate on constructed metrics, and promotion through MLflow tags."""

import time

from multimodal_pipeline.contracts import EvalMetric
from multimodal_pipeline.evaluate import PromotedAdapter, gate, last_promoted, promote


def metric(name, base, adapter, higher=False):
    return EvalMetric(metric=name, base=base, adapter=adapter, delta=adapter - base, higher_is_better=higher,
                      verdict="better" if (adapter > base) == higher else "worse", adapter_sha256="a" * 64,
                      snapshot_id="s", suite_sha256="b" * 64, reference=None, n=10)


def test_an_adapter_worse_than_the_base_fails():
    passed, reasons = gate([metric("test_loss", 2.0, 2.4)])
    assert not passed
    assert any(r.startswith("fail:") and "does not beat the base" in r for r in reasons)


def test_an_adapter_better_than_the_base_passes_without_a_promoted_one():
    passed, reasons = gate([metric("test_loss", 2.0, 1.5)])
    assert passed and all(r.startswith("pass:") for r in reasons)


def test_the_promoted_adapter_bounds_a_regression_by_the_tolerance():
    measured = [metric("test_loss", 2.0, 1.5), metric("test_loss_vs_promoted", 1.45, 1.5)]
    assert not gate(measured, tolerance=0.02)[0]  # 1.5 > 1.45 * 1.02
    assert gate(measured, tolerance=0.05)[0]
    promoted = PromotedAdapter("r", "default", "", "c" * 64, "d" * 64, test_loss=1.2, promoted_at=1)
    passed, reasons = gate([metric("test_loss", 2.0, 1.5)], promoted, tolerance=0.1)
    assert not passed and "promoted adapter's 1.2000" in reasons[-1]


def test_min_stop_rate():
    rows = [metric("test_loss", 2.0, 1.5), metric("stop_rate", 0.1, 0.4, higher=True)]
    assert gate(rows, min_stop_rate=0.3)[0]
    assert not gate(rows, min_stop_rate=0.5)[0]


def test_promote_and_find_the_last_promoted(tmp_path):
    from multimodal_pipeline.train import tracking

    uri = tracking.default_mlflow_uri(tmp_path)
    assert last_promoted(uri) is None
    c = tracking.client(uri)
    exp = tracking.experiment_id(uri, "t")
    runs = []
    for i in range(2):
        run = c.create_run(exp, tags={"adapter_path": f"/x/{i}"})
        c.log_param(run.info.run_id, "adapter_sha256", f"{i}" * 64)
        runs.append(run.info.run_id)
    promote(runs[0], uri, test_loss=1.5)
    assert last_promoted(uri).run_id == runs[0]
    time.sleep(0.01)
    promote(runs[1], uri, test_loss=1.4)
    latest = last_promoted(uri)
    assert (latest.run_id, latest.adapter_path, latest.test_loss) == (runs[1], "/x/1", 1.4)
    assert latest.adapter_sha256 == "1" * 64
    assert last_promoted(uri, scope="corpus") is None
    assert c.get_run(runs[1]).data.tags["promoted"] == "true"


RACE = """
import sys, time
from multimodal_pipeline.train import tracking
import mlflow.store.tracking.sqlalchemy_store  # imported before the start line, so that all start together
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))
print(tracking.experiment_id(sys.argv[1], "race"))
"""


def test_workers_opening_a_new_tracking_store_at_once_all_succeed(tmp_path):
    """Celery workers of a first run open the SQLite store at the same moment: each must get the one experiment,
    none may fail on tables another is creating."""
    import subprocess
    import sys

    from multimodal_pipeline.train import tracking

    uri = tracking.default_mlflow_uri(tmp_path)
    start = time.time() + 12  # after every process has imported MLflow
    procs = [subprocess.Popen([sys.executable, "-c", RACE, uri, str(start)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outs = [p.communicate(timeout=240) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err[-800:] for _, err in outs]
    assert len({out.strip() for out, _ in outs}) == 1
