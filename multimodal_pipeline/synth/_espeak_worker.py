"""Stand-alone eSpeak NG worker, run as a script in a fresh child process (no package imports).

Why a child process: libespeak-ng keeps internal state between synthesis calls (wave generator phase,
flutter index, its use of libc ``rand()``), so the same text synthesized twice in one process can differ
by a few samples. A fresh process that receives the same sequence of texts produces the same bytes, which
is what makes generation deterministic even when ``generate_stream`` is called twice in one interpreter.

Protocol (binary, over stdin/stdout):
- on start the worker writes one frame: JSON ``{"ok": true, "version": ..., "sample_rate": ...}``
  (or ``{"ok": false, "error": ...}`` and exits);
- request frame: UTF-8 text; response: a JSON frame ``{"n": samples, "events": [[type, text_pos, length,
  sample], ...]}`` followed by a raw frame of ``n`` little-endian int16 samples.
A frame is a 4-byte little-endian length followed by that many bytes. A zero-length request ends the worker.
"""

import ctypes
import ctypes.util
import json
import struct
import sys

AUDIO_OUTPUT_SYNCHRONOUS = 2
ESPEAK_INITIALIZE_DONT_EXIT = 0x8000
ESPEAK_RATE = 1
POS_CHARACTER = 1
ESPEAK_CHARS_UTF8 = 1
EVENT_LIST_TERMINATED = 0
EVENT_WORD = 1
EVENT_SENTENCE = 2
EVENT_END = 5
EVENT_MSG_TERMINATED = 6


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_char * 8),
    ]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))


def _load():
    names = ["libespeak-ng.so.1", ctypes.util.find_library("espeak-ng"), "libespeak-ng.so"]
    last = None
    for name in names:
        if not name:
            continue
        try:
            return ctypes.CDLL(name)
        except OSError as exc:  # try the next name
            last = exc
    raise OSError(f"libespeak-ng not found: {last}")


def _write_frame(out, payload: bytes) -> None:
    out.write(struct.pack("<I", len(payload)))
    out.write(payload)


def _read_frame(inp):
    head = inp.read(4)
    if len(head) < 4:
        return None
    (n,) = struct.unpack("<I", head)
    return inp.read(n) if n else b""


def main() -> int:
    voice = sys.argv[1].encode()
    rate = int(sys.argv[2])
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    try:
        lib = _load()
        lib.espeak_Info.restype = ctypes.c_char_p
        sample_rate = lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, None, ESPEAK_INITIALIZE_DONT_EXIT)
        if sample_rate <= 0:
            raise RuntimeError(f"espeak_Initialize failed ({sample_rate})")
        if lib.espeak_SetVoiceByName(voice) != 0:
            raise RuntimeError(f"unknown espeak voice {voice!r}")
        lib.espeak_SetParameter(ESPEAK_RATE, rate, 0)
        version = lib.espeak_Info(None).decode()
    except Exception as exc:  # reported to the parent, which falls back to the command line
        _write_frame(out, json.dumps({"ok": False, "error": str(exc)}).encode())
        out.flush()
        return 1

    chunks: list[bytes] = []
    events: list[list[int]] = []

    def on_synth(wav, n, ev):
        if n > 0 and wav:
            chunks.append(ctypes.string_at(wav, n * 2))
        i = 0
        while ev[i].type != EVENT_LIST_TERMINATED:
            e = ev[i]
            if e.type in (EVENT_WORD, EVENT_SENTENCE, EVENT_END, EVENT_MSG_TERMINATED):
                events.append([e.type, e.text_position, e.length, e.sample])
            i += 1
        return 0

    callback = _CALLBACK(on_synth)
    lib.espeak_SetSynthCallback(callback)
    _write_frame(out, json.dumps({"ok": True, "version": version, "sample_rate": sample_rate}).encode())
    out.flush()

    while True:
        req = _read_frame(inp)
        if not req:
            return 0
        chunks.clear()
        events.clear()
        text = req + b"\0"
        lib.espeak_Synth(text, len(text), 0, POS_CHARACTER, 0, ESPEAK_CHARS_UTF8, None, None)
        pcm = b"".join(chunks)
        if sys.byteorder != "little":  # pragma: no cover - all supported hosts are little-endian
            import array

            arr = array.array("h", pcm)
            arr.byteswap()
            pcm = arr.tobytes()
        _write_frame(out, json.dumps({"n": len(pcm) // 2, "events": events}).encode())
        _write_frame(out, pcm)
        out.flush()


if __name__ == "__main__":
    sys.exit(main())
