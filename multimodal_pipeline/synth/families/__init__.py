"""Generator families: independently written wording for everything the synthetic streamer and chat say.

A family owns its questions and answers, read-aloud leads, the ways it names a chatter, thank-yous for follows, subs
and gifts, dismissals, single-word and long answers, monologue, chat chatter and the shape of its handles. The
planner (`plan.py`) only decides *when* things happen; *what* is said comes from one family. Families were written
separately (different wording, sentence shapes and lengths) so that alignment can be tuned on some and measured on
the others: `alpha`, `beta`, `gamma`, `delta`, `epsilon` and `eta` are the tuning families, `zeta` and `theta` are
held out (see the README's alignment figures). `gamma` was the held-out family until its figures had been looked at
three times, then `delta` was written to replace it; `delta` joined the tuning families after its figures had been
looked at five times, and `epsilon` was written to replace it; `epsilon` joined them after seven looks, and `zeta`
was written to replace it. `eta` was written after `zeta` had been looked at eight times, as a held-out family no
figure had been seen of; it joined the tuning families after seven looks, when its wrong pairs were read one by one.
`theta` was written before that, after `zeta` had been looked at fourteen times, and no figure of it was seen while
tuning.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Callable


@dataclass(frozen=True)
class Topic:
    key: str
    questions: tuple[str, ...]  # as a viewer types them
    answers: tuple[str, ...]  # as the streamer says them


@dataclass(frozen=True)
class LongTopic:
    """A question whose answer runs 30 s and more: `sentences` are drawn in order, all on the question's topic."""

    key: str
    questions: tuple[str, ...]
    sentences: tuple[str, ...]


@dataclass(frozen=True)
class Family:
    name: str
    slots: dict[str, tuple[str, ...]]
    topics: tuple[Topic, ...]
    read_aloud: tuple[str, ...]  # "{name}", "{text}"
    named: tuple[str, ...]  # "{name}", "{answer}"
    paid_read: tuple[str, ...]  # "{name}", "{amount}", "{text}"
    paid_named: tuple[str, ...]  # "{name}", "{amount}", "{answer}"
    paid_cheers: tuple[tuple[str, str], ...]  # (message with "{streamer}", reply with "{name}")
    member_replies: tuple[str, ...]
    intros: tuple[str, ...]  # "{game}"
    outros: tuple[str, ...]
    mono_slots: dict[str, tuple[str, ...]]
    monologue: tuple[str, ...]
    chatter: tuple[str, ...]  # "{other}" "{game}" "{place}" "{pet}" "{enemy}"
    thanks: dict[str, tuple[str, ...]]  # follow | sub | gift -> "{name}" thank-yous
    dismiss: tuple[str, ...]  # said after reading a question aloud, instead of an answer
    yes_no: tuple[tuple[str, str], ...]  # (question, one-word answer)
    long_topics: tuple[LongTopic, ...]
    second_answer: tuple[str, ...]  # joins a second answer said in the same breath: "{answer}"
    handle: Callable[[random.Random], tuple[str, str]]  # (display handle, how the streamer says it)
    games: tuple[str, ...] = field(default=())
    #: the pause before an utterance that follows another (monologue, an answer): a mixture of uniform ranges in
    #: ms, (share, low, high). Families pause differently, so that no boundary is found by the pause alone
    pauses: tuple[tuple[float, int, int], ...] = ((0.70, 400, 1400), (0.25, 1400, 3500), (0.05, 4000, 8000))
    #: the pause before an answer's first utterance, and between a read-aloud or a name and the reply (ms)
    answer_gap_ms: tuple[int, int] = (400, 1200)
    reply_gap_ms: tuple[int, int] = (250, 700)

    def pause_ms(self, rng: random.Random) -> int:
        """One pause between two utterances, drawn from `pauses`."""
        u, acc = rng.random(), 0.0
        for share, low, high in self.pauses:
            acc += share
            if u < acc:
                return rng.randint(low, high)
        return rng.randint(*self.pauses[-1][1:])

    def slot_pool(self, name: str) -> tuple[str, ...]:
        return self.slots.get(name) or self.mono_slots[name]


def family(name: str) -> Family:
    from . import alpha, beta, delta, epsilon, eta, gamma, theta, zeta

    families = {f.name: f for f in (alpha.FAMILY, beta.FAMILY, gamma.FAMILY, delta.FAMILY, epsilon.FAMILY,
                                          zeta.FAMILY, eta.FAMILY, theta.FAMILY)}
    if name not in families:
        raise ValueError(f"unknown generator family {name!r}; known: {sorted(families)}")
    return families[name]


FAMILY_NAMES: tuple[str, ...] = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta")
TUNING_FAMILIES: tuple[str, ...] = ("alpha", "beta", "gamma", "delta", "epsilon", "eta")
HELD_OUT_FAMILIES: tuple[str, ...] = ("zeta", "theta")
