"""Family `beta` (tuning): casual texting-style chat, conversational answers that rarely repeat the question's words,
first-name handles."""

from __future__ import annotations

import random

from . import Family, LongTopic, Topic

SLOTS = {
    "game": ("Spelunky", "Hitman", "Pikmin", "Overwatch", "Fortnite", "Undertale", "Stray", "Inscryption",
             "Valheim", "Satisfactory", "Dredge", "Pentiment"),
    "city": ("Lisbon", "Denver", "Osaka", "Glasgow", "Vancouver", "Melbourne", "Prague", "Austin"),
    "cat_name": ("Pumpkin", "Oreo", "Nugget", "Olive", "Toffee", "Maple"),
    "band": ("Daft Punk", "Radiohead", "the Beatles", "Fleetwood Mac", "Gorillaz", "Queen"),
    "dish": ("lasagna", "chili", "stir fry", "mac and cheese", "omelette", "risotto"),
    "show": ("Severance", "Bluey", "The Office", "Arcane", "Succession", "Frasier"),
    "hobby": ("woodworking", "baking bread", "knitting", "bouldering", "painting miniatures", "gardening"),
    "instrument": ("guitar", "piano", "drums", "ukulele", "violin", "bass"),
    "console": ("Switch", "PlayStation", "Xbox", "Steam Deck", "Game Boy"),
    "season": ("summer", "winter", "autumn", "spring"),
    "drink": ("oat latte", "black coffee", "chai", "sparkling water", "peppermint tea", "cola"),
    "sleep": ("midnight", "two in the morning", "ten", "eleven"),
    "number": ("two", "three", "four", "six"),
}

TOPICS = (
    Topic("pets", ("u got any pets??", "any pets at home", "do u have a cat or a dog"), (
        "oh yeah, a little orange cat called {cat_name}, she's asleep on the couch right now.",
        "just one, {cat_name}, she mostly ignores me unless it's food time.",
    )),
    Topic("hometown", ("where r u from", "where do u live", "which country are you streaming from??"), (
        "I grew up near {city}, but I moved around a lot as a kid.",
        "right now I'm in {city}, it's lovely here except for the traffic.",
    )),
    Topic("music", ("who do u listen to", "fav band??", "what music are u into lately"), (
        "lately it's a lot of {band}, I put them on while I cook.",
        "honestly {band} forever, my parents played them in the car all the time.",
    )),
    Topic("cooking", ("can u cook", "what's ur go to meal", "best thing u can make in the kitchen?"), (
        "I make a pretty decent {dish}, my roommate requests it every week.",
        "my signature is {dish}, nothing fancy, but it hits the spot.",
    )),
    Topic("tv", ("watching any shows rn", "what r u binging lately", "any show recommendations?"), (
        "I just finished {show} and I cannot stop thinking about the ending.",
        "go watch {show}, seriously, I watched the whole thing in a weekend.",
    )),
    Topic("hobby", ("what do u do when ur not streaming", "any hobbies outside games?", "what do you do offline"), (
        "I got really into {hobby} this year, my hands are always covered in something.",
        "mostly {hobby}, it keeps me away from screens for a bit.",
    )),
    Topic("instrument", ("do u play any instruments", "can u play music?", "you play anything?"), (
        "I used to play the {instrument} in school, I'm super rusty now.",
        "a bit of {instrument}, badly, my neighbors would tell you.",
    )),
    Topic("console", ("pc or console", "what do u play on mostly", "switch or playstation??"), (
        "I still love my {console}, it's what I grew up with.",
        "mostly the {console} these days, it's easier on the couch.",
    )),
    Topic("season", ("fav time of year?", "summer or winter", "which season do u like most"), (
        "{season} for sure, I love the light and the cozy evenings.",
        "definitely {season}, everything just feels calmer.",
    )),
    Topic("drink_now", ("what r u drinking", "whats in the mug", "is that coffee??"), (
        "it's an {drink}, my third one today, don't judge.",
        "just {drink}, trying to stay hydrated for once.",
    )),
    Topic("bedtime", ("when do u go to sleep", "what time do u usually sleep", "r u a night owl"), (
        "way too late, usually around {sleep}, which is a problem.",
        "I try for {sleep} but it never actually happens.",
    )),
    Topic("next_game", ("what are we playing next week", "next game after this one?", "will u try {game} soon"), (
        "I've been eyeing {game}, a few of you keep recommending it.",
        "probably {game}, it's been sitting in my library for months.",
    )),
    Topic("siblings", ("do u have siblings", "any brothers or sisters?", "are u an only child"), (
        "I have {number} older brothers, so I always lost at every game.",
        "yep, {number} sisters, family dinners get loud.",
    )),
)

LONG_TOPICS = (
    LongTopic("first_pc", ("tell us about ur first computer", "what was ur first pc like"), (
        "oh man, my first computer was a giant beige box my uncle gave me.",
        "it had a tiny hard drive and it made this grinding noise whenever it loaded anything.",
        "I spent whole summers on it playing old adventure games with a walkthrough printed on paper.",
        "the monitor was so heavy I could barely lift it onto the desk.",
        "eventually the power supply died during a thunderstorm and that was the end of it.",
        "I still miss the sound it made when it booted up, it was weirdly comforting.",
        "my sister and I used to fight over who got the chair in front of it.",
        "that machine is honestly the reason I got into all of this.",
    )),
    LongTopic("travel", ("best trip u ever took?", "where was ur best vacation"), (
        "the best trip was a train journey through the mountains a few years ago.",
        "we booked it on a whim and had no plan at all for the first few days.",
        "every stop had some tiny bakery and we tried a pastry in every single one.",
        "one night the train stopped for hours because of snow on the tracks.",
        "everyone in our carriage ended up sharing snacks and playing cards.",
        "by the end we had made friends with a retired teacher and her dog.",
        "on the last day we missed our connection and slept in a tiny station hotel.",
        "it was honestly the most fun I have had in years.",
        "I would do that whole trip again tomorrow if I could.",
    )),
)

