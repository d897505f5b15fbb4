"""Every per-video tier of a generated stream through the real Dagster job: yt-dlp over loopback HTTP, PyAV,
faster-whisper, the chat adapters and the aligner, with every asset check."""

import dagster as dg
import polars as pl
import pytest

from multimodal_pipeline.defs import build_defs
from multimodal_pipeline.storage import TableStore
from multimodal_pipeline_tests.conftest import serve_directory
from multimodal_pipeline_tests.dagster_helpers import add_videos, materialize_partition


@pytest.mark.slow
def test_generated_stream_through_every_tier(data_root, tmp_path):
    from multimodal_pipeline.synth import StreamSpec, generate_stream

    stream = generate_stream(tmp_path / "site", StreamSpec(seed=0, duration_s=150, name="e2e"))
    config = tmp_path / "pipeline.yaml"
    # a short video still fills three splits; a few training steps on short sequences keep the test quick
    config.write_text("curate:\n  split_block_ms: 15000\ntrain:\n  max_steps: 6\n  max_seq_len: 192\n"
                      "  batch_size: 4\neval:\n  max_new_tokens: 24\n  max_generation_samples: 4\n")
    instance = dg.DagsterInstance.ephemeral()
    with serve_directory(tmp_path / "site") as base:
        defs, sensed = add_videos(data_root, [f"{base}/e2e.mp4 chat={base}/{stream.chat['youtube_live_chat'].name} "
                                              "id=e2e"], instance, config_file=config)
        result = materialize_partition(defs, instance, "e2e")
    assert result.success
    checks = {f"{e.asset_key.to_user_string()}.{e.check_name}": e.passed for e in result.get_asset_check_evaluations()}
    # one step per tier, each with its gates: raw 1, audio 2, chat 2, speech 5, alignment 1, curation 5, training 1,
    # evaluation 1
    assert len(checks) == 18 and all(checks.values()), checks
    steps = {e.step_key for e in result.all_events if e.event_type_value == "STEP_SUCCESS"}
    assert steps == {"raw_video", "audio", "chat_events", "speech_segments", "aligned_pairs", "curated_snapshot",
                     "adapter_checkpoint", "eval_report"}
    store = TableStore.of_data_root(data_root)
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
    # one click from the asset's page: `make ui` serves data/artifacts on loopback
    assert mat.metadata["review_url"].value == "http://127.0.0.1:3001/reviews/e2e.html"
    # the fitted scorer that decided is named by its hash, and its hash is in the stage key
    from multimodal_pipeline.align.core import CODE_VERSION, align_stage_key
    from multimodal_pipeline.align.scorer import load_scorer
    from multimodal_pipeline.settings import load_config
    from multimodal_pipeline.storage import config_hash, stage_key

    assert mat.metadata["scorer_sha256"].value == load_scorer().sha256
    settings = load_config(config)
    inner = align_stage_key(speech, chat, settings.align, load_scorer())
    assert mat.metadata["stage_key"].value == stage_key("aligned_pairs", [inner], config_hash(settings.curate),
                                                        CODE_VERSION)
    # no chatter's spoken name is left in the training text
    chatters = {m["author_spoken"] for m in truth["messages"]}

    samples = store.read("curated_snapshot", "e2e")
    assert samples.height >= 3 and set(samples["split"]) == {"train", "val", "test"}
    assert not any(name in r.lower() for r in samples["response"].to_list() for name in chatters)
    export = instance.get_latest_materialization_event(dg.AssetKey("curated_snapshot")).asset_materialization
    from datasets import load_from_disk

    dataset = load_from_disk(f"{export.metadata['export'].value}/dataset")
    assert sum(len(dataset[s]) for s in dataset) == samples.height
    checkpoint = store.read("adapter_checkpoint", "e2e").row(0, named=True)
    assert checkpoint["mlflow_run_id"] and checkpoint["snapshot_id"] == samples["snapshot_id"][0]
    metrics = store.read("eval_report", "e2e")
    assert "test_loss" in metrics["metric"].to_list()
    report = instance.get_latest_materialization_event(dg.AssetKey("eval_report")).asset_materialization
    assert open(report.metadata["report"].value).read().strip()
    # the cross-video corpus over every partition that passed its gates
    corpus = defs.resolve_job_def("corpus_pipeline").execute_in_process(instance=instance)
    assert corpus.success and store.read("corpus_snapshot", None).height == samples.height
    # staleness: a pipeline.yaml change to alignment marks alignment stale in the UI and leaves the tiers before it
    # fresh; what was built from it turns stale once alignment's table changes (data versions are content hashes)
    from dagster._core.definitions.data_version import StaleStatus
    from dagster._utils.test.data_versions import get_stale_status_resolver

    def statuses(d: dg.Definitions) -> dict[str, StaleStatus]:
        resolver = get_stale_status_resolver(instance, list(d.resolve_asset_graph().assets_defs))
        return {k: resolver.get_status(dg.AssetKey(k), "e2e") for k in ("audio", "speech_segments", "aligned_pairs",
                                                                          "curated_snapshot")}

    assert set(statuses(defs).values()) == {StaleStatus.FRESH}
    changed = tmp_path / "changed.yaml"
    changed.write_text(config.read_text() + "align:\n  accept_threshold: 0.99\n")
    assert statuses(build_defs(data_root, config_file=changed)) == {
        "audio": StaleStatus.FRESH, "speech_segments": StaleStatus.FRESH, "aligned_pairs": StaleStatus.STALE,
        "curated_snapshot": StaleStatus.FRESH}
    # a run's own settings (the Launchpad's resources.pipeline.config.settings) apply and the run records them
    settings = {"align": {"accept_threshold": 0.999, "acceptance_band": [0.0, 1.0]}}
    rerun = defs.resolve_job_def("video_pipeline").execute_in_process(
        partition_key="e2e", instance=instance, asset_selection=[dg.AssetKey("aligned_pairs")],
        run_config={"resources": {"pipeline": {"config": {"data_root": str(data_root), "config_file": str(config),
                                                          "settings": settings}}}})
    assert rerun.success
    assert rerun.dagster_run.run_config["resources"]["pipeline"]["config"]["settings"] == settings
    strict = store.read("aligned_pairs", "e2e").filter(pl.col("accepted"))
    assert strict.height < accepted.height and (strict.height == 0 or strict["score"].min() >= 0.999)
    assert statuses(defs)["curated_snapshot"] == StaleStatus.STALE  # built from a table that has changed


