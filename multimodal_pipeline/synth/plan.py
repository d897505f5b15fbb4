"""The stream's timeline: what the streamer says when, and what chat writes when.

Order of planning (all from seeded ``random.Random`` instances, one per concern):
1. viewers (handles and spoken names);
2. speech: an intro, then answer slots spread over the stream (one per ~``60 / (chat rate * answer
   share)`` s); before each slot the streamer fills time with monologue; each answer is placed at its slot
   (never before the previous speech ended), and the message it answers is put ``lag`` seconds earlier;
3. chat noise (emotes, emoji, spam, copypasta, URL spam, commands and bot replies, chatter, unanswered
   questions, paid messages, memberships) as a Poisson process with bursts.

With a guest voice (``StreamSpec.guest_voice``), a second speaker says some of the monologue lines between the
streamer's and takes some answer slots: the guest reads a viewer's question aloud and answers it. Those messages are
not answered by the streamer (``answered_by = "guest"``): a pair made from the guest's speech is a false pair.
"""

from __future__ import annotations

import random
import re
import string
from dataclasses import dataclass, field

from . import banks
from .families import Family, family
from .names import Viewer, make_bot, make_viewers
from .real import chat_lines, transcript_lines
from .spec import StreamSpec
from .tts import Speaker, Speech, tokenize

_FMT = string.Formatter()
_MENTION_RE = re.compile(r"^@\S+$")


@dataclass
class Msg:
    ts_ms: int
    author: Viewer
    text: str
    category: str
    seq: int
    kind: str = "message"  # message | paid | membership
    is_question: bool = False
    topic: str | None = None
    read_text: str | None = None  # what the streamer says when reading the message aloud
    amount: str | None = None
    amount_spoken: str | None = None
    bits: int | None = None
    group: str | None = None  # burst id (spam, copypasta)
    reply_to: Msg | None = None  # for bot replies: the command
    answered: bool = False
    style: str | None = None
    lag_ms: int | None = None
    utts: list[Utt] = field(default_factory=list)
    msg_id: str = ""
    case: str | None = None  # the hard case this message belongs to (late, yes_no, long, pair, ...)
    reply_text: str | None = None  # the answer alone: no read-aloud, no name, no thank-you for money
    reply_start_ms: int | None = None
    reply_end_ms: int | None = None
    answered_by: str | None = None  # "guest": a question the guest answered (not the streamer)


@dataclass
class Utt:
    start_ms: int
    speech: Speech
    kind: str  # monologue | answer | dismiss | thanks
    msg: Msg | None = None
    part: str | None = None  # read | reply (answers only); follow | sub | gift (thanks)
    style: str | None = None
    utt_id: str = ""
    voice: str = "streamer"  # streamer | guest

    @property
    def text(self) -> str:
        return self.speech.text

    @property
    def end_ms(self) -> int:
        return self.start_ms + self.speech.duration_ms

    def words_ms(self) -> list[tuple[str, int, int]]:
        sr = self.speech.sample_rate
        out = []
        for w, s, e in self.speech.words:
            s_ms = round(s * 1000 / sr)
            out.append((w, self.start_ms + s_ms, self.start_ms + max(round(e * 1000 / sr), s_ms + 1)))
        return out


@dataclass
class Plan:
    duration_ms: int
    game: str
    viewers: list[Viewer]
    bots: list[Viewer]
    utterances: list[Utt]
    messages: list[Msg]
    thanks: list[dict] = field(default_factory=list)  # thank-yous for follows, subs and gifts (not answers)


def _fill(template: str, rng: random.Random, values: dict[str, str], fam: Family | None = None) -> str:
    """Format ``template`` drawing any slot not in ``values`` from the family's slots (alpha's by default)."""
    for _lit, name, _spec, _conv in _FMT.parse(template):
        if not name or name in values:
            continue
        base = name.rstrip("0123456789")
        pool = fam.slot_pool(base) if fam else (banks.SLOTS.get(base) or banks.MONO_SLOTS[base])
        taken = {v for k, v in values.items() if k.rstrip("0123456789") == base}
        values[name] = rng.choice([v for v in pool if v not in taken] or list(pool))
    return template.format(**values)


