"""Text banks for the synthetic stream: questions with matching answers, monologue, chat noise.

Everything the streamer says is plain ASCII without digits (numbers are spelled out) so eSpeak reads it
the way an ASR model will transcribe it. Chat text may contain anything a chat would.

A topic's question and answer templates share ``{slot}`` values and content words, as real answers do
("what keyboard do you use?" -> "I use a Keychron keyboard with brown switches"). A slot name ending in a
digit (``{food2}``) draws a different value from the pool of the name without the digit.
"""

from __future__ import annotations

from dataclasses import dataclass

SLOTS: dict[str, tuple[str, ...]] = {
    "game": (
        "Elden Ring", "Hollow Knight", "Stardew Valley", "Minecraft", "Hades", "Celeste", "Terraria",
        "Dark Souls", "Portal", "Factorio", "Outer Wilds", "Rocket League", "Skyrim", "Zelda", "Tetris",
        "Balatro", "Subnautica", "Cuphead",
    ),
    "kb_brand": ("Keychron", "Logitech", "Razer", "Ducky", "Corsair", "Wooting"),
    "switch": ("brown", "red", "blue", "silent", "clicky"),
    "mouse_brand": ("Logitech", "Razer", "Zowie", "Glorious", "SteelSeries"),
    "mic": ("Shure", "Rode", "Blue Yeti", "Audio Technica", "Elgato"),
    "food": ("pizza", "ramen", "tacos", "pasta", "sushi", "curry", "pancakes", "fried rice", "burgers", "dumplings"),
    "drink": ("coffee", "green tea", "water", "orange juice", "lemonade", "hot chocolate", "iced tea"),
    "pet": ("cat", "dog", "rabbit", "hamster", "parrot", "turtle"),
    "pet_name": ("Biscuit", "Mochi", "Pepper", "Luna", "Waffles", "Noodle", "Ziggy", "Pickles"),
    "genre": ("lofi", "synthwave", "jazz", "chiptune", "piano", "ambient"),
    "day": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "activity": (
        "go hiking", "visit my parents", "cook a big dinner", "watch a movie", "go to the gym",
        "clean my room", "play board games with friends", "go to the beach",
    ),
    "place": ("Canada", "Ireland", "Ohio", "Sweden", "New Zealand", "Texas", "Scotland", "Portugal"),
    "weather": ("rainy", "super hot", "freezing cold", "really windy", "sunny", "cloudy and grey"),
    "build": ("strength", "magic", "stealth", "speed", "tank", "poison"),
    "weapon": ("big sword", "long bow", "ice staff", "twin daggers", "war hammer", "spear"),
    "hours": ("twenty", "fifty", "eighty", "a hundred", "two hundred", "three hundred"),
    "nth": ("first", "second", "third", "fifth"),
    "size": ("twenty four", "twenty seven", "thirty two"),
    "years": ("two", "three", "four", "five", "six"),
    "movie": ("Spirited Away", "The Matrix", "Jurassic Park", "Interstellar", "Paddington", "Alien"),
    "sport": ("tennis", "basketball", "soccer", "volleyball", "badminton", "climbing"),
    "language": ("Spanish", "French", "German", "Japanese", "Italian", "Korean"),
    "month": ("January", "March", "May", "July", "September", "November"),
    "book_topic": ("space travel", "ancient Rome", "the ocean", "dragons", "cooking", "old computers"),
    "snack": ("chips", "popcorn", "gummy bears", "pretzels", "cookies", "grapes"),
    "sleep_hours": ("four", "five", "six", "seven", "eight", "ten"),
    "stream_hours": ("two", "three", "four", "five"),
    "chair_brand": ("Secretlab", "Herman Miller", "IKEA", "Steelcase"),
}


@dataclass(frozen=True)
class Topic:
    key: str
    questions: tuple[str, ...]  # as a viewer types them
    answers: tuple[str, ...]  # as the streamer says them


