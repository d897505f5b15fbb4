"""Family `theta` (held out, written after `zeta` had been looked at fourteen times and `eta` seven, never tuned on): a
fast, cheerful afternoon streamer who plays farming sims and rhythm games; answers that often echo the question's
subject back first ("My mic? Oh, that's ...") or open with "okay so" and pile up clauses with "and" and "like";
chat that is lowercase with emotes and "pls", sometimes in capitals; read-aloud leads that put the name last
("..., that's from {name}") or say "is asking"; handles with "lil", "TheReal" prefixes, "ttv" and digits,
said as the streamer reads them aloud."""

from __future__ import annotations

import random

from . import Family, LongTopic, Topic

SLOTS = {
    "game": ("Stardew Valley", "Beat Saber", "Sun Haven", "Crypt of the NecroDancer", "Coral Island", "Osu"),
    "mic": ("a little condenser mic I got on sale", "a dynamic mic on a boom arm", "the same USB mic since college"),
    "crop": ("strawberries, always strawberries", "ancient fruit, because money", "blueberries, they just keep going"),
    "song": ("anything with a really fast drum line", "old arcade remixes",
             "that one sea shanty remix everybody hates"),
    "pet": ("a corgi called Biscuit", "a bunny named Waffles who hates cables", "two hamsters, Pip and Squeak"),
    "snack": ("sour gummy worms", "toast with peanut butter", "a whole bag of pretzels, do not judge me"),
    "job": ("a barista, like, for years", "a swim teacher on weekends", "a dental receptionist",
            "a cashier at a garden centre"),
    "start": ("back in twenty nineteen", "during the lockdown, like everybody", "about three summers ago"),
    "drink": ("iced matcha", "a giant strawberry milkshake", "lemonade with way too much ice"),
    "rank": ("top two thousand on a good day", "somewhere in the middle, honestly", "gold, barely, on one map"),
}

TOPICS = (
    Topic("mic", ("ur mic sounds so clean what is it", "mic???", "which microphone pls"), (
        "My mic? Oh, that's {mic}, and it was cheap, like, really cheap.",
        "Okay so the mic is {mic} and I just never upgraded.",
    )),
    Topic("crop", ("best crop for money", "what do u plant first every year", "fav crop 🌱"), (
        "Best crop? Honestly {crop}, and I will die on that hill.",
        "Okay so I always go for {crop} first, every single season.",
    )),
    Topic("song", ("fav songs to play??", "what music do u like to map", "whats ur go to song"), (
        "Favourite songs, ooh, {song}, and my wrists hate me for it.",
        "I love playing {song}, like, I could do it all day.",
    )),
    Topic("pet", ("is that a dog i hear", "pet tax pls", "do u have pets 👀"), (
        "That's {pet}, and yes, they want attention right now.",
        "Oh the noise? That's {pet}, sorry, sorry.",
    )),
    Topic("snack", ("what r u eating", "snack of the day?", "u eating on stream again lol"), (
        "I'm eating {snack}, and I regret nothing.",
        "Snack today is {snack}, and there's no sharing.",
    )),
    Topic("job", ("did u have a real job before streaming", "what was ur old job", "job before this?"), (
        "Before streaming I was {job}, and I kind of miss it sometimes.",
        "My old job? {job}, and the customers were wild.",
    )),
    Topic("start", ("when did u start streaming", "how long have u been doing this", "first stream when"), (
        "I started {start}, and the first stream had like two viewers.",
        "Okay so I started {start}, with a webcam taped to a shelf.",
    )),
    Topic("drink", ("whats in the cup", "drink check 🥤", "what are u drinking rn"), (
        "Drink check, it's {drink}, and it's perfect.",
        "In the cup? {drink}, like always.",
    )),
    Topic("rank", ("whats ur rank", "are u good at osu", "how high are u on the leaderboard"), (
        "My rank is {rank}, and I'm okay with that.",
        "Rank wise I'm {rank}, so, not a pro, just vibing.",
    )),
    Topic("farm", ("how big is ur farm now", "farm tour pls", "is the farm done yet"), (
        "The farm is maybe half done, and the other half is just weeds.",
        "Farm tour later, I promise, it's a mess right now.",
    )),
)

LONG_TOPICS = (
    LongTopic("fc", ("whats ur proudest full combo", "story time, hardest song u ever beat"), (
        "Okay so my proudest full combo was on a song I failed for like three weeks straight.",
        "There's this one stream of notes at the end that just never stopped destroying me.",
        "I practised only that last part, over and over, with the speed turned down.",
        "Then one night, super late, I played it once more just to say goodbye to it.",
        "And somehow my hands just did it, and I didn't even breathe for the last ten seconds.",
        "I screamed so loud that my neighbour knocked on the wall, which, fair.",
        "I never managed it again after that, not even once.",
        "So the screenshot is my phone background now, forever.",
    )),
    LongTopic("year1", ("how did ur first year on the farm go", "tell us ur first farm disaster"), (
        "My first year on the farm was honestly a disaster from day one.",
        "I planted everything in one giant square and forgot that I needed a path.",
        "So I had to cut down half my crops just to get to the front door.",
        "Then it rained for a week and I thought the crops were ruined, they were fine.",
        "I spent all my money on a fancy hat instead of a watering can upgrade.",
        "By autumn I was broke and living on wild berries from the forest.",
        "But the chickens were happy, so I counted it as a win.",
        "Every new farm since then has a path first, before anything else.",
    )),
)

