"""Answer boundaries and answer features of the shortlisted candidates (the second stage of alignment).

A candidate span starts at a phrase and runs on through the following ones. What a person wants as the training
target is the answer alone, so each shortlisted candidate is cut at the word level:

- the *lead*: near the span's start, the words that say the message aloud or the chatter's name (every hit a word of
  the message or of the handle's spoken parts not matched before, at most `lead_gap_words` apart, starting within
  `head_slack_words` of the span's start), from the first sentence that says the name or reads some of the message.
  It is a lead only when it reads at least `read_aloud_min` of the message (by word weight) or says at least half of
  the name. The lead stops at a sentence end once the message is read.
- the *answer*: the rest of the first sentence (without a lead, the second sentence when only it fits the message:
  `skip_first`), then each following sentence of the span while it stays on the
  subject (sentence-embedding similarity to the message or to the answer so far at least `continue_similarity`, or
  a shared content word with the message), within `max_answer_ms`. A short last sentence that only names the
  chatter ("good question, Pixel Bean") is a sign-off: it is left out, and it counts as evidence like a name lead
  (also when it follows the answer within `signoff_words`).

A chatter's name is found as its spoken parts, and also as the ASR tends to write a name it does not know: run
together or misheard ("Mr. Cooliron" for MrCoolIron, "mejoking" for megakingTV): one to three words whose letters
are close to the handle's (`name_similarity`, rapidfuzz's normalized Indel similarity).

Sentences are cut at sentence punctuation (the ASR writes it) or at a pause of `sentence_pause_ms`, and one of more
than `long_sentence_words` words (the ASR's comma-joined run of sentences) also at its pauses of `part_pause_ms`.
Embeddings are computed once per distinct text: each message and each sentence, not per candidate.
"""

from __future__ import annotations

import math

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
import polars as pl

from rapidfuzz.distance import Indel

from multimodal_pipeline.align.text import (CLAUSE_END, SENTENCE_END, bare_thanks, is_content, stem, thanks_for_event,
                                            tokens)
from multimodal_pipeline.contracts.align_config import AlignConfig


Embedder = Callable[[list[str]], np.ndarray]
#: titles said before a name, written with a full stop
TITLE = r"^(?i:mr|mrs|ms|dr|mx|st)\.$"


@dataclass(frozen=True)
class Words:
    """The video's spoken words in order: text, start/end, the stemmed tokens of each word, sentence ids."""

    text: list[str]
    start_ms: np.ndarray
    end_ms: np.ndarray
    stems: list[tuple[str, ...]]
    content: list[tuple[bool, ...]]
    sentence: np.ndarray  # sentence id of each word
    sentence_first: np.ndarray  # first word of each sentence
    sentence_last: np.ndarray
    clause_end: np.ndarray  # the word ends a clause (punctuation) or a sentence
    letters: list[str]  # each word's lower-case letters (for names the ASR writes differently)

    @classmethod
    def build(cls, words: pl.DataFrame, config: AlignConfig) -> Words:
        text = words["word"].to_list()
        start = words["start_ms"].to_numpy().astype(np.int64)
        end = words["end_ms"].to_numpy().astype(np.int64)
        # a word with no tokens ("%", "...") keeps its row (as a null token): stems[j] must be word j's
        toks = words.select(tokens(pl.col("word")).alias("t")).with_row_index("w").explode("t", empty_as_null=True)
        toks = toks.with_columns(s=stem(pl.col("t").fill_null("")))
        toks = toks.with_columns(c=is_content(pl.col("s")) & pl.col("t").is_not_null())
        grouped = toks.group_by("w", maintain_order=True).agg(
            pl.col("s").filter(pl.col("t").is_not_null()), pl.col("c").filter(pl.col("t").is_not_null()))
        stems = [tuple(s) for s in grouped["s"].to_list()]
        content = [tuple(c) for c in grouped["c"].to_list()]
        n = len(text)
        # "Mr." and "Dr." end no sentence
        ends_sentence = (words["word"].str.contains(SENTENCE_END)
                         & ~words["word"].str.strip_chars().str.contains(TITLE)).to_numpy()
        gap_after = np.r_[start[1:] - end[:-1], 10 ** 9] if n else np.zeros(0, np.int64)
        brk = split_long_sentences(ends_sentence | (gap_after >= config.sentence_pause_ms),
                                   gap_after >= config.part_pause_ms, config.long_sentence_words,
                                   config.sentence_part_words)
        sentence = np.r_[0, np.cumsum(brk[:-1])] if n else np.zeros(0, np.int64)
        n_sent = int(sentence[-1]) + 1 if n else 0
        first = np.full(n_sent, n, np.int64)
        np.minimum.at(first, sentence, np.arange(n))
        last = np.zeros(n_sent, np.int64)
        np.maximum.at(last, sentence, np.arange(n))
        clause = brk | words["word"].str.contains(CLAUSE_END).to_numpy() | (gap_after >= 250)
        letters = ["".join(ch for ch in w.lower() if ch.isalpha()) for w in text]
        return cls(text, start, end, stems, content, sentence.astype(np.int64), first, last, clause, letters)

    def join(self, a: int, b: int) -> str:
        return " ".join(self.text[a: b + 1])

    @cached_property
    def letter_windows(self) -> list[tuple[list[str], list[int]]]:
        """For one, two and three words from each word on: their letters run together and the length of that
        (a window past the last word has length -99, never near a handle's)."""
        out = []
        joined = [""] * len(self.letters)
        for n in range(3):
            joined = [joined[j] + self.letters[j + n] if j + n < len(self.letters) else "" for j in range(len(joined))]
            length = [len(w) if j + n < len(self.letters) else -99 for j, w in enumerate(joined)]
            out.append((joined, length))
        return out