TOPICS: tuple[Topic, ...] = (
    Topic("keyboard", (
        "what keyboard do you use?",
        "which keyboard is that",
        "what keyboard are you using right now?",
        "is your keyboard mechanical?",
    ), (
        "I use a {kb_brand} mechanical keyboard with {switch} switches, the keyboard is pretty loud though.",
        "it's a {kb_brand} keyboard with {switch} switches, I really love typing on this keyboard.",
        "right now I'm using a {kb_brand}, it's mechanical with {switch} switches, best keyboard I ever had.",
    )),
    Topic("mouse", (
        "what mouse do you have?",
        "which mouse is that",
        "what mouse are you using?",
    ), (
        "my mouse is a {mouse_brand}, a really light mouse, I use it for every game.",
        "I have a {mouse_brand} mouse, I switched to it last year and I love it.",
    )),
    Topic("microphone", (
        "what mic do you use?",
        "your mic sounds great, which one is it?",
        "what microphone is that",
    ), (
        "the mic is a {mic} microphone, thank you, I spent way too long on the mic settings.",
        "it's a {mic}, honestly the best microphone I ever had, glad the mic sounds good.",
    )),
    Topic("played_game", (
        "have you played {game}?",
        "did you ever play {game}",
        "thoughts on {game}?",
        "would you ever stream {game}?",
    ), (
        "yes, I played {game} last year and I loved it, I put like {hours} hours into {game}.",
        "{game}? I never finished it, maybe I should stream {game} sometime.",
        "oh, {game} is great, I played it for {hours} hours and I would totally stream it again.",
    )),
    Topic("favorite_game", (
        "what is your favorite game?",
        "favorite game of all time?",
        "what's the best game you ever played",
    ), (
        "my favorite game of all time is probably {game}, I played it like {hours} hours.",
        "the best game I ever played? {game}, easily, nothing comes close to {game}.",
    )),
    Topic("dinner", (
        "what did you eat today?",
        "what did you have for dinner",
        "did you eat dinner yet?",
    ), (
        "I had {food} for dinner today, it was really good.",
        "today I ate {food}, I made it myself for dinner and it was amazing.",
    )),
    Topic("favorite_food", (
        "what is your favorite food?",
        "{food} or {food2}?",
        "favorite food?",
    ), (
        "my favorite food is {food}, I could eat {food} every single day.",
        "{food}, definitely {food}, my favorite food, I would pick {food} over {food2} any day.",
    )),
    Topic("drink", (
        "what are you drinking?",
        "is that {drink} in the cup?",
        "what's in the cup",
    ), (
        "I'm just drinking {drink}, I always have {drink} in this cup when I stream.",
        "I'm drinking {drink} right now, the cup is almost empty though.",
    )),
    Topic("snack", (
        "what snack are you eating?",
        "are you eating {snack}?",
        "what is that snack",
    ), (
        "yeah, I'm eating {snack}, best snack for streaming.",
        "it's {snack}, my favorite snack, sorry for the noise.",
    )),
    Topic("pets", (
        "do you have any pets?",
        "do you have a {pet} or a {pet2}?",
        "how is your {pet} doing?",
        "what's your {pet}'s name?",
    ), (
        "I have a {pet} called {pet_name}, my pet {pet_name} is sleeping right next to me.",
        "yes, my {pet} {pet_name} is doing great, best pet ever, she says hi to chat.",
        "my {pet} is named {pet_name}, the best pet in the world.",
    )),
    Topic("music", (
        "what song is this?",
        "what music is playing",
        "can you share the playlist?",
        "who made this song",
    ), (
        "this song is from a {genre} music playlist I found, I can share the playlist in the discord.",
        "the music is a {genre} playlist, I don't remember who made this song though.",
    )),
    Topic("schedule", (
        "when is the next stream?",
        "are you streaming tomorrow?",
        "what's the stream schedule",
    ), (
        "the next stream is on {day}, same time as today.",
        "the stream schedule is {day} and {day2}, so the next stream is {day}.",
        "no stream tomorrow, the next stream will be on {day}.",
    )),
    Topic("plans", (
        "what are your plans for the weekend?",
        "what are you doing after stream?",
        "any plans for tonight?",
    ), (
        "my plan after stream tonight is to {activity}, I have been looking forward to it.",
        "this weekend I plan to {activity}, and tonight after stream I will just sleep.",
        "tonight's plan is to {activity} after the stream, and the weekend is for sleeping.",
    )),
    Topic("from", (
        "where are you from?",
        "what country are you from",
        "are you from {place}?",
    ), (
        "I'm from {place}, born and raised in {place}.",
        "originally I'm from {place}, I lived there for {years} years.",
    )),
    Topic("weather", (
        "how is the weather where you are?",
        "is it cold where you live?",
        "how's the weather today",
    ), (
        "the weather where I live is {weather} today, not my favorite weather.",
        "it's {weather} where I live right now, typical weather for this time of year.",
    )),
    Topic("build", (
        "what build are you running?",
        "what weapon is that?",
        "why are you using that weapon",
    ), (
        "I'm running a {build} build, and the weapon is the {weapon}, the build is really fun.",
        "the weapon is the {weapon}, it works great with a {build} build.",
    )),
    Topic("hours_played", (
        "how many hours do you have in this game?",
        "is this your first playthrough?",
        "how far are you in the game?",
    ), (
        "I have about {hours} hours in this game, this is my {nth} playthrough.",
        "this is my {nth} playthrough, so I know the game pretty well, like {hours} hours.",
    )),
    Topic("monitor", (
        "what monitor do you have?",
        "how big is your monitor",
        "is that a {size} inch monitor?",
    ), (
        "the monitor is a {size} inch screen, I love this monitor.",
        "I have a {size} inch monitor, big enough for everything.",
    )),
    Topic("chair", (
        "what chair do you use?",
        "is your chair comfortable?",
    ), (
        "my chair is a {chair_brand}, the chair is really comfortable for long streams.",
        "it's a {chair_brand} chair, super comfortable, my back loves this chair.",
    )),
    Topic("streaming_years", (
        "how long have you been streaming?",
        "when did you start streaming",
    ), (
        "I started streaming {years} years ago, time flies.",
        "I have been streaming for about {years} years now, started streaming as a hobby.",
    )),
    Topic("stream_length", (
        "how long is the stream today?",
        "when does the stream end",
    ), (
        "today's stream will be about {stream_hours} hours long.",
        "the stream ends in maybe {stream_hours} hours, we will see.",
    )),
    Topic("movies", (
        "seen any good movies lately?",
        "what's your favorite movie",
        "have you seen {movie}?",
    ), (
        "I just watched {movie}, the movie was really good.",
        "my favorite movie is {movie}, I have seen {movie} so many times.",
    )),
    Topic("sleep", (
        "did you sleep well?",
        "how much sleep did you get",
    ), (
        "I only got {sleep_hours} hours of sleep, so I'm a little tired today.",
        "not really, only {sleep_hours} hours of sleep last night.",
    )),
    Topic("sports", (
        "do you play any sports?",
        "do you watch {sport}?",
    ), (
        "I play {sport} on the weekends, I'm not very good at {sport} though.",
        "yeah, I watch {sport} sometimes, and I play {sport} with friends.",
    )),
    Topic("languages", (
        "do you speak any other languages?",
        "can you speak {language}?",
    ), (
        "I speak a little {language}, I learned {language} in school.",
        "I speak only a tiny bit of {language}, I'm still learning {language}.",
    )),
    Topic("birthday", (
        "when is your birthday?",
        "when is your birthday stream",
    ), (
        "my birthday is in {month}, we will do a birthday stream in {month}.",
    )),
    Topic("books", (
        "are you reading any books?",
        "any book recommendations?",
    ), (
        "I'm reading a book about {book_topic} right now, it's a great book.",
        "I recommend a book about {book_topic}, best book I read this year.",
    )),
    Topic("streamer_tips", (
        "any tips for new streamers?",
        "how do I start streaming?",
    ), (
        "my best tip for new streamers is to stream what you love and be patient.",
        "to start streaming, get a decent mic and stream what you love, my tip is to be patient.",
    )),
    Topic("get_better", (
        "how do I get better at this game?",
        "any tips to get better at this game?",
    ), (
        "to get better at this game, practice the bosses and use a {build} build.",
        "the best way to get better is to play the game slowly and learn every boss.",
    )),
    Topic("difficulty", (
        "is this game hard?",
        "is the game hard for beginners?",
        "what difficulty are you playing on",
    ), (
        "the game is pretty hard on this difficulty, but fair, beginners can totally do it.",
        "I'm playing on normal difficulty, the game is hard enough already.",
    )),
    Topic("setup", (
        "what are your pc specs?",
        "what graphics card do you have",
    ), (
        "my pc has a pretty old graphics card, but the pc handles this game fine.",
        "the graphics card is a few years old, the specs are in the discord.",
    )),
)

