"""Family `eta` (written as a held-out family after `zeta` had been looked at eight times; a tuning family since its
wrong pairs were read, after seven looks): a quiet, dry streamer
who plays city builders and flight simulators late at night; answers that give the fact first and then a dry aside,
often in two short sentences ("Two monitors. One is for the map."), or that start by thinking aloud ("Hm, let me
think."); chat that asks in fragments, with "q:" in front or a trailing "?" after a single noun ("keyboard?");
read-aloud leads that name the chatter inside the sentence ("A question from {name} here, ...") or after a colon;
handles built on aviation and railway words, "Tower", "_Line" and "Works" endings and trailing years, said as words."""

from __future__ import annotations

import random

from . import Family, LongTopic, Topic

SLOTS = {
    "game": ("Cities Skylines", "Microsoft Flight Simulator", "Transport Fever", "Frostpunk", "Anno 1800",
             "Workers and Resources"),
    "keyboard": ("an old buckling spring board from a thrift shop", "a low profile board with quiet switches",
                 "a split keyboard I built from a kit"),
    "screens": ("two monitors", "one ultrawide", "three screens, which is too many"),
    "stick": ("a second hand flight stick", "a cheap throttle and a stick from a car boot sale",
              "a yoke that clamps onto the desk"),
    "cat": ("a grey tabby called Fog", "two old cats, Rivet and Gauge", "a black cat named Soot"),
    "town": ("Glasgow", "a village near Utrecht", "the north of Norway", "a flat above a bakery in Leeds"),
    "tea": ("builder's tea, two sugars", "peppermint tea", "cold brew coffee", "plain hot water, honestly"),
    "hours": ("about four hours", "until the city goes bankrupt", "three hours, sometimes five"),
    "work": ("a railway signaller", "a surveyor for the council", "a night shift baker", "a bus mechanic"),
    "city": ("a river city with forty thousand people", "a grid town that keeps flooding",
             "a port city built around a single bridge"),
    "plane": ("a small Cessna", "an old DC-3", "a seaplane", "a glider"),
    "bedtime": ("four in the morning", "around three", "half past five, when the bakery opens"),
}

TOPICS = (
    Topic("keyboard", ("keyboard?", "q: what keyboard is that", "that clacking is so satisfying, which board"), (
        "It is {keyboard}. It is louder than it needs to be.",
        "Hm, let me think, {keyboard}, bought it years ago.",
    )),
    Topic("screens", ("how many monitors u running", "q: dual screen or single", "setup tour when"), (
        "I run {screens}. One of them is only for the map.",
        "At the moment it is {screens}. My desk is not happy about it.",
    )),
    Topic("stick", ("do you fly with a controller or what", "q: flight stick?", "hotas setup??"), (
        "I fly with {stick}. It wobbles a bit, still works.",
        "Hm, so, it is {stick}. Nothing fancy.",
    )),
    Topic("cat", ("any cats in the house", "was that a meow lol", "q: pets"), (
        "There is {cat}. They sleep on the warm router.",
        "Yes, that would be {cat}. They have opinions about my streams.",
    )),
    Topic("town", ("where do u stream from", "q: which country", "what timezone are you even in"), (
        "I stream from {town}. It rains a lot here.",
        "Hm, {town}, for about six years now.",
    )),
    Topic("tea", ("what is in that mug tonight", "q: coffee or tea", "what are you sipping on"), (
        "That is {tea}. Third one tonight.",
        "It is {tea}, the only thing keeping me awake.",
    )),
    Topic("hours", ("how long is stream tonight", "q: when do u end", "r u going all night"), (
        "Probably {hours}. We will see how the traffic holds up.",
        "I am aiming for {hours}, no promises.",
    )),
    Topic("work", ("do u have a day job", "q: what did u do before", "what do you do for a living"), (
        "During the day I am {work}. It is quieter than it sounds.",
        "I used to be {work}. That explains the trains, I suppose.",
    )),
    Topic("city", ("whats the plan for this city", "q: what are we building today", "city goals?"), (
        "Tonight it is {city}. We will see if the budget survives.",
        "The plan is {city}, and a tram line, always a tram line.",
    )),
    Topic("plane", ("favourite plane to fly", "q: what plane is this", "which aircraft do u like most"), (
        "I keep going back to {plane}. Slow, but honest.",
        "Hm, let me think, {plane}, I like how it handles in wind.",
    )),
    Topic("bedtime", ("do u ever sleep", "q: when do you go to bed", "isnt it late for u"), (
        "I usually go to bed at {bedtime}. Not a healthy schedule.",
        "Bed is at {bedtime}, give or take a traffic jam.",
    )),
)

LONG_TOPICS = (
    LongTopic("firstcity", ("tell us about your first big city", "q: biggest city you ever built"), (
        "The first big one was a coastal city I started during a long winter.",
        "It began as a fishing village with a single road along the water.",
        "Then a highway came in from the north and everything changed at once.",
        "I spent a whole weekend just fixing one roundabout near the harbour.",
        "By the end it had two hundred thousand people and three tram lines.",
        "The water supply was held together by one pumping station on a hill.",
        "When that station flooded, half the city went thirsty in one evening.",
        "I still have the save, but I am honestly afraid to open it.",
    )),
    LongTopic("landing", ("worst landing youve done", "q: ever crashed on stream"), (
        "The worst one was an approach into a mountain airport in heavy fog.",
        "I had the instruments set for the wrong runway without noticing.",
        "At two hundred feet the ground came up where the runway should have been.",
        "I pulled up, went around, and then got the frequencies wrong again.",
        "By the second attempt I was almost out of fuel and patience.",
        "Chat was counting down the fuel gauge out loud, which did not help.",
        "The landing itself was fine, but I bounced three times on the way in.",
        "Since then I check the runway number twice, out loud, every single time.",
    )),
)

