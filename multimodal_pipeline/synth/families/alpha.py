"""Family `alpha` (tuning): the generator's original wording (`banks.py`, `names.py`) plus its hard cases."""

from __future__ import annotations

from .. import banks
from ..names import _handle
from . import Family, LongTopic

FAMILY = Family(
    name="alpha",
    slots=banks.SLOTS,
    topics=banks.TOPICS,  # type: ignore[arg-type]  # same fields as families.Topic
    read_aloud=banks.READ_ALOUD,
    named=banks.NAMED,
    paid_read=banks.PAID_READ,
    paid_named=banks.PAID_NAMED,
    paid_cheers=banks.PAID_CHEERS,
    member_replies=banks.MEMBER_REPLIES,
    intros=banks.INTROS,
    outros=banks.OUTROS,
    mono_slots=banks.MONO_SLOTS,
    monologue=banks.MONOLOGUE,
    chatter=banks.CHATTER,
    thanks={
        "follow": ("thanks for the follow {name}.", "{name}, thank you for the follow, welcome."),
        "sub": ("thank you {name} for the sub.", "{name} just subscribed, thank you so much."),
        "gift": ("thanks {name} for the gifted subs.", "{name} gifted five subs, thank you."),
    },
    dismiss=("hmm, I'm not going to answer that one.", "no comment on that, moving on.",
             "okay, let's skip that question."),
    yes_no=(("do you have a cat?", "yes."), ("are you going to stream tomorrow?", "yes."),
            ("is this your first time playing?", "no."), ("do you like spicy food?", "definitely."),
            ("have you beaten the final boss yet?", "nope.")),
    long_topics=(
        LongTopic("setup_story", ("how did you start streaming?", "why did you start streaming"), (
            "I started streaming about three years ago, during a really boring winter.",
            "at first I only streamed for my friends, maybe two or three people watching.",
            "I used my old laptop and a cheap headset, the quality was terrible.",
            "then a few people from the game forums started showing up every night.",
            "after a few months I bought a proper microphone and a camera.",
            "now streaming is the best part of my week, and I love the community here.",
            "the first time more than ten people watched, I was so nervous I forgot the controls.",
            "so yeah, it started as a hobby and it still feels like a hobby.",
        )),
        LongTopic("routine", ("what does your day look like before stream?", "what's your routine before streaming"), (
            "my routine before stream is pretty simple actually.",
            "I wake up, make coffee and check the messages from the discord.",
            "then I go for a walk, because sitting all day is bad for my back.",
            "in the afternoon I plan what we are going to play and test the audio.",
            "about an hour before stream I eat something light, usually soup or a sandwich.",
            "and right before going live I warm up my voice and my hands.",
            "sometimes I also stretch a little, because long streams are hard on the shoulders.",
            "and I always fill a big bottle of water and put it next to the keyboard.",
            "that's basically the whole routine, every stream day.",
        )),
    ),
    second_answer=("and to the other question, {answer}", "also, {answer}"),
    handle=_handle,
)
