"""The path users take, end to end: `make ui`'s script on loopback ports (webserver, daemon, inbox sensor, run queue,
the reports server), a URI list with one good generated stream and one 404 URL dropped into the inbox, the daemon's
runs, the GraphQL API, and the pages in headless Chromium (Debian's `chromium`)."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from multimodal_pipeline_tests.conftest import serve_directory
from multimodal_pipeline_tests.dagster_helpers import free_port, graphql, stop_group

REPO = Path(__file__).resolve().parent.parent
CONFIG = ("curate:\n  split_block_ms: 15000\ntrain:\n  max_steps: 6\n  max_seq_len: 192\n  batch_size: 4\n"
          "eval:\n  max_new_tokens: 24\n  max_generation_samples: 4\n")
RUNS = """query { runsOrError { ... on Runs { results { runId jobName status creationTime endTime
  tags { key value } stepStats { stepKey status } } } } }"""
CHECK = """query Check($path: [String!]!, $name: String!, $partition: String) {
  assetCheckExecutions(assetKey: {path: $path}, checkName: $name, partition: $partition, limit: 1) {
    status evaluation { success partition } } }"""
FAILURE = """query Failure($runId: ID!) { logsForRun(runId: $runId) { ... on EventConnection { events {
  ... on ExecutionStepFailureEvent { stepKey error { message causes { message } } } } } } }"""


def chromium_text(url: str, profile: Path) -> str:
    """The page's DOM after its scripts ran, as headless Chromium renders it."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    assert browser, "Debian's chromium is needed (scripts/setup.sh installs it for the tests)"
    proc = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                           "--disable-background-networking", "--disable-component-update", "--disable-sync",
                           f"--user-data-dir={profile}", "--virtual-time-budget=20000", "--dump-dom", url],
                          capture_output=True, text=True, timeout=180)
    return proc.stdout


def _runs(port: int) -> list[dict]:
    runs = graphql(port, RUNS)["data"]["runsOrError"]["results"]
    for run in runs:
        run["tags"] = {t["key"]: t["value"] for t in run["tags"]}
    return runs


@pytest.mark.slow
def test_inbox_to_qa_view_through_the_daemon_and_the_browser(tmp_path):
    from multimodal_pipeline.synth import StreamSpec, generate_stream

    stream = generate_stream(tmp_path / "site", StreamSpec(seed=0, duration_s=150, name="ui"))
    (tmp_path / "empty").mkdir()
    home, data = tmp_path / "home", tmp_path / "data"
    home.mkdir()
    (data / "inbox").mkdir(parents=True)
    shutil.copy(REPO / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    (tmp_path / "pipeline.yaml").write_text(CONFIG)
    port, reports = free_port(), free_port()
    env = {**os.environ, "DAGSTER_HOME": str(home), "MMP_DATA_ROOT": str(data), "DAGSTER_PORT": str(port),
           "MMP_REPORTS_PORT": str(reports), "MMP_CONFIG": str(tmp_path / "pipeline.yaml"),
           "VENV": str(Path(sys.executable).parent.parent)}
    ui = subprocess.Popen(["bash", "scripts/ui.sh"], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, start_new_session=True)
    try:
        with serve_directory(tmp_path / "empty") as base:
            deadline = time.monotonic() + 120
            while True:  # the webserver is up
                assert ui.poll() is None, ui.stderr.read().decode()[-3000:]
                try:
                    graphql(port, "{ version }")
                    break
                except OSError:
                    assert time.monotonic() < deadline, "the webserver never answered"
                    time.sleep(1)
            (data / "inbox" / "streams.txt").write_text(
                f"{stream.video} chat={stream.chat['youtube_live_chat']} id=good-stream\n"
                f"{base}/missing.mp4 id=gone-404\n")
            deadline = time.monotonic() + 1500
            while True:  # both video runs, then a QA refresh after them
                runs = _runs(port)
                video = [r for r in runs if r["jobName"] == "video_pipeline"]
                qa = [r for r in runs if r["jobName"] == "refresh_qa" and r["status"] == "SUCCESS"]
                done = len(video) == 2 and all(r["status"] in ("SUCCESS", "FAILURE") for r in video)
                if done and any(q["creationTime"] > max(r["endTime"] for r in video) for q in qa):
                    break
                assert time.monotonic() < deadline, f"runs did not finish: {[(r['jobName'], r['status']) for r in runs]}"
                time.sleep(5)
        by_video = {r["tags"]["dagster/partition"]: r for r in video}
        assert by_video["good-stream"]["status"] == "SUCCESS"
        assert by_video["gone-404"]["status"] == "FAILURE"
        # the good video's gates passed, through the GraphQL API, for its own partition
        for path, name in ((["speech_segments"], "speech_coverage"), (["aligned_pairs"], "alignment_acceptance_rate"),
                           (["curated_snapshot"], "curated_no_pii")):
            (execution,) = graphql(port, CHECK, {"path": path, "name": name, "partition": "good-stream"})[
                "data"]["assetCheckExecutions"]
            assert execution["status"] == "SUCCEEDED" and execution["evaluation"]["success"], (name, execution)
        # the 404 video failed at raw_video, with yt-dlp's reason
        failed = {s["stepKey"]: s["status"] for s in by_video["gone-404"]["stepStats"]}
        assert failed == {"raw_video": "FAILURE"}
        events = graphql(port, FAILURE, {"runId": by_video["gone-404"]["runId"]})["data"]["logsForRun"]["events"]
        error = next(e["error"] for e in events if e.get("stepKey") == "raw_video" and e.get("error"))
        message = "\n".join([error["message"], *(c["message"] for c in error["causes"])])
        assert "missing.mp4" in message and "404" in message
        # the QA view and the alignment review in a real browser
        page = chromium_text(f"http://127.0.0.1:{port}/assets/qa_summary", tmp_path / "chrome")
        assert "qa_summary" in page and "good-stream" in page and "gone-404" in page
        review = chromium_text(f"http://127.0.0.1:{reports}/reviews/good-stream.html", tmp_path / "chrome")
        assert "Alignment review: good-stream" in review and "Accepted pairs" in review
    finally:
        stop_group(ui, signal.SIGINT, timeout_s=60)  # as Ctrl-C in the terminal of `make ui`
