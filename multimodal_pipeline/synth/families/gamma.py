"""Family `gamma` (held out, never tuned on): terse chat, longer and more formal answers, read-aloud leads that put the
name after the question, names said at the end of an answer, gamer-tag handles."""

from __future__ import annotations

import random

from . import Family, LongTopic, Topic

SLOTS = {
    "game": ("Bloodborne", "Doom Eternal", "Slay the Spire", "Disco Elysium", "Hitman", "Sekiro", "Tunic",
             "Noita", "Halo", "Starfield", "Returnal", "Psychonauts"),
    "rank": ("gold", "platinum", "diamond", "silver", "master"),
    "book": ("Dune", "The Hobbit", "Project Hail Mary", "Circe", "Neuromancer", "The Martian"),
    "job": ("a bakery", "a bike shop", "a call center", "a library", "a hardware store", "a cinema"),
    "subject": ("chemistry", "history", "graphic design", "economics", "biology", "linguistics"),
    "monitor": ("ultrawide", "curved", "old office", "small portable"),
    "headset": ("wired", "wireless", "studio", "cheap gaming"),
    "car": ("bicycle", "tram", "old hatchback", "scooter"),
    "tea": ("earl grey", "jasmine", "rooibos", "matcha"),
    "dog_breed": ("beagle", "corgi", "greyhound", "husky", "poodle"),
    "dog_name": ("Barnaby", "Juniper", "Rocket", "Clementine", "Bruno"),
    "age": ("twelve", "fourteen", "nine", "sixteen"),
}

TOPICS = (
    Topic("rank", ("rank?", "what rank r you", "highest rank"), (
        "The highest I ever reached was {rank}, although I have mostly stopped playing ranked since then.",
        "Currently sitting at {rank}, which is respectable, but I would not call myself competitive.",
    )),
    Topic("book", ("reading anything", "book rec?", "last book"), (
        "Most recently I finished {book}, and I would recommend it to anybody who enjoys a slow build.",
        "I have been working through {book} in the evenings, a few chapters at a time before bed.",
    )),
    Topic("old_job", ("first job?", "worst job you had", "ever worked retail")
          , (
        "My very first job was at {job}, mostly stacking shelves and sweeping floors on weekends.",
        "For two summers I worked at {job}, which taught me a great deal of patience.",
    )),
    Topic("studied", ("did u go to uni", "what did you study", "college major?"), (
        "I studied {subject} for three years, and I barely use any of it today.",
        "My degree was in {subject}, although streaming was never part of the plan.",
    )),
    Topic("monitor", ("monitor?", "what screen is that", "how many monitors"), (
        "I play on a {monitor} monitor, with a second one on the side for reading messages.",
        "Just one {monitor} screen, since two made my neck hurt after long sessions.",
    )),
    Topic("headset", ("headphones?", "what headset", "those headphones good"), (
        "These are a {headset} pair I bought years ago, and they refuse to break.",
        "It is a {headset} headset, comfortable enough for six hour sessions.",
    )),
    Topic("commute", ("how do u get around", "do you drive", "car?"), (
        "Mostly by {car}, because parking in my area is an absolute nightmare.",
        "I get everywhere by {car}, which keeps me reasonably fit.",
    )),
    Topic("tea", ("tea or coffee", "whats ur drink", "tea?"), (
        "Tea, always, usually {tea} with far too much honey.",
        "I switched to {tea} last year, and I sleep much better now.",
    )),
    Topic("dog", ("dog?", "any dogs", "is that barking ur dog"), (
        "That would be {dog_name}, our {dog_breed}, who barks at every single delivery.",
        "We have a {dog_breed} named {dog_name}, and he is far more popular than I am.",
    )),
    Topic("start_gaming", ("when did u start gaming", "first console", "how old were u when u started"), (
        "I started when I was around {age}, on a hand me down console from my cousin.",
        "Around the age of {age}, playing borrowed cartridges until they stopped working.",
    )),
    Topic("difficulty", ("why not hard mode", "easy mode??", "what difficulty"), (
        "Normal difficulty, because I want to enjoy the story rather than suffer for it.",
        "I picked the default setting, and I may raise it once I understand the systems.",
    )),
    Topic("recommend", ("recommend a game", "what should i play next", "game recs"), (
        "If you have not tried {game}, that would be my first suggestion.",
        "Honestly, {game}, it surprised me more than anything else this year.",
    )),
)

LONG_TOPICS = (
    LongTopic("speedrun", ("explain the speedrun thing", "how do speedruns work"), (
        "Right, so speedrunning is about finishing a game as fast as possible under a set of rules.",
        "Every category has its own rules, for example whether glitches are allowed or not.",
        "Runners practice individual sections hundreds of times until the movement becomes automatic.",
        "The timer usually starts when you gain control and stops on the final input.",
        "Communities keep leaderboards, and every record has to be verified with a full video.",
        "What I find fascinating is how people discover new tricks in games that are decades old.",
        "So it is part sport, part puzzle, and part collective research project.",
    )),
    LongTopic("schedule_plan", ("whats the plan for the channel", "any plans for the channel"), (
        "The plan for the coming months is fairly straightforward, at least on paper.",
        "First, I would like to keep a fixed schedule of three evenings a week.",
        "Second, we will finish this campaign before starting anything new.",
        "After that, I am considering a series of shorter games, one per weekend.",
        "I also want to organise a charity event near the end of the year.",
        "None of this is final, and your suggestions genuinely shape what happens.",
        "Equipment upgrades will wait until the schedule has settled down.",
        "And of course, the community events on the server will continue as before.",
        "That is roughly where things stand right now.",
    )),
)

