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


def mel_frames(samples: np.ndarray) -> np.ndarray:
    """(frames, 40) mel filterbank energies of 16 kHz samples, as the encoder was trained on."""
    if len(samples) < 400:
        samples = np.pad(samples, (0, 400 - len(samples)))
    return _resemblyzer().wav_to_mel_spectrogram(samples.astype(np.float32))


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
