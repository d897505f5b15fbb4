import json

import numpy as np
import polars as pl
import pytest

from multimodal_pipeline.align import REASONS, align_full
from multimodal_pipeline.align.index import Postings, Tokens, Windows, token_hashes
from multimodal_pipeline.align.truth import load_truth, naive_pairs, score_pairs
from multimodal_pipeline.contracts import AlignedPair, ChatEvent, SpeechSegment, frame_from_records, validate
from multimodal_pipeline.contracts.align_config import AlignConfig
from multimodal_pipeline.contracts.curate_config import CurateConfig
from multimodal_pipeline.curate.filters import prompt_filter


def seg(i, start, text, word_ms=350):
    words, t = [], start
    for w in text.split():
        words.append(dict(word=" " + w, start_ms=t, end_ms=t + word_ms - 50, prob=0.9))
        t += word_ms
    return dict(video_id="v", segment_id=f"s{i}", start_ms=start, end_ms=t, text=text, words=words,
                avg_logprob=-0.2, no_speech_prob=0.01, compression_ratio=1.2)


def ev(i, ts, author, text, kind="message", emote=False, deleted=False):
    frag = dict(type="emote" if emote else "text", text=text, emote_id="1" if emote else None)
    return dict(video_id="v", event_id=f"e{i}", ts_ms=ts, author=author, author_id=None, text=text, source="t",
                kind=kind, fragments=[frag], amount=None, deleted=deleted, raw_ref=f"f:{i}")


def seg_p(i, start, text, word_ms=300, pause_ms=450):
    """A segment as the ASR writes it: punctuation kept on the words, a pause after each sentence."""
    words, t = [], start
    for w in text.split():
        words.append(dict(word=" " + w, start_ms=t, end_ms=t + word_ms - 40, prob=0.9))
        t += word_ms + (pause_ms if w[-1] in ".?!" else 0)
    return dict(video_id="v", segment_id=f"s{i}", start_ms=start, end_ms=t, text=text, words=words,
                avg_logprob=-0.2, no_speech_prob=0.01, compression_ratio=1.2)


def _accepted(speech, chat):
    """The accepted pairs of one crafted video, by event id."""
    pairs, _, _ = align_full(speech, chat, AlignConfig(), "v")
    return {r["event_id"]: r for r in pairs.filter(pl.col("accepted")).iter_rows(named=True)}


SPEECH = frame_from_records(SpeechSegment, [
    seg_p(0, 1000, "Okay, so this boss is really hard, let me try again."),
    seg_p(1, 9000, "Pixel Fox asks, what keyboard do you use? I use a mechanical keyboard with brown switches."),
    seg_p(2, 20000, "Thanks, Moon Beam. The best pizza is definitely pepperoni with extra cheese."),
    seg_p(3, 32000, "My favorite game ever is probably Zelda, Breath of the Wild."),
])
CHAT = frame_from_records(ChatEvent, [
    ev(0, 500, "spam_bot", "PogChamp", emote=True),
    ev(1, 6000, "pixel_fox", "what keyboard do you use?"),
    ev(2, 16000, "MoonBeam42", "best pizza topping?"),
    ev(3, 17000, "rando", "lol"),
    ev(4, 28000, "gamer_guy", "whats your favorite game ever?"),
    ev(5, 29000, "other", "what is your dog's name?"),
    ev(6, 30000, "someone", "what game is this", deleted=True),
    ev(7, 31000, "member", "Welcome to the club", kind="membership"),
])


def _start(text: str, speech=SPEECH) -> int:
    """The start of the first word of `text` in `speech` (the words as the crafted segments place them)."""
    first = text.split()[0]
    for row in speech.iter_rows(named=True):
        words = [w["word"].strip() for w in row["words"]]
        for k in range(len(words)):
            if " ".join(words[k:k + len(text.split())]) == text:
                return row["words"][k]["start_ms"]
    raise AssertionError(first)


def test_every_candidate_with_features_decision_and_reason():
    pairs, calibration, spans = align_full(SPEECH, CHAT, AlignConfig(), "v")
    validate(pairs, AlignedPair, "aligned_pairs")
    accepted = {r["event_id"]: r for r in pairs.filter(pl.col("accepted")).iter_rows(named=True)}
    assert set(accepted) == {"e1", "e2", "e4"}
    # the response is the answer alone: the read-aloud and the name are cut out into `lead`
    e1, e2, e4 = accepted["e1"], accepted["e2"], accepted["e4"]
    assert e1["lead"] == "Pixel Fox asks, what keyboard do you use?"
    assert e1["response"] == "I use a mechanical keyboard with brown switches."
    assert e1["read_aloud"] == 1.0 and e1["response_start_ms"] == _start("I use a mechanical")
    # the answer that repeats the question's words ("the best pizza is ...") is not a read-aloud
    assert e2["lead"] in (None, "Thanks, Moon Beam.") and e2["response"].startswith("The best pizza")
    assert e2["response_start_ms"] == _start("The best pizza")
    assert e4["lead"] is None and e4["response"].startswith("My favorite game") and e4["answer_overlap"] > 0
    assert all(0.0 <= r["score"] <= 1.0 for r in accepted.values())
    reasons = dict(pairs.filter(~pl.col("accepted")).group_by("event_id").agg(pl.col("reject_reason").first()).rows())
    assert reasons["e0"] == "prompt_empty"  # emote-only
    assert reasons["e6"] == "prompt_deleted" and reasons["e7"] == "prompt_not_a_message"
    assert all(r in REASONS or r.startswith("prompt_") for r in pairs["reject_reason"].drop_nulls())
    # one-to-one: no event and no speech phrase is used twice
    acc = pairs.filter(pl.col("accepted"))
    assert acc["event_id"].n_unique() == acc.height and acc["response_start_ms"].n_unique() == acc.height
    assert calibration.offset_ms == 0 and spans.height >= 4


def test_candidates_come_from_a_sorted_search_equal_to_brute_force():
    rng = np.random.default_rng(1)
    ts = np.sort(rng.integers(0, 100_000, 300))
    starts = np.sort(rng.integers(0, 100_000, 200))
    ev, sp = Windows.search(ts, starts, -2_000, 20_000).pairs()
    brute = {(i, j) for i in range(len(ts)) for j in range(len(starts)) if -2_000 <= starts[j] - ts[i] <= 20_000}
    assert set(zip(ev.tolist(), sp.tolist())) == brute and len(ev) == len(brute)


