"""Word error rate on normalized text (lower case, punctuation dropped, numbers and apostrophes kept)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'"})
_NON_WORD = re.compile(r"[^\w\s']+")
_EDGE_APOSTROPHE = re.compile(r"(?<!\w)'|'(?!\w)")
_THOUSANDS = re.compile(r"\b\d{1,3}(?:,\d{3})+\b")


_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
         "seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def number_words(n: int) -> list[str]:
    """English words of 0 <= n < 10**9: 32 -> ["thirty", "two"], 1200 -> ["one", "thousand", "two", "hundred"]."""
    if n < 20:
        return [_ONES[n]]
    if n < 100:
        return [_TENS[n // 10]] + ([_ONES[n % 10]] if n % 10 else [])
    for size, name in ((10**6, "million"), (1000, "thousand"), (100, "hundred")):
        if n >= size:
            rest = n % size
            return number_words(n // size) + [name] + (number_words(rest) if rest else [])
    raise AssertionError(n)  # pragma: no cover


def normalize_words(text: str, spell_numbers: bool = True) -> list[str]:
    """Lower-case words without punctuation: "And so, my fellow Americans!" -> ["and", "so", "my", ...].

    With `spell_numbers`, plain integers are spelled out ("32" -> "thirty two", "1,000" -> "one thousand"), so a
    model writing digits and a script writing words agree.
    """
    text = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).lower()
    text = _THOUSANDS.sub(lambda m: m.group(0).replace(",", ""), text)
    text = _NON_WORD.sub(" ", text.replace("-", " "))
    text = _EDGE_APOSTROPHE.sub(" ", text)
    words = text.split()
    if not spell_numbers:
        return words
    out: list[str] = []
    for w in words:
        out.extend(number_words(int(w)) if w.isascii() and w.isdigit() and len(w) <= 9 else [w])
    return out


@dataclass(frozen=True)
class WerResult:
    substitutions: int
    deletions: int
    insertions: int
    reference_words: int

    @property
    def errors(self) -> int:
        return self.substitutions + self.deletions + self.insertions

    @property
    def wer(self) -> float:
        if self.reference_words == 0:
            return 0.0 if self.errors == 0 else float("inf")
        return self.errors / self.reference_words


def word_errors(reference: str | list[str], hypothesis: str | list[str]) -> WerResult:
    """Levenshtein alignment of normalized words: substitutions, deletions, insertions."""
    ref = normalize_words(reference) if isinstance(reference, str) else list(reference)
    hyp = normalize_words(hypothesis) if isinstance(hypothesis, str) else list(hypothesis)
    # each cell: (cost, substitutions, deletions, insertions)
    prev = [(j, 0, 0, j) for j in range(len(hyp) + 1)]
    for i in range(1, len(ref) + 1):
        cur = [(i, 0, i, 0)]
        for j in range(1, len(hyp) + 1):
            if ref[i - 1] == hyp[j - 1]:
                cur.append(prev[j - 1])
                continue
            sub, dele, ins = prev[j - 1], prev[j], cur[j - 1]
            best = min(sub[0], dele[0], ins[0])
            if sub[0] == best:
                cur.append((best + 1, sub[1] + 1, sub[2], sub[3]))
            elif dele[0] == best:
                cur.append((best + 1, dele[1], dele[2] + 1, dele[3]))
            else:
                cur.append((best + 1, ins[1], ins[2], ins[3] + 1))
        prev = cur
    _, s, d, n_ins = prev[-1]
    return WerResult(s, d, n_ins, len(ref))


def wer(reference: str | list[str], hypothesis: str | list[str]) -> float:
    """Word error rate of `hypothesis` against `reference` after normalization."""
    return word_errors(reference, hypothesis).wer


def matched_words(
    reference: list[dict], hypothesis: list[dict]
) -> list[tuple[dict, dict]]:
    """Pairs (reference word, hypothesis word) that the alignment of normalized tokens matches exactly.

    Both inputs are lists of `{word, start_ms, end_ms, ...}` dicts (a script's words, a segment's words); a word
    that normalizes to several tokens ("don't-stop") contributes each token with its own timing. Used to measure
    word-timestamp errors against a script.
    """
    import difflib

    def tokens(words: list[dict]) -> tuple[list[str], list[dict]]:
        toks, owners = [], []
        for w in words:
            for t in normalize_words(w["word"]):
                toks.append(t)
                owners.append(w)
        return toks, owners

    ref_t, ref_w = tokens(reference)
    hyp_t, hyp_w = tokens(hypothesis)
    matcher = difflib.SequenceMatcher(None, ref_t, hyp_t, autojunk=False)
    return [(ref_w[block.a + k], hyp_w[block.b + k])
            for block in matcher.get_matching_blocks() for k in range(block.size)]
