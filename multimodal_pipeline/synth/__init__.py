"""Synthetic demo streams: an MP4 of a streamer talking (eSpeak NG), its live chat in three real formats,
the speech script with word times, and the ground truth of which message was answered when.

    from multimodal_pipeline.synth import StreamSpec, generate_stream
    stream = generate_stream(out_dir, StreamSpec(seed=0, duration_s=60))

Word timings: every utterance is synthesized whole by libespeak-ng (in a fresh child process, so output is
deterministic); the library's WORD events give each word's first output sample, a word ends where the next
word or clause starts, and both edges are tightened to audible 5 ms frames. Times are integer ms from the
start of the video, accurate to ~10 ms. When the library cannot be loaded, the ``espeak-ng`` command
synthesizes each distinct word alone and words are concatenated with 40-90 ms gaps (exact by construction).
See :mod:`.tts`, :mod:`.plan` (timeline), :mod:`.chatfmt` (chat formats) and :mod:`.media` (MP4).
"""

from .generate import generate_stream
from .spec import CHAT_FORMATS, DemoStream, StreamSpec

__all__ = ["CHAT_FORMATS", "DemoStream", "StreamSpec", "generate_stream"]