# Paid messages that are not questions, with the streamer's matching reply ({name}: spoken author name).
PAID_CHEERS: tuple[tuple[str, str], ...] = (
    ("love the streams, keep it up!", "thank you so much {name}, I love doing these streams, I will keep it up."),
    ("first super chat, hi {streamer}!", "thank you {name}, hi! thanks for your first super chat."),
    ("thanks for the good vibes today", "thank you {name}, glad you like the good vibes today."),
    ("buy yourself a coffee", "thank you {name}, I will buy a coffee with that."),
    ("happy friday everyone", "thank you {name}, happy friday to you too, and to everyone."),
    ("your streams help me relax after work", "thank you {name}, glad the streams help you relax after work."),
)

MEMBER_REPLIES: tuple[str, ...] = (
    "welcome to the crew {name}, thanks for becoming a member.",
    "thank you {name} for the membership, welcome to the crew.",
)

READ_ALOUD: tuple[str, ...] = (
    "{name} asks, {text}",
    "{name} says, {text}",
    "question from {name}, {text}",
    "{name} is asking, {text}",
)
NAMED: tuple[str, ...] = (
    "thanks {name}, {answer}",
    "{name}, {answer}",
    "oh, good question {name}. {answer}",
    "hey {name}, {answer}",
)
PAID_READ: tuple[str, ...] = (
    "{name} with the {amount} super chat says, {text}",
    "{name} sent {amount} and says, {text}",
)
PAID_NAMED: tuple[str, ...] = (
    "thank you {name} for the {amount}! {answer}",
    "thanks for the {amount}, {name}. {answer}",
)

