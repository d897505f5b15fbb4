"""Audio extraction's batched resampling and threaded encoding give exactly the samples of PyAV's own resampler."""

import av
import numpy as np

from multimodal_pipeline.contracts.config import AudioConfig
from multimodal_pipeline.media.audio import extract_audio
from multimodal_pipeline_tests.conftest import make_mp4


def _reference_pcm(src) -> np.ndarray:
    """Frame by frame through `av.AudioResampler` (what extraction did before the filter graph was its own)."""
    resampler = av.AudioResampler(format="s16", layout="mono", rate=16_000, frame_size=16_000)
    chunks = []
    with av.open(str(src)) as inp:
        for frame in inp.decode(inp.streams.audio[0]):
            frame.pts = None
            chunks += [f.to_ndarray() for f in resampler.resample(frame)]
    chunks += [f.to_ndarray() for f in resampler.resample(None)]
    return np.concatenate(chunks, axis=1).ravel()


def _decoded_pcm(path) -> np.ndarray:
    with av.open(str(path)) as f:
        return np.concatenate([fr.to_ndarray() for fr in f.decode(f.streams.audio[0])], axis=1).ravel()


def test_extracted_samples_equal_pyav_resampler_and_levels_match(tmp_path):
    src = make_mp4(tmp_path / "a.mp4", seconds=37.3, rate=48_000, amplitude=0.5)
    seen: list[tuple[int, int]] = []
    out = extract_audio(src, tmp_path / "out", progress=lambda done, total: seen.append((done, total)))
    pcm = _decoded_pcm(out.path)
    ref = _reference_pcm(src)
    assert pcm.dtype == np.int16 and len(pcm) == len(ref) and np.array_equal(pcm, ref)
    assert out.duration_ms == len(ref) * 1000 // 16_000 and out.source_sample_rate == 48_000
    rms = np.sqrt(np.mean(ref.astype(np.float64) ** 2)) / 32768
    assert abs(out.rms_dbfs - 20 * np.log10(rms)) < 0.01
    assert abs(out.peak_dbfs - 20 * np.log10(np.abs(ref.astype(np.int32)).max() / 32768)) < 0.01
    assert len(seen) >= 5 and seen == sorted(seen) and seen[-1][0] < seen[-1][1]
    # WAV output: the same samples
    wav = extract_audio(src, tmp_path / "wav", AudioConfig(codec="pcm_s16le"))
    assert np.array_equal(_decoded_pcm(wav.path), ref)