def split_long_sentences(brk: np.ndarray, cuts: np.ndarray, longest: int, part: int) -> np.ndarray:
    """Sentence ends `brk` with each sentence of more than `longest` words also ended after the words in `cuts`
    (those followed by a short pause), in parts of at least `part` words (the last part too): the ASR often writes
    a run of sentences as one, joined by commas ("I stream from Leeds, it rains a lot here, and the bypass is jammed
    again, let me look at that")."""
    ends = np.flatnonzero(brk)
    firsts = np.r_[0, ends[:-1] + 1] if len(ends) else np.zeros(0, np.int64)
    long = ends - firsts + 1 > longest
    out = brk.copy()
    for a, b in zip(firsts[long].tolist(), ends[long].tolist()):
        since = 0
        for j in range(a, b - part + 1):  # the last part keeps at least `part` words
            since += 1
            if since >= part and cuts[j]:
                out[j], since = True, 0
    return out


@dataclass(frozen=True)
class Message:
    weights: dict[str, float]  # stemmed message word -> weight (inverse frequency in the video's speech)
    content: frozenset[str]
    name: frozenset[str]  # the spoken parts of the author's handle (stemmed)
    text: str
    name_letters: str = ""  # the letters of the handle's spoken parts, run together ("coolquick")
    common: frozenset[str] = frozenset()  # the parts of `name` the streamer says often (common words of the stream)
    question: bool = False  # the message asks something (`text.is_question`)


