"""Vectorized text features for alignment (Polars expressions): tokens, content words, questions, spoken names."""

from __future__ import annotations

import polars as pl

TOKEN = r"[a-z0-9]+(?:'[a-z]+)?"

STOPWORDS = [
    "a", "an", "the", "and", "or", "but", "so", "to", "of", "in", "on", "at", "for", "with", "is", "are", "was",
    "were", "be", "been", "it", "its", "it's", "i", "i'm", "you", "your", "you're", "we", "they", "he", "she", "me",
    "my", "this", "that", "these", "those", "do", "does", "did", "have", "has", "had", "what", "which", "who", "how",
    "why", "when", "where", "can", "could", "would", "should", "will", "just", "like", "oh", "yeah", "um", "uh",
    "really", "very", "not", "no", "yes", "if", "then", "there", "here", "about", "from", "up", "out", "all", "any",
    "some", "get", "got", "go", "going", "know", "think", "okay", "ok", "well", "right", "lol", "asks", "says",
    "thanks", "thank", "chat",
]

HANDLE_NOISE = ["xxx", "ttv", "tv", "yt", "official", "the", "real", "its", "live", "gaming", "plays"]

QUESTION_START = r"^(what|whats|what's|which|who|whom|whose|how|why|when|where|is|are|do|does|did|can|could|would|will|should|have|has|any|anyone)\b"


def tokens(expr: pl.Expr) -> pl.Expr:
    """Lower-case word tokens (apostrophes kept inside words)."""
    return expr.fill_null("").str.to_lowercase().str.replace_all("’", "'").str.extract_all(TOKEN)


def stem(token: pl.Expr) -> pl.Expr:
    """A light English stemmer for matching words, not for reading: contractions and possessives, plural `s`,
    `ies`, `ing` and `ed` endings (`tonight's` -> `tonight`, `plans` -> `plan`, `eating` -> `eat`)."""
    return (token.str.replace(r"'(?:s|re|ll|ve|d|m)$", "")
            .str.replace(r"^(\w{2,}?)ies$", "${1}y")
            .str.replace(r"^(\w{3,}?)(?:ing|ed)$", "${1}")
            .str.replace(r"^(\w{2,}[^s'])s$", "${1}"))


def stem_series(tokens: pl.Series) -> pl.Series:
    """`stem` of a (long) Series of tokens, worked out once per distinct token."""
    distinct = tokens.unique()
    return tokens.replace_strict(distinct, pl.select(stem(pl.lit(distinct))).to_series())


#: the stopwords as the stemmer leaves them ("does" -> "doe")
STOP_STEMS = sorted(set(pl.select(stem(pl.lit(pl.Series(STOPWORDS)))).to_series().to_list()) | set(STOPWORDS))


def is_content(stemmed: pl.Expr) -> pl.Expr:
    """A stemmed token that is neither a stopword nor a single letter."""
    return ~stemmed.is_in(STOP_STEMS) & (stemmed.str.len_chars() > 1)


def is_question(expr: pl.Expr) -> pl.Expr:
    # leading emoji, punctuation and @mentions do not hide a question ("💜 @Nova what did you have for dinner")
    text = (expr.fill_null("").str.to_lowercase().str.replace(r"^(?:[^a-z0-9@]+|@\w+\s*)+", "")
            .str.strip_chars())
    return text.str.contains(r"\?\s*\S{0,3}$") | text.str.contains(QUESTION_START)


def name_tokens(expr: pl.Expr) -> pl.Expr:
    """How a chat handle is said aloud: `pixel_fox42` and `PixelFox` both give ["pixel", "fox"]."""
    spaced = (expr.fill_null("")
              .str.replace_all(r"([a-z])([A-Z])", "${1} ${2}")
              .str.replace_all(r"([A-Z])([A-Z][a-z])", "${1} ${2}")
              .str.replace_all(r"[_\-.0-9@]+", " "))
    return tokens(spaced).list.eval(
        pl.element().filter((pl.element().str.len_chars() > 2) & ~pl.element().is_in(HANDLE_NOISE))).list.unique()


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
