"""Text helpers of the curation tier: normalization for duplicate detection, PII patterns and scrubbing, emoji,
script and stopword tables for the language heuristic. Vectorized with Polars (Rust regex syntax).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import polars as pl

from multimodal_pipeline.names import NAME_REPLACEMENT

# ------------------------------------------------------------------------------------------------------------------
# normalization (duplicate detection, copypasta keys, shared-prompt check)

#: one emoji "character": pictographs, skin-tone modifiers, flags' regional indicators, ZWJ, variation selector 16
EMOJI = r"[\p{Extended_Pictographic}\p{Emoji_Modifier}\p{Regional_Indicator}\x{200D}\x{FE0F}\x{E0020}-\x{E007F}]"
#: punctuation, symbols and white space, but not emoji: collapsed into one space
_SEPARATORS = r"[\p{P}\p{S}\s&&[^\p{Extended_Pictographic}]]+"
_NON_ASCII = r"[^\x00-\x7F]"


def normalize_expr(expr: pl.Expr) -> pl.Expr:
    """NFKC, lower case, punctuation and symbols removed (emoji kept, each its own word), whitespace collapsed."""
    return (
        expr.str.normalize("NFKC").str.to_lowercase()
        .str.replace_all(r"(\p{Extended_Pictographic})", " $1 ")
        .str.replace_all(_SEPARATORS, " ")
        .str.strip_chars()
    )


def normalize(texts: pl.Series | Sequence[str]) -> pl.Series:
    """`normalize_expr` on a Series; the Unicode steps (NFKC, emoji split) run only on the non-ASCII texts."""
    s = texts if isinstance(texts, pl.Series) else pl.Series("text", list(texts), dtype=pl.String)
    name = s.name
    s = s.fill_null("")
    mask = s.str.contains(_NON_ASCII)
    idx = mask.arg_true()
    if len(idx):
        sub = s.gather(idx).str.normalize("NFKC").str.replace_all(r"(\p{Extended_Pictographic})", " $1 ")
        s = s.scatter(idx, sub)
    return s.str.to_lowercase().str.replace_all(_SEPARATORS, " ").str.strip_chars().alias(name)


def word_shingles(normalized: str, k: int) -> list[str]:
    """Word k-shingles of one normalized text (a text with fewer than k words is one shingle; "" has none).

    The plain-Python reference of `dedup.shingle_table` (same shingles, same order)."""
    words = normalized.split(" ") if normalized else []
    if not words:
        return []
    if len(words) < k:
        return [" ".join(words)]
    return [" ".join(words[i:i + k]) for i in range(len(words) - k + 1)]


# ------------------------------------------------------------------------------------------------------------------
# URLs and PII

URL = r"(?i)\b(?:https?://|www\.)[^\s<>\"']+"
#: bare domains with a common TLD (`mysite.gg/promo`), for the URL spam filter
BARE_DOMAIN = (r"(?i)\b[a-z0-9][a-z0-9\-]{1,62}\.(?:com|net|org|io|gg|tv|ly|me|co|xyz|link|shop|live|info|biz|ru|"
               r"app|site|store|online|top|club)\b(?:/[^\s]*)?")
#: a URL carrying credentials: a query string or fragment with key=value, or a long token-like path segment
URL_TOKEN = (r"(?i)\b(?:https?://|www\.)[^\s<>\"'?#]*(?:[?#][^\s<>\"']*=[^\s<>\"']*|/[A-Za-z0-9_\-]{24,}[^\s<>\"']*)")
EMAIL = r"(?i)\b[a-z0-9._%+\-]+@[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z]{2,}\b"
PHONE = (r"(?:\+\d{1,3}[\s.\-]?)?(?:\(\d{3}\)|\b\d{3})[\s.\-]?\d{3}[\s.\-]?\d{4}\b"
         r"|\+\d{1,3}(?:[\s.\-]?\d{2,5}){3,5}\b")
#: a chat handle: `@name` not preceded by a word character (the group keeps what precedes it)
HANDLE = r"(^|[^\w@])@([A-Za-z0-9_][A-Za-z0-9_.\-]{1,30})"

PLACEHOLDERS = {"email": "<EMAIL>", "phone": "<PHONE>", "url": "<URL>", "handle": "<USER>", "author": "<USER>"}

#: the patterns the "no PII left" check looks for (after scrubbing, none may match)
PII_PATTERNS: dict[str, str] = {"email": EMAIL, "phone": PHONE, "url": URL_TOKEN, "handle": HANDLE}


def scrub_frame(df: pl.DataFrame, columns: Sequence[str], *, all_urls: bool = False,
                author_col: str | None = None, author_min_chars: int = 3) -> tuple[pl.DataFrame, dict[str, int]]:
    """Replace e-mails, phones, token URLs (every URL with `all_urls`), `@handles` and, with `author_col`, the
    author's own name (whole word, any case) by placeholders in `columns`. Returns the frame and counts per kind."""
    url_pattern = URL if all_urls else URL_TOKEN
    steps = [("url", url_pattern, "<URL>"), ("email", EMAIL, "<EMAIL>"), ("phone", PHONE, "<PHONE>"),
             ("handle", HANDLE, "${1}<USER>")]
    counts = {kind: 0 for kind, _, _ in steps}
    out = df
    for col in columns:
        for kind, pattern, repl in steps:
            n = out.select(pl.col(col).str.count_matches(pattern).sum()).item()
            if n:
                counts[kind] += int(n)
                out = out.with_columns(pl.col(col).str.replace_all(pattern, repl))
    counts["author"] = 0
    if author_col is not None:
        names = out[author_col].to_list()
        for col in columns:
            values = out[col].to_list()
            new = []
            for text, name in zip(values, names, strict=True):
                if name and len(name.strip()) >= author_min_chars and text:
                    pattern = re.compile(r"(?<![\w@])@?" + re.escape(name.strip()) + r"(?!\w)", re.IGNORECASE)
                    text, n = pattern.subn("<USER>", text)
                    counts["author"] += n
                new.append(text)
            out = out.with_columns(pl.Series(col, new, dtype=pl.String))
    return out, counts


