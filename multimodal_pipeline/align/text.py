"""Vectorized text features for alignment (Polars expressions): tokens, content words, questions, spoken names."""

from __future__ import annotations

import re

import polars as pl

from multimodal_pipeline.names import handle_parts, split_run_together

__all__ = ["handle_parts", "split_run_together"]

TOKEN = r"[a-z0-9]+(?:'[a-z]+)?"

STOPWORDS = [
    "a", "an", "the", "and", "or", "but", "so", "to", "of", "in", "on", "at", "for", "with", "is", "are", "was",
    "were", "be", "been", "it", "its", "it's", "i", "i'm", "you", "your", "you're", "we", "they", "he", "she", "me",
    "my", "this", "that", "these", "those", "do", "does", "did", "have", "has", "had", "what", "which", "who", "how",
    "why", "when", "where", "can", "could", "would", "should", "will", "just", "like", "oh", "yeah", "um", "uh",
    "really", "very", "not", "no", "yes", "if", "then", "there", "here", "about", "from", "up", "out", "all", "any",
    "some", "get", "got", "go", "going", "know", "think", "okay", "ok", "well", "right", "lol",
]


WH_WORDS = (r"(what|whats|what's|wat|which|who|whom|whose|how|hows|why|when|where|any|anyone|ever|thoughts|fav|"
            r"favorite|favourite)")
#: an auxiliary first, also negated and with or without its apostrophe ("isnt it late for u", "wasn't that the
#: dunk tank stream"); not "don't", "can't", "won't", which open statements as often ("dont worry", "cant wait")
AUXILIARIES = (r"(is|are|r|was|were|am|do|does|did|can|could|would|will|should|have|has|u|"
               r"(?:is|are|was|were|does|did|has|have|would|could|should)n'?t)")
#: a request asks for an answer as a question does ("tell us about ur first pc", "recommend a game")
REQUESTS = r"(tell|explain|recommend|describe|show|rate|share|suggest)"
GREETINGS = r"(?:hey|hi|hello|yo|heya|hiya|oi|sup)"
#: a wh-word among the first three words (after greetings: "hey nova when ..."), or an auxiliary or a request verb
#: first, also after a greeting and the name it greets ("hey nova are u an only child")
QUESTION_START = (r"^(?:(?:\S+\s+){0,2}" + WH_WORDS + r"|(?:" + GREETINGS + r"\W+(?:\S+\W+)?)?(?:" + AUXILIARIES
                  + r"|" + REQUESTS + r"))\b")
#: "tea or coffee", "pc or console": a short either-or
EITHER_OR = r"^(?:\S+\s+){0,3}\S+\s+or\s+\S+(?:\s+\S+){0,2}$"


#: a thank-you for a follow, a subscription, gifted subs, a raid or a membership: it answers no message, whoever it
#: names ("Thanks for the follow, Pixel Bean", "... for the gifted sub" where the ASR misheard the thanks)
_EVENT = r"(?:follow(?:s|ed|ing)?|sub|subs|subbed|subscri\w*|resub\w*|gift(?:s|ed)?|raid\w*|prime|membership)"
EVENT_THANKS = re.compile(r"\b(?:thanks|thank|ty|thx)\b.*\b" + _EVENT + r"\b|\b" + _EVENT + r"\b.*\b(?:thanks|thank)\b"
                          r"|\bfor (?:the|that|those|a)(?: \w+)? " + _EVENT + r"\b", re.IGNORECASE)


#: a sentence that only thanks ("Thank you so much!", "Oh, thanks.", "Much appreciated."): the thanks for a paid
#: message or a kind word, said before the answer to the question it carried
BARE_THANKS = re.compile(r"^(?:(?:oh|ah|aw+|wow|ooh|hey|okay|well)\W+)*(?:thank you|thanks|thank u|ty|thx|"
                         r"(?:i )?appreciate (?:it|that|you)|much appreciated)(?:\W+(?:so|very|a|lot|ton|much|"
                         r"bunch|again|really|truly))*\W*$", re.IGNORECASE)


