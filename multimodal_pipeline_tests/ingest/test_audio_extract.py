"""Audio extraction's batched resampling and threaded encoding give exactly the samples of PyAV's own resampler."""

import av
import numpy as np
import pytest

from multimodal_pipeline.contracts.config import AudioConfig
from multimodal_pipeline.media.audio import _graph_batches, _GraphFailed, _PacketLoop, extract_audio
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


def _pcm(batches) -> np.ndarray:
    return np.concatenate([f.to_ndarray() for frames in batches for f in frames], axis=1).ravel()


def test_libav_graph_and_packet_loop_give_the_same_samples_whatever_the_file_name(tmp_path):
    """The graph opens the file by name inside libav: a name with the filter syntax's special characters is read as
    it is, and its samples equal the packet loop's (and PyAV's resampler's)."""
    src = make_mp4(tmp_path / "plain.mp4", seconds=12.5)  # the audio after the video: stream 1
    odd = tmp_path / "we:ird, name=[x];'q\\.mp4"
    odd.write_bytes(src.read_bytes())
    config = AudioConfig()
    graph = _pcm(_graph_batches(odd, 1, config))
    loop = _PacketLoop(src, config)
    with av.open(str(src)) as inp:
        packets = _pcm(loop.batches(inp, inp.streams.audio[0]))
    assert np.array_equal(graph, packets) and np.array_equal(graph, _reference_pcm(src)) and loop.corrupt == 0


def test_a_packet_that_does_not_decode_stops_the_graph_and_the_packet_loop_redoes_the_file(tmp_path):
    src = make_mp4(tmp_path / "a.mp4", seconds=10.0)
    data = bytearray(src.read_bytes())
    for off in range(len(data) // 2, len(data) // 2 + 3000, 89):
        data[off:off + 8] = b"\xff\xfe\x00\x11\x22\x33\x44\x55"
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(bytes(data))
    with pytest.raises(_GraphFailed):
        _pcm(_graph_batches(bad, 1, AudioConfig()))
    seen: list[tuple[int, int]] = []
    out = extract_audio(bad, tmp_path / "out", progress=lambda done, total: seen.append((done, total)))
    assert out.corrupt_packets > 0 and seen == sorted(seen) and len(seen) == len(set(seen))
    assert abs(out.duration_ms - extract_audio(src, tmp_path / "clean").duration_ms) <= 50