@pytest.mark.slow
def test_video_without_chat_completes_its_speech_tiers_and_warns(data_root, tmp_path):
    """Most VODs have no chat replay: the speech tiers complete, alignment and curation are empty with a warning
    (never a failure), nothing is trained, and the corpus leaves the video out."""
    from multimodal_pipeline.synth import StreamSpec, generate_stream

    stream = generate_stream(tmp_path / "site", StreamSpec(seed=1, duration_s=60, name="nochat"))
    instance = dg.DagsterInstance.ephemeral()
    with serve_directory(tmp_path / "site") as base:
        defs, _ = add_videos(data_root, [f"{base}/nochat.mp4 id=nochat"], instance)
        result = materialize_partition(defs, instance, "nochat")
    assert result.success
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    for name in ("chat_inside_video", "alignment_acceptance_rate", "curated_no_pii", "curated_min_samples_per_split"):
        warning = evaluations[name]
        assert not warning.passed and warning.severity == dg.AssetCheckSeverity.WARN
        assert warning.description.startswith("no chat for this video")
    assert all(evaluations[n].passed for n in ("speech_coverage", "audio_not_silent", "raw_has_audio_stream"))
    store = TableStore.of_data_root(data_root)
    assert store.read("speech_segments", "nochat").height > 0
    assert store.read("aligned_pairs", "nochat").height == 0 and store.read("curated_snapshot", "nochat").height == 0
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert "adapter_checkpoint" not in materialized and "eval_report" not in materialized
    assert stream.video.exists()


def _subtitles_from_script(script: dict, fmt: str) -> str:
    """The generator's script as a user's subtitles (WebVTT or SRT): one cue per utterance, no word times."""
    sep = "." if fmt == "vtt" else ","

    def ts(ms: int) -> str:
        return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}{sep}{ms % 1000:03d}"

    number = (lambda k: "") if fmt == "vtt" else (lambda k: f"{k}\n")
    cues = [f"{number(k)}{ts(u['start_ms'])} --> {ts(u['end_ms'])}\n{u['text']}\n"
            for k, u in enumerate(script["utterances"], 1)]
    return ("WEBVTT\n\n" if fmt == "vtt" else "") + "\n".join(cues)