def test_token_hits_per_candidate_equal_to_set_intersection():
    rng = np.random.default_rng(2)
    vocab = [f"w{i}" for i in range(30)]
    span_tokens = [[vocab[k] for k in rng.integers(0, 30, rng.integers(0, 12))] for _ in range(80)]
    # some message words are never spoken
    msgs = [sorted({vocab[k] if k < 30 else f"unspoken{k}" for k in rng.integers(0, 40, rng.integers(1, 6))})
            for _ in range(120)]
    windows = Windows.search(np.sort(rng.integers(0, 80, 120)), np.arange(80), -3, 5)
    postings = Postings.build(Tokens.of(pl.Series(span_tokens, dtype=pl.List(pl.String))), len(span_tokens))
    q_event = np.repeat(np.arange(120), [len(m) for m in msgs])
    q_hash = token_hashes(pl.Series([t for m in msgs for t in m], dtype=pl.String))
    limit = np.full(len(q_hash), 4)
    all_hits, head_hits = postings.hits(windows, q_event, q_hash), postings.hits(windows, q_event, q_hash, limit)
    for row, (i, j) in enumerate(zip(*windows.pairs())):
        assert all_hits[row] == len(set(msgs[i]) & set(span_tokens[j]))
        assert head_hits[row] == len(set(msgs[i]) & set(span_tokens[j][:4]))


def test_read_aloud_a_breath_then_the_answer_and_no_monologue_after_it():
    speech = frame_from_records(SpeechSegment, [
        seg_p(0, 5000, "Pixel Fox asks, what keyboard do you use?"),
        seg_p(1, 8300, "I use a mechanical keyboard with brown switches. It is a Keychron, the keys are loud."),
        seg_p(2, 14500, "Okay, back to the boss fight now. This dragon has way too much health."),
    ])
    chat = frame_from_records(ChatEvent, [ev(1, 2000, "pixel_fox", "what keyboard do you use?")])
    pairs, _, _ = align_full(speech, chat, AlignConfig(), "v")
    (row,) = pairs.filter(pl.col("accepted")).iter_rows(named=True)
    assert row["lead"] == "Pixel Fox asks, what keyboard do you use?"
    assert row["response"] == "I use a mechanical keyboard with brown switches. It is a Keychron, the keys are loud."
    assert row["response_start_ms"] == 8300 and row["response_end_ms"] < 14500


def test_questions_are_told_from_statements_also_after_a_greeting():
    from multimodal_pipeline.align.text import is_question

    lines = {
        "what keyboard do you use": True, "💜 @Nova what did you have for dinner": True, "are u an only child": True,
        "hey nova are u an only child": True, "hey, nova, can you cook": True, "hi chat is this live": True,
        "yo is that elden ring": True, "tea or coffee": True, "rank?": True,
        # a request asks for an answer too
        "tell us about ur first pc": True, "hey nova recommend a game": True, "explain them": True,
        # an auxiliary first, also negated without its apostrophe; "dont" and "cant" open statements too
        "isnt it late for u": True, "wasn't that the dunk tank stream": True, "was it among us": True,
        "didnt he make that game": True, "dont worry about it": False, "cant wait": False,
        "hey nova": False, "hi nova hope you are well": False, "hello there friend": False, "gg": False,
        "this is the best stream": False, "for the cat fund": False, "hey hey hey": False,
        "name checks out": False, "the show was great": False,
    }
    got = pl.select(is_question(pl.lit(pl.Series(list(lines))))).to_series().to_list()
    assert dict(zip(lines, got)) == lines


def test_chat_shorthand_is_spelled_out_before_a_message_is_embedded():
    from multimodal_pipeline.align.text import spelled_out
    from multimodal_pipeline.embeddings import embed

    assert spelled_out("r u an only child") == "are you an only child"
    assert spelled_out("wat chair is that, idk tbh") == "what chair is that, I don't know to be honest"
    # words that only contain a shorthand, @mentions and contractions stay as they are
    assert spelled_out("@u_ser run u'll urn") == "@u_ser run u'll urn"
    # spelled out, a question is closer to its answer for the embedding model
    for question, reply in (("game recs?", "I recommend Hollow Knight, best game I played this year"),
                            ("wyd after stream", "after stream I usually cook dinner")):
        q, spelled, answer = embed([question, spelled_out(question), reply])
        assert spelled @ answer > q @ answer + 0.1, question


def test_stemmed_matches_and_rare_words_weigh_more_than_frequent_ones():
    from multimodal_pipeline.align.text import stem

    assert pl.select(stem(pl.lit(pl.Series(["plans", "tonight's", "eating", "stories", "is", "was"])))).to_series(
    ).to_list() == ["plan", "tonight", "eat", "story", "is", "was"]
    # the streamer says "game" all the time and "tonight" once: a message sharing "tonight" (in another form) is
    # better evidence than one sharing "game"
    speech = frame_from_records(SpeechSegment, [
        seg(i, 1000 + 4000 * i, t) for i, t in enumerate([
            "this game is hard", "what a game", "the game never ends", "okay game on",
            "tonight's plan is pizza after the stream", "the boss in this game is mean"])])
    chat = frame_from_records(ChatEvent, [ev(1, 15_000, "a", "any plans for tonight"),
                                          ev(2, 15_500, "b", "nice game")])
    pairs, _, _ = align_full(speech, chat, AlignConfig(), "v")
    tonight = pairs.filter((pl.col("event_id") == "e1") & (pl.col("response_start_ms") == 17_000))
    game = pairs.filter((pl.col("event_id") == "e2") & (pl.col("response_start_ms") == 21_000))
    assert tonight["lexical_overlap"][0] > 2 * game["lexical_overlap"][0] > 0
    assert set(pairs.filter(pl.col("accepted"))["event_id"].to_list()) <= {"e1"}


