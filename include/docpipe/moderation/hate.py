"""Hate towards groups: a target (a group of people named by identity) and a hostile predicate about
it in the same sentence, the way people write hateful comments without slurs or swearing.

    "Immigrants are parasites"                     target + dehumanising noun
    "Muslims should be deported"                   target + exclusion under a modal ("should")
    "Deport every last one of them"                imperative violence / exclusion + "them all"
    "Women belong in the kitchen"                  target + stereotype phrase
    "Mexicans are lazy drug dealers"               target + negative trait
    "Saying all muslims are terrorists is racist"  counter-speech: damped
    "Not all immigrants are criminals"             negated: damped
    "Migrants were deported, the ministry said"    a report (attributed, passive): damped
    "Hopefully the white parasites leave"          identity adjective on a dehumanising noun

`score(lowered, tokens)` returns a confidence in [0, 1] (the strongest sentence) and the sentence
spans judged to be counter-speech or reporting about hate, which the caller uses to damp its other
patterns. Everything here is general vocabulary written for the job; none of it is fitted to a
labelled data set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .lexicons import GROUP_ADJECTIVES, GROUP_HEADS, GROUP_NOUNS, TOKEN_RE

# fmt: off
# --------------------------------------------------------------------------------------------
# Targets
# --------------------------------------------------------------------------------------------
_EXTRA_GROUP_NOUNS = (
    "jew", "jews", "jewess", "muslim", "muslims", "moslem", "moslems", "islam", "islamic", "islamists",
    "arab", "arabs", "black", "blacks", "negro", "negroes", "gay", "gays", "homosexual", "homosexuals",
    "lesbian", "lesbians", "bisexuals", "trans", "transgender", "transgenders", "transgendered", "transsexuals",
    "transvestites", "queers", "woman", "women", "girls", "females", "feminist", "feminists", "feminism", "men",
    "males", "immigrant", "immigrants", "migrant", "migrants", "refugee", "refugees", "foreigner", "foreigners",
    "illegals", "aliens", "asylum", "mexican", "mexicans", "indian", "indians", "chinese", "asian", "asians",
    "african", "africans", "gypsy", "gypsies", "roma", "romani", "travellers", "disabled", "retards", "cripples",
    "autistic", "autistics", "christian", "christians", "catholics", "hindu", "hindus", "sikhs", "atheists",
    "whites", "homosexuality", "transgenderism", "judaism", "zionists", "pakistanis", "somalis", "nigerians",
    "syrians", "afghans", "albanians", "romanians", "turks", "kurds", "latinos", "hispanics", "filipinos",
    "haitians", "jamaicans", "palestinians", "israelis", "russians", "ukrainians", "americans", "europeans",
    "germans", "poles", "serbs", "bosnians", "iranians", "iraqis", "asylum seekers", "lgbt", "lgbtq", "lgbtq+",
    "faggots", "fags", "niggers", "niggas", "kikes", "spics", "wetbacks", "chinks", "gooks", "ragheads",
    "towelheads", "trannies", "dykes", "muzzies", "pakis", "paki", "nigger", "faggot", "tranny", "kike",
    "raghead", "towelhead", "muzzie", "mohammedans", "sharia", "koran", "quran", "mosque",
    "mosques", "synagogue", "synagogues", "burka", "burqa", "hijab", "niqab", "hijabs", "burkas", "burqas",
    "niqabs", "turbans", "pedos",
    # gender
    "ladies", "wives", "girlfriends", "mothers", "daughters", "sisters", "womens", "femoids", "femoid", "thots",
    "mgtow", "incels", "incel", "feminazis", "feminazi", "misandrists",
    # religion
    "religion", "religions", "religious", "islamist", "islamism", "muhammad", "mohammed", "mohammad", "allah",
    "prophet", "christianity", "catholicism", "catholic", "jewry", "zionist", "zionism", "hinduism", "sikh",
    "buddhists", "buddhism", "atheist", "mormons", "mormon", "evangelicals", "jihadis", "jihadists",
    "jihadist", "imams", "rabbis",
    # race and ethnicity
    "race", "races", "racial", "ethnic", "ethnicity", "ethnicities", "colored", "coloured", "poc", "bame",
    "caucasians", "caucasian", "latina", "latinas", "latinx", "negros", "darkies", "darky", "coons", "coon",
    "beaners", "beaner", "spic", "gook", "chink", "jap", "japs", "nips", "wogs", "wog", "kaffirs",
    "blackies", "crackers", "honkies", "gringos", "niggaz", "nigga", "negress", "mulatto", "mulattos",
    "halfbreeds", "mongoloids", "aborigines", "aboriginals", "natives", "indigenous", "tribes", "tribal",
    "eskimos", "slavs", "arabic", "persians", "bengalis", "punjabis", "tamils", "sinhalese", "chechens",
    # national origin
    "nationality", "nationalities", "expats", "newcomers", "invaders", "asylum-seekers", "undocumented",
    "deportees", "colonizers", "colonists", "third-world", "somali", "nigerian", "pakistani", "syrian", "afghan",
    "albanian", "romanian", "turkish", "iranian", "iraqi", "palestinian", "israeli", "polish", "bulgarians",
    "moroccans", "algerians", "tunisians", "egyptians", "ethiopians", "eritreans", "sudanese", "congolese",
    "ghanaians", "kenyans", "haitian", "jamaican", "puerto", "cubans", "venezuelans", "colombians",
    "brazilian", "peruvians", "bangladeshis", "sri", "nepalese", "vietnamese", "koreans", "korean",
    "japanese", "thais", "indonesians", "malaysians", "filipino", "mexican", "brits", "scots", "welsh",
    "yanks", "canadians", "australians", "aussies", "greeks", "italians", "spaniards", "portuguese", "croats",
    "hungarians", "czechs", "slovaks", "lithuanians", "latvians", "estonians", "finns", "swedes", "norwegians",
    "danes", "dutch", "belgians", "frenchmen", "irishmen", "englishmen", "chechen",
    # sexual orientation and gender identity
    "homos", "homo", "fag", "fags", "dyke", "dykes", "bisexual", "pansexual", "asexual", "queer", "lgbtq+",
    "lgbtqia", "transsexual", "transwomen", "transmen", "trannys", "shemales", "shemale", "trannies",
    "nonbinary", "non-binary", "genderqueer", "drag", "sodomites", "sodomite", "pedos", "homosexuality",
    # disability
    "retard", "retarded", "autism", "cripple", "crippled", "handicapped", "disabilities", "disability",
    "midgets", "midget", "dwarfs", "spastics", "spastic", "spaz", "mongs", "downs", "schizophrenics",
    "wheelchair", "deaf", "mutes", "lepers", "paraplegic", "paraplegics", "quadriplegic", "quadriplegics",
    "amputees", "dwarves", "autists", "schizos", "untouchables", "dalit", "dalits",
    # orientation / identity as a thing
    "gayness", "lesbianism", "bisexuality", "transness", "queerness",
    # religious out-groups as named by those who attack them
    "infidels", "infidel", "kuffar", "kafirs", "kafir", "heathens", "unbelievers",
)
# words for people that an identity adjective turns into a group ("black people", "muslim men")
_HEADS = frozenset(GROUP_HEADS) | {
    "man", "woman", "guy", "guys", "girl", "boy", "person", "persons", "folk", "folks", "kid", "family",
    "population", "populations", "community", "communities", "neighbours", "neighbors", "drivers", "students",
    "parents", "mothers", "fathers", "youths", "gangs", "men's", "women's", "lives", "culture", "cultures",
    "countries", "nations", "leaders", "politicians", "priests", "clerics", "preachers", "bankers", "children",
}
_ADJS = frozenset(GROUP_ADJECTIVES) - {"old", "fat", "native", "english", "french", "irish", "italian", "greek"}
_NOUNS = frozenset(g for g in GROUP_NOUNS if " " not in g) | frozenset(
    g for g in _EXTRA_GROUP_NOUNS if " " not in g
)
# "the chinese", "the jews": a determiner makes a group of a nationality word
_THE_GROUP = frozenset({"chinese", "japanese", "english", "french", "irish", "dutch", "swiss", "vietnamese"})
# pronouns and deictics that point back to a group named elsewhere in the text
_ANAPHORA = frozenset({"they", "them", "their", "theirs", "themselves", "these", "those"})
_DEICTIC = (("these", "people"), ("those", "people"), ("their", "kind"), ("your", "kind"), ("that", "kind"),
            ("these", "creatures"), ("those", "creatures"), ("people", "like"), ("you", "people"),
            ("your", "people"), ("their", "people"), ("these", "folks"), ("those", "folks"))
# a single person: dehumanising or a call for violence against them is abuse too (not a trait: calling
# one person lazy is an insult, not hate)
_PERSON = frozenset({"he", "she", "him", "her", "guy", "dude", "bitch", "bastard", "woman", "man", "girl",
                     "idiot", "moron", "retard", "freak", "creep", "clown", "pig", "loser"})
_COPULA = frozenset({"is", "was", "are", "were", "'s", "be", "being", "looks", "look", "acts", "act"})
_PERSON_DETS = frozenset({"this", "that", "the", "he", "she", "him", "her"})
_PLACES = frozenset({
    "africa", "asia", "mexico", "india", "china", "pakistan", "iran", "iraq", "syria", "afghanistan",
    "israel", "palestine", "gaza", "somalia", "arabia", "russia", "korea", "japan", "east",
})

# --------------------------------------------------------------------------------------------
# Predicates: token -> (kind, weight); phrases are tuples of tokens
# --------------------------------------------------------------------------------------------
_DEHUM = 0.85
_VIOLENCE = 0.9
_EXCLUSION = 0.8
_STEREOTYPE = 0.65
_TRAIT = 0.6
_ABUSE = 0.55

_DEHUM_WORDS = (
    "animal", "animals", "vermin", "rat", "rats", "cockroach", "cockroaches", "roaches", "bugs", "insects",
    "parasite", "parasites", "leech", "leeches", "subhuman", "subhumans", "sub-human", "savage", "savages",
    "beast", "beasts", "monkey", "monkeys", "ape", "apes", "swine", "maggots", "filth", "scum", "plague",
    "cancer", "disease", "diseases", "diseased", "infestation", "infest", "infesting", "infested", "abomination",
    "abominations", "barbarians", "barbaric", "uncivilized", "uncivilised", "primitive", "soulless",
    "degenerates", "degenerate", "virus", "pests", "pest", "mongrels", "creatures", "orcs", "trash",
    "garbage", "breeding", "breed", "outbreed", "rabbits", "cult", "devils", "demons", "satanic", "evil",
)
_DEHUM_PHRASES = (("not", "human"), ("anti", "human"), ("not", "people"), ("aren't", "people"),
                  ("not", "persons"),
                  ("bag", "of", "meat"), ("sack", "of", "meat"), ("waste", "of", "oxygen"),
                  ("waste", "of", "space"), ("mistake", "of", "nature"), ("freaks", "of", "nature"), ("less", "than", "human"), ("not", "even", "human"), ("death", "cult"),
                  ("like", "rats"), ("like", "animals"), ("like", "cockroaches"), ("like", "rabbits"))
_VIOLENCE_WORDS = (
    "kill", "killed", "killing", "exterminate", "exterminated", "extermination", "gas", "gassed", "hang",
    "hanged", "hung", "shoot", "shot", "lynch", "lynched", "burn", "burned", "burnt", "nuke", "nuked", "bomb",
    "bombed", "slaughter", "slaughtered", "execute", "executed", "eradicate", "eradicated", "eliminate",
    "eliminated", "massacre", "murder", "behead", "beheaded", "sterilize", "sterilized", "sterilise",
    "sterilised", "castrate", "castrated", "stone", "stoned", "die", "dead", "beat", "beaten", "purge",
    "purged", "genocide", "annihilate", "annihilated", "destroy", "destroyed", "crush", "drown", "drowned",
    "euthanize", "euthanized", "euthanise", "euthanised", "euthanatize", "euthanatized", "choke", "choked",
    "strangle", "strangled", "stab", "stabbed", "slap", "slapped", "smack", "smacked", "punch", "punched",
    "abort", "aborted",
)
_VIOLENCE_PHRASES = (("put", "a", "bullet"), ("bullet", "in"), ("wipe", "out"), ("wiped", "out"), ("thrown", "off"), ("throw", "them", "off"),
                     ("put", "down"), ("put", "to", "death"), ("get", "rid"), ("got", "rid"),
                     ("finish", "what"), ("final", "solution"), ("ethnic", "cleansing"), ("white", "genocide"),
                     ("race", "war"), ("great", "replacement"), ("holy", "war"))
_EXCLUSION_WORDS = (
    "deport", "deported", "deporting", "deportation", "deportations", "ban", "banned", "banning", "expel",
    "expelled", "segregate", "segregated", "excluded", "exclude", "removed", "remove", "camps", "camp", "jail",
    "jailed", "imprisoned", "caged", "quarantined", "barred", "institution", "institutionalized",
    "institutionalised", "institutionalize", "institutionalise",
)
_EXCLUSION_PHRASES = (
    ("kick", "out"), ("kicked", "out"), ("kick", "them", "out"), ("throw", "out"), ("thrown", "out"),
    ("throw", "them", "out"), ("send", "back"), ("sent", "back"), ("send", "them", "back"), ("ship", "back"),
    ("ship", "them", "back"), ("go", "back"), ("get", "out"), ("keep", "out"), ("stay", "out"),
    ("lock", "up"), ("locked", "up"), ("lock", "them", "up"), ("round", "up"), ("rounded", "up"),
    ("go", "home"), ("back", "home"), ("back", "to"), ("out", "of", "our"), ("not", "allowed"),
)
# phrases that are hostile in themselves: no modal needed, and their own negation is part of them
_NORMATIVE_PHRASES = (
    ("no", "place"), ("no", "business"), ("nobody", "wants"), ("no", "one", "wants"), ("nobody", "needs"), ("no", "right"), ("better", "off", "without"),
    ("better", "place", "without"), ("better", "without"), ("don't", "belong"), ("do", "not", "belong"), ("doesn't", "belong"), ("does", "not", "belong"),
    ("not", "welcome"), ("no", "more"), ("go", "back", "to"), ("back", "where", "they", "came", "from"),
    ("back", "where", "you", "came", "from"), ("back", "to", "africa"), ("back", "to", "their"),
    ("back", "to", "your"), ("out", "of", "our", "country"), ("out", "of", "my", "country"),
    ("not", "welcome", "here"), ("should", "not", "be", "allowed"), ("shouldn't", "be", "allowed"),
    ("should", "never", "be", "allowed"), ("must", "not", "be", "allowed"), ("don't", "deserve"),
    ("do", "not", "deserve"), ("doesn't", "deserve"), ("does", "not", "deserve"), ("not", "real", "women"),
    ("not", "real", "men"), ("not", "a", "real", "woman"), ("not", "a", "real", "man"),
    ("the", "only", "good"), ("should", "not", "vote"), ("shouldn't", "vote"),
    ("should", "not", "reproduce"), ("shouldn't", "reproduce"), ("should", "not", "breed"), ("shouldn't", "breed"),
    ("should", "not", "have", "kids"), ("shouldn't", "have", "kids"), ("should", "not", "have", "children"),
    ("shouldn't", "have", "children"), ("should", "not", "exist"), ("shouldn't", "exist"),
    ("should", "be", "ashamed"), ("should", "feel", "ashamed"), ("should", "feel", "shame"),
)
_STEREOTYPE_PHRASES = (
    ("control", "the"), ("controls", "the"), ("run", "the", "banks"), ("run", "the", "media"),
    ("own", "the", "media"), ("own", "the", "banks"), ("take", "over"), ("taking", "over"), ("took", "over"),
    ("replace", "us"), ("replacing", "us"), ("replace", "white"), ("in", "the", "kitchen"),
    ("place", "is", "in"), ("make", "me", "a", "sandwich"), ("only", "good", "for"), ("good", "for", "nothing"),
    ("too", "emotional"), ("real", "man"), ("steal", "our"), ("stealing", "our"), ("stole", "our"),
    ("live", "off"), ("living", "off"), ("on", "welfare"), ("marry", "their", "cousins"), ("eat", "dogs"),
    ("smell", "like"), ("smells", "like"), ("can't", "drive"), ("cannot", "drive"), ("lower", "iq"),
    ("low", "iq"), ("lower", "iqs"), ("crime", "went", "up"), ("better", "before"),
    ("our", "women"), ("rape", "our"), ("raping", "our"), ("groom", "our"), ("grooming", "our"), ("our", "children"),
    ("out", "breed"), ("multiply", "like"), ("breed", "like"), ("not", "smart", "enough"),
    ("should", "stay", "in"), ("belong", "in"), ("belongs", "in"), ("wake", "up"), ("no", "empathy"),
    ("never", "contributed"), ("contributed", "nothing"), ("going", "to", "hell"), ("burn", "in", "hell"),
    ("rot", "in", "hell"), ("code", "word"), ("dog", "whistle"), ("potential", "terrorist"),
    ("potential", "terrorists"), ("which", "religion"), ("you", "know", "who"),
    ("stronger", "sex"), ("weaker", "sex"), ("inferior", "sex"), ("superior", "sex"), ("superior", "race"),
    ("inferior", "race"), ("master", "race"), ("their", "place", "is"), ("her", "place", "is"),
    ("place", "is", "the", "home"), ("place", "is", "at", "home"), ("can't", "think"), ("cannot", "think"), ("not", "capable"),
)
_STEREOTYPE_WORDS = (
    "invasion", "invaders", "invading", "invade", "flood", "flooding", "swarm", "swarming", "hordes", "horde",
    "destroying", "destroy", "destroyed", "ruin", "ruining", "ruined", "scam", "scamming", "scammers", "terrorism", "jihad",
    "sharia", "grooming", "groomers", "groom", "rapefugees", "welfare", "freeloaders", "moochers", "leeching",
    "multiply", "breeding", "replacement", "inbreeding", "brainwashed", "hags", "hag", "bitter",
    "supremacy", "subordinate", "subordinates", "subservient",
)
_TRAIT_WORDS = (
    "lazy", "violent", "criminal", "criminals", "terrorist", "terrorists", "thieves", "thief", "thieving",
    "dirty", "filthy", "smelly", "stink", "stinks", "stinky", "stupid", "dumb", "idiots", "idiotic", "morons",
    "moronic", "inferior", "greedy", "sick", "perverts", "perverted", "pervert", "pedophiles", "paedophiles",
    "pedophile", "rapists", "rapist", "backward", "inbred", "ugly", "useless", "worthless", "liars",
    "disgusting", "devil", "hateful", "sluts", "whores", "bitches", "hoes", "freaks", "weirdos", "cowards",
    "dangerous", "menace", "burden", "drain", "retarded", "retards", "crazy", "insane", "psychos", "unnatural", "gross", "nasty", "vile", "pathetic", "losers",
    "ignorant", "uneducated", "illiterate", "cheap", "tricky", "sneaky", "untrustworthy", "dishonest",
    "manipulative", "hysterical", "incapable", "incompetent", "arrogant", "entitled",
    "brutal", "aggressive", "fanatics", "fanatical", "extremists", "radicals", "savages", "murderers",
    "killers", "thugs", "gangsters", "dealers", "junkies", "alcoholics", "drunks", "hypocrites", "clowns",
    "communists", "nazis", "fascists", "racists", "supremacists", "bigots", "misogynists", "sexist",
    "misogynistic", "intolerant", "mentally",
    "dumbass", "dumbasses", "imbeciles", "cretins", "scumbags", "lowlifes", "hideous", "repulsive", "freakish",
    "abnormal", "retarted", "defective", "parasitic", "leeches", "dumb-ass", "delusional", "fraud", "frauds", "liar", "cheat", "cheats", "cheater", "cheaters",
)
_ABUSE_WORDS = (
    "fuck", "fucking", "fucked", "fuckers", "fuckin", "shit", "shitty", "shithole", "shitholes", "damn",
    "bloody", "piss", "crap", "bastards", "cunts", "twats", "assholes", "scumbags", "hate", "despise",
    "loathe", "detest", "can't stand", "sick of", "tired of", "fed up", "dislike", "don't like", "dont like",
    "do not like", "can't stand",
)
_TRAIT_PHRASES = (("mentally", "ill"), ("are", "the", "problem"), ("are", "a", "problem"), ("are", "a", "burden"),
                  ("are", "a", "drain"), ("are", "a", "threat"), ("is", "a", "threat"), ("are", "a", "danger"),
                  ("is", "a", "danger"), ("are", "the", "enemy"), ("is", "the", "enemy"), ("the", "worst"),
                  ("a", "joke"),
                  ("make", "me", "sick"), ("makes", "me", "sick"), ("disgust", "me"), ("disgusts", "me"),
                  ("make", "me", "puke"), ("makes", "me", "puke"), ("make", "me", "vomit"), ("makes", "me", "vomit"),
                  ("sick", "of"), ("tired", "of"), ("fed", "up"), ("can't", "stand"), ("cant", "stand"),
                  ("cannot", "stand"))

# a generalisation makes a statement about a group stronger
_AMPLIFIERS = frozenset({
    "all", "every", "each", "always", "typical", "typically", "naturally", "genetically", "inherently",
    "nature", "none", "whole", "entire", "only", "everyone", "everywhere", "any",
})
# modal / imperative context that turns a violence or exclusion verb into a call for it
_MODALS = frozenset({
    "should", "shall", "must", "need", "needs", "ought", "gotta", "let's", "lets", "deserve", "deserves", "will",
    "i'll", "we'll", "gonna", "wanna", "want", "hope", "wish", "pray", "time", "just", "please", "better",
    "i'd", "we'd", "would", "could", "can", "to", "have", "has", "why", "start", "begin", "let", "make",
})
_NEGATORS = frozenset({
    "not", "no", "never", "isn't", "aren't", "wasn't", "weren't", "don't", "doesn't", "didn't", "nor", "hardly",
    "without", "cannot", "can't", "won't", "wouldn't", "shouldn't", "nobody", "neither",
})
# "were killed", "have been deported": a report of what happened, unless a strong modal asks for it
_REPORTED_PASSIVE = frozenset({"been", "were", "was"})
_STRONG_MODALS = frozenset({"should", "must", "ought", "deserve", "deserves", "need", "needs", "gotta", "better"})
# attribution to a source: news and reports about groups, not the writer's own claim
_ATTRIBUTION = frozenset({
    "said", "says", "according", "reported", "reportedly", "ruled", "testified", "announced", "alleged",
    "allegedly", "prompting", "condemned", "accused", "revealed", "found",
})
# talk about hate rather than hate: counter-speech, reporting, education
_META = frozenset({
    "racist", "racists", "racism", "sexist", "sexism", "stereotype", "stereotypes", "stereotyping", "bigot",
    "bigots", "bigotry", "bigoted", "prejudice", "prejudiced", "discrimination", "discriminate",
    "discriminated", "islamophobia", "islamophobic", "antisemitism", "antisemitic", "anti-semitism",
    "anti-semitic", "homophobia", "homophobic", "transphobia", "transphobic", "xenophobia", "xenophobic",
    "misogyny", "conspiracy", "conspiracies", "myth", "myths", "propaganda", "hatred", "intolerance",
    "generalize", "generalise", "generalizing", "generalising", "generalization", "generalisation",
})
# framing that, with a word like "racist" or "stereotype", makes a sentence about hate
_FRAMING = (("saying",), ("say",), ("says",), ("calling",), ("call",), ("claim",), ("claims",), ("claiming",),
            ("think",), ("thinks",), ("believe",), ("believes",), ("blaming",), ("judge",), ("judging",),
            ("against",), ("about",), ("explains",), ("the", "article"), ("the", "video"), ("documentary",),
            ("history",), ("speak", "out"))
# framing that is about hate by itself
_STRONG_FRAMING = (("comments", "like"), ("it", "is", "wrong"), ("it's", "wrong"), ("is", "wrong", "to"),
                   ("stop", "blaming"), ("stop", "saying"), ("stop", "calling"), ("stop", "hating"),
                   ("people", "who", "hate"), ("those", "who", "hate"), ("hate", "crimes"), ("hate", "crime"),
                   ("hate", "speech"), ("attacks", "on"), ("attacks", "against"), ("violence", "against"),
                   ("discrimination", "against"), ("racism", "against"), ("victims",), ("survivors",),
                   ("nobody", "should"), ("no", "one", "should"), ("should", "not", "be", "attacked"),
                   ("has", "nothing", "to", "do", "with"), ("not", "fair", "to"), ("unfair", "to"),
                   ("blame", "all"), ("blaming", "all"), ("against", "hate"), ("against", "racism"),
                   ("stand", "against"), ("stand", "with"), ("solidarity", "with"))
# slogans of organised hate: hostile wherever they appear
_SLOGANS = (("white", "genocide"), ("great", "replacement"), ("race", "traitor"), ("race", "traitors"),
            ("jewish", "question"), ("zionist", "occupied"), ("white", "power"), ("heil", "hitler"),
            ("sieg", "heil"), ("gas", "the", "jews"), ("rahowa",), ("14", "words"), ("kebab", "removal"),
            ("remove", "kebab"), ("white", "pride", "worldwide"), ("day", "of", "the", "rope"))
# fmt: on


def _index(entries: list[tuple[tuple[str, ...], str, float]]) -> dict[str, list[tuple[tuple[str, ...], str, float]]]:
    idx: dict[str, list[tuple[tuple[str, ...], str, float]]] = {}
    for key, kind, w in entries:
        idx.setdefault(key[0], []).append((key, kind, w))
    for lst in idx.values():
        lst.sort(key=lambda e: len(e[0]), reverse=True)
    return idx


def _entries() -> list[tuple[tuple[str, ...], str, float]]:
    out: list[tuple[tuple[str, ...], str, float]] = []
    for words, kind, w in (
        (_DEHUM_WORDS, "dehum", _DEHUM),
        (_VIOLENCE_WORDS, "violence", _VIOLENCE),
        (_EXCLUSION_WORDS, "exclusion", _EXCLUSION),
        (_STEREOTYPE_WORDS, "stereotype", _STEREOTYPE),
        (_TRAIT_WORDS, "trait", _TRAIT),
        (_ABUSE_WORDS, "abuse", _ABUSE),
    ):
        out.extend((tuple(TOKEN_RE.findall(x)), kind, w) for x in words)
    for phrases, kind, w in (
        (_DEHUM_PHRASES, "dehum", _DEHUM),
        (_VIOLENCE_PHRASES, "violence", _VIOLENCE),
        (_EXCLUSION_PHRASES, "exclusion", _EXCLUSION),
        (_NORMATIVE_PHRASES, "normative", _EXCLUSION),
        (_STEREOTYPE_PHRASES, "stereotype", _STEREOTYPE),
        (_TRAIT_PHRASES, "trait", _TRAIT),
    ):
        out.extend((p, kind, w) for p in phrases)
    return [e for e in out if e[0]]


_PRED = _index(_entries())
# "white parasites", "muslim vermin": an identity adjective on a dehumanising noun names a group
_DEHUM_NOUNS = frozenset(w for w in _DEHUM_WORDS if w.endswith("s") or w in ("vermin", "scum", "filth", "trash"))
# disease words dehumanise a group only when said of it ("X are a cancer", "the X plague"), not
# anywhere near it ("men's risk of cancer")
_DISEASE = frozenset({"cancer", "disease", "diseases", "diseased", "virus", "plague"})
# contempt vocabulary for other modules (disease words excluded: they are ordinary words in news)
TRAIT_WORDS = frozenset(_TRAIT_WORDS)
DEHUMANISING_WORDS = frozenset(_DEHUM_WORDS) - _DISEASE
# death words are a wish only under a strong modal ("should die"), not a prediction ("will die")
_DEATH = frozenset({"die", "dead"})
_DEATH_MODALS = frozenset(
    {
        "should",
        "must",
        "deserve",
        "deserves",
        "ought",
        "hope",
        "wish",
        "pray",
        "better",
        "gotta",
        "let",
        "let's",
        "lets",
        "need",
        "needs",
    }
)
_PRED_FIRST = frozenset(_PRED)
_TARGET_TOKENS = _NOUNS | _ADJS | _THE_GROUP | frozenset(a for a, _ in _DEICTIC) | {"people"}
_SLOGAN_FIRST = frozenset(s[0] for s in _SLOGANS)
_POINTERS = _ANAPHORA | _PLACES | _THE_GROUP | _PERSON | {"people", "kind"}
_FRAMING_IDX = _index([(f, "frame", 0.0) for f in _FRAMING])
_STRONG_IDX = _index([(f, "frame", 0.0) for f in _STRONG_FRAMING])
_SLOGAN_IDX = _index([(f, "slogan", 0.8) for f in _SLOGANS])
_DEICTIC_DETS = frozenset({"these", "those", "filthy", "dirty", "bloody", "fucking", "damn"})
_SENTENCE = re.compile(r"[^.!?;\n]+")
_GATED = frozenset({"violence", "exclusion"})
# "I am gay and ...", "my muslim friends are ...": first person or someone's own, not a claim about a group
_NOT_SUBJECT = frozenset(
    {
        "am",
        "i'm",
        "im",
        "my",
        "our",
        "we",
        "as",
        "fellow",
        "a",
        "an",
        "one",
        "some",
        "many",
        "most",
        "few",
        "several",
        "two",
        "three",
    }
)
# a group as the subject of a sweeping claim: "muslims are ...", "women can't ...", "jews always ..."
_GENERALISING = frozenset(
    {
        "are",
        "r",
        "have",
        "do",
        "don't",
        "dont",
        "can't",
        "cant",
        "cannot",
        "should",
        "shouldn't",
        "will",
        "won't",
        "want",
        "need",
        "always",
        "never",
        "all",
        "just",
        "only",
        "must",
        "belong",
        "think",
        "hate",
        "breed",
        "keep",
        "act",
        "love",
        "would",
        "could",
        "get",
        "come",
        "ruin",
        "destroy",
        "bring",
        "understand",
        "know",
        "care",
        "steal",
        "lie",
        "cheat",
        "rape",
        "kill",
        "smell",
        "stink",
        "eat",
        "spread",
        "destroyed",
        "ruined",
        "cause",
        "commit",
        "expect",
        "refuse",
        "really",
    }
)
_GENERALISATION = 0.5
# a sweeping claim that is reported, asked or measured is not made by the writer
_HEDGES = frozenset(
    {
        "whether",
        "according",
        "study",
        "studies",
        "research",
        "survey",
        "surveys",
        "statistics",
        "percent",
        "average",
        "doctors",
        "scientists",
        "researchers",
        "report",
        "reports",
    }
)
# a sweeping claim that praises or defends is not hostile
_POSITIVE = frozenset(
    {
        "successful",
        "success",
        "kind",
        "kinder",
        "kindest",
        "great",
        "greatest",
        "amazing",
        "wonderful",
        "beautiful",
        "smart",
        "brilliant",
        "talented",
        "strong",
        "brave",
        "proud",
        "love",
        "loved",
        "loving",
        "respect",
        "respected",
        "equal",
        "equality",
        "rights",
        "deserve",
        "deserves",
        "welcome",
        "welcomed",
        "contribute",
        "contributed",
        "contributions",
        "helped",
        "help",
        "helping",
        "protect",
        "protected",
        "safe",
        "support",
        "supported",
        "valued",
        "human",
        "people",
        "friends",
        "friendly",
        "peaceful",
        "honest",
        "hardworking",
        "hard-working",
        "generous",
        "good",
        "best",
        "better",
        "lovely",
        "nice",
        "capable",
        "competent",
        "leading",
        "lead",
        "leaders",
        "build",
        "built",
        "founded",
        "celebrate",
        "celebrated",
        "thank",
        "thanks",
        "grateful",
        "happy",
        "free",
        "freedom",
        "right",
    }
)

COUNTER_DAMP = 0.25  # talk about hate (counter-speech, reporting) keeps a quarter of its weight


@dataclass
class HateResult:
    score: float
    counter_spans: list[tuple[int, int]]  # sentences that talk *about* hate (damp other evidence there)
    kinds: tuple[str, ...] = ()
    names_group: bool = False  # the text names a group of people by identity


def _targets(tokens: list[str], group_in_text: bool) -> list[tuple[int, float]]:
    """Positions of group targets in a sentence's tokens, with how sure we are it is a group."""
    out: list[tuple[int, float]] = []
    n = len(tokens)
    for i, t in enumerate(tokens):
        if (
            t in _NOUNS
            or t in _ADJS
            and i + 2 < n
            and tokens[i + 1] == "ass"
            and tokens[i + 2] in _HEADS
            or t.endswith("'s")
            and t[:-2] in _NOUNS
            or t in _ADJS
            and i + 1 < n
            and (tokens[i + 1] in _HEADS or tokens[i + 1] in _DEHUM_NOUNS)
        ):
            out.append((i, 1.0))
        elif t in _THE_GROUP and i > 0 and tokens[i - 1] == "the":
            out.append((i, 0.9))
        elif i + 1 < n and (t, tokens[i + 1]) in _DEICTIC:
            out.append((i, 0.9 if group_in_text else 0.75))
        elif t in _ANAPHORA and group_in_text:
            out.append((i, 0.8))
        elif t in _PLACES:
            out.append((i, 0.6))  # only violence against a place counts (below)
        elif t in _PERSON and (t in _PERSON_DETS or (i > 0 and tokens[i - 1] in _PERSON_DETS)):
            out.append((i, 0.7))  # one person: only dehumanising and violence count (below)
    return out