@pytest.mark.slow
@pytest.mark.parametrize("how", ["auto", "srt"])
def test_subtitles_and_a_guest_through_dagster(data_root, tmp_path, how):
    """A guest who answers questions, and subtitles: `subs=auto` on a page whose video has a WebVTT track (yt-dlp
    fetches the captions with the video), or `subs=<URL>` of an SRT with `voice=` a clip of the streamer. The
    transcript (and the clip) are stored beside the original (in the ledger), the speech tier reads the transcript
    instead of the ASR, the speaker model labels the guest's cues, and alignment and curation run with the same
    gates; no question the guest answered becomes a pair."""
    import soundfile

    from multimodal_pipeline.synth.tts import Speaker

    from multimodal_pipeline.ingest.ledger import Ledger
    from multimodal_pipeline.synth import StreamSpec, generate_stream

    site = tmp_path / "site"
    stream = generate_stream(site, StreamSpec(seed=3, duration_s=240, name="subs", guest_voice="en-us+Annie",
                                              guest_answer_share=0.3))
    (site / "subs.en.vtt").write_text(_subtitles_from_script(stream.load_script(), "vtt"))
    (site / "subs.en.srt").write_text(_subtitles_from_script(stream.load_script(), "srt"))
    with Speaker("en-us") as streamer:  # the streamer's own voice, saying something else
        clip = streamer.say("Hi chat, it is me, the streamer, welcome back to another evening on the channel.")
    soundfile.write(tmp_path / "me.wav", clip.samples, clip.sample_rate)
    (site / "vod.html").write_text('<!DOCTYPE html><html><head><title>VOD</title></head><body><video controls '
                                   'src="subs.mp4"><track kind="subtitles" src="subs.en.vtt" srclang="en"></video>'
                                   '</body></html>')
    config = tmp_path / "pipeline.yaml"
    config.write_text("curate:\n  split_block_ms: 15000\n")  # a short video still fills three splits
    instance = dg.DagsterInstance.ephemeral()
    with serve_directory(site) as base:
        line = (f"{base}/vod.html subs=auto" if how == "auto"
                else f"{base}/subs.mp4 subs={base}/subs.en.srt voice={tmp_path / 'me.wav'}")
        defs, _ = add_videos(data_root, [f"{line} chat={base}/{stream.chat['youtube_live_chat'].name} id=subs"],
                             instance, config_file=config)
        result = materialize_partition(defs, instance, "subs", selection=[
            "raw_video", "audio", "chat_events", "speech_segments", "aligned_pairs", "curated_snapshot"])
    assert result.success
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert len(checks) == 16 and all(checks.values()), checks
    store = TableStore.of_data_root(data_root)
    raw = store.read("raw_video", "subs").row(0, named=True)
    if how == "auto":
        assert raw["subs_path"].endswith(".vtt") and raw["subs_source"].endswith("#captions")
        assert raw["voice_path"] is None
    else:
        assert raw["subs_path"].endswith(".srt") and raw["subs_source"].endswith("/subs.en.srt")
        assert raw["voice_path"] == f"raw/voices/{raw['voice_sha256']}.wav"  # a key relative to the root
        assert Ledger(data_root / "raw").latest("subs", "voice").sha256 == raw["voice_sha256"]
    assert Ledger(data_root / "raw").latest("subs", "subs").sha256 == raw["subs_sha256"]
    speech_mat = instance.get_latest_materialization_event(dg.AssetKey("speech_segments")).asset_materialization
    assert speech_mat.metadata["source"].value == "subtitles"
    assert speech_mat.metadata["speakers"].data["voices"] == 2
    voice = raw["voice_path"]  # a key; the speakers' stats name the working-copy file
    assert speech_mat.metadata["speakers"].data["reference"] == (str(data_root / voice) if voice else None)
    speech = store.read("speech_segments", "subs")
    assert set(speech["timing"]) == {"spread"}
    guest_lines = {u["text"] for u in stream.load_script()["utterances"] if u["voice"] == "guest"}
    labelled = dict(zip(speech["text"].to_list(), speech["speaker"].to_list(), strict=True))
    on_guest = [labelled[t] != "streamer" for t in guest_lines if t in labelled]
    assert len(on_guest) >= 5 and sum(on_guest) >= 0.9 * len(on_guest)
    truth = stream.load_truth()
    guest_questions = {m["text"] for m in truth["messages"] if m.get("answered_by") == "guest"}
    accepted = store.read("aligned_pairs", "subs").filter(pl.col("accepted"))
    assert guest_questions and accepted.height >= 1 and not set(accepted["prompt"]) & guest_questions
    assert store.read("curated_snapshot", "subs").height >= 1