def _speakable(text: str) -> str:
    """The words of a chat message a streamer would read out: no @mentions, emoji or emotes."""
    keep = []
    for tok in text.split():
        if _MENTION_RE.match(tok) or not tok.isascii():
            continue
        if tok in banks.TWITCH_EMOTES or tok in banks.THIRD_PARTY_EMOTES or tok in banks.YT_CUSTOM_EMOJI:
            continue
        keep.append(tok)
    return " ".join(keep)


class Planner:
    def __init__(self, spec: StreamSpec, speaker: Speaker, guest: Speaker | None = None):
        self.spec = spec
        self.speaker = speaker
        self.guest = guest
        self.D = spec.duration_ms
        base = f"multimodal_pipeline.synth:{spec.seed}"
        self.r_view = random.Random(f"{base}:viewers")
        self.r_speech = random.Random(f"{base}:speech")
        self.r_chat = random.Random(f"{base}:chat")
        self.r_guest = random.Random(f"{base}:guest")
        self._seq = 0
        self.messages: list[Msg] = []
        self.utts: list[Utt] = []
        self.cursor = 0  # end of the last placed speech (ms)
        self._recent: list[str] = []

        n_expected = spec.chat_rate_per_min * self.D / 60000
        n_viewers = int(min(400, max(12, n_expected / 3)))
        self.fam = family(spec.family)
        self.r_case = random.Random(f"{base}:cases")
        self.real_mono = transcript_lines(spec.real_monologue) if spec.real_monologue else None
        self.real_chat = chat_lines(spec.real_chat) if spec.real_chat else None
        self.thanks: list[dict] = []
        self.viewers = make_viewers(self.r_view, n_viewers, self.fam.handle)
        self.bots = [make_bot(self.r_view, b) for b in banks.BOTS]
        weights = [1.0 / (i + 1) ** 0.8 for i in range(n_viewers)]
        self.r_view.shuffle(weights)
        self.activity = weights
        self.game = self.r_speech.choice(self.fam.slots["game"])

    # ---- helpers ---------------------------------------------------------------------------------
    def _msg(self, ts_ms: int, author: Viewer, text: str, category: str, **kw) -> Msg:
        self._seq += 1
        m = Msg(ts_ms=int(ts_ms), author=author, text=text, category=category, seq=self._seq, **kw)
        self.messages.append(m)
        return m

    def _viewer(self, rng: random.Random, exclude: Viewer | None = None) -> Viewer:
        while True:
            v = rng.choices(self.viewers, weights=self.activity)[0]
            if v is not exclude:
                return v

    def _voice(self, voice: str) -> Speaker:
        return self.guest if voice == "guest" and self.guest is not None else self.speaker

    def _place(self, start_ms: int, text: str, kind: str, voice: str = "streamer", **kw) -> Utt:
        u = Utt(start_ms=int(start_ms), speech=self._voice(voice).say(text), kind=kind, voice=voice, **kw)
        if u.start_ms < self.cursor:
            raise RuntimeError(f"utterance at {u.start_ms} ms would overlap speech ending at {self.cursor} ms")
        self.utts.append(u)
        self.cursor = u.end_ms
        return u

    def _question(self, rng: random.Random, topic=None, core: str | None = None):
        topic = topic or rng.choice(self.fam.topics)
        values: dict[str, str] = {"streamer": self.spec.streamer}
        core = _fill(core or rng.choice(topic.questions), rng, values, self.fam)
        if rng.random() < 0.5:
            core = core[0].lower() + core[1:]
        u = rng.random()
        if core.endswith("?") and u < 0.25:
            core = core[:-1]
        elif core.endswith("?") and u < 0.30:
            core += "?"
        u = rng.random()
        if u < 0.15:
            core = f"@{self.spec.streamer} {core}"
        elif u < 0.22:
            core = f"hey {self.spec.streamer.lower()} {core}"
        u = rng.random()
        if u < 0.08:
            core = f"{core} {rng.choice(list(banks.EMOJI))}"
        elif u < 0.13:
            core = f"{rng.choice(list(banks.EMOJI))} {core}"
        elif u < 0.16:
            core = f"{core} {rng.choice(list(banks.TWITCH_EMOTES))}"
        return topic, core, values

    # ---- speech ----------------------------------------------------------------------------------
    def _monologue_text(self, rng: random.Random) -> str:
        if self.real_mono:  # one or two consecutive cues of a real stream
            i = rng.randrange(len(self.real_mono) - 1)
            return " ".join(self.real_mono[i: i + rng.choice((1, 1, 2))])
        values: dict[str, str] = {}
        while True:  # no line template twice within the last ten
            t = rng.choice(self.fam.monologue)
            if t not in self._recent:
                break
        self._recent = (self._recent + [t])[-10:]
        for _lit, name, _s, _c in _FMT.parse(t):
            if name and name not in values:
                values[name] = rng.choice(self.fam.mono_slots[name])
        return t.format(**values)

    def _fill_monologue(self, until_ms: int) -> None:
        rng = self.r_speech
        misses = 0
        while misses < 4:
            pause = self.fam.pause_ms(rng)
            start = self.cursor + pause if self.utts else max(self.cursor, pause)
            voice = "guest" if self.guest is not None and self.r_guest.random() < self.spec.guest_share else "streamer"
            speech = self._voice(voice).say(self._monologue_text(rng))
            if start + speech.duration_ms + 400 <= until_ms:
                self._place(start, speech.text, "monologue", voice=voice)
                misses = 0
            else:
                misses += 1

    def _wrap(self, template: str, answer: str, **kw: str) -> tuple[str, int, str]:
        """(spoken text, words before the answer, the answer) of a reply template with an ``{answer}`` slot."""
        head = template.split("{answer}")[0].format(**kw)
        return template.format(answer=answer, **kw), len(tokenize(head)), answer

    def _answer_texts(self, rng: random.Random, msg: Msg, answer: str) -> list[tuple[str, str, int, str | None]]:
        """(part, text, words before the answer, answer) list for the streamer's reply to ``msg`` in ``msg.style``."""
        fam, name = self.fam, msg.author.spoken
        if msg.kind == "paid" and msg.is_question:
            if msg.style == "read_aloud":
                read = rng.choice(fam.paid_read).format(name=name, amount=msg.amount_spoken, text=msg.read_text)
                return [("read", read, 0, None), ("reply", *self._wrap("thank you so much! {answer}", answer))]
            return [("reply", *self._wrap(rng.choice(fam.paid_named), answer, name=name,
                                          amount=msg.amount_spoken))]
        if msg.kind in ("paid", "membership"):  # a thank-you: the words around the name are the reply (`_speak`)
            return [("reply", answer.format(name=name), 0, None)]
        if msg.style == "read_aloud":
            return [("read", rng.choice(fam.read_aloud).format(name=name, text=msg.read_text), 0, None),
                    ("reply", answer, 0, answer)]
        if msg.style == "named":
            return [("reply", *self._wrap(rng.choice(fam.named), answer, name=name))]
        answer = answer[0].upper() + answer[1:]
        return [("reply", answer, 0, answer)]

    def _answered_message(self, rng: random.Random) -> tuple[Msg, str]:
        """A message the streamer will answer (ts set later) and the reply template."""
        author = self._viewer(rng)
        u = rng.random()
        if u < 0.82 or self.D < 20000:
            topic, text, values = self._question(rng)
            answer = _fill(rng.choice(topic.answers), rng, values, self.fam)
            style = rng.choices(("read_aloud", "named", "direct"), weights=(0.35, 0.35, 0.30))[0]
            m = self._msg(0, author, text, "question", is_question=True, topic=topic.key,
                          read_text=_speakable(text), style=style)
            return m, answer
        if u < 0.94:
            amount, spoken, bits = rng.choice(banks.PAID_AMOUNTS)
            if rng.random() < 0.5:
                topic, text, values = self._question(rng)
                answer = _fill(rng.choice(topic.answers), rng, values, self.fam)
                style = rng.choice(("read_aloud", "named"))
                m = self._msg(0, author, text, "paid", kind="paid", is_question=True, topic=topic.key,
                              read_text=_speakable(text), amount=amount, amount_spoken=spoken, bits=bits,
                              style=style)
                return m, answer
            text, reply = rng.choice(self.fam.paid_cheers)
            text = text.format(streamer=self.spec.streamer)
            m = self._msg(0, author, text, "paid", kind="paid", amount=amount, amount_spoken=spoken, bits=bits,
                          read_text=_speakable(text), style="named")
            return m, reply
        m = self._msg(0, author, "", "membership", kind="membership", style="named")
        return m, rng.choice(self.fam.member_replies)

    def _hard_question(self, rng: random.Random, case: str) -> tuple[Msg, str]:
        """A question of a hard case and its answer: a one-word answer (`yes_no`) or one of 30 s and more (`long`)."""
        author = self._viewer(rng)
        if case == "yes_no":
            question, answer = rng.choice(self.fam.yes_no)
            topic, text, values = self._question(rng, core=question)
            answer = _fill(answer, rng, values, self.fam)
        else:
            long = rng.choice(self.fam.long_topics)
            _t, text, _v = self._question(rng, core=rng.choice(long.questions))
            answer = " ".join(long.sentences)
        style = rng.choices(("read_aloud", "named", "direct"), weights=(0.4, 0.4, 0.2))[0]
        m = self._msg(0, author, text, "question", is_question=True, topic=case, read_text=_speakable(text),
                      style=style, case=case)
        return m, answer

    def _speak(self, rng: random.Random, msg: Msg, parts: list[tuple[str, str, int, str | None]], start: int,
               kind: str = "answer", voice: str = "streamer") -> int:
        """Place the utterances of one reply from ``start``; the answer's own words set ``msg.reply_*``."""
        t = start
        for k, (part, text, before, answer) in enumerate(parts):
            if k:
                t += rng.randint(*self.fam.reply_gap_ms)
            u = self._place(t, text, kind, msg=msg, part=part, style=msg.style, voice=voice)
            msg.utts.append(u)
            t = u.end_ms
            if answer is None:
                continue
            words = u.words_ms()
            n = len(tokenize(answer))
            s_ms, e_ms = ((words[before][1], words[before + n - 1][2]) if n and len(words) >= before + n
                          else (u.start_ms, u.end_ms))
            msg.reply_text = f"{msg.reply_text} {answer}".strip() if msg.reply_text else answer.strip()
            msg.reply_start_ms = s_ms if msg.reply_start_ms is None else msg.reply_start_ms
            msg.reply_end_ms = e_ms
        if msg.reply_text is None and any(p[0] == "reply" for p in parts):
            # a thank-you said around the name: the whole utterance is the reply, its text without the name
            said = " ".join(p[1] for p in parts if p[0] == "reply")
            msg.reply_text = re.sub(r"\s+", " ", said.replace(msg.author.spoken, "")).strip(" ,.")
            msg.reply_start_ms, msg.reply_end_ms = msg.utts[0].start_ms, msg.utts[-1].end_ms
        return t

    def _duration(self, parts: list[tuple[str, str, int, str | None]], voice: str = "streamer") -> int:
        gaps = self.fam.reply_gap_ms[1] * (len(parts) - 1)
        return sum(self._voice(voice).say(p[1]).duration_ms for p in parts) + gaps

    def _guest_answer_slot(self, rng: random.Random, target: int, limit: int, lag: tuple[int, int]) -> bool:
        """The guest reads a viewer's question aloud (or names the viewer) and answers it: not the streamer's
        answer, so the message stays unanswered in the ground truth (``answered_by = "guest"``)."""
        start = max(target, self.cursor + rng.randint(*self.fam.answer_gap_ms), lag[0] + 300)
        msg, answer = self._answered_message(rng)
        if msg.kind != "message":
            self.messages.remove(msg)
            return True
        msg.style = rng.choice(("read_aloud", "named", "direct"))
        parts = self._answer_texts(rng, msg, answer)
        if start + self._duration(parts, "guest") > limit:
            self.messages.remove(msg)
            return False
        self._speak(rng, msg, parts, start, kind="guest_answer", voice="guest")
        msg.ts_ms = start - rng.randint(lag[0], max(lag[0], min(lag[1], start - 250)))
        msg.utts.clear()
        msg.reply_text = msg.reply_start_ms = msg.reply_end_ms = None
        msg.case, msg.answered_by = "guest_answer", "guest"
        return True

    CASES = {"normal": 0.5, "late": 0.07, "yes_no": 0.07, "long": 0.05, "pair": 0.08, "out_of_order": 0.06,
             "dismiss": 0.07, "thanks": 0.10}

    def _answer_slot(self, rng: random.Random, case: str, target: int, limit: int, lag: tuple[int, int]) -> bool:
        """Plan one answer slot of the given case at ``target``; False when there is no time left."""
        start = max(target, self.cursor + rng.randint(*self.fam.answer_gap_ms), lag[0] + 300)
        if case in ("pair", "out_of_order"):
            (m1, a1), (m2, a2) = self._answered_message(rng), self._answered_message(rng)
            if m1.kind != "message" or m2.kind != "message":  # keep hard cases to plain questions
                for m in (m1, m2):
                    self.messages.remove(m)
                case = "normal"
            else:
                for m in (m1, m2):
                    m.case = case
                if case == "pair":
                    m2.style = "direct"
                    m1.style = rng.choice(("named", "direct"))
                    p1 = self._answer_texts(rng, m1, a1)
                    p2 = [("reply", *self._wrap(rng.choice(self.fam.second_answer), a2))]
                else:
                    m1.style, m2.style = rng.choice(("read_aloud", "named")), "read_aloud"
                    p1, p2 = self._answer_texts(rng, m2, a2), self._answer_texts(rng, m1, a1)
                    m1, m2 = m2, m1  # m1 is spoken first
                if start + self._duration(p1) + self._duration(p2) + 1500 > limit:
                    for m in (m1, m2):
                        self.messages.remove(m)
                    return False
                lag1 = rng.randint(lag[0], max(lag[0], min(lag[1], start - 250)))
                t = self._speak(rng, m1, p1, start)
                t2 = t + (rng.randint(60, 180) if case == "pair" else rng.randint(500, 1200))
                self._speak(rng, m2, p2, t2)
                ts1 = start - lag1
                ts2 = rng.randint(ts1 + 300, max(ts1 + 300, start - 800)) if case == "pair" else None
                if case == "pair":
                    m1.ts_ms, m2.ts_ms = ts1, ts2
                else:  # the later message (m1, spoken first) was written after the earlier one (m2)
                    m2.ts_ms = ts1
                    m1.ts_ms = rng.randint(ts1 + 300, max(ts1 + 300, start - 800))
                for m in (m1, m2):
                    m.answered, m.lag_ms = True, m.utts[0].start_ms - m.ts_ms
                return True
        if case == "thanks":
            viewer = self._viewer(rng)
            what = rng.choice(("follow", "sub", "gift"))
            text = rng.choice(self.fam.thanks[what]).format(name=viewer.spoken)
            if start + self.speaker.say(text).duration_ms > limit:
                return False
            t0 = max(0, start - rng.randint(2000, 12000))
            self._msg(t0, viewer, self._chatter_text(rng, viewer), "chatter", case="thanks")
            if what != "follow":
                self._msg(min(start - 200, t0 + rng.randint(400, 1500)), viewer, "", "membership",
                          kind="membership", case="thanks")
            u = self._place(start, text, "thanks", part=what)
            self.thanks.append({"viewer": viewer.handle, "spoken": viewer.spoken, "what": what,
                                "start_ms": u.start_ms, "end_ms": u.end_ms, "text": text})
            return True
        if case == "dismiss":
            topic, text, _v = self._question(rng)
            m = self._msg(0, self._viewer(rng), text, "question", is_question=True, topic=topic.key,
                          read_text=_speakable(text), style="read_aloud", case="dismissed")
            parts = [("read", rng.choice(self.fam.read_aloud).format(name=m.author.spoken, text=m.read_text), 0,
                      None), ("dismiss", rng.choice(self.fam.dismiss), 0, None)]
            if start + self._duration(parts) > limit:
                self.messages.remove(m)
                return False
            self._speak(rng, m, parts, start, kind="dismiss")
            m.ts_ms = start - rng.randint(lag[0], max(lag[0], min(lag[1], start - 250)))
            m.utts.clear()  # not an answer: the message stays unanswered in the ground truth
            m.reply_text = None
            return True
        if case in ("yes_no", "long"):
            msg, answer = self._hard_question(rng, case)
        else:
            msg, answer = self._answered_message(rng)
            if case == "late":
                msg.case = "late"
                lag = (20_000, 40_000)
                start = max(start, lag[0] + 300)
        parts = self._answer_texts(rng, msg, answer)
        if start + self._duration(parts) > limit:
            self.messages.remove(msg)  # no time left for this answer
            return False
        lag_ms = rng.randint(lag[0], max(lag[0], min(lag[1], start - 250)))
        msg.ts_ms, msg.lag_ms, msg.answered = start - lag_ms, lag_ms, True
        self._speak(rng, msg, parts, start)
        return True

    def plan_speech(self) -> None:
        rng = self.r_speech
        spec = self.spec
        end_limit = self.D - 400
        intro = _fill(rng.choice(self.fam.intros), rng, {"game": self.game}, self.fam)
        start = rng.randint(500, 1500)
        if start + self.speaker.say(intro).duration_ms <= end_limit:
            self._place(start, intro, "monologue")
        outro = rng.choice(self.fam.outros) if self.D >= 120_000 else None
        outro_ms = self.speaker.say(outro).duration_ms + 800 if outro else 0
        answer_end_limit = end_limit - outro_ms

        n_expected = spec.chat_rate_per_min * self.D / 60000
        n_answers = int(round(n_expected * spec.answer_share))
        if spec.answer_share > 0 and self.D >= 15000:
            n_answers = max(1, n_answers)
        lag = (int(spec.lag_min_s * 1000), int(spec.lag_max_s * 1000))
        base = self.cursor
        span = max(1, answer_end_limit - base)
        slot = span / max(1, n_answers)
        cases, weights = list(self.CASES), list(self.CASES.values())
        for i in range(n_answers):
            target = int(base + i * slot + rng.uniform(0.15, 0.75) * slot)
            self._fill_monologue(target)
            case = self.r_case.choices(cases, weights=weights)[0] if spec.hard_cases else "normal"
            if self.guest is not None and self.r_guest.random() < spec.guest_answer_share:
                if not self._guest_answer_slot(rng, target, answer_end_limit, lag):
                    break
            elif not self._answer_slot(rng, case, target, answer_end_limit, lag):
                break
        self._fill_monologue(answer_end_limit)
        if outro:
            start = self.cursor + rng.randint(500, 1000) if self.utts else 800
            if start + self.speaker.say(outro).duration_ms <= end_limit:
                self._place(start, outro, "monologue")

    # ---- chat noise ------------------------------------------------------------------------------
    CATEGORY_WEIGHTS = {
        "emote": 0.20, "emoji": 0.07, "chatter": 0.27, "spam": 0.035, "copypasta": 0.02, "url_spam": 0.03,
        "command": 0.06, "paid": 0.015, "membership": 0.01,
    }
    BURST_MEAN = {"spam": 4.5, "copypasta": 4.5, "command": 1.8}

    def plan_chat(self) -> None:
        rng = self.r_chat
        spec = self.spec
        n_target = spec.chat_rate_per_min * self.D / 60000
        n_left = max(0.0, n_target - sum(1 for m in self.messages if m.answered))
        weights = dict(self.CATEGORY_WEIGHTS)
        other = sum(weights.values())
        q_share = max(0.0, spec.question_share - spec.answer_share)
        scale = (1.0 - spec.question_share) / other
        weights = {k: w * scale for k, w in weights.items()}
        weights["question"] = q_share
        cats = list(weights)
        w = [weights[c] for c in cats]
        mean_m = sum(weights[c] * self.BURST_MEAN.get(c, 1.0) for c in cats) / sum(w)
        events_per_ms = n_left / mean_m / max(1, self.D - 800)
        end = self.D - 150
        t = 300.0
        burst = 0
        while events_per_ms > 0:
            t += rng.expovariate(events_per_ms)
            if t >= end:
                break
            cat = rng.choices(cats, weights=w)[0]
            if cat in ("spam", "copypasta"):
                burst += 1
            self._noise(rng, cat, int(t), end, burst)
        # Bot timers every few minutes.
        t = rng.uniform(45_000, 90_000)
        while t < end:
            bot = self.bots[rng.randrange(len(self.bots))]
            text = rng.choice(banks.BOT_TIMERS).format(channel=spec.streamer.lower())
            self._msg(t, bot, text, "bot")
            t += rng.uniform(240_000, 420_000)

    def _noise(self, rng: random.Random, cat: str, t: int, end: int, burst: int) -> None:
        spec = self.spec
        author = self._viewer(rng)
        if cat == "emote":
            u = rng.random()
            if u < 0.65:
                e = rng.choice(list(banks.TWITCH_EMOTES))
            elif u < 0.85:
                e = rng.choice(banks.THIRD_PARTY_EMOTES)
            elif u < 0.93:
                e = rng.choice(list(banks.YT_CUSTOM_EMOJI))
            else:
                e = rng.choice(list(banks.EMOJI))
            n = rng.choices((1, 2, 3, 4), weights=(5, 3, 2, 1))[0]
            sep = "" if (not e.isascii() and rng.random() < 0.6) else " "
            self._msg(t, author, sep.join([e] * n), "emote")
        elif cat == "emoji":
            e = rng.choice(list(banks.EMOJI))
            self._msg(t, author, f"{e * rng.randint(1, 2)} {rng.choice(banks.EMOJI_LED)}", "emoji")
        elif cat == "chatter":
            self._msg(t, author, self._chatter_text(rng, author), "chatter")
        elif cat == "question":
            topic, text, _v = self._question(rng)
            self._msg(t, author, text, "question", is_question=True, topic=topic.key, read_text=_speakable(text))
        elif cat == "spam":
            text = rng.choice(banks.SPAM).format(STREAMER=spec.streamer.upper())
            ts = t
            for k in range(rng.randint(3, 6)):
                if ts >= end:
                    break
                # Twitch rejects an identical message in a row; spammers append U+E0000 to get around it.
                body = text + (" \U000E0000" if k % 2 == 1 else "")
                self._msg(ts, author, body, "spam", group=f"spam-{burst}")
                ts += rng.randint(700, 3000)
        elif cat == "copypasta":
            text = rng.choice(banks.COPYPASTA)
            authors = [author]
            for _ in range(rng.randint(2, 5)):
                authors.append(self._viewer(rng, exclude=authors[-1]))
            ts = t
            for a in authors:
                if ts >= end:
                    break
                self._msg(ts, a, text, "copypasta", group=f"copypasta-{burst}")
                ts += rng.randint(200, 2500)
        elif cat == "url_spam":
            spammer = self.viewers[-1 - rng.randrange(min(5, len(self.viewers)))]
            self._msg(t, spammer, rng.choice(banks.URL_SPAM).format(handle=spammer.login), "url_spam")
        elif cat == "command":
            cmd = rng.choice(banks.COMMANDS)
            m = self._msg(t, author, cmd, "command")
            if rng.random() < 0.8:
                ts = t + rng.randint(300, 1800)
                if ts < end:
                    bot = self.bots[0] if rng.random() < 0.7 else self.bots[1]
                    self._msg(ts, bot, self._bot_reply(cmd, author, ts), "bot", reply_to=m)
        elif cat == "paid":
            amount, spoken, bits = rng.choice(banks.PAID_AMOUNTS)
            if rng.random() < 0.5:
                topic, text, _v = self._question(rng)
                self._msg(t, author, text, "paid", kind="paid", is_question=True, topic=topic.key,
                          read_text=_speakable(text), amount=amount, amount_spoken=spoken, bits=bits)
            else:
                text = rng.choice(self.fam.paid_cheers)[0].format(streamer=spec.streamer)
                self._msg(t, author, text, "paid", kind="paid", read_text=_speakable(text), amount=amount,
                          amount_spoken=spoken, bits=bits)
        elif cat == "membership":
            self._msg(t, author, "", "membership", kind="membership")
        else:  # pragma: no cover
            raise AssertionError(cat)

    def _chatter_text(self, rng: random.Random, author: Viewer) -> str:
        """A chat line that asks nothing of the streamer: a real chat line when the spec names a real chat log."""
        if self.real_chat:
            return rng.choice(self.real_chat)
        other = self._viewer(rng, exclude=author)
        vals = {
            "other": other.handle, "game": rng.choice(self.fam.slots["game"]),
            "place": rng.choice(banks.SLOTS["place"]), "pet": rng.choice(banks.SLOTS["pet"]),
            "enemy": rng.choice(banks.MONO_SLOTS["enemy"]),
        }
        return rng.choice(self.fam.chatter).format(**vals)

    def _bot_reply(self, cmd: str, user: Viewer, ts: int) -> str:
        s = self.spec.streamer
        ch = s.lower()
        if cmd == "!uptime":
            mins, secs = divmod(ts // 1000, 60)
            hrs, mins = divmod(mins, 60)
            up = (f"{hrs} hours " if hrs else "") + f"{mins} minutes {secs} seconds"
            return f"{s} has been live for {up}"
        if cmd == "!discord":
            return f"Join the community discord: https://discord.gg/{ch}streams"
        if cmd == "!socials":
            return f"Twitter: https://twitter.com/{ch} | Instagram: https://instagram.com/{ch}"
        if cmd == "!specs":
            return "PC specs and peripherals are listed in the panels below the stream"
        if cmd == "!schedule":
            return "Streams every Monday, Wednesday and Friday at 7 PM"
        if cmd == "!lurk":
            return f"{user.handle} is now lurking, enjoy the stream!"
        return f"{user.handle} has been following {s} for 1 year 2 months"

    # ---- result ----------------------------------------------------------------------------------
    def build(self) -> Plan:
        self.plan_speech()
        self.plan_chat()
        msgs = sorted(self.messages, key=lambda m: (m.ts_ms, m.seq))
        for i, m in enumerate(msgs, 1):
            m.msg_id = f"msg-{i:06d}"
        for i, u in enumerate(self.utts, 1):
            u.utt_id = f"utt-{i:05d}"
        return Plan(self.D, self.game, self.viewers, self.bots, list(self.utts), msgs, self.thanks)


def plan_stream(spec: StreamSpec, speaker: Speaker, guest: Speaker | None = None) -> Plan:
    return Planner(spec, speaker, guest).build()