WORDS = ("night", "owl", "zero", "cool", "iron", "frog", "captain", "crunch", "lil", "bit", "dark", "matter",
         "king", "slayer", "quick", "silver", "ghost", "byte", "storm", "crow", "mega", "mind", "salt", "bae")


def handle(rng: random.Random) -> tuple[str, str]:
    a, b = rng.sample(WORDS, 2)
    style = rng.randrange(5)
    if style == 0:
        return f"x{a.capitalize()}{b.capitalize()}", f"{a} {b}"
    if style == 1:
        return f"{a}_{b}_{rng.randrange(10, 999)}", f"{a} {b}"
    if style == 2:
        return f"{a.upper()}{b.upper()}", f"{a} {b}"
    if style == 3:
        return f"Mr{a.capitalize()}{b.capitalize()}", f"mister {a} {b}"
    return f"{a}{b}TV", f"{a} {b}"


FAMILY = Family(
    name="gamma",
    slots=SLOTS,
    topics=TOPICS,
    read_aloud=("{text}, that one is from {name}", "{text}, asked by {name}", "reading one from chat, {text}",
                "{name} would like to know, {text}"),
    named=("{answer} Hope that helps, {name}.", "Right, {name}. {answer}", "{answer} Good question, {name}.",
           "Now, for {name}: {answer}"),
    paid_read=("a {amount} donation from {name}, reading it now, {text}",),
    paid_named=("{answer} And thank you {name} for the {amount}.", "Much appreciated, {name}, {amount}. {answer}"),
    paid_cheers=(
        ("keep up the great work", "Thank you {name}, very kind of you to support the channel."),
        ("gg", "Thank you for that, {name}, truly appreciated."),
    ),
    member_replies=("Welcome to the membership, {name}, and thank you.",),
    intros=("Good evening and welcome, tonight we continue with {game}.",),
    outros=("That concludes tonight's session, thank you for your company.",),
    mono_slots={
        "weapon": ("rifle", "blade", "hammer", "crossbow"),
        "stat": ("endurance", "vitality", "dexterity", "focus"),
        "room": ("library", "chapel", "cellar", "observatory", "workshop"),
    },
    monologue=(
        "The {weapon} scales with {stat}, so that is where the points go.",
        "I suspect the {room} connects back to the first area.",
        "Patience here, the attack pattern repeats every few seconds.",
        "That was entirely my fault, I rolled far too early.",
        "Interesting, the {room} door was locked earlier.",
        "Let us try a different approach this time.",
        "The architecture in this section is remarkable.",
        "I will level {stat} once more before the next encounter.",
        "Careful, there is usually an ambush around this corner.",
        "Excellent, that shortcut saves a great deal of time.",
        "I would rather not spend every resource on this fight.",
        "The writing in this game is consistently sharp.",
        "Hold position, the patrol is about to turn around.",
        "Another attempt, slightly more aggressive this time.",
        "The {weapon} feels sluggish against faster enemies.",
        "A quick detour through the {room}, then we move on.",
        "I wonder whether that statue is relevant to the puzzle.",
        "We are running low on healing, so caution is advised.",
    ),
    chatter=("gg wp", "W", "clean", "@{other} true", "{game} > this", "pog", "first time here", "ez",
             "bro what", "@{other} nah", "based", "cinema", "yo", "he's cooking", "actual gameplay",
             "mods?", "@{other} lmaooo", "skill issue", "L", "{place} represent"),
    thanks={
        "follow": ("And welcome to {name}, thank you for following the channel.", "Thank you for the follow, {name}."),
        "sub": ("{name}, thank you very much for subscribing.", "Many thanks for the subscription, {name}."),
        "gift": ("{name} has gifted memberships to the chat, thank you.", "Generous gifts from {name}, thank you."),
    },
    dismiss=("I would rather not get into that one.", "I will pass on that question, thank you.",
             "Let us leave that for another time."),
    yes_no=(("you single", "No."), ("is this a blind run", "Yes."), ("modded?", "No."),
            ("is this hard mode", "Correct."), ("play with friends?", "Sometimes.")),
    long_topics=LONG_TOPICS,
    second_answer=("As for the other question, {answer}", "And to answer the next one, {answer}"),
    handle=handle,
    # formal and unhurried: longer pauses, a beat before each answer
    pauses=((0.50, 300, 1100), (0.40, 1100, 3000), (0.10, 3500, 7000)),
    answer_gap_ms=(500, 1500),
    reply_gap_ms=(300, 900),
)