_PARTICLE_VERBS = frozenset(
    {
        "kick",
        "kicked",
        "throw",
        "thrown",
        "send",
        "sent",
        "ship",
        "shipped",
        "get",
        "keep",
        "boot",
        "chase",
        "drive",
        "run",
        "lock",
        "round",
    }
)
_PARTICLES = frozenset({"out", "back", "away", "up", "off"})


def _predicates(tokens: list[str]) -> list[tuple[int, int, str, float]]:
    """(start, end, kind, weight) of predicate words and phrases, longest match first; particle verbs
    may have their object between verb and particle ("kick every foreigner out")."""
    out = []
    n = len(tokens)
    for i, t in enumerate(tokens):
        if t in _PARTICLE_VERBS:
            for j in range(i + 2, min(n, i + 5)):
                if tokens[j] in _PARTICLES:
                    out.append((i, i + 1, "exclusion", _EXCLUSION))
                    break
    i = 0
    while i < n:
        cands = _PRED.get(tokens[i])
        matched = 0
        if cands:
            for key, kind, w in cands:
                k = len(key)
                if tuple(tokens[i : i + k]) == key:
                    out.append((i, i + k, kind, w))
                    matched = k
                    break
        i += max(1, matched if matched and matched > 1 else 1)
    return out


def _has_phrase(tokens: list[str], idx: dict[str, list[tuple[tuple[str, ...], str, float]]]) -> bool:
    for i, t in enumerate(tokens):
        for key, _, _ in idx.get(t, ()):
            if tuple(tokens[i : i + len(key)]) == key:
                return True
    return False