def test_run_together_handles_are_matched_to_the_spoken_name():
    from multimodal_pipeline.align.text import split_run_together

    spoken = {"penguin", "moon", "lazy", "dragon", "king", "pen"}
    assert split_run_together("penguinmoon", spoken) == ["penguin", "moon"]
    assert split_run_together("lazydragonking", spoken) == ["lazy", "dragon", "king"]
    assert split_run_together("moon", spoken) == ["moon"] and split_run_together("zzzqqq", spoken) == ["zzzqqq"]
    speech = frame_from_records(SpeechSegment, [seg(0, 4000, "thanks penguin moon my graphics card is old")])
    chat = frame_from_records(ChatEvent, [ev(1, 1000, "penguinmoon", "what are your pc specs")])
    (row,) = align_full(speech, chat, AlignConfig(), "v")[0].iter_rows(named=True)
    assert row["author_named"] and row["accepted"]


def _name_words_reference(words, a: int, b: int, msg, min_similarity: float) -> set[int]:
    """Every window of one to three words compared (the first version of `name_words`'s search, kept to hold the
    faster one equal to it)."""
    from rapidfuzz.distance import Indel

    from multimodal_pipeline.align.answer import disjoint_windows, misheard_halves

    out = {j for j in range(a, b + 1) if set(words.stems[j]) & msg.name}
    target = msg.name_letters
    if len(target) < 5:
        return out
    found = []
    for j in range(a, b + 1):
        joined = ""
        for n in range(3):
            if j + n > b:
                break
            joined += words.letters[j + n]
            if len(joined) > len(target) + 3:
                break
            sim = Indel.normalized_similarity(joined, target)
            if len(joined) >= len(target) - 3 and sim >= min_similarity:
                found.append((sim, -n, j))
    return misheard_halves(words, out | disjoint_windows(found), a, b, target)


def test_name_search_compares_only_windows_near_the_handles_length_and_finds_the_same_words():
    import random

    from multimodal_pipeline.align.answer import Message, Words, name_words
    from multimodal_pipeline.align.spans import speech_words

    rng = random.Random(7)
    syllables = ["pix", "el", "bean", "frog", "storm", "mega", "king", "cool", "iron", "a", "the", "mr.", "%", "42"]
    text = " ".join(" ".join(rng.choice(syllables) for _ in range(rng.randint(1, 3))).replace(" ", "")
                    if rng.random() < 0.3 else rng.choice(syllables) for _ in range(300))
    speech = frame_from_records(SpeechSegment, [seg_p(0, 1000, text)])
    config = AlignConfig()
    words = Words.build(speech_words(speech), config)
    n = len(words.text)
    hits = 0
    for _ in range(400):
        handle = "".join(rng.choice(syllables[:10]) for _ in range(rng.randint(1, 4)))
        msg = Message({}, frozenset(), frozenset({handle[:4]}), "", handle)
        a = rng.randrange(n)
        b = min(n - 1, a + rng.randint(-1, 40))
        similarity = rng.choice([0.6, config.name_similarity, 0.95])
        got = name_words(words, a, b, msg, similarity)
        assert got == _name_words_reference(words, a, b, msg, similarity), (handle, a, b)
        hits += bool(got)
    assert hits > 50  # the comparison is not between empty sets

def test_a_misheard_half_of_the_name_joins_the_lead_and_an_ordinary_word_does_not():
    from multimodal_pipeline.align.answer import Message, Words, name_words
    from multimodal_pipeline.align.spans import speech_words

    # the ASR heard happy_badger_64 as "Happy Major": "Major" is no part of the handle, but with "Happy" it is more
    # like the handle than "Happy" alone, so the lead holds it and the response does not start with it
    speech = frame_from_records(SpeechSegment, [
        seg_p(0, 4000, "Oh, good question, Happy Major the music is a jazz playlist, I don't remember who made this "
                       "song though. We are making good progress today."),
    ])
    acc = _accepted(speech, frame_from_records(ChatEvent, [ev(1, 1500, "happy_badger_64", "who made this song")]))
    assert acc["e1"]["lead"].endswith("Happy Major")
    assert acc["e1"]["response"].startswith("the music is a jazz playlist")
    # "happy today" is less like the handle than "happy": the ordinary word stays out; the whole name said
    # ("happy badger") grows no further
    words = Words.build(speech_words(frame_from_records(SpeechSegment, [
        seg_p(0, 1000, "I am happy today, Happy Major, and happy badger sixty four folks.")])), AlignConfig())
    happy = words.stems[2]
    said = [words.text[j].strip(" ,.") for j in sorted(name_words(words, 0, len(words.text) - 1,
                                                                    Message({}, frozenset(), frozenset(happy), "",
                                                                            "happybadger"), 0.75))]
    assert said == ["happy", "Happy", "Major", "happy", "badger"], said


def test_names_the_asr_runs_together_or_mishears_and_sign_offs_after_the_answer():
    from multimodal_pipeline.align.answer import Message, Words, name_words
    from multimodal_pipeline.align.spans import speech_words

    config = AlignConfig()
    speech = frame_from_records(SpeechSegment, [
        seg_p(0, 1000, "Now, for Mr. Cooliron, I switched to rooibos last year."),
        seg_p(1, 9000, "Now, for mejoking, I play on a curved monitor."),
        seg_p(2, 17000, "We have a beagle named Bruno. Good question, frog storm."),
    ])
    words = Words.build(speech_words(speech), config)

    def found(handle_letters: str, parts: set[str]) -> list[str]:
        msg = Message({}, frozenset(), frozenset(parts), "", handle_letters)
        return [words.text[j].strip(" ,.") for j in sorted(name_words(words, 0, len(words.text) - 1, msg,
                                                                         config.name_similarity))]

    assert found("cooliron", {"cool", "iron"}) == ["Cooliron"]  # run together
    assert found("megaking", {"mega", "king"}) == ["mejoking"]  # misheard
    assert found("frogstorm", {"frog", "storm"}) == ["frog", "storm"]
    assert found("pixelbean", {"pixel", "bean"}) == []  # nobody else is taken for this chatter
    chat = frame_from_records(ChatEvent, [ev(1, 14500, "frogstormTV", "any dogs"),
                                          ev(2, 200, "MrCoolIron", "tea?")])
    pairs, _, _ = align_full(speech, chat, config, "v")
    dog = pairs.filter((pl.col("event_id") == "e1") & (pl.col("response_start_ms") == _start("We have", speech)))
    # the sign-off after the answer is evidence, not part of the response
    assert dog["response"][0] == "We have a beagle named Bruno."
    # "Mr." ends no sentence, and the run-together name makes the lead
    tea = pairs.filter((pl.col("event_id") == "e2") & (pl.col("response_start_ms") == _start("I switched", speech)))
    assert tea["lead"][0] == "Now, for Mr. Cooliron," and tea["response"][0] == "I switched to rooibos last year."


