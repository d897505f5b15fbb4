"""Pronounceable chat handles and the way a streamer says them ("pixel_fox", "MoonBeam42" -> "moon beam")."""

from __future__ import annotations

import random
from dataclasses import dataclass

ADJECTIVES = (
    "pixel", "moon", "sleepy", "cosmic", "turbo", "lazy", "frosty", "neon", "happy", "silent", "crispy",
    "golden", "shadow", "lucky", "rusty", "fuzzy", "mighty", "salty", "velvet", "quiet", "rapid", "cloudy",
    "sunny", "spicy", "tiny", "brave", "purple", "cozy", "stormy", "wild", "sneaky", "jolly",
)
NOUNS = (
    "fox", "beam", "otter", "panda", "knight", "wizard", "toast", "noodle", "tiger", "falcon", "pickle",
    "muffin", "raven", "comet", "badger", "waffle", "penguin", "ranger", "pirate", "cactus", "dragon",
    "sparrow", "potato", "rocket", "bunny", "walrus", "moose", "lemon", "goblin", "bean", "owl", "gecko",
)


@dataclass(frozen=True)
class Viewer:
    handle: str  # display name, the same on every platform
    spoken: str  # how the streamer says it
    login: str  # Twitch login (lower case)
    twitch_id: str  # numeric Twitch user id
    yt_channel: str  # YouTube channel id (UC + 22 chars)
    color: str  # Twitch name colour
    is_bot: bool = False


COLORS = (
    "#FF0000", "#0000FF", "#008000", "#B22222", "#FF7F50", "#9ACD32", "#FF4500", "#2E8B57", "#DAA520",
    "#D2691E", "#5F9EA0", "#1E90FF", "#FF69B4", "#8A2BE2", "#00FF7F",
)
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _handle(rng: random.Random) -> tuple[str, str]:
    adj, noun = rng.choice(ADJECTIVES), rng.choice(NOUNS)
    style = rng.randrange(7)
    digits = str(rng.randrange(1, 100))
    if style == 0:
        return f"{adj}_{noun}", f"{adj} {noun}"
    if style == 1:
        return f"{adj.capitalize()}{noun.capitalize()}", f"{adj} {noun}"
    if style == 2:
        return f"{adj}{noun}{digits}", f"{adj} {noun}"
    if style == 3:
        return f"The{adj.capitalize()}{noun.capitalize()}", f"the {adj} {noun}"
    if style == 4:
        return f"{adj}_{noun}_{digits}", f"{adj} {noun}"
    if style == 5:
        return f"{noun}{adj}", f"{noun} {adj}"
    return f"xX{adj.capitalize()}{noun.capitalize()}Xx", f"{adj} {noun}"


def make_viewers(rng: random.Random, n: int, handle=None) -> list[Viewer]:
    """``n`` viewers with distinct handles and distinct spoken names (``handle(rng) -> (handle, spoken)``: a
    generator family's handle shapes; this module's own by default)."""
    handle = handle or _handle
    if n > 600:
        raise ValueError("at most 600 distinct viewers")
    out: list[Viewer] = []
    seen_h: set[str] = set()
    seen_s: set[str] = set()
    ids: set[str] = set()
    tries = 0
    while len(out) < n:
        tries += 1
        name, spoken = handle(rng)
        if name.lower() in seen_h or (spoken in seen_s and tries < 50 * n):
            continue
        twitch_id = str(rng.randrange(10_000_000, 999_999_999))
        if twitch_id in ids:
            continue
        ids.add(twitch_id)
        seen_h.add(name.lower())
        seen_s.add(spoken)
        out.append(Viewer(
            handle=name,
            spoken=spoken,
            login=name.lower(),
            twitch_id=twitch_id,
            yt_channel="UC" + "".join(rng.choice(_B64) for _ in range(22)),
            color=rng.choice(COLORS),
        ))
    return out


def make_bot(rng: random.Random, name: str) -> Viewer:
    return Viewer(
        handle=name,
        spoken=name.lower(),
        login=name.lower(),
        twitch_id=str(rng.randrange(10_000_000, 999_999_999)),
        yt_channel="UC" + "".join(rng.choice(_B64) for _ in range(22)),
        color="#7C7CE1",
        is_bot=True,
    )
