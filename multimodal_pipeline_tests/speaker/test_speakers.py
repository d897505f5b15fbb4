"""Speaker labelling: voices clustered from Resemblyzer embeddings, the streamer = the dominant or the reference
voice, segments cut where the voice changes; on generated two-voice streams (eSpeak NG streamer and guest) through
the real ASR, on one-voice streams, and on real speech (the fixtures' JFK, MIT-licence and hotwords clips)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
import soundfile as sf

from multimodal_pipeline.asr import transcribe_full
from multimodal_pipeline.asr.transcription import decode_audio
from multimodal_pipeline.contracts import STREAMER, SpeechSegment, frame_from_records, validate
from multimodal_pipeline.contracts.speaker_config import SpeakerConfig
from multimodal_pipeline.align.core import answer_speech
from multimodal_pipeline.contracts.align_config import AlignConfig
from multimodal_pipeline.speaker import check_streamer_share, find_voices, label_speakers
from multimodal_pipeline.speaker.diarize import smooth
from multimodal_pipeline.storage import StageCache
from multimodal_pipeline_tests.real_fixtures import real_fixture

GUEST = "en-us+Annie"


def _voices(rng: np.random.Generator, centre: np.ndarray, n: int, spread: float = 0.35) -> np.ndarray:
    x = centre + spread * rng.standard_normal((n, len(centre))) / np.sqrt(len(centre))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def test_find_voices_dominant_voice_is_the_streamer_and_one_voice_stays_one():
    rng = np.random.default_rng(0)
    a, b = np.zeros(256), np.zeros(256)
    a[0], b[1] = 1.0, 1.0
    emb = np.vstack([_voices(rng, a, 120), _voices(rng, b, 40)])
    voices = find_voices(emb, np.full(len(emb), 1600.0), SpeakerConfig())
    assert voices.labels == (STREAMER, "other-1") and voices.streamer == 0
    assert float(voices.centroids[0] @ a) > 0.9 and float(voices.centroids[1] @ b) > 0.9
    one = find_voices(_voices(rng, a, 150), np.full(150, 1600.0), SpeakerConfig())
    assert one.labels == (STREAMER,)
    # a reference clip picks the smaller voice; a reference matching no voice finds no streamer
    ref = find_voices(emb, np.full(len(emb), 1600.0), SpeakerConfig(), reference=b.astype(np.float32))
    assert ref.labels[ref.streamer] == STREAMER and float(ref.centroids[ref.streamer] @ b) > 0.9
    c = np.zeros(256)
    c[2] = 1.0
    assert find_voices(emb, np.full(len(emb), 1600.0), SpeakerConfig(), reference=c.astype(np.float32)).streamer is None


def test_smooth_absorbs_a_short_run_between_one_voice_but_keeps_a_real_turn():
    voice = np.array([0, 0, 1, 0, 0, 1, 1, 1, 1])
    begin = np.arange(9) * 500
    end = begin + 400
    out = smooth(voice, begin, end, 1200)
    assert out.tolist() == [0, 0, 0, 0, 0, 1, 1, 1, 1]  # the lone word is absorbed, the last run is a turn


def test_check_streamer_share_fails_without_a_dominant_voice():
    assert check_streamer_share({"streamer_share": 0.8, "streamer_found": True, "talk_ms": {}}, 0.5)[0]
    assert not check_streamer_share({"streamer_share": 0.3, "streamer_found": True, "talk_ms": {}}, 0.5)[0]
    assert not check_streamer_share({"streamer_share": 0.0, "streamer_found": False, "talk_ms": {}}, 0.5)[0]


@pytest.fixture(scope="module")
def two_voices(tmp_path_factory):
    """A 100 s stream with a guest and the same seed without one, transcribed by the real ASR."""
    from multimodal_pipeline.synth import StreamSpec, generate_stream

    out = {}
    for name, guest in (("duo", GUEST), ("solo", None)):
        stream = generate_stream(tmp_path_factory.mktemp(name), StreamSpec(seed=5, duration_s=100, name=name,
                                                                           guest_voice=guest, guest_share=0.4))
        result = transcribe_full(stream.video, video_id=name)
        out[name] = (stream, result.segments)
    return out


def _accuracy(segments: pl.DataFrame, script: dict) -> tuple[float, int]:
    seg = segments.sort("start_ms")
    starts, ends = seg["start_ms"].to_numpy(), seg["end_ms"].to_numpy()
    streamer = (seg["speaker"] == STREAMER).to_numpy()
    right = total = guest_ms = 0
    for u in script["utterances"]:
        for w in u["words"]:
            mid = (w["start_ms"] + w["end_ms"]) // 2
            i = int(np.searchsorted(starts, mid, "right")) - 1
            if i < 0 or mid > ends[i]:
                continue
            dur = w["end_ms"] - w["start_ms"]
            total += dur
            guest_ms += dur * (u["voice"] == "guest")
            right += dur * (bool(streamer[i]) == (u["voice"] == "streamer"))
    return right / total, guest_ms


@pytest.mark.slow
def test_a_guest_is_told_apart_from_the_streamer(two_voices, tmp_path):
    stream, segments = two_voices["duo"]
    cache = StageCache(tmp_path / "cache")
    result = label_speakers(stream.video, segments, cache=cache)
    labelled = validate(result.segments, SpeechSegment, "duo")
    accuracy, guest_ms = _accuracy(labelled, stream.load_script())
    assert guest_ms > 10_000 and accuracy >= 0.95, (accuracy, result.stats)
    assert result.stats["voices"] == 2 and 0.5 < result.stats["streamer_share"] < 0.95
    assert set(labelled["speaker"]) == {STREAMER, "other-1"}
    # segments were cut where the voice changes: every word stays, in order
    words = lambda df: [w["word"] for ws in df.sort("start_ms")["words"].to_list() for w in ws]  # noqa: E731
    assert words(labelled) == words(segments)
    assert labelled.filter(pl.col("speaker") == STREAMER)["streamer_p"].min() > 0.5
    assert labelled.filter(pl.col("speaker") != STREAMER)["streamer_p"].max() < 0.5
    assert answer_speech(labelled, AlignConfig()).height == labelled.filter(pl.col("speaker") == STREAMER).height
    again = label_speakers(stream.video, segments, cache=cache)
    assert again.stats["cache_hit"] and again.segments.equals(labelled)


@pytest.mark.slow
def test_guest_answers_are_never_paired_and_the_streamers_still_are(two_voices):
    from multimodal_pipeline.align import align_full
    from multimodal_pipeline.chat import parse_chat
    from multimodal_pipeline.contracts.align_config import AlignConfig

    stream, segments = two_voices["duo"]
    truth = stream.load_truth()
    guest_questions = {m["text"] for m in truth["messages"] if m.get("answered_by") == "guest"}
    assert guest_questions, "the generator gave the guest no question to answer"
    labelled = label_speakers(stream.video, segments).segments
    chat = parse_chat(stream.chat["youtube_live_chat"], "duo").events
    pairs = align_full(labelled, chat, AlignConfig(), "duo")[0].filter(pl.col("accepted"))
    assert not set(pairs["prompt"]) & guest_questions
    answered = {m["text"] for m in truth["messages"] if m["answered"]}
    assert pairs.height >= 1 and set(pairs["prompt"]) <= answered


@pytest.mark.slow
def test_one_voice_keeps_all_its_speech(two_voices):
    stream, segments = two_voices["solo"]
    result = label_speakers(stream.video, segments)
    assert result.stats["voices"] == 1 and result.stats["streamer_share"] == 1.0
    assert set(result.segments["speaker"]) == {STREAMER} and result.segments.height == segments.height
    assert check_streamer_share(result.stats, 0.5)[0]


@pytest.mark.slow
def test_reference_clip_names_the_streamer(two_voices, tmp_path):
    from multimodal_pipeline.synth.tts import Speaker

    stream, segments = two_voices["duo"]
    with Speaker(GUEST) as guest:
        speech = guest.say("Hi everyone, I am only a guest here today, but I love this game and this chat a lot.")
    clip = tmp_path / "guest.wav"
    sf.write(clip, speech.samples, speech.sample_rate)
    result = label_speakers(stream.video, segments, reference=clip)
    accuracy, _ = _accuracy(result.segments, stream.load_script())
    assert accuracy <= 0.05, "with the guest's clip as reference the guest is the streamer"
    jfk = real_fixture("openai__whisper/jfk.flac")  # a voice that is in neither
    missing = label_speakers(stream.video, segments, reference=jfk)
    assert not missing.stats["streamer_found"] and STREAMER not in set(missing.segments["speaker"])
    assert not check_streamer_share(missing.stats, 0.5)[0]
    assert result.stats["reference_sha256"] and result.stats["reference"] == str(clip)
    with pytest.raises(FileNotFoundError, match="speaker reference clip not found: .*nowhere.wav"):
        label_speakers(stream.video, segments, reference=tmp_path / "nowhere.wav")


@pytest.mark.slow
def test_real_voices_are_told_apart(tmp_path):
    """JFK, then the reader of the MIT licence, then JFK again: the two real voices get two labels."""
    jfk = decode_audio(real_fixture("openai__whisper/jfk.flac"))
    mit = decode_audio(real_fixture("SYSTRAN__faster-whisper/multilingual.mp3"))[: 14 * 16000]
    gap = np.zeros(8000, np.float32)
    path = tmp_path / "mix.wav"
    sf.write(path, np.concatenate([jfk, gap, mit, gap, jfk]), 16000)
    segments = transcribe_full(path, video_id="mix").segments
    result = label_speakers(path, segments)
    seg = result.segments

    def label_at(t: int) -> str:
        return seg.filter((pl.col("start_ms") <= t) & (pl.col("end_ms") >= t))["speaker"][0]

    assert label_at(7_000) == label_at(33_000) != label_at(18_000)  # JFK twice, the reader once


def test_disabled_or_empty_keeps_the_table():
    seg = frame_from_records(SpeechSegment, [dict(video_id="v", segment_id="v:1", start_ms=0, end_ms=1000, text="hi",
                                                  words=[], avg_logprob=0.0, no_speech_prob=0.0,
                                                  compression_ratio=1.0)])
    result = label_speakers("/nonexistent.flac", seg, SpeakerConfig(enabled=False))
    assert result.segments.equals(seg) and result.stats["enabled"] is False


def test_mel_features_equal_the_encoders_own_librosa_features():
    """The encoder's mel features are computed with numpy (librosa's import costs seconds per process); they must be
    the features the encoder was trained on: Resemblyzer's own librosa-based function, on real speech and on the
    edge lengths (shorter than one FFT window, one sample over it, exactly one 1.6 s window)."""
    import resemblyzer

    from multimodal_pipeline.speaker.encoder import mel_frames

    jfk = decode_audio(real_fixture("openai__whisper/jfk.flac"))
    for samples in (jfk, jfk[:100], jfk[:401], jfk[:25_599]):
        ours = mel_frames(samples)
        theirs = resemblyzer.wav_to_mel_spectrogram(np.pad(samples, (0, max(0, 400 - len(samples)))))
        assert ours.shape == theirs.shape
        np.testing.assert_allclose(ours, theirs, rtol=1e-3, atol=1e-5)