def test_a_common_word_of_the_stream_in_a_handle_does_not_name_the_chatter_alone():
    """A flight simulator stream talks about the tower: "tower" alone does not name FalconTower (neither as a lead
    nor as the name found in the first stage), "Falcon" does, and so does the whole handle."""
    speech = frame_from_records(SpeechSegment, [
        seg_p(0, 1000, "The tower says we are cleared, lovely."),
        seg_p(1, 9000, "I keep forgetting to save, let me save now."),
        seg_p(2, 17000, "The tower says the wind is picking up."),
        seg_p(3, 25000, "Flaps down one notch, speed is good."),
        seg_p(4, 33000, "The tower says we can taxi to the gate now."),
        seg_p(5, 41000, "Falcon, good evening. I fly with a cheap stick from a car boot sale."),
        seg_p(6, 52000, "Hello Drizzle Tower, I fly with a yoke that clamps onto the desk."),
    ])
    chat = frame_from_records(ChatEvent, [ev(1, 15500, "FalconTower", "traffic looks bad tonight"),
                                          ev(2, 39000, "FalconTower", "what do you fly with"),
                                          ev(3, 50000, "DrizzleTower", "flight stick or yoke")])
    pairs, _, _ = align_full(speech, chat, AlignConfig(), "v")
    tower = pairs.filter((pl.col("event_id") == "e1") & (pl.col("response_start_ms") == _start("The tower says the",
                                                                                               speech)))
    assert tower.height == 1 and not tower["author_named"][0] and tower["lead"][0] is None
    falcon = pairs.filter((pl.col("event_id") == "e2") & pl.col("lead").is_not_null())
    assert falcon["author_named"].any() and falcon["lead"].to_list()[0] == "Falcon,"
    whole = pairs.filter((pl.col("event_id") == "e3") & pl.col("lead").is_not_null())
    assert whole["author_named"].any() and whole["lead"].to_list()[0] == "Hello Drizzle Tower,"
    # where the stream does not talk about towers, "tower" alone still names the chatter
    rare = speech.filter(~pl.col("text").str.starts_with("The tower"))
    again, _, _ = align_full(rare, chat.filter(pl.col("event_id") == "e3").with_columns(author=pl.lit("OtterTower")),
                             AlignConfig(), "v")
    assert again.filter(pl.col("lead").is_not_null())["author_named"].any()


def test_a_thank_you_for_a_follow_or_a_sub_is_no_lead_and_no_answer():
    """A streamer thanking a chatter by name for a follow or a sub is not answering that chatter's last message,
    whether the name comes before the thank-you or inside it, or the ASR mishears the thanks."""
    from multimodal_pipeline.align.text import thanks_for_event

    assert thanks_for_event("Thanks for the follow, Pixel Bean.") and thanks_for_event("Tank south only for the "
                                                                                       "gifted sub.")
    assert thanks_for_event("Moon Beam, thank you for subscribing.")
    assert not thanks_for_event("Thanks for the question, I use a mechanical keyboard.")
    assert not thanks_for_event("Let's follow the river, it always leads somewhere.")
    speech = frame_from_records(SpeechSegment, [
        seg_p(0, 4000, "Thanks for the follow, Spicy Sparrow. This boss fight is the hardest part of the game."),
        seg_p(1, 16000, "Goblin Frosty. Thank you for subscribing, welcome. Let me read this sign first."),
        seg_p(2, 28000, "Pixel Bean, thanks for the question, I use a mechanical keyboard with brown switches."),
    ])
    chat = frame_from_records(ChatEvent, [ev(1, 2000, "SpicySparrow", "is this game hard?"),
                                          ev(2, 14000, "GoblinFrosty", "good morning everyone"),
                                          ev(3, 25000, "PixelBean", "what keyboard do you use")])
    pairs, _, _ = align_full(speech, chat, AlignConfig(), "v")
    for event in ("e1", "e2"):
        cands = pairs.filter((pl.col("event_id") == event)
                             & ~pl.col("reject_reason").is_in(["no_evidence", "not_shortlisted"]).fill_null(False))
        assert cands.height and cands["lead"].is_null().all(), cands.select("lead", "response")
        assert not cands["response"].str.contains("(?i)follow|subscrib").any()
    # a thank-you for the question is no thank-you for a follow: the name still leads into the answer
    assert _accepted(speech, chat)["e3"]["lead"] == "Pixel Bean,"


def test_a_thank_you_alone_before_the_answer_to_a_question_is_not_in_the_response():
    """A paid question read aloud, then "Thank you so much." and the answer: the response is the answer alone (a
    thank-you with more in its sentence is no bare thank-you)."""
    speech = frame_from_records(SpeechSegment, [
        seg_p(0, 4000, "Ooh, ten dollars from Sleepy Waffle, and the message is, what chair is that? Thank you so "
                       "much. Oh, it's a kneeling chair, my back is way happier since I got it."),
    ])
    chat = frame_from_records(ChatEvent, [ev(1, 2000, "SleepyWaffle", "what chair is that", kind="paid")])
    pairs, _, _ = align_full(speech, chat, AlignConfig(), "v")
    paid = pairs.filter(pl.col("accepted") & (pl.col("event_id") == "e1")).row(0, named=True)
    assert paid["response"].startswith("Oh, it's a kneeling chair"), paid
    assert "Thank you" not in paid["response"] + paid["lead"]
    from multimodal_pipeline.align.text import bare_thanks

    assert bare_thanks("Thank you so much.") and bare_thanks("Oh, thanks!") and bare_thanks("Much appreciated.")
    assert not bare_thanks("Thank you, glad you like it.") and not bare_thanks("Thanks for the follow.")