INTROS: tuple[str, ...] = (
    "hey everyone, welcome back to the stream, today we are playing {game}.",
    "hello chat, welcome in, we are continuing {game} today.",
)
OUTROS: tuple[str, ...] = (
    "alright, that's it for today, thanks for watching everyone, see you next time.",
    "okay chat, I'm going to end the stream here, thank you all for hanging out.",
)

MONO_SLOTS: dict[str, tuple[str, ...]] = {
    "area": ("cave", "castle", "swamp", "village", "tower", "forest", "desert", "harbor", "mines"),
    "item": ("potions", "arrows", "health flasks", "coins", "keys", "bombs", "crystals"),
    "enemy": ("knight", "spider", "dragon", "skeleton", "wolf", "golem", "witch", "bandit"),
    "gear": ("sword", "shield", "bow", "armor", "helmet", "boots"),
    "count": ("three", "five", "ten", "twenty", "fifty"),
}

MONOLOGUE: tuple[str, ...] = (
    "okay, let's head to the {area} now.",
    "I need to find more {item} before the next boss.",
    "this {enemy} has way too much health.",
    "oh no, oh no, I almost died there.",
    "wait, where is the save point?",
    "let me check the map real quick.",
    "alright, that went better than expected.",
    "I think the {item} are behind that door.",
    "why is this {enemy} so fast?",
    "okay, one more try, I can do this.",
    "let's upgrade the {gear} first.",
    "hmm, which way do we go, left or right?",
    "I love the music in this area.",
    "the {area} looks so pretty at night.",
    "that jump was way harder than it looked.",
    "I should probably save the game.",
    "we are so close to the end of this level.",
    "nice, a new {gear}, let's equip it.",
    "I keep forgetting to eat lunch on stream days.",
    "it has been raining all day here.",
    "my coffee is already cold.",
    "don't forget to drink some water, everyone.",
    "okay, focus, focus.",
    "I'm going to try the other path this time.",
    "that {enemy} came out of nowhere.",
    "let me read this sign first.",
    "how did I miss that chest?",
    "this boss fight is the hardest part of the game.",
    "we are making good progress today.",
    "remind me to take a break in a bit.",
    "I wonder what's inside that tower.",
    "gotta be careful with the stamina here.",
    "okay, the {enemy} is down, let's keep going.",
    "I really like this part of the story.",
    "we need about {count} more {item} for the upgrade.",
    "wait, is that a secret room?",
    "no way, that was so close.",
    "let's sell some of this junk at the shop.",
    "this {area} is full of traps, careful.",
    "I have {count} {item} left, should be enough.",
    "okay, dodge, dodge, now attack.",
    "where did that {enemy} go?",
)

# ---- chat noise ----------------------------------------------------------------------------------

# Native Twitch emotes (name -> emote id as Twitch reports it); others below are third-party (plain text).
TWITCH_EMOTES: dict[str, str] = {
    "Kappa": "25",
    "PogChamp": "305954156",
    "LUL": "425618",
    "BibleThump": "86",
    "Kreygasm": "41",
    "NotLikeThis": "58765",
    "SeemsGood": "64138",
    "ResidentSleeper": "245",
    "HeyGuys": "30259",
    "<3": "555555584",
    "CoolStoryBob": "123171",
    "DansGame": "33",
    "4Head": "354",
    "Jebaited": "114836",
    "VoHiYo": "81274",
}
THIRD_PARTY_EMOTES: tuple[str, ...] = ("KEKW", "OMEGALUL", "monkaS", "Pog", "PepeHands", "catJAM", "Sadge", "EZ")