def bare_thanks(text: str) -> bool:
    """Whether spoken `text` is a thank-you and nothing else."""
    return BARE_THANKS.match(text.strip()) is not None


def thanks_for_event(text: str) -> bool:
    """Whether spoken `text` thanks someone for a follow, a subscription, gifted subs, a raid or a membership."""
    return EVENT_THANKS.search(text) is not None


#: a word that ends a sentence / a clause, as the ASR punctuates it ("use?", "Bean,", "done.\"")
SENTENCE_END = r"[.?!…]['\")\]]*$"
CLAUSE_END = r"[,.;:?!…]['\")\]]*$"


def prompt_text(fragments: pl.Expr) -> pl.Expr:
    """A chat message's words: its text fragments joined (emotes are not words)."""
    return fragments.list.eval(
        pl.when(pl.element().struct.field("type") == "text").then(pl.element().struct.field("text"))
    ).list.drop_nulls().list.join(" ")


def tokens(expr: pl.Expr) -> pl.Expr:
    """Lower-case word tokens (apostrophes kept inside words)."""
    return expr.fill_null("").str.to_lowercase().str.replace_all("’", "'").str.extract_all(TOKEN)


#: chat spellings of words a streamer says in full when reading a message aloud
CHAT_SPELLINGS = {"u": "you", "r": "are", "ur": "your", "ya": "you", "yu": "you", "pls": "please", "plz": "please",
                  "thx": "thanks", "ty": "thanks", "bc": "because", "cuz": "because", "fav": "favorite",
                  "fave": "favorite", "favourite": "favorite", "tho": "though", "gonna": "going", "wanna": "want",
                  "n": "and", "da": "the", "wat": "what", "y": "why", "k": "okay", "ok": "okay"}


#: chat shorthand said in several words, spelled out (with CHAT_SPELLINGS) before a message is embedded
CHAT_PHRASES = {"idk": "I don't know", "tbh": "to be honest", "imo": "in my opinion", "ngl": "not gonna lie",
                "irl": "in real life", "btw": "by the way", "rn": "right now", "wyd": "what are you doing",
                "hbu": "how about you", "ppl": "people", "abt": "about", "rec": "recommendation",
                "recs": "recommendations"}
_SPELL = {**CHAT_SPELLINGS, **CHAT_PHRASES}
_SPELL_RE = re.compile(r"(?<![\w@'])(" + "|".join(sorted(map(re.escape, _SPELL), key=len, reverse=True))
                       + r")(?![\w'])", re.IGNORECASE)


def spelled_out(text: str) -> str:
    """A chat message with its shorthand written out ("r u an only child" -> "are you an only child"): the sentence
    embedding model was trained on written text, and knows "are you" far better than "r u"."""
    return _SPELL_RE.sub(lambda m: _SPELL[m.group(1).lower()], text)


def stem(token: pl.Expr) -> pl.Expr:
    """A light English stemmer for matching words, not for reading: chat spellings (`u` -> `you`), contractions and
    possessives, plural `s`, `ies`, `ing` and `ed` endings (`tonight's` -> `tonight`, `plans` -> `plan`,
    `eating` -> `eat`)."""
    token = token.replace(CHAT_SPELLINGS)
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
    """The message asks something: a question (with or without its question mark), an either-or, or a request."""
    # leading emoji, punctuation and @mentions do not hide a question ("💜 @Nova what did you have for dinner")
    text = (expr.fill_null("").str.to_lowercase().str.replace(r"^(?:[^a-z0-9@]+|@\w+\s*)+", "")
            .str.strip_chars())
    return text.str.contains(r"\?") | text.str.contains(QUESTION_START) | text.str.contains(EITHER_OR)


def name_tokens(expr: pl.Expr) -> pl.Expr:
    """How a chat handle is said aloud: `pixel_fox42` and `PixelFox` both give ["pixel", "fox"]
    (`multimodal_pipeline.names.handle_parts`, per row)."""
    return expr.fill_null("").map_elements(handle_parts, return_dtype=pl.List(pl.String))