def test_a_long_run_on_sentence_is_cut_at_its_clauses_and_an_answer_can_end_inside_it():
    """The ASR joins sentences said without a long pause with commas: a sentence of more than `long_sentence_words`
    words is cut at its short pauses (`part_pause_ms`) into parts of at least `sentence_part_words` words, so that
    the monologue after an answer is not kept with it."""
    from multimodal_pipeline.align.answer import Words, split_long_sentences
    from multimodal_pipeline.align.spans import speech_words

    brk = np.zeros(20, bool)
    brk[[4, 19]] = True
    pauses = brk.copy()
    pauses[[2, 6, 8, 12, 16, 17]] = True
    # the first sentence (5 words) stays whole; the second (15 words) is cut after pauses 4+ words apart, and its
    # last part keeps at least 4 words
    assert np.flatnonzero(split_long_sentences(brk, pauses, 10, 4)).tolist() == [4, 8, 12, 19]
    assert np.flatnonzero(split_long_sentences(brk, pauses, 15, 4)).tolist() == [4, 19]
    run_on = ("I stream from a small village near Utrecht, it rains a lot here, and the garbage trucks are stuck "
              "again, of course they are, let me just check the fuel before we go any further tonight.")
    segment = seg_p(0, 3000, run_on)
    t = 3000
    for w in segment["words"]:  # a short pause after each comma, none elsewhere
        w["start_ms"], w["end_ms"] = t, t + 260
        t += 300 + (300 if w["word"].endswith(",") else 0)
    segment["end_ms"] = t
    speech = frame_from_records(SpeechSegment, [segment])
    config = AlignConfig()
    words = Words.build(speech_words(speech), config)
    assert len(words.text) > config.long_sentence_words and words.sentence.max() >= 2
    chat = frame_from_records(ChatEvent, [ev(1, 1000, "marco", "where do you stream from")])
    acc = _accepted(speech, chat)
    assert acc["e1"]["response"] == "I stream from a small village near Utrecht,"


def test_a_word_without_tokens_keeps_every_later_word_in_place():
    """Whisper base writes "%" as a word of its own: it has no tokens, and the words after it keep their stems (a
    shifted list once paired word j with word j+1's stems and ran off its end)."""
    from multimodal_pipeline.align.answer import Words
    from multimodal_pipeline.align.spans import speech_words

    config = AlignConfig()
    speech = frame_from_records(SpeechSegment, [
        seg_p(0, 1000, "It is a hundred % faster. Good night, Pixel Fox."),
    ])
    words = Words.build(speech_words(speech), config)
    assert len(words.stems) == len(words.text) == 10
    assert words.stems[4] == () and words.stems[5][0].startswith("fast") and words.stems[-1] == ("fox",)
    chat = frame_from_records(ChatEvent, [ev(1, 500, "pixel_fox", "how much faster is it?")])
    pairs, _, _ = align_full(speech, chat, config, "v")  # a name at the very end: no IndexError
    assert pairs.height >= 1


def test_commands_and_self_promotion_are_not_prompts():
    speech = frame_from_records(SpeechSegment, [seg(0, 3000, "thanks pixel fox for the follow welcome in")])
    chat = frame_from_records(ChatEvent, [ev(1, 1000, "pixel_fox", "!uptime"),
                                          ev(2, 1500, "pixel_fox", "follow me at twitch.tv/pixelfox")])
    config = AlignConfig()
    pairs, _, _ = align_full(speech, chat, config, "v", prompt_filter(CurateConfig(), config.prompt_filters))
    reasons = dict(pairs.select("event_id", "reject_reason").rows())
    assert reasons == {"e1": "prompt_bot_command", "e2": "prompt_self_promotion"}
    assert not pairs["accepted"].any()


def _script_speech(script: dict, video_id: str) -> pl.DataFrame:
    rows = [dict(video_id=video_id, segment_id=u["utt_id"], start_ms=u["start_ms"], end_ms=u["end_ms"],
                 text=u["text"], words=[dict(word=w["word"], start_ms=w["start_ms"], end_ms=w["end_ms"], prob=1.0)
                                        for w in u["words"]], avg_logprob=0.0, no_speech_prob=0.0,
                 compression_ratio=1.0) for u in script["utterances"]]
    return frame_from_records(SpeechSegment, rows)


@pytest.fixture(scope="module")
def stream(tmp_path_factory):
    from multimodal_pipeline.synth import StreamSpec, generate_stream

    # without the hard cases: answers 20-40 s late are not what calibration is measured on here
    return generate_stream(tmp_path_factory.mktemp("align"), StreamSpec(seed=21, duration_s=240, name="a21",
                                                                        hard_cases=False))


def test_ground_truth_beats_naive_baseline_and_calibration_recovers_a_chat_offset(stream):
    from multimodal_pipeline.chat import parse_chat

    speech = _script_speech(json.loads(stream.script.read_text()), "a21")
    chat = parse_chat(stream.chat["youtube_live_chat"], "a21").events
    truth = load_truth(stream.truth)
    pairs, calibration, _ = align_full(speech, chat, AlignConfig(), "a21")
    ours = score_pairs(pairs.filter(pl.col("accepted")), truth)
    naive = score_pairs(naive_pairs(speech, chat), truth)
    assert ours["overall"]["true_answers"] >= 4
    assert ours["overall"]["f1"] >= 0.7 and ours["overall"]["f1"] > 3 * naive["overall"]["f1"]
    assert ours["read_aloud"]["recall"] >= 0.75 or ours["read_aloud"]["true_answers"] == 0
    # the chat log was recorded 30 s late: calibration finds the offset from read-aloud matches
    late = chat.with_columns(pl.col("ts_ms") + 30_000)
    shifted, cal, _ = align_full(speech, late, AlignConfig(), "a21")
    assert abs(cal.offset_ms + 30_000) < 3_000
    again = score_pairs(shifted.filter(pl.col("accepted")).with_columns(pl.col("event_ts_ms") - 30_000), truth)
    assert again["overall"]["f1"] >= ours["overall"]["f1"] - 0.15
    assert calibration.offset_ms == 0