def names_chatter(said: set[str] | frozenset[str], msg: Message) -> bool:
    """Whether the handle's parts `said` name the chatter: at least half of them, one of them not a common word of
    the stream, or the whole handle ("the tower" alone does not name FalconTower in a flight simulator stream where
    the tower is talked about; "falcon" does)."""
    return bool(msg.name) and len(said) >= max(1, -(-len(msg.name) // 2)) and (bool(said - msg.common)
                                                                                 or said >= msg.name)


def name_words(words: Words, a: int, b: int, msg: Message, min_similarity: float) -> set[int]:
    """The words in a..b that say the chatter's name: a spoken part of the handle, or one to three words whose
    letters run together are at least `min_similarity` like the handle's (the most similar windows first, never
    overlapping, so "thank you pixel bean" gives "pixel bean", not "you pixel bean"). Only windows within three
    letters of the handle's length are compared (a shorter or longer one is never counted). A word next to them
    that brings the words said closer to the handle is its misheard other half ("Happy Major" for happy_badger: the
    two words are 0.67 like it, "Happy" alone 0.62; "happy today" 0.57 stays apart)."""
    out = {j for j in range(a, b + 1) if not msg.name.isdisjoint(words.stems[j])}
    target = msg.name_letters
    if len(target) < 5:
        return out
    found: list[tuple[float, int, int]] = []
    lo, hi = len(target) - 3, len(target) + 3
    for n, (joined, length) in enumerate(words.letter_windows):
        stop = b - n + 1  # the windows j..j+n that end inside a..b
        if stop <= a:
            break
        for j in range(a, stop):
            if lo <= length[j] <= hi and (sim := Indel.normalized_similarity(joined[j], target)) >= min_similarity:
                found.append((sim, -n, j))
    return misheard_halves(words, out | disjoint_windows(found), a, b, target)


def misheard_halves(words: Words, named: set[int], a: int, b: int, target: str) -> set[int]:
    """`named` with each run of one or two name words grown by the word before or after it (inside a..b) when the
    run said with that word is more like the handle's letters `target` than the run alone."""
    out = set(named)
    for s in sorted(named):
        if s - 1 in named:
            continue
        e = s + 1 if s + 1 in named else s
        if e + 1 in named:
            continue  # three or more words: the whole name was heard
        alone = Indel.normalized_similarity("".join(words.letters[s: e + 1]), target)
        for j in (e + 1, s - 1):
            if a <= j <= b and j not in named and words.letters[j] and Indel.normalized_similarity(
                    "".join(words.letters[min(s, j): max(e, j) + 1]), target) > alone:
                out.add(j)
    return out


def said_parts(words: Words, named: set[int], msg: Message) -> set[str]:
    """The handle's parts that the words `named` (found by `name_words`) say: their own stems, or the whole handle
    for a word that says it run together or misheard."""
    out: set[str] = set()
    for j in named:
        out |= (set(words.stems[j]) & msg.name) or msg.name
    return out


def disjoint_windows(found: list[tuple[float, int, int]]) -> set[int]:
    """The words of the windows `(similarity, -extra words, first word)`, the most similar first, never two that
    overlap."""
    taken: set[int] = set()
    for _sim, neg_n, j in sorted(found, reverse=True):
        window = set(range(j, j - neg_n + 1))
        if not window & taken:
            taken |= window
    return taken


@dataclass
class Cut:
    lead_first: int
    lead_last: int  # -1 when there is no lead
    lead_read: float
    lead_named: bool
    answer_first: int
    answer_last: int  # < answer_first when nothing is left after the lead
    signoff_named: bool = False  # the answer ended with the chatter's name (cut off)


def find_lead(words: Words, first: int, last: int, msg: Message, config: AlignConfig) -> Cut:
    """The read-aloud or name lead at the start of the span first..last (see the module's docstring).

    The lead stops at the end of a clause once the message is read (unless the name follows), or once the name is
    said (unless the message is read aloud right after it: "Pixel Bean asks, what keyboard ...")."""
    total = sum(msg.weights.values()) or 1.0
    covered: set[str] = set()
    named: set[str] = set()
    last_hit = -1
    read_share = 0.0
    limit = min(last, first + config.head_words - 1)
    is_name = name_words(words, first, min(last, limit + config.lead_gap_words), msg, config.name_similarity)
    stop = -1
    first_msg = -1
    i = first
    while i <= limit:
        # once the whole name is said and nothing of the message yet, a few more words may come before the reading:
        # "Moon Pixel with the five euro super chat says, where are you from?"
        name_first = first_msg < 0 and names_chatter(named, msg)
        st = set(words.stems[i])
        new_msg = (st & msg.weights.keys()) - covered
        # a spoken part of the handle, or the whole name run together or misheard
        new_name = ((st & msg.name or msg.name) - named) if i in is_name else set()
        if new_msg or new_name:
            covered |= new_msg
            named |= new_name
            last_hit = i
            if new_msg:
                first_msg = i if first_msg < 0 else first_msg
                # a read-aloud says the message in one go: its words no farther apart than the message is long
                if i - first_msg + 1 <= len(msg.weights) + config.lead_gap_words:
                    read_share = math.fsum(msg.weights[t] for t in covered) / total
        elif last_hit < 0 and i - first >= config.head_slack_words:
            break
        elif last_hit >= 0 and i - last_hit > config.lead_gap_words + (config.head_slack_words if name_first else 0):
            break
        if last_hit >= 0 and words.clause_end[i] and (i - last_hit <= 2 or name_first) \
                and not (i in is_name and i + 1 in is_name):
            ahead_last = min(last, i + config.lead_gap_words)
            name_ahead = len(named) < len(msg.name) and any(j in is_name for j in range(i + 1, ahead_last + 1))
            if read_share >= config.read_aloud_min and not name_ahead:
                stop = i
                break
            if names_chatter(named, msg) and read_share < config.read_aloud_min:
                # the name is said: a read-aloud may follow ("Pixel Bean asks, what ..."), an answer may not.
                # Further from the name, the reading must open a clause ("..., says, where are you from?", also a
                # few clauses on: "Pixel has sent three pounds, thank you, and writes, is this any percent?"), not
                # sit inside one ("..., I don't remember who made this song though": an answer's echo)
                if i - last_hit <= 2:
                    follows = reading_follows(words, i, last, msg, config, opens=False)
                else:
                    reach = min(last, last_hit + config.lead_gap_words + config.head_slack_words)
                    follows = any(reading_follows(words, j, last, msg, config, opens=True)
                                  for j in range(i, reach) if words.clause_end[j])
                if not follows:
                    stop = i
                    break
        i += 1
    name_ok = names_chatter(named, msg)
    end = stop if stop >= 0 else last_hit
    # a read-aloud says the message's words in their order (an answer that repeats them does not), and it is a
    # clause of its own: the reading ends at a pause or a punctuation mark, an answer that echoes the question runs on
    read_share = ordered_share(words, first_msg, end, msg) if first_msg >= 0 else 0.0
    clause = next((j for j in range(end, min(last, end + 2) + 1) if words.clause_end[j]), -1)
    read_ok = (len(msg.weights) >= config.min_read_aloud_tokens and read_share >= config.read_aloud_min
               and clause >= 0)
    if read_ok:
        end = clause
    if last_hit < 0 or not (read_ok or name_ok):
        return Cut(first, -1, read_share, name_ok, first, last)
    if not read_ok:  # a name lead: it ends with the name's clause
        end = min(end, max(j for j in range(first, end + 1) if j in is_name) + 2)
        while end > first and not words.clause_end[end] and end not in is_name:
            end -= 1
    start = lead_start(words, first, end, msg, is_name, config)
    if not read_ok:
        # a name said to thank for a follow or a sub ("Thanks for the follow, Pixel Bean", "Pixel Bean. Thank you
        # for subscribing.") is no lead into an answer: what follows the thank-you is judged on its own
        after = min(last, int(words.sentence_last[words.sentence[end + 1]])) if end < last else end
        for thanks_end in (end, after):
            if thanks_for_event(words.join(start, thanks_end)):
                return Cut(first, -1, read_share, False, thanks_end + 1, last)
    return Cut(start, end, read_share, name_ok, end + 1, last)


def lead_start(words: Words, first: int, end: int, msg: Message, is_name: set[int], config: AlignConfig) -> int:
    """The first sentence of the lead first..end that says the chatter's name or reads at least half of
    `read_aloud_min` of the message: the sentences before it are the end of something else ("I learned French in
    school. Velvet Owl, ...", "but the PC handles this game fine. Question from Cloudy Raven, ...")."""
    for sent in range(int(words.sentence[first]), int(words.sentence[end]) + 1):
        a, b = max(first, int(words.sentence_first[sent])), min(end, int(words.sentence_last[sent]))
        if any(j in is_name for j in range(a, b + 1)) or \
                ordered_share(words, a, b, msg) >= config.read_aloud_min / 2:
            return a
    return first


def reading_follows(words: Words, j: int, last: int, msg: Message, config: AlignConfig, opens: bool) -> bool:
    """Whether the message is read aloud right after word j (at least `read_after_name_min` of it, in its order,
    within its sentence); `opens`: the reading must also start within two words of j."""
    if j + 1 > last:
        return False
    if opens and not any(set(words.stems[x]) & msg.weights.keys() for x in range(j + 1, min(last, j + 2) + 1)):
        return False
    end = min(last, int(words.sentence_last[words.sentence[j + 1]]), j + len(msg.weights) + config.head_slack_words)
    return ordered_share(words, j + 1, end, msg) >= config.read_after_name_min


def ordered_share(words: Words, a: int, b: int, msg: Message) -> float:
    """The share of the message's word weight said in words a..b in the message's order (weighted longest common
    subsequence of the message's words and the spoken stems)."""
    seq = list(msg.weights)
    spoken = [t for j in range(a, b + 1) for t in words.stems[j] if t in msg.weights]
    if not seq or not spoken:
        return 0.0
    prev = [0.0] * (len(spoken) + 1)
    for t in seq:
        cur = [0.0] * (len(spoken) + 1)
        for k, u in enumerate(spoken, 1):
            cur[k] = prev[k - 1] + msg.weights[t] if t == u else max(prev[k], cur[k - 1])
        prev = cur
    return prev[-1] / (sum(msg.weights.values()) or 1.0)


def skip_first(words: Words, cut: Cut, to_message: Callable[[int], float], config: AlignConfig,
               question: bool = False) -> Cut:
    """An answer without a lead whose first sentence fits the message less than `skip_first_below` and whose second
    fits it at least `skip_first_gain` better starts at the second ("How did I miss that chest? The stream ends in
    maybe four hours."): the first is something else said before the answer. A first sentence that thanks someone
    for a follow, a sub or gifted subs is never the answer's start. With a lead or without, the answer to a
    `question` does not start with a sentence that only thanks ("Thank you so much." for the paid message just read
    aloud) when more follows: the answer is what follows. `to_message(s)`: sentence s's similarity to the message
    (nan without embeddings: nothing is skipped)."""
    a = cut.answer_first
    if a > cut.answer_last:
        return cut
    s = int(words.sentence[a])
    nxt = int(words.sentence_last[s]) + 1
    if question and nxt <= cut.answer_last and bare_thanks(words.join(a, nxt - 1)):
        return replace(cut, answer_first=nxt)
    if cut.lead_last >= 0:
        return cut
    if thanks_for_event(words.join(a, min(nxt - 1, cut.answer_last))):
        return replace(cut, answer_first=nxt)  # past answer_last when nothing follows: no answer
    if nxt > cut.answer_last:
        return cut
    first, second = to_message(s), to_message(s + 1)
    if first < config.skip_first_below and second - first >= config.skip_first_gain:
        return replace(cut, answer_first=nxt)
    return cut


def breath_split(words: Words, s: int, messages: list[int], fit: Callable[[int, str], float],
                 config: AlignConfig) -> tuple[int, int, int, int] | None:
    """Two answers in one breath ("I still love my Switch, it's what I grew up with, and for the other one, definitely
    autumn, everything feels calmer"): sentence `s`, where answers without a lead to each of `messages` start, is cut
    at the clause boundary j (each side at least `min_response_words` words) where the part before j fits message A
    and the part from j on fits message B, each by at least `breath_margin` more than the other message and at least
    `breath_min_similarity`; the best j by the two similarities' sum. Then the clauses next to the cut are weighed
    one by one: one that fits the other message better moves across, one that fits neither ("and for the other
    one,") is left out of both. Returns (A, B, A's last word, B's first word), or None.
    `fit(m, text)`: message m's similarity to the text (nan: no fit)."""
    if config.breath_margin < 0 or len(messages) < 2:
        return None
    first, last, bounds = _breath_bounds(words, s, config)
    low = config.min_response_words
    pre = [words.join(first, j - 1) for j in bounds]
    post = [words.join(j, last) for j in bounds]
    best, found = -np.inf, None
    for i in range(len(bounds)):
        before = {m: fit(m, pre[i]) for m in messages}
        after = {m: fit(m, post[i]) for m in messages}
        for a in messages:
            for b in messages:
                if a == b:
                    continue
                pa, pb, qa, qb = before[a], before[b], after[a], after[b]
                if min(pa, qb) >= config.breath_min_similarity and pa - pb >= config.breath_margin \
                        and qb - qa >= config.breath_margin and pa + qb > best:
                    best, found = pa + qb, (a, b, i)
    if found is None:
        return None
    a, b, i = found
    # the clauses at the cut, one by one: one that fits neither message (less than half of `breath_min_similarity`)
    # is left out; one that fits the other side's message better goes to it while the two parts still meet
    edges = [first, *bounds, last + 1]
    lo, hi = i + 1, i + 1  # A is clauses [.. lo), B is [hi ..) of edges
    floor = config.breath_min_similarity / 2
    while hi + 1 < len(edges) and edges[-1] - edges[hi + 1] >= low:  # B's first clause, B keeping enough words
        clause = words.join(edges[hi], edges[hi + 1] - 1)
        fa, fb = fit(a, clause), fit(b, clause)
        if max(fa, fb) < floor:
            hi += 1
        elif lo == hi and fa > fb:
            lo = hi = hi + 1
        else:
            break
    while lo - 1 > 0 and edges[lo - 1] - first >= low:  # A's last clause, A keeping enough words
        clause = words.join(edges[lo - 1], edges[lo] - 1)
        fa, fb = fit(a, clause), fit(b, clause)
        if max(fa, fb) < floor:
            lo -= 1
        elif lo == hi and fb > fa:
            lo = hi = lo - 1
        else:
            break
    return a, b, edges[lo] - 1, edges[hi]


def _breath_bounds(words: Words, s: int, config: AlignConfig) -> tuple[int, int, list[int]]:
    """Sentence `s`'s first and last word, and the clause boundaries that leave `min_response_words` on each side."""
    first, last = int(words.sentence_first[s]), int(words.sentence_last[s])
    low = config.min_response_words
    return first, last, [j for j in range(first + low, last - low + 2) if words.clause_end[j - 1]]


def breath_texts(words: Words, s: int, config: AlignConfig) -> list[str]:
    """The texts `breath_split` compares for sentence `s`: both sides of each clause boundary."""
    first, last, bounds = _breath_bounds(words, s, config)
    return [t for j in bounds for t in (words.join(first, j - 1), words.join(j, last))]


def cut_answer(words: Words, cut: Cut, msg: Message, config: AlignConfig, sims: Callable[[int, int], float],
               keeps: Callable[[float, float, float], bool] | None = None,
               other_read: Callable[[int], bool] = lambda s: False) -> Cut:
    """Where the answer ends: the first sentence (what is left of it after the lead), then the following sentences
    while they stay on the subject. `sims(k, s)`: similarity of sentence `s` to the message (k=0), to the answer's
    first part (k=1) or to sentence `s - 1` (k=2); `keeps(to_message, to_first, to_previous)`: the fitted
    continuation model (without one, a sentence stays when a similarity reaches `continue_similarity`)."""
    a = cut.answer_first
    if a > cut.answer_last:
        return cut
    s = int(words.sentence[a])
    end = min(int(words.sentence_last[s]), cut.answer_last)
    while end < cut.answer_last:
        nxt = s + 1
        if other_read(nxt):  # the next message read aloud: this answer is over
            break
        b = min(int(words.sentence_last[nxt]), cut.answer_last)
        if words.end_ms[b] - words.start_ms[a] > config.max_answer_ms:
            break
        to_msg, to_first, to_prev = sims(0, nxt), sims(1, nxt), sims(2, nxt)
        stays = (keeps(to_msg, to_first, to_prev) if keeps is not None
                 else max(to_msg, to_first) >= config.continue_similarity)
        if not stays:
            break
        s, end = nxt, b
    # a short closing sentence that names the chatter is a sign-off, not the answer
    s_last = int(words.sentence[end])
    first_of_last = max(int(words.sentence_first[s_last]), a)
    is_name = name_words(words, a, end, msg, config.name_similarity)
    signoff = False
    if s_last != int(words.sentence[a]) and end - first_of_last + 1 <= 6 and \
            names_chatter(said_parts(words, is_name & set(range(first_of_last, end + 1)), msg), msg):
        end, signoff = first_of_last - 1, True
    # a name said at the very end of the answer ("..., pixel bean")
    e = end
    while e > a and e in is_name:
        e -= 1
    if e < end and names_chatter(said_parts(words, set(range(e + 1, end + 1)), msg), msg):
        end, signoff = e, True
    # or the sign-off right after it, in a few words of its own ("Hope that helps, Pixel Bean.")
    if not signoff:
        after = end + 1
        while after < len(words.text) and after - end <= config.signoff_words and \
                words.start_ms[after] - words.end_ms[after - 1] < config.extend_pause_ms:
            after += 1
        tail = name_words(words, end + 1, after - 1, msg, config.name_similarity)
        signoff = bool(tail) and words.sentence[min(tail)] - words.sentence[end] <= 2 \
            and names_chatter(said_parts(words, tail, msg), msg)
    return Cut(cut.lead_first, cut.lead_last, cut.lead_read, cut.lead_named, a, end, signoff)


def reads_message(words: Words, a: int, b: int, msg: Message, config: AlignConfig) -> tuple[int, int]:
    """Where words a..b first say the message aloud (at least `read_aloud_min` of its word weight, in the message's
    order, within a window as long as the message and `lead_gap_words` more): the indexes of the word that starts it
    and of the word that completes it, or (-1, -1) when they do not."""
    n = len(msg.weights)
    if n < config.min_read_aloud_tokens or b < a:
        return -1, -1
    width = n + config.lead_gap_words
    for start in range(a, b + 1):
        if set(words.stems[start]) & msg.weights.keys() and \
                ordered_share(words, start, min(b, start + width - 1), msg) >= config.read_aloud_min:
            return start, next(e for e in range(start, min(b, start + width - 1) + 1)
                               if ordered_share(words, start, e, msg) >= config.read_aloud_min)
    return -1, -1
