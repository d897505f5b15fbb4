"""transcribe() on a generated ~45 s demo stream (eSpeak NG voice): WER against the script, word timing errors.

Measured with the bundled tiny.en, batched, seed 0 (2 CPU threads): WER 0.110 over 91 script words (numbers
spelled out on both sides), 89% of script words matched, |start error| median 104 ms / p90 182 ms,
|end error| median 114 ms / p90 208 ms. Seeds 1-3 gave WER 0.04-0.17 and p90 start errors of 173-208 ms.
"""

from __future__ import annotations

import statistics

import pytest

from multimodal_pipeline.asr import AsrConfig, transcribe_full
from multimodal_pipeline.asr.checks import run_checks
from multimodal_pipeline.asr.wer import matched_words, word_errors
from multimodal_pipeline.contracts import SpeechSegment, validate

from multimodal_pipeline import synth

pytestmark = pytest.mark.slow

WER_BOUND = 0.25
MATCHED_MIN = 0.75
MEDIAN_ERR_MS = 250
P90_ERR_MS = 500


@pytest.fixture(scope="module")
def stream_result(tmp_path_factory):
    stream = synth.generate_stream(tmp_path_factory.mktemp("synth"), synth.StreamSpec(seed=0, duration_s=45))
    result = transcribe_full(stream.video, AsrConfig(cpu_threads=2), video_id="synth-0")
    return stream.load_script(), result


def _p90(values: list[int]) -> int:
    return sorted(values)[int(0.9 * len(values))]


def test_wer_against_the_spoken_script(stream_result):
    script, result = stream_result
    reference = " ".join(u["text"] for u in script["utterances"])
    errors = word_errors(reference, " ".join(result.segments["text"]))
    assert errors.reference_words > 50
    assert errors.wer <= WER_BOUND, (errors, result.segments["text"].to_list())


def test_word_timestamps_near_the_script(stream_result):
    script, result = stream_result
    ref_words = [w for u in script["utterances"] for w in u["words"]]
    hyp_words = [w for words in result.segments["words"].to_list() for w in words]
    pairs = matched_words(ref_words, hyp_words)
    assert len(pairs) >= MATCHED_MIN * len(ref_words)
    start_err = [abs(h["start_ms"] - r["start_ms"]) for r, h in pairs]
    end_err = [abs(h["end_ms"] - r["end_ms"]) for r, h in pairs]
    assert statistics.median(start_err) <= MEDIAN_ERR_MS and _p90(start_err) <= P90_ERR_MS, start_err
    assert statistics.median(end_err) <= MEDIAN_ERR_MS and _p90(end_err) <= P90_ERR_MS, end_err


def test_stream_output_passes_contract_and_checks(stream_result):
    script, result = stream_result
    validate(result.segments, SpeechSegment, "synth-0")
    audio_ms = int(result.stats["audio_s"] * 1000)
    assert abs(audio_ms - script["duration_ms"]) <= 100
    checks = run_checks(result.segments, result.rejects, audio_ms, stats=result.stats)
    assert all(ok for ok, _ in checks.values()), checks
    # every kept segment overlaps a scripted utterance (nothing invented in the gaps)
    spans = [(u["start_ms"], u["end_ms"]) for u in script["utterances"]]
    for s, e in result.segments.select("start_ms", "end_ms").iter_rows():
        assert any(s < ue + 500 and e > us - 500 for us, ue in spans), (s, e)