def test_hard_cases_on_crafted_speech():
    speech = frame_from_records(SpeechSegment, [
        # a thank-you for a follow names a chatter whose message is unrelated: not an answer
        seg_p(0, 4000, "Thank you for the follow, Lucky Otter."),
        # a one-word answer after a read-aloud
        seg_p(1, 12000, "Brave Wizard asks, do you have a cat? Yes."),
        # two questions answered in one breath
        seg_p(2, 24000, "I grew up in Ohio, near the lake. And to the other question, I play the piano, badly."),
    ])
    chat = frame_from_records(ChatEvent, [
        ev(0, 1500, "lucky_otter", "that boss fight was insane lol"),
        ev(1, 9000, "BraveWizard", "do you have a cat?"),
        ev(2, 19000, "quiet_owl", "where did you grow up?"),
        ev(3, 21000, "tiny_moose", "do you play any instruments?"),
    ])
    acc = _accepted(speech, chat)
    assert "e0" not in acc  # the name alone never makes an answer
    assert acc["e1"]["response"] == "Yes." and acc["e1"]["lead"] == "Brave Wizard asks, do you have a cat?"
    # two questions answered in one breath: each message gets the answer that starts with its own; the second
    # answer is not taken by the first question's message when the first is long enough to stand alone (here the
    # continuation model keeps it: a known weakness, see the README's "two in one breath" row)
    assert "e2" not in acc or acc["e2"]["response"].startswith("I grew up in Ohio, near the lake.")
    assert "e3" not in acc or "Ohio" not in acc["e3"]["response"]
    # (direct answers with no lead are the weak spot: at least the plainer one is found)
    assert "e2" in acc or "e3" in acc


def test_an_answer_that_restates_the_question_after_the_chatters_name_is_the_reply():
    speech = frame_from_records(SpeechSegment, [
        # the name, then an answer that repeats the question's words (one misheard) and goes on: the reply itself
        seg_p(0, 4000, "Oh, good question, Lucky Goblin, my favorite game on all time is probably Elden Ring, "
                       "I played it for a hundred hours."),
        # the name, a few words, the message read aloud, then the answer: the read-aloud is not the reply
        seg_p(1, 20000, "Moon Pixel with the five euro super chat says, where are you from? Originally I'm from "
                        "Ohio, I lived there for three years."),
    ])
    chat = frame_from_records(ChatEvent, [ev(1, 1500, "LuckyGoblin", "@Nova favorite game of all time"),
                                          ev(2, 17000, "MoonPixel", "where are you from?")])
    acc = _accepted(speech, chat)
    assert acc["e1"]["lead"].endswith("Lucky Goblin,")
    assert acc["e1"]["response"].startswith("my favorite game on all time is probably Elden Ring")
    assert acc["e2"]["response"] == "Originally I'm from Ohio, I lived there for three years."


def test_a_reading_far_after_the_name_must_open_its_clause():
    speech = frame_from_records(SpeechSegment, [
        # the name (no comma after it, as the ASR often writes it), then the answer, which ends by echoing the
        # question inside its last clause: that is no read-aloud lead
        seg_p(0, 4000, "Oh, good question, Happy Major the music is a jazz playlist, I don't remember who made this "
                       "song though. We are making good progress today."),
    ])
    chat = frame_from_records(ChatEvent, [ev(1, 1500, "HappyMajor", "who made this song")])
    pairs, _, _ = align_full(speech, chat, AlignConfig(), "v")
    leads = [lead for lead in pairs["lead"].to_list() if lead]
    assert any(lead.endswith("Happy Major") for lead in leads), leads
    assert not any("jazz" in lead for lead in leads), leads


def test_the_stored_scorer_is_used_and_its_hash_is_in_the_stage_key(tmp_path):
    from multimodal_pipeline.align.core import align_stage_key
    from multimodal_pipeline.align.scorer import BUNDLED, load_scorer

    scorer = load_scorer()
    assert scorer.sha256 and scorer.continuation is not None and len(scorer.layers[0][0]) == len(scorer.features)
    strict = tmp_path / "strict.json"
    doc = json.loads(BUNDLED.read_text())
    doc["threshold"] = 0.999999
    strict.write_text(json.dumps(doc))
    config = AlignConfig(scorer_path=str(strict))
    assert load_scorer(str(strict)).sha256 != scorer.sha256
    assert align_stage_key(SPEECH, CHAT, AlignConfig(), scorer) != align_stage_key(
        SPEECH, CHAT, AlignConfig(), load_scorer(str(strict)))
    assert align_full(SPEECH, CHAT, AlignConfig(), "v")[0]["accepted"].sum() >= 2
    assert align_full(SPEECH, CHAT, config, "v")[0]["accepted"].sum() == 0
    assert align_stage_key(SPEECH, CHAT, AlignConfig(), scorer) == align_stage_key(SPEECH, CHAT, AlignConfig(), scorer)


def test_a_right_candidate_is_learnt_as_right_only_when_its_response_is_mostly_the_answer():
    from benchmarks.fit_scorer import span_precision, training_labels

    lab = pl.DataFrame({"response_start_ms": [1000, 0, 2500, 5000], "response_end_ms": [3000, 8000, 4000, 6000],
                        "reply_start_ms": [1000, 1000, 1000, None], "reply_end_ms": [3000, 3000, 3000, None],
                        "correct": [True, True, True, False]})
    # the answer alone; the answer inside 8 s of monologue (right for the figures: it covers the answer); half of
    # it and the next words; a message nobody answered
    assert span_precision(lab).to_list() == [1.0, 0.25, 0.5, 0.0]
    assert training_labels(lab).tolist() == [True, False, True, False]
    assert training_labels(lab, 0.0).tolist() == [True, True, True, False]


def test_competition_margins_equal_the_pairwise_definition(monkeypatch):
    """The margins are found among nearby candidates (linear); on random tables they equal every pair compared."""
    from multimodal_pipeline.align import core

    def every_pair(c):
        rows = np.flatnonzero(c["reason"].is_null().to_numpy())
        own, other = np.ones(c.height), np.ones(c.height)
        sim = np.nan_to_num(c["answer_similarity"].to_numpy()[rows].astype(np.float64), nan=0.0)
        ev = c["ev_idx"].to_numpy()[rows]
        a, b = c["answer_first"].to_numpy()[rows], c["answer_last"].to_numpy()[rows]
        for i in range(len(rows)):
            overlap, same = (a <= b[i]) & (b >= a[i]), ev == ev[i]
            rivals, others = sim[same & ~overlap], sim[~same & overlap]
            own[rows[i]] = sim[i] - rivals.max() if len(rivals) else 1.0
            other[rows[i]] = sim[i] - others.max() if len(others) else 1.0
        return own, other

    monkeypatch.setattr(core._window_pairs, "__defaults__", (7,))  # many chunks
    rng = np.random.default_rng(0)
    for _ in range(200):
        n = int(rng.integers(0, 60))
        first = rng.integers(-1, 80, n)
        c = pl.DataFrame({"reason": pl.Series([None if k else "r" for k in rng.random(n) < 0.8], dtype=pl.String),
                          "answer_similarity": np.where(rng.random(n) < 0.1, np.nan, rng.random(n)),
                          "ev_idx": rng.integers(0, 8, n), "answer_first": first,
                          "answer_last": first + rng.integers(-2, 25, n)})
        got = core._competition(c)
        own, other = every_pair(c)
        assert np.array_equal(got["similarity_margin"].to_numpy(), own)
        assert np.array_equal(got["sentence_margin"].to_numpy(), other)