WORDS = ("falcon", "rivet", "signal", "gauge", "ferry", "tram", "glider", "ballast", "viaduct", "beacon", "hangar",
         "compass", "piston", "runway", "junction", "harbour", "lantern", "boiler", "spanner", "drizzle")


def handle(rng: random.Random) -> tuple[str, str]:
    a, b = rng.sample(WORDS, 2)
    style = rng.randrange(5)
    if style == 0:
        return f"{a.capitalize()}Tower", f"{a} tower"
    if style == 1:
        return f"{a}_{b}_Line", f"{a} {b} line"
    if style == 2:
        return f"{a}{b}", f"{a} {b}"
    if style == 3:
        return f"{a}{rng.choice(('1987', '1994', '2003', '1979'))}", a
    return f"{a.capitalize()}{b.capitalize()}Works", f"{a} {b} works"


FAMILY = Family(
    name="eta",
    slots=SLOTS,
    topics=TOPICS,
    read_aloud=("A question from {name} here, {text}", "{name} writes in, {text}", "Let me see. {name}: {text}",
                "Here is one. {text}. That was {name}."),
    named=("Ah, {name}, hello. {answer}", "{answer} That one is for {name}.", "Right then, {name}, {answer}",
           "Good evening, {name}. {answer}"),
    paid_read=("{name} sent {amount}, very kind, and the note says, {text}",),
    paid_named=("{amount} from {name}, thank you kindly. {answer}", "{answer} And {name}, thanks for the {amount}."),
    paid_cheers=(
        ("for the tram budget", "{name}, the tram budget thanks you, that is very generous."),
        ("buy yourself a better runway", "{name}, ha, I will spend it on asphalt, thank you."),
    ),
    member_replies=("{name} is now a member, welcome aboard, make yourself at home.",),
    intros=("Good evening, everyone, we are back, and tonight it is {game} again.",),
    outros=("That is it for tonight, get some sleep, unlike me, good night.",),
    mono_slots={
        "road": ("the ring road", "the bypass", "the main avenue", "the bridge ramp"),
        "zone": ("the industry", "the harbour district", "the new suburb", "the old town"),
        "thing": ("the budget", "the water pressure", "the garbage trucks", "the power grid"),
    },
    monologue=(
        "Right, {road} is jammed again, let me look at that.",
        "I think {zone} needs another bus stop.",
        "Hm, {thing} is not looking great.",
        "Let me zoom out for a second.",
        "This intersection was a mistake, I will own that.",
        "Okay, pause the game, I need to think.",
        "Nobody is using the ferry, which is a little sad.",
        "I will move {zone} further from the river, I think.",
        "The tower says we are cleared, lovely.",
        "Flaps down one notch, speed is good.",
        "Look at those little trams, I could watch them all night.",
        "I keep forgetting to save, let me save now.",
        "And {thing} again, of course it is.",
        "Hm, that is a lot of red on the traffic map.",
        "Right, one more lane on {road}, that should do it.",
        "Quiet night tonight, I like it.",
        "Let me just check the fuel before we go further.",
        "There is fog rolling in over the hills, very moody.",
    ),
    chatter=("evening from the night shift", "cozy stream", "@{other} exactly this", "the trams are so smooth",
             "good evening everyone",
             "@{other} no way", "greetings from {place}", "traffic is cursed", "{game} next time?", "NotLikeThis",
             "this is my sleep stream", "that bridge is beautiful", "@{other} true true", "chat is so chill tonight",
             "my {pet} is asleep on my lap", "lurking", "10/10 roundabout", "KEKW that queue", "comfy",
             "just got home from work"),
    thanks={
        "follow": ("Thank you for the follow, {name}, nice to have you.", "{name} just followed, good evening to you."),
        "sub": ("{name} subscribed, thank you, that is very kind.", "A sub from {name}, much appreciated."),
        "gift": ("{name} gifted some subs, that is very generous, thank you.",
                 "Thank you {name} for the gifted subs, lovely of you."),
    },
    dismiss=("Hm, I would rather not get into that one.", "I will pass on that one, sorry.",
             "That is a question for another night."),
    yes_no=(("q: ever crash a plane", "Often."), ("do u use mods", "Some."), ("is that real weather", "Yes."),
            ("do you plan the city first", "Never."), ("r u tired", "Very.")),
    long_topics=LONG_TOPICS,
    second_answer=("As for the other one, {answer}", "And the second question, {answer}"),
    handle=handle,
    # calm but unbroken: shaped, like `zeta`'s, on the gaps between the cues of the real stream transcripts in the
    # test fixtures (median 260-380 ms), with a longer tail of thinking pauses
    pauses=((0.55, 80, 450), (0.28, 450, 1100), (0.13, 1100, 2800), (0.04, 2800, 5500)),
    answer_gap_ms=(200, 900),
    reply_gap_ms=(120, 500),
)
