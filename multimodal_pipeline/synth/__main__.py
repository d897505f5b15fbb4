"""``python -m multimodal_pipeline.synth OUT_DIR --seed 0 --duration 60 --name demo``: generate and print paths."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from .generate import generate_stream
from .spec import StreamSpec


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m multimodal_pipeline.synth", description=__doc__)
    p.add_argument("out_dir", type=Path)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--duration", type=float, default=60.0, help="seconds (5 .. 14400)")
    p.add_argument("--name", default="demo")
    p.add_argument("--streamer", default="Nova")
    p.add_argument("--chat-rate", type=float, default=StreamSpec.chat_rate_per_min, help="messages per minute")
    p.add_argument("--answer-share", type=float, default=StreamSpec.answer_share)
    p.add_argument("--family", default=StreamSpec.family,
                   help="the wording: alpha, beta, gamma, delta, epsilon, zeta or eta")
    p.add_argument("--guest-voice", default=None, help="a second eSpeak NG voice (e.g. en-us+Annie): a guest who "
                   "talks between the streamer's lines and answers some questions")
    p.add_argument("--tts-backend", choices=("auto", "lib", "cli"), default="auto")
    p.add_argument("--json", action="store_true", help="print the paths as one JSON object")
    a = p.parse_args(argv)
    spec = StreamSpec(
        seed=a.seed, duration_s=a.duration, name=a.name, streamer=a.streamer, chat_rate_per_min=a.chat_rate,
        answer_share=a.answer_share, question_share=max(StreamSpec.question_share, a.answer_share),
        tts_backend=a.tts_backend, family=a.family, guest_voice=a.guest_voice,
    )
    t0 = time.perf_counter()
    stream = generate_stream(a.out_dir, spec)
    paths = stream.paths()
    if a.json:
        print(json.dumps(paths))
    else:
        for k, v in paths.items():
            print(f"{k}\t{v}")
        print(f"generated in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
