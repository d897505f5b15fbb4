"""Speaker embeddings of 1.6 s windows with the Resemblyzer voice encoder (a GE2E LSTM whose weights ship inside the
`Resemblyzer` PyPI package: nothing is downloaded)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np

SAMPLE_RATE = 16_000
FRAME_MS = 10  # one mel frame per 10 ms (the encoder's hop)
WINDOW_FRAMES = 160  # the encoder's partial utterance: 1.6 s
WINDOW_MS = WINDOW_FRAMES * FRAME_MS
WINDOW_SAMPLES = (WINDOW_FRAMES - 1) * FRAME_MS * SAMPLE_RATE // 1000  # exactly one window of mel frames
BATCH = 256


class SpeakerModelUnavailableError(RuntimeError):
    pass


def _resemblyzer() -> Any:
    try:
        import resemblyzer
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise SpeakerModelUnavailableError(
            "speaker labelling needs the PyPI package 'Resemblyzer' (installed by scripts/setup.sh); "
            "or set asr.speakers.enabled: false") from exc
    return resemblyzer


def model_path() -> Path:
    """The encoder's weights file inside the installed package (found without importing the package: importing it
    loads librosa and numba, seconds that a cached re-run should not pay)."""
    import importlib.util

    spec = importlib.util.find_spec("resemblyzer")
    if spec is None or spec.origin is None:
        _resemblyzer()  # raises the error that says what to install
    return Path(spec.origin).parent / "pretrained.pt"


@functools.lru_cache(maxsize=1)
def model_sha256() -> str:
    from multimodal_pipeline.storage import sha256_file

    return sha256_file(model_path())


def resolve_device(device: str) -> str:
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


@functools.lru_cache(maxsize=2)
def load_encoder(device: str) -> Any:
    return _resemblyzer().VoiceEncoder(device, verbose=False)


def read_audio(path: str | Path) -> np.ndarray:
    """16 kHz mono float32 samples: read straight from the audio tier's 16 kHz mono FLAC/WAV (soundfile, several times
    faster than decoding and resampling), anything else decoded and resampled."""
    import soundfile

    try:
        info = soundfile.info(str(path))
    except (RuntimeError, soundfile.LibsndfileError):
        info = None
    if info is not None and info.samplerate == SAMPLE_RATE and info.channels == 1:
        return soundfile.read(str(path), dtype="float32")[0]
    from multimodal_pipeline.asr.transcription import decode_audio

    return decode_audio(path)


N_FFT = 400  # the encoder's 25 ms analysis window
HOP = SAMPLE_RATE * FRAME_MS // 1000
N_MELS = 40


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale (linear below 1 kHz, logarithmic above), as the encoder's features use."""
    mel = hz / (200.0 / 3)
    log_region = hz >= 1000.0
    mel[log_region] = 15.0 + np.log(hz[log_region] / 1000.0) / (np.log(6.4) / 27.0)
    return mel


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    hz = mel * (200.0 / 3)
    log_region = mel >= 15.0
    hz[log_region] = 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel[log_region] - 15.0))
    return hz


@functools.lru_cache(maxsize=1)
def mel_filterbank() -> np.ndarray:
    """(N_MELS, N_FFT // 2 + 1) triangular filters with Slaney area normalization (librosa.filters.mel's defaults,
    which the encoder was trained with; written out because importing librosa costs seconds per process)."""
    fft_hz = np.fft.rfftfreq(N_FFT, 1.0 / SAMPLE_RATE)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(np.array([0.0]))[0], _hz_to_mel(np.array([SAMPLE_RATE / 2.0]))[0],
                                   N_MELS + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - fft_hz[None, :]
    rising = -ramps[:-2] / widths[:-1, None]
    falling = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    return weights * (2.0 / (edges[2:] - edges[:-2]))[:, None]


def mel_frames(samples: np.ndarray) -> np.ndarray:
    """(frames, 40) mel filterbank power of 16 kHz samples, as the encoder was trained on: a centred power STFT (hann
    window of 400 samples, hop 160, zero padding) through the filterbank, one frame per 10 ms."""
    samples = np.asarray(samples, dtype=np.float32)
    if len(samples) < N_FFT:
        samples = np.pad(samples, (0, N_FFT - len(samples)))
    padded = np.pad(samples, (N_FFT // 2, N_FFT // 2))
    frames = np.lib.stride_tricks.sliding_window_view(padded, N_FFT)[::HOP]
    window = np.hanning(N_FFT + 1)[:-1].astype(np.float32)  # periodic hann
    out = np.empty((len(frames), N_MELS), np.float32)
    bank = mel_filterbank().T.astype(np.float32)
    for i in range(0, len(frames), 8192):  # blocks keep the spectrum's memory bounded on hour-long regions
        spectrum = np.fft.rfft(frames[i: i + 8192] * window, axis=1)
        power = (spectrum.real ** 2 + spectrum.imag ** 2).astype(np.float32)
        out[i: i + len(power)] = power @ bank
    return out


def window_starts(n_frames: int, hop_frames: int) -> list[int]:
    """First frames of the windows covering `n_frames` frames: every `hop_frames`, the last one ending at the end."""
    if n_frames <= WINDOW_FRAMES:
        return [0]
    starts = list(range(0, n_frames - WINDOW_FRAMES + 1, hop_frames))
    if starts[-1] != n_frames - WINDOW_FRAMES:
        starts.append(n_frames - WINDOW_FRAMES)
    return starts


def embed_regions(samples: np.ndarray, regions: list[tuple[int, int]], hop_ms: int, device: str
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Windows over each [start_ms, end_ms) region of the audio: (start_ms, end_ms, unit embeddings (n, 256)).

    A region shorter than a window gives one window: its speech repeated to fill the window (padding it with silence
    instead would make every short utterance sound like a voice of its own)."""
    import torch

    encoder = load_encoder(device)
    hop = max(1, hop_ms // FRAME_MS)
    mels, starts, ends = [], [], []
    for a, b in regions:
        chunk = samples[a * SAMPLE_RATE // 1000: b * SAMPLE_RATE // 1000]
        if 0 < len(chunk) < WINDOW_SAMPLES:
            chunk = np.tile(chunk, -(-WINDOW_SAMPLES // len(chunk)))[:WINDOW_SAMPLES]
        mel = mel_frames(chunk)
        for f in window_starts(len(mel), hop):
            chunk = mel[f: f + WINDOW_FRAMES]
            if len(chunk) < WINDOW_FRAMES:
                chunk = np.pad(chunk, ((0, WINDOW_FRAMES - len(chunk)), (0, 0)))
            mels.append(chunk)
            starts.append(min(b, a + f * FRAME_MS))
            ends.append(min(b, a + (f + WINDOW_FRAMES) * FRAME_MS))
    if not mels:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, 256), np.float32)
    out = []
    with torch.inference_mode():
        for i in range(0, len(mels), BATCH):
            batch = torch.from_numpy(np.stack(mels[i: i + BATCH])).to(device)
            out.append(encoder(batch).cpu().numpy())
    return np.array(starts, np.int64), np.array(ends, np.int64), np.concatenate(out).astype(np.float32)


def embed_clip(samples: np.ndarray, device: str) -> np.ndarray:
    """One unit embedding of a whole clip (the mean of its windows, normalized)."""
    _s, _e, emb = embed_regions(samples, [(0, len(samples) * 1000 // SAMPLE_RATE)], WINDOW_MS // 2, device)
    mean = emb.mean(axis=0)
    return mean / max(float(np.linalg.norm(mean)), 1e-9)