def _is_counter(tokens: list[str], tokset: set[str]) -> bool:
    if _has_phrase(tokens, _STRONG_IDX) or not _ATTRIBUTION.isdisjoint(tokset):
        return True
    if _META.isdisjoint(tokset) and not ({"not", "all"} <= tokset):
        return False
    if "not" in tokset and "all" in tokset:
        for i in range(len(tokens) - 1):
            if tokens[i] == "not" and tokens[i + 1] == "all":
                return True
    if _META.isdisjoint(tokset):
        return False
    if _has_phrase(tokens, _FRAMING_IDX):
        return True
    # "X is racist" with the meta word after the claim: the sentence judges the claim
    return tokens[-1] in _META or (len(tokens) > 1 and tokens[-2] in _META)


def _negated(tokens: list[str], start: int) -> bool:
    return any(t in _NEGATORS for t in tokens[max(0, start - 3) : start])


def _clause_starts(sentence: str) -> frozenset[int]:
    """Indices of the tokens that follow a comma, colon or dash ("nobody wants you here, go home")."""
    out = set()
    prev_end = 0
    for i, m in enumerate(TOKEN_RE.finditer(sentence)):
        if i and any(ch in sentence[prev_end : m.start()] for ch in ",:-"):
            out.add(i)
        prev_end = m.end()
    return frozenset(out)