def scrub_names(df: pl.DataFrame, columns: Sequence[str], pattern: str | None) -> tuple[pl.DataFrame, pl.Series]:
    """Replace every spoken chatter name (`names.names_pattern` of the video's chatters) in `columns` by `<USER>`.
    Returns the frame and the number of names replaced per row."""
    counts = pl.Series("names_scrubbed", [0] * df.height, dtype=pl.Int64)
    if pattern is None or df.height == 0:
        return df, counts
    for col in columns:
        counts = counts + df[col].fill_null("").str.count_matches(pattern).cast(pl.Int64)
        df = df.with_columns(pl.col(col).str.replace_all(pattern, NAME_REPLACEMENT))
    return df, counts.alias("names_scrubbed")


def count_pii(df: pl.DataFrame, columns: Sequence[str]) -> dict[str, int]:
    """Matches of each PII pattern left in `columns`."""
    return {kind: int(sum(df.select(pl.col(c).str.count_matches(p).sum()).item() or 0 for c in columns))
            for kind, p in PII_PATTERNS.items()}


# ------------------------------------------------------------------------------------------------------------------
# language heuristic tables

SCRIPTS: dict[str, str] = {
    "Latin": r"\p{Latin}", "Cyrillic": r"\p{Cyrillic}", "Greek": r"\p{Greek}", "Arabic": r"\p{Arabic}",
    "Hebrew": r"\p{Hebrew}", "Han": r"\p{Han}", "Kana": r"[\p{Hiragana}\p{Katakana}]", "Hangul": r"\p{Hangul}",
    "Thai": r"\p{Thai}", "Devanagari": r"\p{Devanagari}",
}

LANGUAGE_SCRIPTS: dict[str, tuple[str, ...]] = {
    **{lang: ("Latin",) for lang in ("en", "es", "fr", "de", "it", "pt", "nl", "sv", "da", "no", "nb", "fi", "pl",
                                     "cs", "sk", "tr", "id", "ms", "vi", "ro", "hu", "hr", "sl", "et", "lv", "lt",
                                     "ca", "eu", "gl", "tl", "sw")},
    **{lang: ("Cyrillic",) for lang in ("ru", "uk", "bg", "sr", "mk", "be", "kk")},
    "el": ("Greek",), "ar": ("Arabic",), "fa": ("Arabic",), "ur": ("Arabic",), "he": ("Hebrew",),
    "zh": ("Han",), "ja": ("Han", "Kana"), "ko": ("Hangul",), "th": ("Thai",), "hi": ("Devanagari",),
}

#: function words of a few Latin-script languages (their own words only; overlaps with the configured
#: language are dropped at run time so they never vote against it)
STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset("the is are you your what how why this that and have do does it's can with for of to be was were "
                    "my me we they he she not just about would will there their from when who which been did don't "
                    "know think i'm you're are could should it".split()),
    "es": frozenset("el la los las que es por para con una del pero como muy qué cómo yo tu eres estás está hola "
                    "gracias también porque cuando mi su sus más ya hay este esta eso sí ese al lo le se".split()),
    "fr": frozenset("le la les des est et une pour avec je tu vous nous pas que qui ce cette mais très bonjour merci "
                    "c'est il elle sur dans au du un ton ta mon ma suis es".split()),
    "de": frozenset("der das und ist nicht ich du wir ein eine mit auf für den dem zu auch wie bitte danke hallo "
                    "sehr aber oder noch schon warum wer bist habe hast sind".split()),
    "pt": frozenset("os que é não com uma para por você obrigado olá muito mas como eu meu minha isso está tá "
                    "também porque um da do no na".split()),
    "it": frozenset("il lo gli che è non per con una sono ciao grazie molto ma come io questo perché anche della "
                    "sei un di ho hai".split()),
    "nl": frozenset("de het een en niet ik je jij wij dat dit van met voor op maar ook hallo bedankt wat hoe "
                    "waarom zijn heb".split()),
}
