"""Family `delta` (held out until its figures had been looked at five times, a tuning family since): a rambling, filler-heavy streamer (um, like,
you know), chat typed in lowercase shorthand with typos, read-aloud leads that paraphrase who is asking in the middle
of the sentence, names shortened to their first part, handles with digits and decorations."""

from __future__ import annotations

import random

from . import Family, LongTopic, Topic

SLOTS = {
    "game": ("Hollow Knight", "Stardew Valley", "Celeste", "Outer Wilds", "Terraria", "Hades", "Minecraft",
             "Subnautica", "Spiritfarer", "Dredge"),
    "snack": ("pretzels", "dried mango", "popcorn", "rice crackers", "gummy worms", "peanut butter toast"),
    "city": ("a small town up north", "the coast", "somewhere pretty rainy", "a suburb near the airport"),
    "sport": ("volleyball", "swimming", "table tennis", "climbing", "rowing"),
    "instrument": ("bass guitar", "ukulele", "drums", "violin", "keyboard"),
    "show": ("a cooking competition", "some old sitcom", "a true crime documentary", "a space anime"),
    "plant": ("a cactus", "a monstera", "basil on the windowsill", "way too many succulents"),
    "language": ("Spanish", "Japanese", "German", "Portuguese", "Korean"),
    "chair": ("an office chair from a garage sale", "a kneeling chair", "a big squishy gaming chair"),
    "sleep": ("three in the morning", "like four", "sunrise, honestly", "two, on a good night"),
    "season": ("autumn", "winter", "spring", "summer"),
    "food": ("ramen", "tacos", "curry", "dumplings", "lasagna"),
    "count": ("two", "three", "four", "like six"),
}

TOPICS = (
    Topic("snack", ("wat u eating", "snack?? 👀", "what r u munching on lol"), (
        "Oh, um, it's {snack}, I've been like, snacking on these all stream, don't judge me.",
        "This? It's {snack}. Honestly, you know, it's kind of my comfort food at this point.",
    )),
    Topic("hometown", ("where u from", "wat country r u in", "u live in a city?"), (
        "So I grew up in {city}, um, not gonna say exactly where, but yeah, it's pretty chill.",
        "Uh, {city}, basically. It's, like, quiet, which I kind of love, you know?",
    )),
    Topic("sport", ("do u play sports", "u do any sport", "r u sporty lol"), (
        "Oh man, I used to do {sport} back in school, like, every single week, but now, um, not really.",
        "I mean, I do {sport} sometimes with friends, you know, nothing serious, just for fun.",
    )),
    Topic("music", ("can u play an instrument", "do u play music", "instrument??"), (
        "Uh, yeah, kinda, I play {instrument}, but like, badly, I only know maybe three songs.",
        "I picked up {instrument} during lockdown, um, and I'm still, you know, pretty terrible at it.",
    )),
    Topic("watching", ("watching anything good", "fav show rn", "any show recs"), (
        "Okay, so right now I'm super into {show}, like, I binged the whole thing in two days.",
        "Um, lately it's been {show}, which, you know, is a weird pick, but it's really good.",
    )),
    Topic("plants", ("is that a plant behind u", "u have plants?", "plant in the back??"), (
        "Oh yeah, that's {plant}, um, it's somehow still alive, which, like, shocks me every day.",
        "Yeah, so I've got {plant}, and, you know, I water it maybe once a week if I remember.",
    )),
    Topic("language", ("do u speak other languages", "how many languages u speak", "habla espanol?"), (
        "Uh, I'm learning {language} right now, like, really slowly, I can order food and that's it.",
        "So, I know a little {language}, you know, enough to, um, say hi and get very lost.",
    )),
    Topic("chair", ("chair looks comfy", "wat chair is that", "chair recs? my back hurts"), (
        "Oh, it's {chair}, and, um, honestly, my back is way happier since I got it.",
        "So this is {chair}, like, nothing fancy, but you know, it does the job.",
    )),
    Topic("sleep", ("when do u sleep", "what time u go to bed", "do u ever sleep lmao"), (
        "Uh, usually around {sleep}, which is, you know, not great, I'm working on it.",
        "Honestly? Like, {sleep}. My sleep schedule is, um, kind of a disaster.",
    )),
    Topic("season", ("fav season?", "hot or cold weather person", "u like the cold?"), (
        "Oh, {season}, easy, like, it's not even close, I just, you know, feel better then.",
        "Um, I'd say {season}, because, like, the weather is perfect for staying in and gaming.",
    )),
    Topic("food", ("fav food", "wat did u have for dinner", "best food ever?"), (
        "Oh, {food}, a hundred percent, um, I could literally eat it every day.",
        "So tonight I had {food}, and, you know, it was honestly amazing, no notes.",
    )),
    Topic("siblings", ("u got siblings", "any brothers or sisters", "only child?"), (
        "Yeah, so there's {count} of us, um, and I'm the middle one, which, like, explains a lot.",
        "Uh, we're {count} kids in total, you know, so the house was always super loud.",
    )),
)