def test_the_code_version_in_the_stage_key_changes_with_the_alignment_sources(tmp_path):
    import shutil
    from pathlib import Path

    from multimodal_pipeline.align import core

    package = Path(core.__file__).resolve().parent
    assert core.source_version(package) == core.CODE_VERSION
    copy = tmp_path / "multimodal_pipeline"
    shutil.copytree(package, copy / "align", ignore=shutil.ignore_patterns("__pycache__", "models"))
    for name in ("names.py", "embeddings.py"):
        shutil.copy(package.parent / name, copy / name)
    assert core.source_version(copy / "align") == core.CODE_VERSION
    for changed in (copy / "align" / "answer.py", copy / "names.py"):
        before = core.source_version(copy / "align")
        changed.write_text(changed.read_text() + "\n# changed\n")
        assert core.source_version(copy / "align") != before


def test_alignment_does_not_import_curation():
    import subprocess
    import sys

    code = "import sys, multimodal_pipeline.align.core; print(any(m.startswith('multimodal_pipeline.curate') " \
           "for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() \
        == "False"


def test_null_test_on_real_chat_against_an_unrelated_real_transcript():
    """Real chat (a Twitch VOD) against the real transcript of another stream: every accepted pair is false."""
    from multimodal_pipeline.asr.subtitles import srt_segments
    from multimodal_pipeline.chat import parse_chat
    from multimodal_pipeline_tests.conftest import SHARED_REAL

    chat_path = SHARED_REAL / "charlie-collard__twitch-chat-replay" / "1087079172.json"
    srt = SHARED_REAL / "duckautomata__dokiscripts-data" / "20240329_twitch_v2105205489.srt"
    assert chat_path.exists() and srt.exists(), "the real fixtures must be present (../shared/fixtures/real)"
    chat = parse_chat(chat_path, "null").events
    first = srt_segments(srt, "null")["start_ms"].min()
    speech = srt_segments(srt, "null", start_ms=first, end_ms=first + int(chat["ts_ms"].max()))
    config = AlignConfig()
    pairs, _, _ = align_full(speech, chat, config, "null", prompt_filter(CurateConfig(), config.prompt_filters))
    hours = chat["ts_ms"].max() / 3_600_000
    assert chat.height > 3000 and speech.height > 300
    assert pairs.filter(pl.col("accepted")).height / hours <= 2.0


def test_an_unchanged_alignment_is_reused_by_stage_key(tmp_path):
    from multimodal_pipeline.align.core import align_cached
    from multimodal_pipeline.align.scorer import load_scorer
    from multimodal_pipeline.storage import StageCache

    cache, scorer = StageCache(tmp_path), load_scorer()
    first = align_cached(SPEECH, CHAT, AlignConfig(), "v", None, scorer, cache, "filters-a")
    again = align_cached(SPEECH, CHAT, AlignConfig(), "v", None, scorer, cache, "filters-a")
    assert not first[4] and again[4] and again[3] == first[3]
    assert again[0].equals(first[0]) and again[1] == first[1] and again[2].equals(first[2])
    # anything it reads changes the key: settings, the prompt filters, the chat
    assert not align_cached(SPEECH, CHAT, AlignConfig(accept_threshold=0.9), "v", None, scorer, cache, "filters-a")[4]
    assert not align_cached(SPEECH, CHAT, AlignConfig(), "v", None, scorer, cache, "filters-b")[4]
    assert not align_cached(SPEECH, CHAT.head(4), AlignConfig(), "v", None, scorer, cache, "filters-a")[4]
    # an entry that cannot be read is recomputed, not trusted
    (tmp_path / "aligned_pairs" / f"{first[3]}.parquet").write_bytes(b"not parquet")
    assert not align_cached(SPEECH, CHAT, AlignConfig(), "v", None, scorer, cache, "filters-a")[4]


def test_an_answer_that_echoes_the_question_at_its_end_is_still_the_answer():
    """After the chatter's name, an answer that ends by echoing the question is the reply: the echo is no later
    read-aloud that would make the monologue after it the answer."""
    speech = frame_from_records(SpeechSegment, [
        seg_p(0, 4000, "Oh, good question, Happy Major the music is a jazz playlist, I don't remember who made this "
                       "song though."),
        seg_p(1, 12000, "We are making good progress today."),
    ])
    chat = frame_from_records(ChatEvent, [ev(1, 1500, "HappyMajor", "who made this song")])
    pairs, _, _ = align_full(speech, chat, AlignConfig(), "v")
    accepted = pairs.filter(pl.col("accepted"))
    assert accepted.height == 1, pairs.select("lead", "response", "score", "reject_reason").to_dicts()
    assert "jazz playlist" in accepted["response"][0] and "progress" not in accepted["response"][0]


def test_a_paid_read_aloud_after_the_name_is_a_later_reading_not_an_echo():
    """After the name, a message read aloud in a clause of its own ("..., and writes, is this any percent?") is the
    lead of a later span: the answer is what follows it, not the words before it."""
    speech = frame_from_records(SpeechSegment, [
        seg_p(0, 3000, "Captain Ember has sent three pounds, thank you, and writes, is this any percent? This is the "
                       "hundred percent route, so no fancy skips."),
    ])
    chat = frame_from_records(ChatEvent, [ev(1, 1500, "CaptainEmber", "is this any percent?")])
    pairs, _, _ = align_full(speech, chat, AlignConfig(), "v")
    accepted = pairs.filter(pl.col("accepted"))
    assert accepted.height == 1, pairs.select("lead", "response", "score", "reject_reason").to_dicts()
    assert accepted["response"][0].startswith("This is the hundred percent route"), accepted["response"][0]


