"""Configuration of the `aligned_pairs` tier: candidate windows, response spans, scoring and thresholds."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class AlignConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    window_start_ms: int = Field(-2_000, description="earliest response start relative to the message")
    window_end_ms: int = Field(45_000, description="latest response start relative to the message")
    phrase_pause_ms: int = Field(250, description="a silence at least this long between words ends a phrase")
    pause_ms: int = Field(650, description="a silence at least this long between phrases ends a response span")
    extend_pause_ms: int = Field(2_000, description="a span may also run on across one pause up to this long")
    max_response_ms: int = Field(60_000, description="response spans are capped at this length")
    sentence_pause_ms: int = Field(700, description="a silence at least this long ends a sentence (besides the "
                                   "ASR's sentence punctuation)")
    long_sentence_words: int = Field(32, description="a sentence longer than this many words (the ASR runs several "
                                     "into one with commas) is cut at its pauses of `part_pause_ms` into parts of "
                                     "at least `sentence_part_words` words, so that an answer can end inside it")
    sentence_part_words: int = Field(8, description="the shortest part of a long sentence cut at its pauses")
    part_pause_ms: int = Field(250, description="a pause at least this long may cut a long sentence")
    lead_gap_words: int = Field(6, description="words allowed between two words of a read-aloud or name lead")
    skip_first_below: float = Field(0.25, description="an answer without a lead starts at its second sentence when "
                                    "its first fits the message less than this (sentence-embedding similarity) "
                                    "and the second fits it at least `skip_first_gain` better: the first is "
                                    "something else said before the answer")
    skip_first_gain: float = 0.25
    breath_margin: float = Field(0.15, description="two answers in one breath: a sentence said after two messages is "
                                 "cut at a clause boundary when the part before it fits one message and the part "
                                 "after it the other, each by this much more than the other message (embedding "
                                 "similarity; negative: never cut)")
    breath_min_similarity: float = Field(0.3, description="... and each part fits its own message at least this "
                                         "well")
    continue_similarity: float = Field(0.3, description="a following sentence stays in the answer while its "
                                       "embedding similarity to the message or to the answer's start is this high")
    max_answer_ms: int = Field(60_000, description="an answer is cut at this length")
    shortlist_per_message: int = Field(20, description="candidates per message cut into lead and answer and scored")
    streamer_only: bool = Field(True, description="answers and read-aloud leads come only from the streamer's "
                                "voice (speech_segments.speaker); other voices (guests, game, videos) are never a "
                                "response")
    semantic: bool = Field(True, description="sentence-embedding similarity of message and answer (bundled "
                           "all-MiniLM-L6-v2)")
    answer_embed_words: int = Field(40, description="the answer's first this many words are also compared with "
                                    "the message as a whole (0: its first sentence only)")
    embedding_model_dir: str | None = Field(None, description="another sentence-transformers model directory")
    scorer_path: str | None = Field(None, description="a fitted scorer JSON (default: the bundled "
                                    "align/models/scorer.json)")
    min_response_words: int = Field(3, description="shortest answer without a read-aloud or name lead (after a "
                                    "lead a one-word answer counts)")
    head_words: int = Field(24, description="at most this many words at the start of a response are searched for a "
                            "read-aloud or a name")
    head_slack_words: int = Field(5, description="words allowed before/around the read-aloud message and the name")
    overlap_words: int = Field(24, description="at most this many words at the start of a response are searched "
                               "for the message's content words")
    idf_weighting: bool = Field(True, description="weigh message words by how rarely the streamer says them "
                                "(inverse frequency over the video's phrases)")
    signoff_words: int = Field(8, description="the chatter's name said within this many words after an answer is a "
                               "sign-off (\"hope that helps, Pixel Bean\"): evidence for the pair, not part of it")
    name_similarity: float = Field(0.75, description="one to three spoken words whose letters are this similar to "
                                   "the handle's (normalized Indel similarity) say the chatter's name (the ASR "
                                   "runs unknown names together or mishears them)")
    common_name_per_hour: float = Field(12.0, description="a part of a handle that the streamer says in at least "
                                        "this many phrases an hour (and at least `common_name_min` in the video) is "
                                        "a common word for this stream (\"tower\" for FalconTower in a flight "
                                        "simulator stream): said alone, it does not name the chatter; the whole "
                                        "handle or a rarer part does")
    common_name_min: int = Field(3, description="the least phrases for a common handle part, however short the video")
    read_aloud_min: float = Field(0.6, description="share of the message's words spoken for a read-aloud match")
    min_read_aloud_tokens: int = 3
    read_after_name_min: float = Field(0.75, description="after the chatter's name, the share of the message that "
                                       "must follow for a read-aloud (an answer that repeats the question's words "
                                       "says less of it)")
    expected_lag_ms: int = Field(8_000, description="typical message-to-answer lag; lag prior is flat up to here")
    lag_decay_ms: int = Field(10_000, description="how fast the lag prior decays after expected_lag_ms")
    density_window_ms: int = 10_000
    accept_threshold: float | None = Field(None, description="probability needed to accept (default: the "
                                           "threshold stored with the scorer)")
    calibrate: bool = True
    calibration_window_ms: int = Field(120_000, description="search radius for read-aloud matches in calibration")
    calibration_min_matches: int = 3
    calibration_sample: int = 4_000
    calibration_ambiguity_ms: int = Field(10_000, description="a message read aloud at places farther apart than "
                                          "this is ambiguous and not used for calibration")
    calibration_min_offset_ms: int = Field(3_000, description="smaller estimated offsets are lag noise, not drift")
    prompt_kinds: tuple[str, ...] = ("message", "paid")
    prompt_filters: tuple[str, ...] = Field(("bot", "url_spam", "emote_only"), description="curation's filters "
                                            "that also rule a chat message out as a prompt before alignment (the "
                                            "pipeline passes them to alignment)")
    acceptance_band: tuple[float, float] = Field((0.005, 0.5), description="check: accepted / eligible messages")