LONG_TOPICS = (
    LongTopic("first_pc", ("tell us about ur first pc", "how did u get ur first computer"), (
        "Oh man, okay, so my first computer was this, like, huge beige tower from a neighbour.",
        "It was already super old when I got it, um, it made this grinding noise when it booted.",
        "I saved up birthday money for, like, a whole year to get more memory for it.",
        "And then I, uh, installed the memory wrong and I thought I broke the whole thing.",
        "Turns out, you know, I just had to push it in harder, which was terrifying at the time.",
        "I played so many free games on that thing, like, little puzzle games and old shooters.",
        "It finally died when I was, um, fifteen or so, and I was honestly kind of sad.",
        "Anyway, yeah, that old tower is basically why I'm into computers at all.",
    )),
    LongTopic("worst_stream", ("whats the worst stream u ever had", "any stream disasters?"), (
        "Okay, the worst stream, um, that's easy, it was the one where the power went out.",
        "So I was like, two hours in, and suddenly everything just goes black, the whole apartment.",
        "And I had no idea if the stream was still up or, you know, if anyone could hear me.",
        "I was sitting in the dark for, like, forty minutes waiting for it to come back.",
        "Then when it came back, the computer did a huge update and, um, restarted twice.",
        "By the time I was live again, most people had, uh, very reasonably gone to bed.",
        "The few who stayed were amazing though, like, we just chatted for an hour.",
        "So, weirdly, it's the worst stream but also, you know, one of my favourites.",
    )),
)

WORDS = ("pancake", "otter", "noodle", "comet", "pickle", "waffle", "raccoon", "cactus", "marble", "toast",
         "pebble", "muffin", "badger", "walrus", "lemon", "sprout", "tofu", "ferret", "button", "mango")


def handle(rng: random.Random) -> tuple[str, str]:
    a, b = rng.sample(WORDS, 2)
    style = rng.randrange(5)
    if style == 0:
        return f"{a}{rng.randrange(1000, 9999)}", a
    if style == 1:
        return f"the_real_{a}", f"real {a}"
    if style == 2:
        return f"xX{a}{b}Xx", f"{a} {b}"
    if style == 3:
        return f"sleepy.{a}", f"sleepy {a}"
    return f"{a.capitalize()}And{b.capitalize()}", f"{a} and {b}"


FAMILY = Family(
    name="delta",
    slots=SLOTS,
    topics=TOPICS,
    read_aloud=("ooh, {name} goes, {text}", "so, um, {text}, that's from {name}",
                "chat's asking, {text}, okay", "wait, {name} in the chat is like, {text}"),
    named=("{name}, um, {answer}", "{answer} So yeah, there you go, {name}.", "Oh, hey {name}! {answer}",
           "Uh, okay, {name}, so, {answer}"),
    paid_read=("ooh, {amount} from {name}, and the message is, {text}",),
    paid_named=("Oh my gosh, {name}, {amount}, you didn't have to! {answer}",
                "{answer} And, um, seriously, {name}, thanks for the {amount}."),
    paid_cheers=(
        ("love the vibes tonight", "Aw, {name}, you're so sweet, like, genuinely, thank you."),
        ("for the snack fund", "Haha, {name}, the snack fund thanks you, I promise I'll spend it wisely."),
    ),
    member_replies=("Oh, {name} just joined the club, um, welcome, welcome!",),
    intros=("Hey hey, okay, we're live, um, today it's more {game}, let's go.",),
    outros=("Okay, um, that's gonna be it for me today, you guys were awesome, bye bye.",),
    mono_slots={
        "gadget": ("grappling hook", "lantern", "scanner", "jetpack"),
        "npc": ("the shopkeeper", "the old guy at the dock", "that weird robot", "the blacksmith"),
        "zone": ("swamp", "tower", "mines", "harbour", "canyon"),
    },
    monologue=(
        "Okay, okay, where was I going, um, I think the {zone} is this way?",
        "Wait, did {npc} want the thing or, like, the other thing?",
        "Oh no, no no no, that was so close, ugh.",
        "Let me just, um, grab the {gadget} real quick.",
        "I feel like we've been in this {zone} for, like, an hour.",
        "Hold on, I need to, uh, check the map for a sec.",
        "That jump was, like, so much harder than it looked.",
        "Okay, I'm gonna be honest, I have no idea what I'm doing here.",
        "Ooh, shiny, what is that, is that loot?",
        "Um, I think {npc} is gonna be mad at me.",
        "The {gadget} is, you know, kinda useless against these guys.",
        "Right, let's try that again, slower this time.",
        "Wow, the music in the {zone} is honestly so good.",
        "I keep forgetting that the {gadget} has a cooldown.",
        "Uh, why is everything on fire, what did I do?",
        "Okay, I'm just gonna, like, run past all of them.",
        "Hmm, I bet there's a secret behind that wall.",
        "Ugh, I walked right into that, classic me.",
    ),
    chatter=("lmaooo", "KEKW", "omg", "no way", "@{other} fr", "{game} flashbacks", "hiii", "lolz",
             "she's so good at this", "@{other} ya", "💀💀", "rip", "peepoHappy", "sheesh", "ok ok ok",
             "back from dinner", "@{other} lolol", "chat is so slow today", "first", "{place} here hi"),
    thanks={
        "follow": ("Oh, hi {name}, um, thanks so much for the follow!", "{name}, yay, welcome, thanks for following."),
        "sub": ("Ahh, {name}, thank you for the sub, like, seriously.", "Oh my gosh, {name} subbed, thank you!"),
        "gift": ("Wait, {name} just gifted subs? Um, wow, thank you!", "{name}, the gift subs, you're amazing."),
    },
    dismiss=("Um, yeah, no, I'm not answering that, haha.", "Oh, we're, like, not doing that one today.",
             "Uh, next question, please, chat."),
    yes_no=(("r u left handed", "Nope."), ("is this ur first playthrough", "Yep."), ("u have a dog", "Nah."),
            ("do u like horror games", "Kinda."), ("r u gonna do a giveaway", "Maybe.")),
    long_topics=LONG_TOPICS,
    second_answer=("Oh, and then, um, the other thing, {answer}", "Oh, also, {answer}"),
    handle=handle,
    # rambling: one sentence runs into the next, rarely a real break
    pauses=((0.70, 80, 450), (0.25, 450, 1600), (0.05, 3000, 6000)),
    answer_gap_ms=(100, 600),
    reply_gap_ms=(80, 400),
)
