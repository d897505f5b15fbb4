"""Family `zeta` (held out, written after `epsilon` joined the tuning families, never tuned on): a loud, upbeat
streamer who cooks and talks on a "just chatting" stream; answers that open with a reaction ("Oh, easy.", "Okay, so")
and rarely reuse the question's words; chat that asks without question marks, in caps or with "??", and often as an
order ("tell us ur routine"); read-aloud leads that quote the message and only then say who sent it, or call the
chatter out first ("Yo, ..."); handles built on sports numbers, "TTV" prefixes and "Main" suffixes, said as words."""

from __future__ import annotations

import random

from . import Family, LongTopic, Topic

SLOTS = {
    "game": ("Overcooked", "Rocket League", "Cooking Simulator", "Mario Kart", "Fall Guys", "Tetris"),
    "dish": ("a spicy chickpea curry", "garlic butter noodles", "a big pot of chili", "lemon chicken thighs",
             "mushroom risotto", "smash burgers"),
    "knife": ("a cheap Japanese chef's knife", "a ten inch carbon steel blade", "my grandma's old bread knife"),
    "split": ("push, pull, legs", "upper body Monday, lower body Thursday", "full body three times a week"),
    "music": ("lo-fi beats from a random playlist", "old funk records", "whatever the radio throws at me"),
    "dog": ("a beagle called Biscuit", "a rescue greyhound named Noodle", "a tiny terrier named Pickles"),
    "city": ("Manchester", "outside Toronto", "Melbourne", "a small town near Lyon"),
    "job": ("a line cook in a diner", "a delivery driver", "a barista for six years", "a swim coach"),
    "snack": ("salted popcorn", "peanut butter on toast", "frozen grapes", "spicy crisps"),
    "mic": ("a dynamic mic on a boom arm", "a USB condenser mic", "a headset mic, honestly"),
    "years": ("three years", "almost five years", "two and a half years", "since last spring"),
    "wake": ("six in the morning", "around noon, do not judge me", "half past seven"),
    "language": ("English and some Spanish", "French and English", "English and a little Japanese"),
}

TOPICS = (
    Topic("dish", ("WHAT ARE WE COOKING", "whats on the menu tonight", "what is that in the pan??"), (
        "Oh, easy. It is {dish}, start to finish, no shortcuts.",
        "Tonight the plan is {dish}, and it smells incredible already.",
    )),
    Topic("knife", ("tell us about the knife", "what knife is that", "is that knife expensive??"), (
        "Okay, so, that is {knife}. Sharpened it this morning, actually.",
        "Ha, that is {knife}, and it cuts better than anything I own.",
    )),
    Topic("gym", ("tell us ur gym routine", "how often do u work out", "bro what's your split"), (
        "Right now I am doing {split}, about an hour each time.",
        "Training looks like {split}. Consistency over everything, honestly.",
    )),
    Topic("music", ("what r we listening to", "song name pls", "who picks the background music"), (
        "Oh, that is {music}. I just let it run.",
        "It is {music}, nothing fancy, keeps the energy up.",
    )),
    Topic("dog", ("u got any pets", "is that a dog barking lol", "PET TAX"), (
        "Oh, yes, that is {dog}. He runs this house, not me.",
        "Ha, you heard him? That is {dog}, absolute menace.",
    )),
    Topic("city", ("where u based", "whats the weather like where you are", "what city is this"), (
        "I am out in {city}. Grey skies most of the year.",
        "So I live in {city}, have done for ages.",
    )),
    Topic("job", ("what did u do before streaming", "do you have a real job lol", "old job??"), (
        "Before all this I worked as {job}. Long shifts, good people.",
        "Okay, so, I was {job} for years, that is where the cooking came from.",
    )),
    Topic("snack", ("fav snack", "what do u eat while streaming", "snack recommendation"), (
        "Oh, easy, {snack}. Every single time.",
        "Honestly {snack}, I could eat a whole bowl right now.",
    )),
    Topic("mic", ("mic sounds clean what is it", "what mic do u use", "audio setup?"), (
        "Thank the gear, it is {mic}, plus a foam thing on the front.",
        "Oh, it is {mic}. Took me forever to get it sounding decent.",
    )),
    Topic("years", ("how long u been streaming", "when did the channel start", "is this channel new"), (
        "We have been doing this for {years} now, which is wild.",
        "Okay, so, the channel is {years} old, give or take.",
    )),
    Topic("sleep", ("when do u wake up", "whats ur sleep schedule", "are u a morning person"), (
        "Most days I am up at {wake}, coffee first, then people.",
        "Alarm goes off at {wake}. It is not pretty.",
    )),
    Topic("language", ("what languages do u speak", "do u speak spanish??", "ur accent is cool where from"), (
        "I speak {language}, badly in the second one.",
        "Oh, so, {language}. I am working on the rest.",
    )),
)

LONG_TOPICS = (
    LongTopic("start", ("how did u start streaming", "tell us how the channel started"), (
        "Okay, so the channel started by complete accident, let me explain.",
        "A friend of mine was moving house and left a webcam at my place.",
        "One night I was making dinner and thought, why not point it at the stove.",
        "Three people showed up, and one of them asked for the recipe.",
        "I ended up writing it on a napkin and holding it to the camera.",
        "They came back the next night with two more friends.",
        "After a month I bought a proper light and a tripod.",
        "And here we are, still cooking, still holding things up to the camera.",
    )),
    LongTopic("disaster", ("worst kitchen disaster??", "have u ever set something on fire"), (
        "The worst one was a birthday cake for my brother, years ago.",
        "I doubled the recipe but forgot to double the baking time.",
        "So the middle was liquid while the edges turned to charcoal.",
        "Then I tried to fix it with a blowtorch, which was a mistake.",
        "The smoke alarm went off and the neighbours came knocking.",
        "We ended up eating ice cream out of the tub instead.",
        "My brother still brings it up at every single family dinner.",
        "So yes, the blowtorch now lives in a drawer I never open.",
    )),
)