FIRST = ("jenny", "marco", "priya", "tom", "lena", "oscar", "sofia", "dan", "maya", "felix", "nina", "leo",
         "ruby", "sam", "ivy", "hugo", "zara", "ben", "clara", "theo", "ella", "max", "nora", "eli")
LAST = ("rivers", "stone", "brooks", "wood", "hill", "lake", "fields", "cole", "grant", "shaw", "reed", "ford")


def handle(rng: random.Random) -> tuple[str, str]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    style = rng.randrange(5)
    year = str(rng.randrange(88, 100) if rng.random() < 0.5 else rng.randrange(1, 24)).zfill(2)
    if style == 0:
        return f"{first}.{last}", f"{first}"
    if style == 1:
        return f"{first.capitalize()}{last.capitalize()}{year}", f"{first} {last}"
    if style == 2:
        return f"its_{first}_{last}", f"{first} {last}"
    if style == 3:
        return f"{first}_{last[0]}{year}", f"{first}"
    return f"{first.capitalize()}_{last.capitalize()}", f"{first} {last}"


FAMILY = Family(
    name="beta",
    slots=SLOTS,
    topics=TOPICS,
    read_aloud=("okay {name} wants to know, {text}", "{name} writes, {text}", "next one, from {name}: {text}",
                "alright, {name} here is asking {text}"),
    named=("ah {name}, {answer}", "good one {name}. {answer}", "{name}! {answer}", "so {name}, {answer}"),
    paid_read=("{name} dropped {amount} with the message, {text}", "{amount} from {name}, who writes {text}"),
    paid_named=("{name}, wow, {amount}, appreciate it. {answer}", "big thanks for the {amount} {name}. {answer}"),
    paid_cheers=(
        ("you deserve a snack break", "{name}, appreciate you, I am absolutely getting a snack after this."),
        ("been watching since day one!", "{name}, day one supporter, that means a lot, really."),
        ("for the cat fund", "{name}, the cat fund thanks you, she will get the fancy treats."),
    ),
    member_replies=("{name} just joined the club, welcome aboard.", "welcome to the club {name}, glad to have you."),
    intros=("okay we are live, hi hi hi, today it's more {game}.", "good evening friends, back on {game} tonight."),
    outros=("that's where we stop for tonight, sleep well everybody.", "okay I'm calling it, love you all, bye."),
    mono_slots={
        "thing": ("lantern", "rope", "map", "compass", "crate", "ladder"),
        "npc": ("merchant", "blacksmith", "guard", "fisherman", "old lady", "captain"),
        "color": ("blue", "green", "red", "golden", "purple"),
    },
    monologue=(
        "hold on, I think the {npc} wants to talk to us.",
        "where did I leave the {thing}, it was right here.",
        "the {color} door, we need a key for the {color} door.",
        "I am so bad at this part, every single time.",
        "wait wait wait, go back, there was something shiny.",
        "my chair keeps squeaking, sorry if you can hear that.",
        "that {npc} is definitely hiding something.",
        "okay new plan, we sneak around the back.",
        "this soundtrack is doing a lot of heavy lifting.",
        "let me grab the {thing} before we leave.",
        "I should have saved before that, ugh.",
        "the lighting in this area is unreal.",
        "we're going in circles, I'm sure of it.",
        "hang on, my cat is sitting on the keyboard again.",
        "one sec, I need to adjust the volume.",
        "I bet the {thing} opens something in the basement.",
        "that was a terrible jump, let's pretend that didn't happen.",
        "the {npc} sells better stuff at night, I think.",
        "okay we're stocked up, let's go.",
        "honestly I could stay in this town forever.",
        "am I lost, or is the map lying to me.",
        "the puzzle here is kind of clever actually.",
        "let's follow the river, rivers always lead somewhere.",
        "my hands are freezing today for some reason.",
    ),
    chatter=("@{other} same lol", "this game looks so cozy", "hi from {place}!!", "omg the music",
             "@{other} hiii", "just got here whats happening", "she's lost again lol", "the {pet} cam when",
             "ok this is my fav part", "@{other} no spoilers pls", "chat be nice", "why is nobody talking about {game}",
             "ahhh the vibes", "lurking while i do homework", "@{other} fr fr", "left left LEFT"),
    thanks={
        "follow": ("oh welcome in {name}, thanks for following.", "appreciate the follow {name}."),
        "sub": ("{name} with the sub, you're a legend.", "hey {name}, thank you for subscribing."),
        "gift": ("{name} is gifting subs, that's so generous, thank you.", "wow {name}, thanks for the gifts."),
    },
    dismiss=("ha, I'll leave that one alone.", "nope, not touching that, next.",
             "that is a question for another day."),
    yes_no=(("do u like pineapple on pizza", "absolutely."), ("r u streaming this weekend", "yep."),
            ("is the cat on stream today", "nah."), ("have u seen {show}", "yes."),
            ("do u speak french", "nope.")),
    long_topics=LONG_TOPICS,
    second_answer=("oh and {answer}", "and for the other one, {answer}"),
    handle=handle,
    # a quick, casual talker: short pauses as often as long ones
    pauses=((0.55, 150, 700), (0.35, 700, 2000), (0.10, 2500, 6000)),
    answer_gap_ms=(200, 900),
    reply_gap_ms=(120, 500),
)
