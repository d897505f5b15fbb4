"""How chat handles are said aloud (shared by alignment, which looks for a chatter's name at the start of an
answer, and curation, which replaces every chatter name in the training text by `<USER>`)."""

from __future__ import annotations

import re
from collections.abc import Iterable

HANDLE_NOISE = frozenset(["xxx", "ttv", "tv", "yt", "official", "the", "real", "its", "live", "gaming", "plays"])
_CAMEL = re.compile(r"([a-z])([A-Z])")
_ACRONYM = re.compile(r"([A-Z])([A-Z][a-z])")
_SEPARATORS = re.compile(r"[_\-.0-9@]+")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
#: first parts too common to stand for a person on their own
COMMON_FIRST_PARTS = frozenset(
    "that this with what your have from they will would there their about just like good best more some time very "
    "when them only also back over into year then know make much well even most other team game play live love "
    "real true here stream chat".split())


def handle_parts(handle: str | None) -> list[str]:
    """The spoken parts of a handle, in order: `pixel_fox42` and `PixelFox` both give ["pixel", "fox"]."""
    spaced = _SEPARATORS.sub(" ", _ACRONYM.sub(r"\1 \2", _CAMEL.sub(r"\1 \2", handle or "")))
    out: list[str] = []
    for w in _WORD.findall(spaced.lower().replace("’", "'")):
        if len(w) > 2 and w not in HANDLE_NOISE and w not in out:
            out.append(w)
    return out


def split_run_together(token: str, spoken: set[str], min_part: int = 3) -> list[str]:
    """A lower-case handle part run together ("penguinmoon") split into two or three words the streamer says
    ("penguin", "moon"); the token itself when it is spoken or no split is."""
    if token in spoken or len(token) < 2 * min_part:
        return [token]
    n = len(token)
    for i in range(n - min_part, min_part - 1, -1):  # the longest first word first
        if token[:i] in spoken and token[i:] in spoken:
            return [token[:i], token[i:]]
    for i in range(min_part, n - 2 * min_part + 1):
        if token[:i] in spoken:
            for j in range(i + min_part, n - min_part + 1):
                if token[i:j] in spoken and token[j:] in spoken:
                    return [token[:i], token[i:j], token[j:]]
    return [token]


def spoken_forms(handles: Iterable[str | None], vocabulary: set[str] | None = None,
                 stopwords: Iterable[str] = ()) -> list[str]:
    """Every form in which a streamer says these handles, longest first: the handle as written, its spoken parts
    together ("pixel bean"), run-together parts split into words of `vocabulary` ("penguin moon"), and the first
    part alone ("jenny") when it is at least four letters and not a common word or one of `stopwords`."""
    vocabulary = vocabulary or set()
    stop = COMMON_FIRST_PARTS | {s.lower() for s in stopwords}
    forms: set[str] = set()
    for handle in handles:
        if not handle or len(handle.strip()) < 3:
            continue
        forms.add(handle.strip().lower().lstrip("@"))
        parts = handle_parts(handle)
        if not parts:
            continue
        words = [w for p in parts for w in split_run_together(p, vocabulary)]
        forms.add(" ".join(parts))
        forms.add(" ".join(words))
        if len(words) > 1 and len(words[0]) >= 4 and words[0] not in stop:
            forms.add(words[0])
    return sorted((f for f in forms if f), key=lambda f: (-len(f), f))


#: where a first name alone is said as a name: at the start of a sentence or a clause, or after a greeting, a
#: thank-you or "from"/"by" ("Jenny, ...", "thanks jenny", "question from jenny"), or right before a punctuation mark
#: or a verb of asking ("jenny asks, ..."); elsewhere it is the ordinary word it often is ("where I live is sunny")
_NAME_BEFORE = r"(^|[.,!?;:]\s*|\b(?:hey|hi|hello|yo|oh|thanks|thank you|thank u|ty|from|by|and)\s+)"
_NAME_AFTER = r"(\s*[,.!?;:]|\s+(?:asks?|asked|says|said|writes|wants|is asking|would like)\b)"
#: the replacement of a `names_pattern` match: the context it kept around the name, and the placeholder
NAME_REPLACEMENT = "${1}<USER>${2}"


def names_pattern(forms: list[str]) -> str | None:
    """One case-insensitive pattern (Rust and Python regex syntax) for spoken name forms; the words of a form may be
    separated by spaces, punctuation or nothing ("Pixel Bean", "pixel-bean", "PixelBean"). A one-word form that is
    the first word of a longer one (a first name alone: "jenny" of "jenny rivers", "sunny" of "sunny_meme") counts
    only where it is said as a name (`_NAME_BEFORE`, `_NAME_AFTER`); the context a match takes in is in groups 1 and
    2, so `NAME_REPLACEMENT` puts it back."""
    if not forms:
        return None
    ordered = sorted(forms, key=lambda f: (-len(f), f))  # the longest first: "jenny rivers" before "jenny"
    heads = {f.split(" ", 1)[0] for f in ordered if " " in f}
    first = [f for f in ordered if " " not in f and f in heads]
    full = [f for f in ordered if " " in f or f not in heads]

    def alts(fs: list[str]) -> str:
        return "|".join(r"[\s,.'_-]*".join(re.escape(w) for w in f.split()) for f in fs)

    if not first:
        return r"(?i)()\b(?:" + alts(full) + r")\b()"
    # a full form after the same context too: otherwise "thanks jenny" would match before "jenny rivers" could
    return (r"(?i)" + _NAME_BEFORE + r"(?:" + alts(ordered) + r")\b" + (r"|\b(?:" + alts(full) + r")\b" if full else "")
            + r"|\b(?:" + alts(first) + r")" + _NAME_AFTER)
