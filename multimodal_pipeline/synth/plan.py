"""The stream's timeline: what the streamer says when, and what chat writes when.

Order of planning (all from seeded ``random.Random`` instances, one per concern):
1. viewers (handles and spoken names);
2. speech: an intro, then answer slots spread over the stream (one per ~``60 / (chat rate * answer
   share)`` s); before each slot the streamer fills time with monologue; each answer is placed at its slot
   (never before the previous speech ended), and the message it answers is put ``lag`` seconds earlier;
3. chat noise (emotes, emoji, spam, copypasta, URL spam, commands and bot replies, chatter, unanswered
   questions, paid messages, memberships) as a Poisson process with bursts.
"""

from __future__ import annotations

import random
import re
import string
from dataclasses import dataclass, field

from . import banks
from .names import Viewer, make_bot, make_viewers
from .spec import StreamSpec
from .tts import Speaker, Speech

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


@dataclass
class Utt:
    start_ms: int
    speech: Speech
    kind: str  # monologue | answer
    msg: Msg | None = None
    part: str | None = None  # read | reply (answers only)
    style: str | None = None
    utt_id: str = ""

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


def _fill(template: str, rng: random.Random, values: dict[str, str]) -> str:
    """Format ``template`` drawing any slot not in ``values`` from :data:`banks.SLOTS`."""
    for _lit, name, _spec, _conv in _FMT.parse(template):
        if not name or name in values:
            continue
        base = name.rstrip("0123456789")
        pool = banks.SLOTS.get(base) or banks.MONO_SLOTS[base]
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


def _pause_ms(rng: random.Random) -> int:
    u = rng.random()
    if u < 0.70:
        return rng.randint(400, 1400)
    if u < 0.95:
        return rng.randint(1400, 3500)
    return rng.randint(4000, 8000)