def test_the_scorers_nonanswer_direction_projects_each_answers_start():
    """The scorer carries a fitted direction of spoken non-answers ("next question, please"); each shortlisted
    answer's start is projected on it (the feature `nonanswer_similarity`)."""
    from multimodal_pipeline.align.core import candidates
    from multimodal_pipeline.align.scorer import load_scorer
    from multimodal_pipeline.embeddings import DIM, embed

    scorer = load_scorer()
    assert scorer.nonanswer is not None and scorer.nonanswer.shape == (1, DIM)
    assert "nonanswer_similarity" in scorer.features
    assert abs(float(np.linalg.norm(scorer.nonanswer[0])) - 1.0) < 1e-4
    dismissal = "I would rather not say that on stream, sorry."
    speech = frame_from_records(SpeechSegment, [
        seg_p(0, 3000, f"Sleepy Fox asks, how much money do you make? {dismissal}")])
    chat = frame_from_records(ChatEvent, [ev(1, 1500, "SleepyFox", "how much money do you make?")])
    # two directions (as fit_scorer gives one per tuning family): a projection on each, the cosine with their sum
    directions = np.vstack([embed([dismissal]), embed(["I use a mechanical keyboard."])])
    c = candidates(speech, chat, AlignConfig(), nonanswer=directions)[0].filter(pl.col("reason").is_null())
    row = c.filter(pl.col("response") == dismissal).row(0, named=True)
    assert row["nonanswer_dots"][0] == pytest.approx(1.0, abs=1e-4)
    total = directions.sum(axis=0)
    assert row["nonanswer_similarity"] == pytest.approx(sum(row["nonanswer_dots"]) / np.linalg.norm(total), abs=1e-5)
    plain = candidates(speech, chat, AlignConfig())[0].filter(pl.col("reason").is_null())
    assert "nonanswer_dots" not in plain.columns and plain["nonanswer_similarity"].is_nan().all()


def _table(rows):
    cols = ["ev_idx", "score", "answer_first", "answer_last", "lead_first", "lag_ms"]
    return pl.DataFrame([dict(zip(cols, r), reason=None) for r in rows],
                        schema_overrides={"reason": pl.String})


def test_two_answers_in_one_breath_split_at_the_later_ones_lead():
    """A later answer with a read-aloud or name lead takes its words back from an earlier answer that ran on into
    them (the earlier one ends at the clause before the lead), whichever was taken first; without a lead, or
    without a clause end before it, the later one is rejected as before."""
    from multimodal_pipeline.align.core import _assign

    clause = np.zeros(20, bool)
    clause[[5, 12, 19]] = True
    earlier, later = (0, 0.9, 0, 12, -1, 1000), (1, 0.8, 8, 19, 6, 1000)
    for rows in ([earlier, later], [(0, 0.7, 0, 12, -1, 1000), later]):  # the earlier one taken first, then last
        out = _assign(_table(rows), 0.5, clause, 3)
        assert out["accepted"].to_list() == [True, True]
        assert out["answer_last"].to_list() == [5, 19]
    # no lead: the later one is the earlier answer's own second half as far as anyone can tell
    out = _assign(_table([earlier, (1, 0.8, 6, 19, -1, 1000)]), 0.5, clause, 3)
    assert out["accepted"].to_list() == [True, False] and out["answer_last"].to_list() == [12, 19]
    assert out["reject_reason"].to_list()[1] == "response_already_used"
    # the lead starts mid-clause, or the earlier answer would keep fewer than three words: no split
    for c in (np.zeros(20, bool), clause):
        rows = [earlier, later] if not c.any() else [(0, 0.9, 4, 12, -1, 1000), later]
        out = _assign(_table(rows), 0.5, c, 3)
        assert out["accepted"].to_list() == [True, False] and out["answer_last"].to_list() == [12, 19]
    # without word clause ends (the scorer's own figures before this change) nothing is split
    assert _assign(_table([earlier, later]), 0.5)["accepted"].to_list() == [True, False]


def test_a_lead_starts_at_its_own_sentence_and_an_unrelated_first_sentence_is_not_the_answer():
    """Both failed before: the lead took in "So close." (the span started there, the name a few words on), and the
    answer began with the remark about the game (the span starting there scored higher than the one at the
    answer)."""
    speech = frame_from_records(SpeechSegment, [
        seg_p(0, 2000, "So close. Velvet Owl, I am reading a cookbook right now, it is a great book."),
        seg_p(1, 30000, "Careful, there is usually an ambush around this corner. The highest I ever reached was "
                        "silver, although I have mostly stopped playing ranked."),
    ])
    chat = frame_from_records(ChatEvent, [ev(2, 1000, "VelvetOwl", "any book recommendations?"),
                                          ev(3, 27000, "sleepy_fox", "what rank are you")])
    acc = _accepted(speech, chat)
    assert acc["e2"]["lead"] == "Velvet Owl,"
    assert acc["e3"]["response"] == ("The highest I ever reached was silver, although I have mostly stopped "
                                     "playing ranked.")


def test_two_answers_in_one_breath_are_cut_apart_at_the_clause_between_them():
    """Two questions, then one sentence that answers both without a pause or a name between them: the sentence is
    cut at the clause boundary where the first part fits the first question and the rest the second, so neither
    response holds the other's answer. With the cut turned off, one answer holds both."""
    speech = frame_from_records(SpeechSegment, [
        seg_p(0, 9000, "Okay let me check the map real quick."),
        seg_p(12000, 21000, "I play on the Nintendo Switch console, the Switch is the console I grew up with, and for "
                            "the other one, my favourite season is autumn, the autumn leaves are so pretty."),
    ])
    chat = frame_from_records(ChatEvent, [ev(1, 9500, "marco", "what console do you play on"),
                                          ev(2, 10500, "lina", "what is your favourite season")])

    def responses(config: AlignConfig) -> dict[str, str]:
        pairs, _, _ = align_full(speech, chat, config, "v")
        return dict(pairs.filter(pl.col("accepted")).select("event_id", "response").iter_rows())

    got = responses(AlignConfig())
    assert set(got) == {"e1", "e2"}, got
    assert "grew up" in got["e1"] and "autumn" not in got["e1"], got
    assert "autumn" in got["e2"] and "Switch" not in got["e2"], got
    # the clause between the two answers, which fits neither, is in neither
    assert all("other one" not in r for r in got.values()), got
    off = responses(AlignConfig(breath_margin=-1))
    assert any("Switch" in r and "autumn" in r for r in off.values()) or len(off) < 2, off
