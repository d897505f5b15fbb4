"""Configuration of the `curated_snapshot` and `corpus_snapshot` tiers: filters, PII scrubbing, deduplication,
splits, the persona template and the QA gates (pure data, no I/O).

`CurateConfig()` is usable as is; see docs/curate.md for what every field does.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SPLITS: tuple[str, ...] = ("train", "val", "test")


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SplitFractions(_Frozen):
    """Share of the time blocks of a video that goes to each split (they must sum to 1)."""

    train: float = Field(0.8, ge=0.0, le=1.0)
    val: float = Field(0.1, ge=0.0, le=1.0)
    test: float = Field(0.1, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _sums_to_one(self) -> SplitFractions:
        if abs(self.train + self.val + self.test - 1.0) > 1e-9:
            raise ValueError(f"split fractions must sum to 1 (got {self.train + self.val + self.test})")
        return self

    def as_dict(self) -> dict[str, float]:
        return {"train": self.train, "val": self.val, "test": self.test}


class MinPerSplit(_Frozen):
    """Minimum number of samples per split (asset check)."""

    train: int = Field(1, ge=0)
    val: int = Field(1, ge=0)
    test: int = Field(1, ge=0)

    def as_dict(self) -> dict[str, int]:
        return {"train": self.train, "val": self.val, "test": self.test}


class MinHashParams(_Frozen):
    """Near-duplicate detection: MinHash (datasketch's affine32 scheme, sha1 shingle hashes) + LSH banding."""

    num_perm: int = Field(128, ge=8, le=1024)
    #: estimated Jaccard similarity of the word-shingle sets at or above which two texts are near-duplicates
    threshold: float = Field(0.7, gt=0.0, le=1.0)
    #: words per shingle; a text with fewer words is one shingle
    shingle_size: int = Field(2, ge=1, le=8)
    #: seed of the permutations (datasketch's `MinHash(seed=...)`)
    seed: int = 1


DEFAULT_BOTS: tuple[str, ...] = (
    "nightbot", "streamelements", "streamlabs", "moobot", "fossabot", "wizebot", "deepbot", "phantombot",
    "coebot", "botisimo", "sery_bot", "soundalerts", "pokemoncommunitygame", "kofistreambot", "commanderroot",
    "streamlootsbot", "buttsbot", "anotherttvviewer",
)

DEFAULT_EMOTES: tuple[str, ...] = (
    "lul", "lol", "kekw", "kek", "omegalul", "pogchamp", "pog", "poggers", "pogu", "kappa", "keepo", "monkas",
    "monkaw", "pepehands", "pepelaugh", "peped", "sadge", "copium", "hopium", "5head", "4head", "residentsleeper",
    "biblethump", "trihard", "wutface", "notlikethis", "lulw", "ez", "clap", "gg", "f", "w", "l", "xd", "xdd",
    "pepega", "catjam", "widepeepohappy", "peeposad", "feelsbadman", "feelsgoodman", "feelsstrongman", "jebaited",
    "heyguys", "seemsgood", "coolstorybob", "dansgame", "babyrage", "smorc", "kreygasm", "modcheck", "aware",
    "icant", "lmao", "lmfao", "rofl", "haha", "hahaha", "xddd", "o7", "<3", "gachi", "gachibass", "bedge", "ratjam",
)

DEFAULT_PROMO_PATTERNS: tuple[str, ...] = (
    r"\bfollow (me|my)\b", r"\bcheck (out )?my (channel|stream|page|profile)\b", r"\bsub ?4 ?sub\b",
    r"\bfollow ?4 ?follow\b", r"\bf4f\b", r"\bfree (followers|viewers|subs|vbucks|robux)\b",
    r"\b(cheap|buy) (followers|viewers|subs)\b", r"\bdiscord\.gg/", r"\bt\.me/", r"\bbit\.ly/",
    r"\bprimes?\s*(and|&)\s*viewers\b", r"\bbest viewers on\b", r"\bpromo code\b", r"\bcrypto giveaway\b",
)


class CurateConfig(_Frozen):
    """How accepted pairs become curated samples. Every field has a default."""

    # --- length bounds (characters after stripping; words split on whitespace) ---
    prompt_min_chars: int = Field(3, ge=0)
    prompt_max_chars: int = Field(300, ge=1)
    response_min_chars: int = Field(8, ge=0)
    response_min_words: int = Field(2, ge=0)
    response_max_chars: int = Field(2000, ge=1)

    # --- event kinds kept as prompts (ChatEvent.kind) ---
    allowed_kinds: tuple[str, ...] = ("message", "paid")

    # --- bots ---
    #: author names or author ids (case-insensitive) always treated as bots
    bot_authors: tuple[str, ...] = DEFAULT_BOTS
    #: an author name matching this regex is a bot (a heuristic: `Nightbot`, `my_bot2`); None disables it
    bot_name_pattern: str | None = r"(?i)bot\d*$"
    #: a prompt starting with one of these is a bot command (`!uptime`)
    command_prefixes: tuple[str, ...] = ("!",)

    # --- emotes ---
    #: words that are emotes when written as text (compared case-insensitively)
    emote_words: tuple[str, ...] = DEFAULT_EMOTES

    # --- spam, copypasta, URLs, self-promotion ---
    #: the same (or nearly the same) text from at least this many distinct authors within the window is copypasta
    copypasta_min_authors: int = Field(3, ge=2)
    copypasta_window_ms: int = Field(30_000, ge=0)
    #: one author posting the same (or nearly the same) text this many times within the window is spam
    spam_min_repeats: int = Field(3, ge=2)
    #: a prompt of at least this many characters made of at most 2 distinct characters is spam (`aaaaaaaaaaaa`)
    char_spam_min_chars: int = Field(10, ge=2)
    #: "reject": a prompt with a URL is rejected (`url`); "scrub": it is kept and the URL scrubbed like any URL
    url_policy: Literal["reject", "scrub"] = "reject"
    promo_patterns: tuple[str, ...] = DEFAULT_PROMO_PATTERNS

    # --- ASR confidence of the response (overlap-weighted over the covering speech segments) ---
    asr_min_avg_logprob: float = -1.0
    asr_max_no_speech_prob: float = Field(0.6, ge=0.0, le=1.0)
    #: a response span with no overlapping speech segment is rejected (when segments are given)
    asr_require_segments: bool = True

    # --- language of the prompt (offline heuristic: script share, then stopword votes) ---
    #: ISO 639-1 code; None disables the language filter
    language: str | None = "en"
    #: the stopword vote applies only to prompts with at least this many words
    language_min_words: int = Field(4, ge=1)
    #: share of the prompt's letters that must be in the language's script
    language_min_script_share: float = Field(0.5, ge=0.0, le=1.0)

    # --- PII ---
    #: "placeholder": the chat author's name is replaced by <USER> in prompt and response; "keep": left as is
    author_name_policy: Literal["placeholder", "keep"] = "placeholder"
    #: author names shorter than this are not replaced (too many false hits)
    author_name_min_chars: int = Field(3, ge=1)
    #: False: only URLs carrying a query string, fragment or token-like path segment are scrubbed; True: every URL
    scrub_all_urls: bool = False
    #: every chatter of the video, as a streamer says the name (display name, split handle, first part), becomes
    #: <USER> in prompt and response
    scrub_spoken_names: bool = True

    # --- deduplication ---
    minhash: MinHashParams = Field(default_factory=MinHashParams)
    #: text that the duplicate detection compares: the prompt alone, or prompt and response
    dedup_on: Literal["prompt", "prompt_response"] = "prompt"
    #: responses of at least this many words may not repeat (exactly or nearly) across splits; shorter ones
    #: ("yes", "no idea") carry nothing to memorize
    response_leak_min_words: int = Field(4, ge=1)

    # --- splits ---
    split_fractions: SplitFractions = Field(default_factory=SplitFractions)
    #: a video is cut into blocks of this length (by response_start_ms); a whole block goes to one split
    split_block_ms: int = Field(300_000, gt=0)
    #: salt of the block hash: change it to draw another split
    split_seed: str = "split-v1"

    # --- persona / system prompt ---
    #: a template shipped in multimodal_pipeline/curate/templates/ (name without .txt) or a path to a text file
    template: str = "persona_v1"

    # --- gates (asset checks) ---
    min_samples_per_split: MinPerSplit = Field(default_factory=MinPerSplit)
    #: rejected / input rows must stay at or below this (a red flag for a broken upstream)
    max_reject_rate: float = Field(0.9, ge=0.0, le=1.0)

    # --- corpus automation ---
    #: the corpus snapshot (then its adapter and evaluation) rebuilds itself at the first tick of this cron schedule
    #: after new videos' snapshots landed: once per tick however many arrived (a backfill of 50 videos retrains the
    #: corpus adapter once); "" turns the automation off (run the corpus_pipeline job by hand)
    corpus_schedule: str = "0 * * * *"

    @model_validator(mode="after")
    def _bounds(self) -> CurateConfig:
        if self.prompt_min_chars > self.prompt_max_chars:
            raise ValueError("prompt_min_chars > prompt_max_chars")
        if self.response_min_chars > self.response_max_chars:
            raise ValueError("response_min_chars > response_max_chars")
        return self