def _gate_open(tokens: list[str], start: int, end: int, clause_starts: frozenset[int] = frozenset()) -> bool:
    """A violence / exclusion verb is a call for it: after a modal, as an imperative (first word of
    a clause), or followed by "them all", "every", "all of them"."""
    if start == 0 or start in clause_starts or tokens[start - 1] in {"and", "just", "then", "please", "so"}:
        return True
    if tokens[start - 1] in _REPORTED_PASSIVE and _STRONG_MODALS.isdisjoint(tokens[max(0, start - 8) : start]):
        return False  # "have been killed", "were deported": something that happened, not a call
    if any(t in _MODALS for t in tokens[max(0, start - 8) : start]):
        return True
    after = tokens[end : end + 4]
    return "all" in after or "every" in after


# slurs stay in the masked text: they are offensive in themselves, not identity words
_SLURS = frozenset(
    {
        "faggots",
        "fags",
        "fag",
        "faggot",
        "niggers",
        "niggas",
        "nigger",
        "nigga",
        "niggaz",
        "kikes",
        "kike",
        "spics",
        "spic",
        "wetbacks",
        "chinks",
        "chink",
        "gooks",
        "gook",
        "ragheads",
        "raghead",
        "towelheads",
        "towelhead",
        "trannies",
        "tranny",
        "trannys",
        "dykes",
        "dyke",
        "muzzies",
        "muzzie",
        "pakis",
        "paki",
        "retards",
        "retard",
        "retarded",
        "homos",
        "homo",
        "coons",
        "coon",
        "beaners",
        "beaner",
        "japs",
        "jap",
        "nips",
        "wogs",
        "wog",
        "kaffirs",
        "darkies",
        "darky",
        "blackies",
        "honkies",
        "negress",
        "shemales",
        "shemale",
        "sodomites",
        "sodomite",
        "spastics",
        "spastic",
        "spaz",
        "mongs",
        "midgets",
        "midget",
        "femoids",
        "femoid",
        "thots",
        "feminazis",
        "feminazi",
        "rapefugees",
        "mongoloids",
        "halfbreeds",
        "cripples",
        "cripple",
    }
)