# Unicode emoji -> YouTube shortcut names.
EMOJI: dict[str, tuple[str, ...]] = {
    "\U0001F602": (":face_with_tears_of_joy:", ":joy:"),
    "\U0001F525": (":fire:",),
    "\U0001F440": (":eyes:",),
    "\U0001F62D": (":loudly_crying_face:", ":sob:"),
    "\U0001F480": (":skull:",),
    "\U0001F389": (":party_popper:", ":tada:"),
    "\U0001F44F": (":clapping_hands:", ":clap:"),
    "\U0001F60E": (":smiling_face_with_sunglasses:", ":sunglasses:"),
    "\U0001F64F": (":folded_hands:", ":pray:"),
    "\U0001F631": (":face_screaming_in_fear:", ":scream:"),
    "\U0001F49C": (":purple_heart:",),
}
# YouTube custom emoji (shortcut -> emojiId); in Twitch chat they are plain text.
YT_CUSTOM_EMOJI: dict[str, str] = {
    ":yt:": "UCkszU2WH9gy1mb0dV-11UJg/CN2m5cKr49sCFYbFggodDFEKrg",
    ":oops:": "UCkszU2WH9gy1mb0dV-11UJg/qkn5X4iAE4cHWIQaMKnfsA",
    ":hand-pink-waving:": "UCkszU2WH9gy1mb0dV-11UJg/KOxdr_z3A5h1Gb7kqnxqOCnbZrBmxI2B_tRQ453BhTWUhYAlpg5ZP8IKEBkcvRoY8g",
    ":face-blue-smiling:": "UCkszU2WH9gy1mb0dV-11UJg/cktIaPxFwnrPwn-alHvnvedHLUJwbHi8HCK3AgbHpphrMAW99qw0bDfxuZagSY5i",
}

EMOJI_LED: tuple[str, ...] = (
    "that was so close", "lets gooo", "I can't believe that", "what is that", "so good", "no way",
    "this is my favorite part", "chat is wild today", "that jump", "nice one",
)

CHATTER: tuple[str, ...] = (
    "@{other} yeah I saw that too", "@{other} no way, really?", "anyone here play {game}?", "lol", "gg",
    "that was clean", "first time catching the stream live", "hello from {place}", "hi chat",
    "good morning everyone", "who else is eating dinner right now", "my {pet} is watching the stream with me",
    "I just got home from work", "brb getting snacks", "this music slaps", "W streamer",
    "@{other} {game} is way better", "@{other} hahaha true", "chat is so fast today", "back, what did I miss",
    "is this the same save as last stream", "@{other} welcome back", "that boss looks scary", "lmao",
    "the {enemy} is right behind you", "go left", "no go right", "check the chest", "you missed a chest",
    "@{other} good night", "I have work tomorrow but I'm staying", "this is so relaxing",
)

SPAM: tuple[str, ...] = (
    "W", "W W W", "LETS GOOO", "first", "{STREAMER} {STREAMER} {STREAMER}", "hype", "pls notice me", "hiii", "GG GG",
)

COPYPASTA: tuple[str, ...] = (
    "I am a professional gamer and I can confirm this is the greatest play in the history of video games, "
    "my entire family is crying right now",
    "If you are reading this you have been blessed by the stream goblin, copy and paste this in ten seconds "
    "or lose every boss fight forever",
    "This is the part of the stream where chat pretends to know the speedrun strats and the streamer "
    "pretends to listen",
    "Wow this gameplay is so good I forgot to blink for thirty minutes and now my eyes are dry and my cat "
    "is judging me",
    "Day 47 of asking the streamer to play Tetris with a dance pad while standing on one leg",
    "chat if you see this message, you are legally required to say hi to the person below you",
)

URL_SPAM: tuple[str, ...] = (
    "Wanna become famous? Buy followers, primes and viewers on bigfollows . shop",
    "check out my channel https://youtube.com/@{handle}gaming",
    "free skins here https://free-skinz.click/claim?ref={handle}",
    "follow me on twitch twitch.tv/{handle}",
    "cheap viewers at streamboost dot top",
    "I made a montage, watch it here https://bit.ly/3xF2kLm",
)

COMMANDS: tuple[str, ...] = ("!uptime", "!discord", "!socials", "!specs", "!schedule", "!lurk", "!followage")
BOTS: tuple[str, ...] = ("Nightbot", "StreamElements")
BOT_TIMERS: tuple[str, ...] = (
    "Remember to follow the channel and turn on notifications!",
    "Join the community discord: https://discord.gg/{channel}streams",
    "Want to support the stream? Become a member for emotes and badges!",
)

PAID_AMOUNTS: tuple[tuple[str, str, int], ...] = (
    # (YouTube purchaseAmountText, spoken amount, Twitch bits)
    ("$2.00", "two dollars", 200),
    ("$5.00", "five dollars", 500),
    ("$10.00", "ten dollars", 1000),
    ("\u20ac5.00", "five euros", 500),
    ("\u00a33.00", "three pounds", 300),
)
