"""Family `epsilon` (written as the held-out family after `delta` joined the tuning families; a tuning family since its
figures were looked at seven times): a calm, precise
retro-game collector who speaks in full, measured sentences and often restates the question before answering; chat
that writes proper sentences, addresses the streamer with @mentions, tacks emotes onto questions and sometimes writes
second-language English; read-aloud leads that announce the message first ("Here is one from ..."); handles with clan
tags, underscores and titles, spoken as their words."""

from __future__ import annotations

import random

from . import Family, LongTopic, Topic

SLOTS = {
    "game": ("Chrono Trigger", "Super Metroid", "Castlevania", "Mega Man Two", "Street Fighter", "Earthbound",
             "Star Fox", "Donkey Kong Country", "Secret of Mana", "Kirby"),
    "console": ("a boxed Super Nintendo", "an old Game Boy with a cracked screen", "a Sega Saturn",
                "a Japanese Famicom"),
    "camera": ("an old camcorder on a tripod", "a small webcam clipped to the shelf", "a mirrorless camera"),
    "tea": ("Earl Grey", "builder's tea", "peppermint tea", "a strong black coffee"),
    "record": ("forty one minutes", "just under an hour", "about fifty two minutes", "a little over two hours"),
    "hobby": ("repairing old controllers", "baking bread", "birdwatching", "restoring cartridges"),
    "country": ("Wales", "the Netherlands", "northern England", "a village near Edinburgh"),
    "route": ("the glitchless route", "the hundred percent route", "the any percent route"),
    "days": ("three days", "a fortnight", "about a week", "five evenings"),
    "collection": ("around two hundred cartridges", "roughly ninety boxed games", "more consoles than shelves"),
    "display": ("a chunky CRT television", "a little arcade monitor", "an upscaler into a normal screen"),
    "book": ("a history of arcade cabinets", "a detective novel", "a book about old typefaces"),
}

TOPICS = (
    Topic("console", ("@streamer what are you playing this on?", "Is that original hardware or an emulator",
                      "which console is it Kappa"), (
        "What am I playing on? This is {console}, plugged straight into {display}.",
        "It is original hardware. Specifically, {console}, which I bought at a car boot sale years ago.",
    )),
    Topic("camera", ("What camera do you use for the facecam?", "@streamer is the cam a webcam",
                     "which camera is that? quality is nice"), (
        "The camera is {camera}. Nothing expensive, I promise.",
        "For the face camera I use {camera}, and the lighting does most of the work.",
    )),
    Topic("tea", ("What are you drinking today", "is that tea or coffee in the mug", "what's in the cup lol"), (
        "In the mug today is {tea}. It is the only thing keeping me upright.",
        "This is {tea}, as always. I do not function without it.",
    )),
    Topic("record", ("What is your personal best on this game?", "@streamer what's the PB", "how fast is your best run"), (
        "My personal best is {record}, which is nowhere near the world record, to be clear.",
        "The best time I have managed is {record}. I think I can still shave a bit off it.",
    )),
    Topic("hobby", ("Do you have other hobbies beside games?", "what do you do when not streaming",
                    "any hobbies outside gaming?"), (
        "Outside of games, I spend a lot of time {hobby}. It is oddly relaxing.",
        "Away from the stream, mostly {hobby}. Very quiet, very satisfying.",
    )),
    Topic("country", ("Where are you living? Your accent is nice", "which country are you from",
                      "@streamer where are you based"), (
        "I live in {country}. The weather is about what you would expect.",
        "I am based in {country}, and I have been for most of my life.",
    )),
    Topic("route", ("Which route are you running today?", "is this any percent?", "what category is this run"), (
        "Today I am running {route}. It is the one I know best.",
        "This is {route}, so no fancy skips, just clean movement.",
    )),
    Topic("learn", ("How long did it take you to learn this game", "how long to get good at this",
                    "how many hours did you practice"), (
        "To learn the basics it took me {days}, and then years of polishing.",
        "Honestly, {days} to get through it, and much longer to get fast.",
    )),
    Topic("collection", ("How many games do you own?", "how big is your collection",
                         "@streamer is that shelf all games?"), (
        "At the moment I have {collection}. My partner would say far too many.",
        "The collection is {collection}, and the shelf behind me is only part of it.",
    )),
    Topic("display", ("Why does the picture look so sharp", "what screen do you play on",
                      "is that a crt?? so cool"), (
        "The picture comes from {display}, which keeps the input lag low.",
        "I play on {display}. It makes a big difference for timing.",
    )),
    Topic("reading", ("Are you reading anything at the moment?", "any book recommendations",
                      "what book is on the desk"), (
        "I am reading {book} at the moment. Slowly, a chapter a night.",
        "The book on the desk is {book}. I would recommend it, actually.",
    )),
    Topic("fav_game", ("What is your most favourite the game of all time?", "best game ever in your opinion?",
                       "@streamer favourite game?"), (
        "My favourite of all time would be {game}. It has aged remarkably well.",
        "If I had to choose one, {game}. I still play it every year.",
    )),
)

LONG_TOPICS = (
    LongTopic("first_console", ("How did you get into retro games?", "@streamer why retro games and not new ones"), (
        "How I got into retro games is a slightly long story, so bear with me.",
        "When I was small, my uncle kept a cupboard full of old consoles and cartridges.",
        "Every holiday I would sit on his floor and work my way through whatever was in there.",
        "Most of those games were far too hard for me, and I rarely saw the final level.",
        "Years later I found the same cartridges at a market and bought the lot for very little.",
        "Playing them again as an adult, I finally understood how clever the designs were.",
        "That turned into collecting, and collecting turned into trying to finish them quickly.",
        "So, in short, my uncle's cupboard is entirely to blame for all of this.",
    )),
    LongTopic("best_run", ("What was your best run ever like?", "tell us the story of your best run"), (
        "My best run ever happened on a very ordinary Tuesday evening.",
        "I had nearly given up, because the first ten minutes went badly wrong.",
        "Then the difficult section in the middle went perfectly, every single jump.",
        "I remember my hands shaking because I knew the time was looking good.",
        "The last boss gave me the fast pattern, which only happens now and then.",
        "When the timer stopped I had beaten my old record by almost a minute.",
        "Nobody was watching, because I was not streaming, which still annoys me.",
        "So the best run of my life exists only as a number in a spreadsheet.",
    )),
)