def _mask(m: re.Match[str]) -> str:
    t = m.group()
    if t in _SLURS:
        return t
    if t in _NOUNS or t in _ADJS or (t.endswith("'s") and t[:-2] in _NOUNS):
        return "people"
    return t


def mask_groups(lowered: str) -> str:
    """`lowered` with every group word replaced by "people" (for scoring tone without identity bias)."""
    return TOKEN_RE.sub(_mask, lowered)


def score(lowered: str, tokens: list[str] | None = None) -> HateResult:
    """Confidence that `lowered` (lower-cased, apostrophes normalised) attacks a group of people."""
    if tokens is None:
        tokens = TOKEN_RE.findall(lowered)
    tokset = set(tokens)
    slogan = 0.8 if not _SLOGAN_FIRST.isdisjoint(tokset) and _has_phrase(tokens, _SLOGAN_IDX) else 0.0
    has_group = (
        not _NOUNS.isdisjoint(tokset)
        or any(t.endswith("'s") and t[:-2] in _NOUNS for t in tokset)
        or any(
            t in _ADJS and i + 1 < len(tokens) and (tokens[i + 1] in _HEADS or tokens[i + 1] in _DEHUM_NOUNS)
            for i, t in enumerate(tokens)
        )
    )
    if not has_group and _POINTERS.isdisjoint(tokset):
        return HateResult(slogan, [], ("slogan",) if slogan else ())
    if _PRED_FIRST.isdisjoint(tokset) and (not has_group or _GENERALISING.isdisjoint(tokset)):
        return HateResult(slogan, [], ("slogan",) if slogan else (), has_group)

    best = slogan
    kinds: set[str] = {"slogan"} if slogan else set()
    counter: list[tuple[int, int]] = []
    for m in _SENTENCE.finditer(lowered):
        sentence = m.group()
        st = TOKEN_RE.findall(sentence)
        if not st:
            continue
        clauses = _clause_starts(sentence) if "," in sentence or ":" in sentence or " - " in sentence else frozenset()
        sset = set(st)
        is_counter = _is_counter(st, sset)
        if is_counter:
            counter.append(m.span())
        targets = _targets(st, has_group)
        amp = 0.1 if not _AMPLIFIERS.isdisjoint(sset) else 0.0
        sent_best = 0.0
        for ti, conf in targets:
            if conf < 0.9 or not _HEDGES.isdisjoint(sset) or "%" in sentence:
                continue
            j = ti + (2 if st[ti] in _ADJS and ti + 1 < len(st) and st[ti + 1] in _HEADS else 1)
            asked = ti >= 2 and st[ti - 2] == "why" and st[ti - 1] in ("do", "are", "does", "is", "can't", "don't")
            if asked and _POSITIVE.isdisjoint(st[j:]):
                sent_best = _GENERALISATION  # "why do women always ...", "why are muslims so ..."
                kinds.add("generalisation")
                break
            if (
                j < len(st)
                and st[j] in _GENERALISING
                and (j + 1 >= len(st) or st[j + 1] not in ("not", "never", "no"))
                and (ti == 0 or st[ti - 1] not in _NOT_SUBJECT)
                and _POSITIVE.isdisjoint(st[j:])
            ):
                sent_best = _GENERALISATION
                kinds.add("generalisation")
                break
        preds = _predicates(st) if not _PRED_FIRST.isdisjoint(sset) else []
        for ti, conf in targets:
            if (
                conf >= 0.9
                and ti > 0
                and st[ti - 1] == "no"
                and ("allowed" in st[ti + 1 : ti + 3] or "more" in st[ti + 1 : ti + 2])
            ):
                sent_best = max(sent_best, _EXCLUSION)  # "no indians allowed"
                kinds.add("exclusion")
        for ti, conf in targets:
            # "white ass people", "gay ass": "ass" after an identity word is contempt for the group
            if conf >= 0.9 and st[ti] in _ADJS and ti + 1 < len(st) and st[ti + 1] == "ass":
                sent_best = max(sent_best, _ABUSE)
                kinds.add("abuse")
        for s, e, kind, w in preds:
            if kind != "normative" and _negated(st, s):
                continue
            if kind in _GATED and not _gate_open(st, s, e, clauses):
                continue
            if st[s] in _DEATH and e == s + 1 and _DEATH_MODALS.isdisjoint(st[max(0, s - 6) : s]):
                continue
            for ti, conf in targets:
                if s <= ti < e:
                    continue  # the target word is part of the predicate phrase
                if conf == 0.6 and kind != "violence":
                    continue  # places: only calls for violence against them
                if conf == 0.7 and (
                    kind not in ("violence", "dehum")
                    or (kind == "dehum" and not (0 < s - ti <= 4 and _COPULA.intersection(st[ti + 1 : s])))
                ):
                    continue  # one person: "he is a pig", not "he played like garbage"
                if kind == "abuse" and abs(ti - s) > 4:
                    continue  # swearing near a group, not anywhere in the sentence
                if (
                    kind == "dehum"
                    and st[s] in _DISEASE
                    and not (s - ti == 1 or (0 < s - ti <= 4 and _COPULA.intersection(st[ti + 1 : s])))
                ):
                    continue
                sent_best = max(sent_best, min(0.97, (w + amp) * conf))
                kinds.add(kind)
            if kind == "dehum" and s > 0 and st[s - 1] in _DEICTIC_DETS:
                # "these savages", "those parasites": the noun names the target and attacks it
                sent_best = max(sent_best, min(0.97, (w + amp) * 0.85))
                kinds.add(kind)
            elif kind == "dehum" and not has_group and any(t in _ANAPHORA for t in st[max(0, s - 4) : s]):
                sent_best = max(sent_best, 0.7 * w)  # "they breed like rabbits": no group named
                kinds.add(kind)
            if kind in _GATED and s >= 2 and st[s - 2] == "let" and st[s - 1] in ("them", "em", "'em"):
                sent_best = max(sent_best, 0.7)  # "let them drown"
                kinds.add(kind)
            if not targets and kind in _GATED and _gate_open(st, s, e, clauses):
                # "Gas them all", "deport every last one of them": a call with a plural object
                rest = st[e : e + 6]
                if ("them" in rest and ("all" in rest or "every" in rest)) or ("every" in rest and "one" in rest):
                    sent_best = max(sent_best, 0.7)
                    kinds.add(kind)
        if is_counter:
            sent_best *= COUNTER_DAMP
        best = max(best, sent_best)
    return HateResult(round(best, 4), counter, tuple(sorted(kinds)), has_group)