WORDS = ("pixel", "bunny", "mochi", "comet", "berry", "sprout", "glitch", "noodle", "pepper", "cosmo", "tofu", "rhythm",
         "clover", "bubble", "maple", "sparkle", "turnip", "echo", "jelly", "disco")


def handle(rng: random.Random) -> tuple[str, str]:
    a, b = rng.sample(WORDS, 2)
    style = rng.randrange(5)
    if style == 0:
        return f"lil{a}{b}", f"lil {a} {b}"
    if style == 1:
        return f"TheReal{a.capitalize()}", f"the real {a}"
    if style == 2:
        return f"ttv_{a}_{b}", f"{a} {b}"
    if style == 3:
        return f"{a}{b}{rng.choice(('22', '99', '404', '7'))}", f"{a} {b}"
    return f"{a.capitalize()}{b.capitalize()}", f"{a} {b}"


FAMILY = Family(
    name="theta",
    slots=SLOTS,
    topics=TOPICS,
    read_aloud=("Ooh, {name} is asking, {text}", "{text}, that's from {name}", "Okay okay, {name} said, {text}",
                "Wait, {name} wants to know, {text}"),
    named=("{name}, hiii! {answer}", "{answer} Hope that helps, {name}!", "Okay {name}, so, {answer}",
           "Oh {name}, {answer}"),
    paid_read=("Oh my gosh, {amount} from {name}, and they said, {text}",),
    paid_named=("{name}, thank you for the {amount}! {answer}",
                "{answer} And thanks so much for the {amount}, {name}."),
    paid_cheers=(
        ("for the corgi treat fund", "{name}, the treat fund is growing, thank you so much!"),
        ("buy more strawberry seeds", "{name}, more strawberries it is, thank you!"),
    ),
    member_replies=("Welcome to the club, {name}, you get the little bunny emote now!",),
    intros=("Hi hi hi everyone, welcome back, today we're playing {game} and I'm so excited.",),
    outros=("Okay that's the stream, thank you all so much, drink some water, bye bye!",),
    mono_slots={
        "tool": ("the watering can", "the hoe", "the fishing rod", "the axe"),
        "spot": ("the greenhouse", "the beach", "the mines", "the town square"),
        "npc": ("the mayor", "the blacksmith", "the fisherman", "the wizard"),
    },
    monologue=(
        "Okay wait, where did I put {tool}?",
        "I need to run to {spot} before it closes.",
        "Oh no, I forgot {npc}'s birthday again.",
        "This song is so fast, oh my gosh, okay.",
        "My hands are literally shaking right now.",
        "Let me just water these really quick.",
        "Why is my inventory always full, like, always.",
        "Ooh, a gold star one, nice.",
        "I'm going to ignore {npc} today, sorry.",
        "Okay, one more try and then we switch songs.",
        "The music in {spot} is so good, I love it.",
        "Wait, is it raining? Yes! No watering today.",
        "I just missed so many notes, that was embarrassing.",
        "Let me upgrade {tool} this week, finally.",
        "I'm so bad at fishing, this is painful to watch.",
        "Okay, bedtime for my little farmer, it's two in the morning.",
        "I'm going to sell all of this, hang on.",
        "That was a perfect hit, did you see that?",
    ),
    chatter=("heyyy bestie", "lolol", "@{other} literally same", "the music slaps", "so pretty", "first time here hi",
             "@{other} omg yes", "waving from {place}", "catJAM", "{game} is so cozy", "i love this song", "OMEGALUL",
             "@{other} LMAO real", "my {pet} says hi", "lurking while i study", "clap clap clap", "WOOO",
             "so relaxing", "that was so clean", "this chat is wholesome"),
    thanks={
        "follow": ("Oh welcome {name}, thanks for the follow!", "{name} followed, hiii, thank you!"),
        "sub": ("{name}, thank you for subscribing, you're the best!", "Sub from {name}, oh my gosh, thank you!"),
        "gift": ("{name} gifted subs, what, thank you so much!", "Thank you for the gift subs, {name}, so generous!"),
    },
    dismiss=("Oh, I'm not going to answer that one, sorry!", "Hmm, skip, next question.",
             "Nope, not today, chat."),
    yes_no=(("do u sing", "Nope."), ("is this ur main", "Yep!"), ("can u play on expert", "Sometimes."),
            ("do u play with a controller", "No."), ("is that a real bunny", "Yes!")),
    long_topics=LONG_TOPICS,
    second_answer=("Oh and for the other one, {answer}", "And the other question, {answer}"),
    handle=handle,
    # quick, with few long pauses: an energetic talker, near the gaps between a real stream's cues (median 260-380 ms)
    pauses=((0.70, 60, 420), (0.24, 420, 1300), (0.06, 1300, 3500)),
    answer_gap_ms=(250, 1000),
    reply_gap_ms=(150, 600),
)