class Planner:
    def __init__(self, spec: StreamSpec, speaker: Speaker):
        self.spec = spec
        self.speaker = speaker
        self.D = spec.duration_ms
        base = f"multimodal_pipeline.synth:{spec.seed}"
        self.r_view = random.Random(f"{base}:viewers")
        self.r_speech = random.Random(f"{base}:speech")
        self.r_chat = random.Random(f"{base}:chat")
        self._seq = 0
        self.messages: list[Msg] = []
        self.utts: list[Utt] = []
        self.cursor = 0  # end of the last placed speech (ms)
        self._recent: list[str] = []

        n_expected = spec.chat_rate_per_min * self.D / 60000
        n_viewers = int(min(400, max(12, n_expected / 3)))
        self.viewers = make_viewers(self.r_view, n_viewers)
        self.bots = [make_bot(self.r_view, b) for b in banks.BOTS]
        weights = [1.0 / (i + 1) ** 0.8 for i in range(n_viewers)]
        self.r_view.shuffle(weights)
        self.activity = weights
        self.game = self.r_speech.choice(banks.SLOTS["game"])

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

    def _place(self, start_ms: int, text: str, kind: str, **kw) -> Utt:
        u = Utt(start_ms=int(start_ms), speech=self.speaker.say(text), kind=kind, **kw)
        if u.start_ms < self.cursor:
            raise RuntimeError(f"utterance at {u.start_ms} ms would overlap speech ending at {self.cursor} ms")
        self.utts.append(u)
        self.cursor = u.end_ms
        return u

    def _question(self, rng: random.Random, topic: banks.Topic | None = None) -> tuple[banks.Topic, str, dict]:
        topic = topic or rng.choice(banks.TOPICS)
        values: dict[str, str] = {"streamer": self.spec.streamer}
        core = _fill(rng.choice(topic.questions), rng, values)
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
        values: dict[str, str] = {}
        while True:  # no line template twice within the last ten
            t = rng.choice(banks.MONOLOGUE)
            if t not in self._recent:
                break
        self._recent = (self._recent + [t])[-10:]
        for _lit, name, _s, _c in _FMT.parse(t):
            if name and name not in values:
                values[name] = rng.choice(banks.MONO_SLOTS[name])
        return t.format(**values)

    def _fill_monologue(self, until_ms: int) -> None:
        rng = self.r_speech
        misses = 0
        while misses < 4:
            pause = _pause_ms(rng)
            start = self.cursor + pause if self.utts else max(self.cursor, pause)
            speech = self.speaker.say(self._monologue_text(rng))
            if start + speech.duration_ms + 400 <= until_ms:
                self._place(start, speech.text, "monologue")
                misses = 0
            else:
                misses += 1

    def _answer_texts(self, rng: random.Random, msg: Msg, answer: str) -> list[tuple[str, str]]:
        """(part, text) list for the streamer's reply to ``msg`` in ``msg.style``."""
        name = msg.author.spoken
        if msg.kind == "paid" and msg.is_question:
            if msg.style == "read_aloud":
                read = rng.choice(banks.PAID_READ).format(name=name, amount=msg.amount_spoken, text=msg.read_text)
                return [("read", read), ("reply", f"thank you so much! {answer}")]
            return [("reply", rng.choice(banks.PAID_NAMED).format(name=name, amount=msg.amount_spoken, answer=answer))]
        if msg.kind in ("paid", "membership"):
            return [("reply", answer.format(name=name))]
        if msg.style == "read_aloud":
            return [
                ("read", rng.choice(banks.READ_ALOUD).format(name=name, text=msg.read_text)),
                ("reply", answer),
            ]
        if msg.style == "named":
            return [("reply", rng.choice(banks.NAMED).format(name=name, answer=answer))]
        return [("reply", answer[0].upper() + answer[1:])]

    def _answered_message(self, rng: random.Random) -> tuple[Msg, str]:
        """A message the streamer will answer (ts set later) and the reply template."""
        author = self._viewer(rng)
        u = rng.random()
        if u < 0.82 or self.D < 20000:
            topic, text, values = self._question(rng)
            answer = _fill(rng.choice(topic.answers), rng, values)
            style = rng.choices(("read_aloud", "named", "direct"), weights=(0.35, 0.35, 0.30))[0]
            m = self._msg(0, author, text, "question", is_question=True, topic=topic.key,
                          read_text=_speakable(text), style=style)
            return m, answer
        if u < 0.94:
            amount, spoken, bits = rng.choice(banks.PAID_AMOUNTS)
            if rng.random() < 0.5:
                topic, text, values = self._question(rng)
                answer = _fill(rng.choice(topic.answers), rng, values)
                style = rng.choice(("read_aloud", "named"))
                m = self._msg(0, author, text, "paid", kind="paid", is_question=True, topic=topic.key,
                              read_text=_speakable(text), amount=amount, amount_spoken=spoken, bits=bits,
                              style=style)
                return m, answer
            text, reply = rng.choice(banks.PAID_CHEERS)
            text = text.format(streamer=self.spec.streamer)
            m = self._msg(0, author, text, "paid", kind="paid", amount=amount, amount_spoken=spoken, bits=bits,
                          read_text=_speakable(text), style="named")
            return m, reply
        m = self._msg(0, author, "", "membership", kind="membership", style="named")
        return m, rng.choice(banks.MEMBER_REPLIES)

    def plan_speech(self) -> None:
        rng = self.r_speech
        spec = self.spec
        end_limit = self.D - 400
        intro = _fill(rng.choice(banks.INTROS), rng, {"game": self.game})
        start = rng.randint(500, 1500)
        if start + self.speaker.say(intro).duration_ms <= end_limit:
            self._place(start, intro, "monologue")
        outro = rng.choice(banks.OUTROS) if self.D >= 120_000 else None
        outro_ms = self.speaker.say(outro).duration_ms + 800 if outro else 0
        answer_end_limit = end_limit - outro_ms

        n_expected = spec.chat_rate_per_min * self.D / 60000
        n_answers = int(round(n_expected * spec.answer_share))
        if spec.answer_share > 0 and self.D >= 15000:
            n_answers = max(1, n_answers)
        lag_min, lag_max = int(spec.lag_min_s * 1000), int(spec.lag_max_s * 1000)
        base = self.cursor
        span = max(1, answer_end_limit - base)
        slot = span / max(1, n_answers)
        for i in range(n_answers):
            target = int(base + i * slot + rng.uniform(0.15, 0.75) * slot)
            self._fill_monologue(target)
            msg, answer = self._answered_message(rng)
            parts = self._answer_texts(rng, msg, answer)
            speeches = [self.speaker.say(t) for _p, t in parts]
            gaps = [rng.randint(250, 700) for _ in parts[1:]]
            total = sum(s.duration_ms for s in speeches) + sum(gaps)
            start = max(target, self.cursor + rng.randint(400, 1200), lag_min + 300)
            if start + total > answer_end_limit:
                self.messages.remove(msg)  # no time left for this answer
                break
            lag = rng.randint(lag_min, max(lag_min, min(lag_max, start - 250)))
            msg.ts_ms = start - lag
            msg.lag_ms = lag
            msg.answered = True
            t = start
            for k, ((part, text), _speech) in enumerate(zip(parts, speeches)):
                u = self._place(t, text, "answer", msg=msg, part=part, style=msg.style)
                msg.utts.append(u)
                t = u.end_ms + (gaps[k] if k < len(gaps) else 0)
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
            other = self._viewer(rng, exclude=author)
            vals = {
                "other": other.handle, "game": rng.choice(banks.SLOTS["game"]),
                "place": rng.choice(banks.SLOTS["place"]), "pet": rng.choice(banks.SLOTS["pet"]),
                "enemy": rng.choice(banks.MONO_SLOTS["enemy"]),
            }
            self._msg(t, author, rng.choice(banks.CHATTER).format(**vals), "chatter")
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
                text = rng.choice(banks.PAID_CHEERS)[0].format(streamer=spec.streamer)
                self._msg(t, author, text, "paid", kind="paid", read_text=_speakable(text), amount=amount,
                          amount_spoken=spoken, bits=bits)
        elif cat == "membership":
            self._msg(t, author, "", "membership", kind="membership")
        else:  # pragma: no cover
            raise AssertionError(cat)

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
        return Plan(self.D, self.game, self.viewers, self.bots, list(self.utts), msgs)


def plan_stream(spec: StreamSpec, speaker: Speaker) -> Plan:
    return Planner(spec, speaker).build()