TITLES = ("Sir", "Lady", "Captain", "Doctor", "Professor")
WORDS = ("kestrel", "lantern", "thistle", "quill", "harbor", "bramble", "falcon", "copper", "willow", "ember",
         "cobble", "heron", "sparrow", "meadow", "tinker", "velvet", "fennel", "orchid", "granite", "puffin")
TAGS = ("GG", "RTA", "SNES", "TAS", "PB")


def handle(rng: random.Random) -> tuple[str, str]:
    a, b = rng.sample(WORDS, 2)
    style = rng.randrange(5)
    if style == 0:
        return f"[{rng.choice(TAGS)}]{a}", a
    if style == 1:
        title = rng.choice(TITLES)
        return f"{title}_{a.capitalize()}", f"{title.lower()} {a}"
    if style == 2:
        return f"{a}_{b}_{rng.randrange(10, 99)}", f"{a} {b}"
    if style == 3:
        return f"{a.upper()}_{b.upper()}", f"{a} {b}"
    return f"the.{a}.{b}", f"{a} {b}"


FAMILY = Family(
    name="epsilon",
    slots=SLOTS,
    topics=TOPICS,
    read_aloud=("Here is one from {name}. {text}", "{name} has asked, {text}", "Let me read this one out. {text}",
                "A question now, from {name}, {text}"),
    named=("Thank you for asking, {name}. {answer}", "{answer} I hope that answers it, {name}.",
           "Ah, {name} again. {answer}", "For you, {name}, {answer}"),
    paid_read=("{name} has sent {amount}, thank you, and writes, {text}",),
    paid_named=("{name}, that is very generous, {amount}. {answer}",
                "{answer} And my sincere thanks for the {amount}, {name}."),
    paid_cheers=(
        ("for the cartridge fund", "{name}, the cartridge fund is grateful, and so am I."),
        ("great run so far", "That is lovely of you, {name}, thank you very much."),
    ),
    member_replies=("And {name} has become a member, which is wonderful, welcome aboard.",),
    intros=("Good evening, everyone, and welcome back, tonight we are playing {game}.",),
    outros=("That is where we will stop for tonight, thank you all for the company, good night.",),
    mono_slots={
        "part": ("the ice level", "the clock tower", "the second castle", "the water section"),
        "move": ("wall jump", "slide", "double dash", "charge shot"),
        "item": ("the spare key", "the extra heart", "the bomb upgrade", "the map piece"),
    },
    monologue=(
        "Right, the next part is {part}, which is where most runs fall apart.",
        "The trick here is to buffer the {move} a frame early.",
        "I will skip {item}, we do not need it for this route.",
        "That was slightly untidy, but it will do.",
        "Now we wait for the platform, there is no way around this.",
        "I always forget how pretty {part} looks on a proper screen.",
        "If the {move} works here, we save about two seconds.",
        "Mind the bat on the left, it has ended many of my attempts.",
        "Good, that is the hardest jump of the section done.",
        "We are slightly behind my best time, nothing dramatic.",
        "I will grab {item} on the way, it costs almost nothing.",
        "This boss has two patterns, and we want the short one.",
        "Lovely, that went exactly as planned for once.",
        "Steady hands now, one mistake here costs a life.",
        "The music in {part} is the best on the whole cartridge.",
        "I am going to play this bit safely rather than quickly.",
        "Hm, the {move} did not come out, the controller is getting old.",
        "And that is the end of the first half, well ahead of schedule.",
    ),
    chatter=("tidy movement there", "PogChamp", "@{other} agreed", "{game} was my childhood", "evening all",
             "the soundtrack on this one is unreal", "@{other} same here", "LUL", "frame perfect", "the CRT glow is so cozy",
             "I never beat this as a kid", "chat is very polite tonight", "greetings from {place} everyone", "Kreygasm",
             "@{other} haha yes", "o7", "nice save", "watching from work shhh", "the {enemy} got me too", "wow"),
    thanks={
        "follow": ("And welcome to {name}, thank you for the follow.", "{name} has followed, how kind, thank you."),
        "sub": ("{name}, thank you so much for subscribing.", "A subscription from {name}, I do appreciate that."),
        "gift": ("{name} has gifted subscriptions, that is extremely generous, thank you.",
                 "Thank you, {name}, for the gifted subs, truly."),
    },
    dismiss=("I shall politely decline to answer that.", "That one I will keep to myself, I think.",
             "Perhaps not that question, let us move along."),
    yes_no=(("Do you ever use save states?", "Never."), ("is this the european version", "Indeed."),
            ("@streamer have you finished it before", "Often."), ("do you play blindfolded", "No."),
            ("is that your cat in the back", "Yes.")),
    long_topics=LONG_TOPICS,
    second_answer=("And while I am at it, {answer}", "The other question, {answer}"),
    handle=handle,
    # calm and measured: a pause after every sentence
    pauses=((0.45, 350, 1000), (0.45, 1000, 2600), (0.10, 3000, 7000)),
    answer_gap_ms=(600, 1600),
    reply_gap_ms=(400, 1000),
)