WORDS = ("blaze", "turbo", "rocket", "nacho", "ginger", "pepper", "striker", "goalie", "bolt", "crunch",
         "tornado", "basil", "chili", "sprint", "dunk", "hammer", "paprika", "volley", "skillet", "jalapeno")


def handle(rng: random.Random) -> tuple[str, str]:
    a, b = rng.sample(WORDS, 2)
    style = rng.randrange(5)
    if style == 0:
        return f"TTV_{a.capitalize()}", a
    if style == 1:
        return f"{a.capitalize()}Main{rng.randrange(2, 9)}", f"{a} main"
    if style == 2:
        return f"{a}{b}_{rng.choice(('7', '10', '23', '99'))}", f"{a} {b}"
    if style == 3:
        return f"big{a}energy", f"big {a} energy"
    return f"Coach{a.capitalize()}", f"coach {a}"


FAMILY = Family(
    name="zeta",
    slots=SLOTS,
    topics=TOPICS,
    read_aloud=("{text}, is what {name} wants to know.", "Yo, {name}! {text}", "Okay chat, {name} typed, {text}",
                "Next up, {text}, from my guy {name}"),
    named=("Yeah, {name}, so basically, {answer}", "{answer} Cheers for that one, {name}.",
           "Yo {name}. {answer}", "Okay {name}, love it. {answer}"),
    paid_read=("{amount}, from {name}, let's go, and the message says, {text}",),
    paid_named=("{name}, {amount}, you legend. {answer}", "{answer} Oh, and {name}, {amount}, huge, thank you."),
    paid_cheers=(
        ("for the grocery bill", "{name}, the groceries are covered, you are the best, thank you."),
        ("smells good from here", "{name}, ha, thank you, I wish I could send you a plate."),
    ),
    member_replies=("Welcome to the crew, {name}, glad to have you in here!",),
    intros=("Let's go, we are live, kitchen is open, and today we also play a bit of {game}.",),
    outros=("Alright, that is a wrap, thanks for hanging out, eat something good, see you next time.",),
    mono_slots={
        "veg": ("onions", "peppers", "garlic", "carrots"),
        "spice": ("smoked paprika", "cumin", "chili flakes", "black pepper"),
        "pan": ("the big skillet", "the wok", "the cast iron", "the little saucepan"),
    },
    monologue=(
        "Okay, {veg} go in now, listen to that sizzle.",
        "A pinch of {spice}, actually, make that two pinches.",
        "Let me turn the heat down on {pan} before it smokes.",
        "Hold on, I need to wash my hands real quick.",
        "This is the part where patience pays off, do not rush it.",
        "Oh, that smells so good, I wish you could smell this.",
        "Stir, stir, stir, keep it moving.",
        "I always forget how long {veg} take to soften.",
        "Taste test, and, hmm, it needs a bit more salt.",
        "Where did I put the wooden spoon, it was just here.",
        "Okay, lid on, we let that do its thing for five minutes.",
        "Fun fact, {spice} burns really fast, so watch it.",
        "I am going to clean as I go, future me will thank me.",
        "Alright, {pan} is hot, here we go.",
        "Ooh, look at that colour, that is what we want.",
        "Timer is set, nobody let me forget about it.",
        "My counter is a disaster right now, sorry about that.",
        "Okay, that is the hard part done, now we just wait.",
    ),
    chatter=("LETS GOOO", "looks so good", "@{other} real", "im hungry now", "yo chat", "W stream",
             "@{other} lmao true",
             "hi from {place}", "that sizzle tho", "{game} later??", "HYPERS", "chef mode activated", "Jebaited",
             "@{other} nahhh", "first time here, vibes are great", "ratio", "sheeeesh", "show the {pet} pls",
             "POGGERS", "watching on my lunch break"),
    thanks={
        "follow": ("{name}, appreciate the follow, welcome in!", "Yo, new follower, {name}, let's go, thank you."),
        "sub": ("{name} with the sub, you absolute legend, thank you.", "Thank you for subscribing, {name}, huge."),
        "gift": ("{name} just dropped gift subs, are you serious, thank you!",
                 "Gifted subs from {name}, chat, say thank you to {name}."),
    },
    dismiss=("Ha, nope, we are skipping that one.", "Not touching that question, next.",
             "Nah, I will leave that one alone, chat."),
    yes_no=(("u vegan", "Nope."), ("is that cast iron", "Yep."), ("do u lift every day", "Mostly."),
            ("did u burn it", "Almost."), ("do u meal prep", "Always.")),
    long_topics=LONG_TOPICS,
    second_answer=("And for the other question, {answer}", "Oh, and real quick, {answer}"),
    handle=handle,
    # loud and fast, shaped on the gaps between the cues of the real stream transcripts in the test fixtures
    # (median 260-380 ms, half under 400 ms)
    pauses=((0.50, 60, 400), (0.35, 400, 1200), (0.12, 1200, 3000), (0.03, 3000, 6000)),
    answer_gap_ms=(150, 800),
    reply_gap_ms=(100, 450),
)
