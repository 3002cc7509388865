"""Hand-written lexicons and patterns for the local moderation engine.

Everything here is general-purpose vocabulary, written from scratch; none of it is fitted to a
labelled data set. Three kinds of evidence are produced for a piece of text:

* **terms** - single words and short phrases with a per-category weight. A trailing ``*`` on a
  word expands to its common inflections (``stab*`` -> stabs, stabbed, stabbing, ...). Longer
  phrases win over their parts, so ``heart attack`` counts for Health, not Violent, and phrases
  listed in ``BENIGN_PHRASES`` consume their words without scoring anything (``bullet point``,
  ``glue gun``, ``die cut``).
* **explicit terms** - slurs and unambiguous obscenities. Their weight is not diluted by the
  length of the text: one slur in a long document is still a slur.
* **patterns** - regular expressions for constructions a bag of words cannot see: threats
  ("I will find you and hurt you"), death wishes ("you deserve to die"), dehumanising statements
  about a group ("<group> are vermin"), calls for violence against a group and directed insults.
  Each pattern is guarded by a set of trigger words so that benign text never runs it.

`scan(text)` returns the raw hits; turning them into confidences is the engine's job (local.py).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

# fmt: off
# (word lists: one entry per line would make them unreadable)
# --------------------------------------------------------------------------------------------
# Terms: category -> weight -> words/phrases. Weights: ~0.6 strong, ~0.35 medium, ~0.15 weak.
# --------------------------------------------------------------------------------------------

TERMS: dict[str, dict[float, tuple[str, ...]]] = {
    "Insult": {
        0.45: (
            "idiot*", "moron*", "imbecile*", "cretin*", "dimwit*", "halfwit*", "nitwit*", "dumbass*", "numbskull*",
            "dipshit*", "scumbag*", "lowlife*", "low life", "piece of shit", "piece of garbage", "piece of trash",
            "waste of space", "waste of oxygen", "brainless", "braindead", "brain dead", "human garbage",
            "human trash", "human filth", "human waste", "human scum", "human debris",
        ),
        0.3: (
            "stupid", "stupidity", "dumb", "loser*", "pathetic", "worthless", "ugly", "disgusting", "scum", "clown",
            "clowns", "jerk", "jerks", "creep", "creeps", "freak", "freaks", "retarded", "idiotic", "moronic",
            "hypocrite*", "coward*", "parasite*", "degenerate*", "subhuman", "fatso", "imbecilic", "ignorant",
            "despicable", "vile", "repulsive", "revolting", "lame", "fool", "fools", "foolish", "hideous", "shut up",
            "nobody likes you", "no one likes you", "shut your mouth",
        ),
        0.15: ("hate", "hates", "hated", "hateful", "suck", "sucks", "annoying", "weirdo*", "nasty", "gross"),
    },
    "Profanity": {
        0.6: (
            "fuck*", "fucking", "fuckin", "fucked", "fucker*", "motherfucker*", "motherfucking", "shit*", "shitty",
            "bullshit", "bitch*", "bitchy", "cunt*", "asshole*", "arsehole*", "bastard*", "wanker*", "twat*",
            "cocksucker*", "dickhead*", "douchebag*", "goddamn", "goddamned", "bollocks", "fck", "fuk", "fking",
            "fkn", "wtf", "stfu", "gtfo", "horseshit", "jackass", "dumbfuck", "shithead*", "shithole*",
        ),
        0.35: ("piss*", "pissed", "crap", "crappy", "prick*", "slut*", "whore*", "hoe", "hoes", "arse", "douche"),
        0.2: ("damn", "damned", "dammit", "ass", "asses", "dick", "dicks", "cock", "cocks", "bloody", "bugger", "hell"),
    },
    "Derogatory": {
        0.3: (
            "inferior race", "master race", "racial purity", "white power", "white supremacy", "race traitor*",
            "go back to your country", "go back where you came from", "go back to where you came from",
            "send them back", "ethnic cleansing", "final solution", "mongoloid*", "cripple*", "lunatic*", "savage*",
            "barbarian*", "vermin", "cockroach*", "infestation", "untermensch", "abomination*",
        ),
        0.15: ("racist", "racism", "sexist", "sexism", "bigot*", "bigotry", "misogyny", "homophobia", "xenophobia"),
    },
    "Sexual": {
        0.6: (
            "porn", "porno", "pornography", "pornographic", "blowjob*", "handjob*", "cumshot*", "gangbang*",
            "orgasm*", "masturbat*", "erotic", "erotica", "xxx", "nudes", "horny", "hentai", "milf*", "dildo*",
            "vibrator*", "anal sex", "oral sex", "have sex", "having sex", "sex tape", "sex video", "camgirl*",
            "stripper*", "striptease", "naked pics", "nude pics", "onlyfans", "fetish*", "bdsm", "threesome*",
        ),
        0.35: (
            "sexy", "nude", "naked", "pussy", "pussies", "tits", "titties", "boobs", "penis*", "vagina*", "genital*",
            "cock", "dick", "clit*", "semen", "sperm", "aroused", "arousal", "seduc*", "lust*", "kinky", "slut*",
            "whore*", "hooker*", "prostitut*", "escort service", "sexual intercourse", "intercourse", "rape*",
            "raping", "molest*", "sexual assault",
        ),
        0.15: ("sex", "sexual", "sexually", "lingerie", "kiss*", "condom*"),
    },
    "Death, Harm & Tragedy": {
        0.5: (
            "suicide*", "suicidal", "kill myself", "killed himself", "killed herself", "killed themselves",
            "took his own life", "took her own life", "massacre*", "genocide*", "fatalit*", "death toll",
            "mass shooting*", "bloodbath", "slaughter*",
        ),
        0.3: (
            "death*", "dead", "die", "dies", "died", "dying", "killed", "murder*", "murdered", "tragedy", "tragedies",
            "tragic", "casualt*", "corpse*", "dead body", "dead bodies", "funeral*", "obituar*", "mourning",
            "perished", "drowned", "overdose*", "self-harm", "self harm", "cutting myself", "victim*", "grief",
            "bereave*", "lethal", "deadly", "fatal", "catastroph*", "disaster*", "wreckage",
        ),
        0.15: (
            "accident*", "injur*", "crash*", "wound*", "deceased", "loss of life", "collapse*", "hospitalized",
            "trauma*", "harm", "harmed", "harmful", "hurt", "pain", "suffer*",
        ),
    },
    "Violent": {
        0.5: (
            "murder*", "stab*", "strangl*", "behead*", "decapitat*", "lynch*", "massacre*", "torture*", "mutilat*",
            "dismember*", "bludgeon*", "assassinat*", "gunned down", "shot dead", "beat to death", "beaten to death",
            "beat the shit", "beat the crap", "bash your head", "slit throat", "slit your throat", "bloodbath",
            "gore", "gory", "rape*", "raping", "public execution*", "mass execution*", "summary execution*",
            "firing squad*",
        ),
        0.3: (
            "slaughter*", "kill", "kills", "killing", "killed", "killer*", "shoot", "shooting", "shot", "violent",
            "violence", "assault*", "punch", "punched", "punching", "beat up", "beaten up", "choke",
            "choked", "choking", "bomb", "bombs", "bombed", "bombing", "explosion*", "blood", "bloody", "brutal*",
            "maim*", "terroris*", "hostage*", "kidnap*", "threaten*", "hurt", "hurting", "abuse*", "abusive",
            "burn alive", "hanged", "shank*", "curb stomp", "pistol whip*", "blow up", "blew up",
        ),
        0.1: (
            "destroy*", "crush*", "war", "weapon*", "gun*", "knife", "knives", "kick", "kicked", "slap*", "revenge",
            "fight*", "threat", "threats", "smash*", "wound", "wounds", "wounded", "beating", "explode*", "attack*",
        ),
    },
    "Firearms & Weapons": {
        0.5: (
            "firearm*", "handgun*", "rifle*", "shotgun*", "pistol*", "revolver*", "assault rifle*", "ar-15", "ar15",
            "ak-47", "ak47", "glock*", "uzi", "machine gun*", "submachine gun*", "ammunition", "ammo", "grenade*",
            "explosive*", "ied", "silencer*", "suppressor*", "sniper*", "munition*", "landmine*", "rocket launcher*",
            "9mm", "gunpowder", "bullets", "switchblade*", "machete*", "brass knuckles", "crossbow*", "taser*",
        ),
        0.3: (
            "gun*", "weapon*", "bullet", "bomb*", "missile*", "knife", "knives", "sword*", "dagger*", "caliber",
            "calibre", "holster*", "gun shop", "gun range", "shooting range", "concealed carry", "open carry",
            "trigger finger", "cartridges of ammunition", "armed",
        ),
    },
    "Public Safety": {
        0.4: (
            "evacuat*", "emergency services", "state of emergency", "terror attack*", "terrorist attack*",
            "active shooter*", "bomb threat*", "hostage*", "amber alert", "missing person*", "public safety",
            "lockdown*", "riot*", "looting", "stampede*", "manhunt", "shelter in place", "fire alarm*", "wildfire*",
            "house fire*", "caught fire", "gas leak*", "chemical spill*", "toxic spill*", "earthquake*", "hurricane*",
            "tornado*", "tsunami*", "flood warning*", "flash flood*",
        ),
        0.2: (
            "emergency", "emergencies", "police", "policeman", "policemen", "cop", "cops", "arrest*", "crime*",
            "criminal*", "terroris*", "explosion*", "hazard*", "hazardous", "fire department", "firefighter*",
            "paramedic*", "safety warning", "recall notice", "flood*", "disaster*", "burglar*", "robber*", "theft",
            "vandal*", "shooting*",
        ),
    },
    "Health": {
        0.35: (
            "diagnos*", "patient*", "hospital*", "clinic*", "medical", "medicine*", "medication*", "prescription*",
            "physician*", "surgeon*", "surgery", "surgeries", "symptom*", "disease*", "cancer*", "tumor*", "tumour*",
            "diabetes", "diabetic", "chemotherapy", "vaccin*", "infection*", "virus*", "covid", "covid-19",
            "pandemic", "epidemic", "mental health", "depression", "anxiety disorder", "psychiatr*", "therapy",
            "therapist*", "pharmac*", "dosage", "heart attack*", "stroke", "blood pressure", "cholesterol", "asthma",
            "allergy", "allergies", "pregnan*", "prenatal", "nurse*", "healthcare", "health care", "health insurance",
            "dementia", "alzheimer*", "hiv", "blood test*", "blood donation*", "flu shot", "antibiotic*", "x-ray*",
            "mri", "outpatient", "inpatient", "icu", "dental", "dentist*",
        ),
        0.15: (
            "health", "healthy", "doctor*", "illness*", "sick", "treatment*", "pain", "dose", "doses", "injur*",
            "wellness", "diet", "nutrition", "fitness", "drug store", "prescription drug*", "pills",
        ),
    },
    "Religion & Belief": {
        0.35: (
            "religion*", "religious", "church*", "mosque*", "synagogue*", "temple*", "bible*", "biblical", "quran",
            "koran", "torah", "talmud", "gospel*", "scripture*", "prayer*", "pray", "prays", "praying", "worship*",
            "sermon*", "christian*", "christianity", "catholic*", "protestant*", "muslim*", "islam", "islamic",
            "jewish", "judaism", "jews", "jew", "hindu*", "hinduism", "buddhis*", "buddha", "sikh*", "atheis*",
            "allah", "jesus", "christ", "god", "gods", "lord", "pastor*", "priest*", "imam*", "rabbi*", "pope",
            "vatican", "holy", "sacred", "spiritual*", "faith", "divine", "heaven", "salvation", "sin", "sins",
            "sinner*", "blasphem*", "heresy", "heretic*", "ramadan", "easter", "christmas", "passover", "diwali",
            "hanukkah", "baptism", "baptiz*", "apostle*", "prophet*", "angel*", "satan", "devil", "theolog*",
            "clergy", "congregation*", "missionar*", "monk*", "nun", "nuns", "saint*",
        ),
    },
    "Illicit Drugs": {
        0.6: (
            "cocaine", "heroin", "meth", "methamphetamine*", "crystal meth", "crack cocaine", "fentanyl", "lsd",
            "mdma", "ecstasy pills", "ketamine", "psilocybin", "magic mushrooms", "shrooms", "drug dealer*",
            "drug dealing", "drug deal*", "drug trafficking", "drug trafficker*", "drug cartel*", "narcotic*",
            "smoke weed", "smoking weed", "smoke crack", "get high", "getting high", "opioid*", "opiate*",
            "oxycontin", "crackhead*", "junkie*", "dope dealer*", "molly pills",
        ),
        0.3: (
            "marijuana", "cannabis", "weed", "stoned", "amphetamine*", "overdose*", "drug abuse", "drug use",
            "illegal drugs", "recreational drugs", "hashish", "hash oil", "edibles", "thc", "ecstasy", "addict*",
            "addiction", "smuggl*", "cartel*", "trafficking",
        ),
        0.1: ("drug", "drugs", "pills", "dealer*"),
    },
    "War & Conflict": {
        0.45: (
            "war", "wars", "warfare", "airstrike*", "air strike*", "invasion*", "invad*", "troops", "soldier*",
            "military", "army", "armies", "battle*", "battlefield*", "combat", "ceasefire", "cease-fire", "insurgen*",
            "militia*", "genocide*", "war crime*", "civil war", "world war", "frontline*", "front line", "artillery",
            "shelling", "bombing*", "drone strike*", "nuclear weapon*", "warship*", "tank battalion", "guerrilla*",
            "rebel*", "jihad*", "coup", "occupied territor*", "refugee camp*", "armed forces", "navy", "air force",
            "nato",
        ),
        0.2: (
            "conflict*", "attack*", "missile*", "enemy", "enemies", "terroris*", "defense ministry",
            "defence ministry", "hostilities", "occupation", "siege", "casualt*", "veteran*",
        ),
    },
    "Politics": {
        0.35: (
            "politic*", "political", "politician*", "election*", "elect", "elected", "voter*", "voting", "ballot*",
            "president*", "presidential", "parliament*", "congress*", "senate", "senator*", "democrat*",
            "republican*", "liberal*", "conservative*", "labour party", "tory", "tories", "prime minister",
            "government*", "governor*", "legislat*", "referendum*", "campaign trail", "left-wing", "right-wing",
            "leftist*", "far right", "far left", "socialis*", "communis*", "fascis*", "nazi*", "marxis*", "brexit",
            "trump", "biden", "obama", "putin", "white house", "downing street", "geopolitic*", "immigration policy",
            "protest*", "activis*", "propaganda", "regime*", "dictator*", "mayor*", "minister*", "ministry",
            "impeach*", "lobbyist*", "partisan", "electoral", "constituen*",
        ),
        0.15: (
            "vote", "votes", "policy", "policies", "party", "parties", "tax reform", "immigration", "immigrant*",
            "border control", "civil rights", "human rights",
        ),
    },
    "Finance": {
        0.35: (
            "invoice*", "invoiced", "receipt*", "payment*", "subtotal", "sub-total", "vat", "tax", "taxes", "taxable",
            "amount due", "balance due", "total due", "bank*", "banking", "account number", "sort code", "iban",
            "swift", "bic", "credit card", "debit card", "loan*", "mortgage*", "interest rate*", "invest*",
            "investment*", "stock*", "shares", "dividend*", "revenue*", "profit*", "earnings", "fiscal", "financial",
            "finance*", "budget*", "payroll", "salary", "salaries", "wage*", "refund*", "remittance",
            "purchase order", "net 30", "net 60", "due date", "billing", "bill to", "accounts payable",
            "accounts receivable", "ledger", "audit*", "crypto*", "bitcoin", "ethereum", "currency", "usd", "eur",
            "gbp", "myr", "pound sterling", "exchange rate", "wire transfer", "bank transfer", "pension*",
            "insurance premium*", "premium*", "credit*", "debit*", "price*", "pricing", "cost*", "fee*",
        ),
        0.15: (
            "total", "amount", "charge*", "paid", "pay", "payable", "balance", "cash", "money", "dollar*", "euro*",
            "pound*", "cents", "discount*", "sales", "quote", "quotation", "unit price", "qty",
        ),
    },
    "Legal": {
        0.35: (
            "legal*", "lawyer*", "attorney*", "solicitor*", "barrister*", "court*", "judge*", "jury", "juries",
            "lawsuit*", "litigat*", "plaintiff*", "defendant*", "prosecut*", "statute*", "statutory", "regulation*",
            "regulatory", "compliance", "jurisdiction*", "indemnif*", "liabilit*", "liable", "warrant*", "arbitrat*",
            "settlement*", "subpoena*", "affidavit*", "notar*", "breach*", "copyright*", "trademark*", "patent*",
            "gdpr", "hipaa", "terms and conditions", "terms of service", "hereby", "herein", "hereinafter", "thereof",
            "whereas", "pursuant", "clause*", "contract*", "contractual", "agreement*", "non-disclosure", "nda",
            "verdict*", "convicted", "conviction*", "sentenced", "felony", "misdemeanor", "parole", "probation",
            "appeal*", "tribunal*", "injunction*", "power of attorney", "conflict of interest", "governing law",
            "intellectual property", "confidentiality",
        ),
        0.15: (
            "law", "laws", "license*", "licence*", "rights", "obligation*", "party", "parties", "signed",
            "signature*", "witness*", "claim*", "dispute*", "terms", "policy", "consent",
        ),
    },
}

# Undiluted evidence: one occurrence is enough, however long the document.
EXPLICIT_TERMS: dict[str, dict[float, tuple[str, ...]]] = {
    # Slurs and dehumanising epithets (Derogatory). Words with ordinary meanings elsewhere ("chink in
    # the armour", "fag" for a cigarette, "dyke" for a dike, "retard the timing") carry a weight
    # below the review threshold: they need other evidence to matter.
    "Derogatory": {
        0.85: (
            "nigger*", "nigga", "niggas", "niggaz", "niggah", "faggot*", "kike*", "spic", "spics", "wetback*",
            "beaner*", "raghead*", "towelhead*", "sand nigger*", "sandnigger*", "gook*", "chinaman", "chinamen",
            "tranny", "trannies", "shemale*", "retards", "porch monkey*", "jungle bunny", "jungle bunnies",
            "camel jockey*", "kaffir*", "golliwog*", "wog", "wogs", "pikey*", "gyppo*", "zipperhead*", "slant eye*",
            "dune coon*", "mud people", "subhumans", "untermenschen", "muzzie*", "moslem scum", "paki", "pakis",
            "heeb*", "ching chong", "curry muncher*", "goat fucker*", "shitskin*", "mudslime*", "sheboon*",
            "dindu*", "groid*", "troon*", "jigaboo*", "pickaninn*", "hymie*", "wigger*", "rapefugee*", "abbos",
        ),
        0.5: (
            "yid", "yids", "whitey", "libtard*", "feminazi*", "half-breed*", "halfbreed*", "negroid*", "spaz", "tard",
            "tards", "white trash", "trailer trash", "ooga booga", "anchor babies", "polack*", "dago", "dagos",
        ),
        0.35: (
            "fag", "fags", "dyke", "dykes", "chink", "chinks", "coon", "coons", "retard", "mong", "mongs", "jap",
            "japs", "homo", "homos", "redskin*", "squaw*", "coolie*", "spastic*",
        ),
    },
    "Profanity": {
        0.7: ("fuck", "fucking", "fucker", "motherfucker", "cunt", "cocksucker"),
    },
    "Sexual": {
        0.7: ("porn", "pornography", "blowjob", "gangbang", "cumshot", "hentai"),
    },
}

# Phrases that consume their words without scoring: ordinary business / trade uses of words that
# would otherwise count as violence, weapons, death, drugs or sex.
BENIGN_PHRASES: tuple[str, ...] = (
    "bullet point*", "bullet list*", "bullet journal*", "silver bullet", "bite the bullet", "glue gun*", "heat gun*",
    "nail gun*", "staple gun*", "spray gun*", "grease gun*", "caulk gun*", "caulking gun*", "massage gun*",
    "paint gun*", "gun metal", "top gun", "jump the gun", "smoking gun", "putty knife", "putty knives",
    "utility knife", "utility knives", "palette knife", "butter knife", "bread knife", "kitchen knife",
    "kitchen knives", "chef knife", "knife sharpener*", "steak knives", "photo shoot*", "video shoot*", "film shoot*",
    "shoot me an email", "shoot me a message", "shoot me a note", "shoot me a line", "shoot me a text",
    "shoot us an email", "shoot us a message", "shoot you an email", "shoot you a message", "shoot him an email",
    "shoot her an email", "shoot them an email", "kill switch*", "kill the process", "kill process", "kill 9",
    "kill time", "killer feature*", "killer app*", "killer deal*", "kill two birds", "dressed to kill",
    "kill the lights", "kill the engine", "die cut*", "die cast*", "die casting", "die stamp*", "dies and molds",
    "dead stock", "deadstock", "dead link*", "dead weight", "dead end*", "dead letter*", "dead zone*", "dead load",
    "dead bolt*", "bath bomb*", "photobomb*", "stink bomb*", "bomb calorimeter", "attack surface", "attack vector*",
    "strike price*", "fire sale", "war room", "price war*", "bidding war*", "talent war*", "weed killer*",
    "weed control", "weed barrier", "weed membrane", "drug store*", "drugstore", "drug test*", "drug interaction*",
    "drug administration", "food and drug", "crash course*", "crash test*", "sex m", "sex f", "sex male",
    "sex female", "gender and sex", "sex or gender", "stroke of luck", "brush stroke*", "pen stroke*", "key stroke*",
    "shot glass*", "screen shot*", "give it a shot", "hot shot", "long shot", "big shot", "mug shot", "knock em dead",
    "ammo can", "shooting star*", "trouble shooting", "hit list", "beat the deadline", "beat the price",
    "beat the competition", "killed it", "kill it", "killing it", "dying to", "bored to death", "scared to death",
    "to die for", "death metal", "shoot for", "shooting for", "exploded view*", "exploded diagram*", "oilseed rape",
    "rape seed", "rapeseed oil", "hanging file*", "wall hanging*", "blood orange*", "bloody mary", "black friday",
    "white paper*", "black and white", "white label", "black box", "good faith", "angel investor*", "hearing aid*",
    "visual aid*", "first aid", "fire drill*", "fire exit*", "cocaine free", "speed dating", "pot roast",
    "fighting chance", "fire extinguisher*", "hit rate*", "bombay", "pound cake", "assault course", "target audience",
)

# --------------------------------------------------------------------------------------------
# Groups (protected characteristics) used by the Derogatory patterns.
# --------------------------------------------------------------------------------------------

GROUP_NOUNS: tuple[str, ...] = (
    "women", "girls", "females", "men", "males", "feminists", "blacks", "whites", "jews", "muslims", "moslems",
    "islamists", "christians", "catholics", "hindus", "sikhs", "buddhists", "atheists", "arabs", "asians", "africans",
    "indians", "pakistanis", "mexicans", "latinos", "latinas", "hispanics", "immigrants", "migrants", "refugees",
    "foreigners", "illegals", "illegal aliens", "gays", "lesbians", "homosexuals", "bisexuals", "transgenders",
    "transsexuals", "queers", "lgbt", "lgbtq", "cripples", "autistics", "gypsies", "europeans", "americans",
    "russians", "ukrainians", "germans", "turks", "kurds", "somalis", "nigerians", "syrians", "afghans", "iranians",
    "iraqis", "palestinians", "israelis", "albanians", "romanians", "serbs", "filipinos", "haitians", "jamaicans",
    "brazilians", "koreans", "zionists", "negroes", "niggers", "niggas", "faggots", "kikes", "spics", "wetbacks",
    "trannies", "retards", "pakis", "gooks", "chinks", "towelheads", "ragheads", "dykes", "homos", "fags", "muzzies",
    "woman", "muslim", "jew", "immigrant", "migrant", "refugee", "foreigner", "homosexual", "islam", "judaism",
    "christianity", "catholicism", "hinduism", "sikhism", "buddhism", "homosexuality", "transgenderism", "feminism",
)
GROUP_ADJECTIVES: tuple[str, ...] = (
    "black", "white", "brown", "asian", "african", "arab", "muslim", "jewish", "christian", "catholic", "hindu",
    "sikh", "gay", "lesbian", "bisexual", "trans", "transgender", "queer", "disabled", "autistic", "indian",
    "mexican", "chinese", "japanese", "foreign", "immigrant", "illegal", "latino", "hispanic", "russian", "polish",
    "romanian", "albanian", "turkish", "somali", "nigerian", "syrian", "afghan", "pakistani", "iranian", "iraqi",
    "palestinian", "israeli", "gypsy", "roma", "native", "indigenous", "english", "french", "irish", "italian",
    "greek", "vietnamese", "korean", "filipino", "old", "fat",
)
GROUP_HEADS = (
    "people", "persons", "men", "women", "folks", "guys", "kids", "girls", "boys", "immigrants", "families",
    "communities", "workers", "migrants", "refugees", "countries", "race", "races",
)

# Words that, in the same sentence as a group, make a statement derogatory.
DEHUMANISING: tuple[str, ...] = (
    "animals", "vermin", "rats", "cockroaches", "roaches", "parasites", "leeches", "subhuman", "subhumans", "savages",
    "beasts", "monkeys", "apes", "swine", "maggots", "filth", "scum", "infestation", "abomination", "abominations",
    "barbarians", "barbaric", "uncivilized", "uncivilised", "degenerates", "inferior", "not human", "less than human",
    "sub human",
)
NEGATIVE_EVALUATIVE: tuple[str, ...] = (
    "disgusting", "filthy", "dirty", "evil", "worthless", "useless", "stupid", "dumb", "idiots", "idiotic",
    "retarded", "criminals", "terrorists", "rapists", "thieves", "pedophiles", "paedophiles", "perverts", "invaders",
    "lazy", "ugly", "smelly", "stink", "stinks", "pathetic", "freaks", "unnatural", "brainwashed", "ignorant",
    "liars", "greedy", "hate", "despise", "joke", "sluts", "whores", "bitches", "hoes", "losers", "morons", "inbred",
    "diseased", "exterminate", "exterminated", "deport", "deported", "get rid", "kick out", "kicked out", "wipe out",
    "wiped out", "sterilize", "sterilise", "lynch", "can't stand", "cant stand", "don't belong", "do not belong",
    "not welcome", "shouldn't be allowed", "should not be allowed", "mentally ill", "trash", "garbage", "scum",
    "primitive", "backward", "genocide", "extermination", "ethnic cleansing",
)


# fmt: on
# --------------------------------------------------------------------------------------------
# Patterns, run on lower-cased text with apostrophes normalised.
#
# Every pattern is *anchored*: it is tried only at the start of a token listed in `anchors` (with
# `re.match(text, pos)`), and only when the cheap token-set guards pass (`requires`: each set must
# share a token with the text; `needs_group`: the text names a group). Searching a 2 KB text for a
# regex that starts with a 150-way alternation costs ~0.4 ms; matching it at the three places a
# group is named costs microseconds.
# --------------------------------------------------------------------------------------------

TOKEN_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)*")  # (`*`, not `?`: twice as fast in CPython's re)


def _alt(words: tuple[str, ...] | list[str] | frozenset[str]) -> str:
    return "(?:" + "|".join(sorted({re.escape(w) for w in words}, key=len, reverse=True)) + ")"


def _toks(*groups: tuple[str, ...] | list[str] | str) -> frozenset[str]:
    out: set[str] = set()
    for g in groups:
        for e in [g] if isinstance(g, str) else g:
            out.update(TOKEN_RE.findall(e.lower()))
    return frozenset(out)


_TARGET = (
    r"(?:you|u|ya|him|her|them|y'all|yall|you all|all of you|every one of you|each of you|"
    r"your (?:family|kids|children|wife|husband|mother|mom|mum|father|dad|sister|brother|son|daughter)|"
    r"these people|those people|that (?:guy|girl|woman|man|bitch|bastard)|this (?:guy|girl|woman|man))"
)
# not "beat" / "smash" / "destroy" / "burn": "we will beat them on Saturday" is sport, not a threat
# fmt: off
_HARM = (
    "kill", "murder", "hurt", "stab", "shoot", "strangle", "choke", "slaughter", "butcher", "hang", "lynch", "rape",
    "behead", "torture", "punch", "gut", "slit", "drown", "poison", "bash", "shank", "mutilate", "stomp",
    "curb stomp", "hunt down", "slap", "smack", "euthanize", "euthanise", "bury",
)
# fmt: on
_HARM_VERBS = r"(?:" + "|".join(_HARM) + r")(?:s|es|ed|ing)?"
_HARM_TOKENS = frozenset(t + s for t in _toks(_HARM) for s in ("", "s", "es", "ed", "ing"))
_INTENT = (
    r"(?:i(?:'ll| will| am going to|'m going to|'m gonna| am gonna| gonna| shall| want to| wanna|"
    r" am coming to|'m coming to| would love to| swear i will| swear i'll| swear to god i'll)|"
    r"we(?:'ll| will| are going to|'re going to|'re gonna| gonna| shall)|"
    r"(?:someone|somebody|people) (?:should|will|needs? to|ought to|has to|have to|must)|"
    r"i(?:'d| would| could)(?: love to| like to| happily| gladly)?|"
    r"(?:i )?dare (?:you|u) to|you should|you need to|let's|lets|go ahead and)"
)
_INTENT_ANCHORS = _toks("i i'll i'm i'd we we'll we're someone somebody people dare you let's lets go")

# A group named as the subject ("muslims are ...") - the pattern is anchored on the group's token;
# as an object ("kill all the ...") it may be preceded by determiners.
_GROUP_NOUNS_P = tuple(g for g in GROUP_NOUNS) + ("disabled",)
_GROUP_CORE = r"(?:" + _alt(_GROUP_NOUNS_P) + r"|" + _alt(GROUP_ADJECTIVES) + r" " + _alt(GROUP_HEADS) + r")"
_GROUP_RE = r"(?:(?:all|these|those|the|most|every|some|many|you|fucking|damn|filthy|dirty|stupid) )*" + _GROUP_CORE
_GROUP_ANCHORS = frozenset(TOKEN_RE.findall(g)[0] for g in _GROUP_NOUNS_P + GROUP_ADJECTIVES)
_END = r"(?![a-z0-9'])"

_VIOLENT_PASSIVE = (
    r"(?:killed|shot|hanged|hung|lynched|exterminated|gassed|executed|burned|burnt|wiped out|eradicated|"
    r"eliminated|slaughtered|massacred|murdered|beheaded|tortured|beaten|raped|sterili[sz]ed|castrated|"
    r"put down|put to death|lined up and shot|shot on sight|nuked|bombed|deported|locked up|banned|"
    r"removed|thrown out|kicked out|rounded up|put in camps|sent back|sent home|euthani[sz]ed|"
    r"segregated|enslaved|caged)"
)
# fmt: off
_INSULT_NOUN_WORDS = (
    "idiot", "moron", "imbecile", "loser", "retard", "cretin", "bitch", "bastard", "asshole", "arsehole", "cunt",
    "dickhead", "prick", "piece of shit", "piece of crap", "piece of garbage", "piece of trash", "waste of space",
    "waste of oxygen", "waste of skin", "scumbag", "scum", "dumbass", "dipshit", "jerk", "creep", "freak", "pig",
    "slut", "whore", "clown", "fool", "parasite", "failure", "joke", "disgrace", "trash", "garbage", "animal",
    "rat", "subhuman", "degenerate", "hypocrite", "coward", "twat", "wanker", "fuckwit", "fucker", "motherfucker",
    "nobody", "nothing",
)
# fmt: on
_INSULT_NOUNS = _alt(_INSULT_NOUN_WORDS) + r"s?"
_STRONG_INSULT_NOUNS = (
    r"(?:idiot|moron|imbecile|retard|cretin|bitch|bastard|asshole|arsehole|cunt|dickhead|prick|scumbag|"
    r"dumbass|dipshit|twat|wanker|fuckwit|fucker|motherfucker|piece of shit|loser|slut|whore)s?"
)
_INSULT_ADJ = (
    r"(?:stupid|dumb|worthless|pathetic|ugly|fat|disgusting|useless|ignorant|retarded|brainless|miserable|"
    r"little|filthy|dirty|lying|fucking|fking|damn|goddamn|complete|total|absolute|utter|sorry|"
    r"insufferable|vile|repulsive|hideous|lazy|sick|psycho|crazy|old|bloody)"
)
_INSULT_PRED = (
    r"(?:stupid|dumb|worthless|pathetic|ugly|disgusting|useless|retarded|brainless|repulsive|vile|hideous|"
    r"an embarrassment|a waste)"
)
_INSULT_TOKENS = frozenset(max(TOKEN_RE.findall(w), key=len) for w in _INSULT_NOUN_WORDS) | _toks(
    "stupid dumb worthless pathetic ugly disgusting useless retarded "
    "brainless repulsive vile hideous embarrassment waste idiots morons losers bitches"
)

_DEHUM_PRED = (
    r"(?:animals?|vermin|rats?|cockroach(?:es)?|roaches|parasites?|leeches|subhumans?|sub-?human|"
    r"savages?|beasts?|monkeys?|apes?|pigs?|swine|dogs?|insects?|maggots?|filth|scum|trash|"
    r"garbage|disease|plague|cancer|virus|infestation|abominations?|not human|"
    r"less than human|not even human|barbarians?|inferior|degenerates?|mentally ill|"
    r"mental (?:illness|disorder)|disgrace|curse|evil|uncivili[sz]ed|primitive|"
    r"a threat to (?:society|our country|civilization|humanity))"
)
_DEHUM_TOKENS = _toks(
    "animal animals vermin rat rats cockroach cockroaches roaches parasite parasites leeches subhuman subhumans "
    "sub human savage savages beast beasts monkey monkeys ape apes pig pigs swine dog dogs insect insects maggot "
    "maggots filth scum trash garbage disease plague cancer virus infestation abomination abominations not "
    "barbarian barbarians inferior degenerate degenerates mentally mental disgrace curse evil uncivilized "
    "uncivilised primitive threat"
)
_NEG_PRED = (
    r"(?:stupid|dumb|disgusting|filthy|dirty|evil|worthless|useless|lazy|criminals?|terrorists?|rapists?|thieves|"
    r"pedophiles|paedophiles|perverts?|sick|unnatural|retarded|idiots|morons|ugly|smelly|a joke|jokes|liars|"
    r"greedy|inbred|diseased|dangerous|violent|sluts|whores|bitches|hoes|losers|freaks|brainwashed|backward|"
    r"ignorant|destroying|ruining|invading|taking over|a burden|a drain|the worst|the problem|the enemy|"
    r"a danger)"
)
_NEG_PRED_TOKENS = _toks(
    "stupid dumb disgusting filthy dirty evil worthless useless lazy criminal criminals terrorist terrorists rapist "
    "rapists thieves pedophiles paedophiles pervert perverts sick unnatural retarded idiots morons ugly smelly joke "
    "jokes liars greedy inbred diseased dangerous violent sluts whores bitches hoes losers freaks brainwashed "
    "backward ignorant destroying ruining invading taking burden drain worst problem enemy danger"
)


@dataclass(frozen=True)
class Pattern:
    name: str
    regex: re.Pattern[str]
    weights: dict[str, float]
    anchors: frozenset[str]
    requires: tuple[frozenset[str], ...] = ()
    needs_group: bool = False


_V, _D, _I, _DH = "Violent", "Derogatory", "Insult", "Death, Harm & Tragedy"
_THREAT_W = {_V: 0.9, _DH: 0.5}
_DEATH_W = {_V: 0.85, _DH: 0.7, _I: 0.5}
_DEATH_WORDS = _toks("die dead killed shot hanged hung rot burn suffer exterminated gassed lynched put choke")

PATTERNS: tuple[Pattern, ...] = (
    # "we're going to kill you", "someone should shoot him", "i swear i'll stab you"
    Pattern(
        "threat",
        re.compile(
            _INTENT
            + r"\s+(?:(?!never\b|not\b|no\b)[\w']+\s+){0,2}?"
            + _HARM_VERBS
            + r"\s+"
            + _TARGET
            + _END
            + r"(?!\s+(?:an?|the|some|over|across|back|through|off|out|up|with)\b)"
        ),
        _THREAT_W,
        _INTENT_ANCHORS,
        (_HARM_TOKENS,),
    ),
    Pattern(
        "threat",
        re.compile(
            _INTENT
            + r"\s+(?:(?!never\b|not\b)[\w']+\s+){0,2}?(?:beat|smash|kick|punch)\s+"
            + _TARGET
            + r"\s+(?:up|to death|senseless|to a pulp|black and blue|until)"
        ),
        _THREAT_W,
        _INTENT_ANCHORS,
        (_toks("beat smash kick punch"),),
    ),
    # "I will find you and hurt you", "hunt them down and kill them"
    Pattern(
        "threat",
        re.compile(
            r"(?:find|hunt|track|come for|coming for|get|catch)\s+(?:you|u|ya|him|her|them)\s+"
            r"(?:down\s+)?and\s+(?:[\w']+\s+){0,2}?" + _HARM_VERBS + _END
        ),
        _THREAT_W,
        _toks("find hunt track come coming get catch"),
        (_HARM_TOKENS,),
    ),
    # "you're going to get hurt", "you will be killed"
    Pattern(
        "threat",
        re.compile(
            r"(?:you(?:'re| are)\s+(?:going to|gonna)|you(?:'ll| will))\s+(?:get|be)\s+"
            r"(?:killed|shot|stabbed|hurt|murdered|raped|beaten|hanged|lynched|strangled|tortured|"
            r"slaughtered|butchered)" + _END
        ),
        {_V: 0.85, _DH: 0.5},
        _toks("you you're you'll"),
        (
            _toks(
                "killed shot stabbed hurt murdered raped beaten hanged lynched strangled tortured slaughtered butchered"
            ),
        ),
    ),
    # "i know where you live", "watch your back", "you're a dead man"
    Pattern(
        "veiled_threat",
        re.compile(
            r"(?:i know where you (?:live|sleep|work)|watch your back|you(?:'re| are) (?:a )?dead "
            r"(?:man|woman|meat)|your days are numbered|sleep with the fishes|you(?:'ll| will) (?:pay|regret)"
            r" (?:for )?(?:this|it) with your life|you(?:'re| are) (?:so )?dead(?=\s*[.!]|\s*$))" + _END
        ),
        {_V: 0.6},
        _toks("i watch you're you your sleep you'll"),
        (_toks("live sleep work back dead numbered fishes life"),),
    ),
    # "you deserve to die", "they should all be shot", "<group> deserve to die"
    Pattern(
        "death_wish",
        re.compile(
            r"(?:you|u|he|she|they|them|y'all|yall|people like (?:you|that|them)|" + _GROUP_CORE + r")\s+"
            r"(?:all\s+)?(?:deserves?|ought|should|needs?|must|have|has|better)\s+(?:to\s+)?(?:all\s+)?"
            r"(?:die|be killed|be shot|be hanged|be hung|be dead|drop dead|be exterminated|be gassed|"
            r"be lynched|be put down|(?:rot|burn|suffer)(?=\s+in\s+hell|\s*(?:[.!?,;\n]|$)))" + _END
        ),
        _DEATH_W,
        _toks("you u he she they them y'all yall people") | _GROUP_ANCHORS,
        (_toks("deserve deserves ought should need needs must have has better"), _DEATH_WORDS),
    ),
    # "hope you die", "i wish they were dead"
    Pattern(
        "death_wish",
        re.compile(
            r"(?:hope|wish|pray)\s+(?:that\s+)?(?:you|u|he|she|they|y'all|" + _GROUP_RE + r")"
            r"\s+(?:all\s+)?(?:die|dies|get (?:killed|shot|cancer|raped|hit by a)|were dead|was dead|"
            r"drop dead|choke|burn in hell|rot in hell|(?:rot|burn|suffer)(?=\s*(?:[.!?,;\n]|$)))" + _END
        ),
        _DEATH_W,
        _toks("hope wish pray"),
        (_toks("die dies killed shot cancer raped hit dead choke burn rot suffer"),),
    ),
    # "go kill yourself", "kys", "drink bleach", "burn in hell"
    Pattern(
        "death_wish",
        re.compile(
            r"(?:(?:go|just|please|should)\s+(?:and\s+)?(?:kill|hang|shoot|drown|off)\s+"
            r"(?:your ?self|yourselves|themselves)|kys|(?<!don't )(?<!do not )(?<!never )(?<!ever )"
            r"(?<!not )(?<!dont )kill your ?self|drink bleach|drop dead(?!\s+gorgeous)|(?:burn|rot) in hell|"
            r"world (?:would be|is) better (?:off )?without (?:you|them|" + _GROUP_RE + r"))" + _END
        ),
        _DEATH_W,
        _toks("go just please should kys kill drink drop burn rot world"),
        (_toks("yourself yourselves themselves kys bleach dead hell without"),),
    ),
    # "cut your wrists", "get dead already", "do the world a favour and die": urging someone to harm
    # themselves
    Pattern(
        "death_wish",
        re.compile(
            r"(?:(?:cut|slit|slash|open)\s+(?:your|ur|his|her|their)\s+(?:own\s+)?(?:veins|wrists?|throats?)|"
            r"get dead|(?:drink|pour|swallow|chug)\s+(?:some\s+|a\s+(?:glass|cup|bottle)\s+of\s+)?bleach|"
            r"do (?:us|the world|everyone|everybody|humanity|society|them|your family) (?:all )?an? favou?r"
            r" and (?:die|disappear|kill|end|hang|shoot|jump|drown|off)|(?<!don't )(?<!never )jump off (?:a|the) "
            r"(?:bridge|cliff|roof)|unalive your ?self|neck your ?self|rope your ?self)" + _END
        ),
        _DEATH_W,
        _toks("cut slit slash open get drink pour swallow chug do jump unalive neck rope"),
        (_toks("veins wrist wrists throat throats dead bleach favor favour bridge cliff roof yourself self"),),
    ),
    # "death to all of them", "wishing a slow death on him", "send them to hell", "go get killed"
    Pattern(
        "death_wish",
        re.compile(
            r"(?:(?:slow|painful|swift|quick)\s+)?death\s+to\s+(?:all\s+)?(?:of\s+)?(?:the\s+)?(?:you|them|those|these|every|people|"
            + _GROUP_CORE
            + r")|wish(?:ing|ed|es)?\s+(?:a\s+)?(?:slow\s+|painful\s+|horrible\s+)?death\s+(?:on|upon|for|to)\s+"
            r"(?:you|him|her|them|every|all|people|" + _GROUP_CORE + r")"
            r"|send\s+(?:them|him|her|you|em)\s+(?:all\s+)?to\s+hell|(?:go|just)\s+(?:to\s+)?get\s+(?:yourself\s+)?"
            r"(?:killed|shot|hanged|raped)" + _END
        ),
        _DEATH_W,
        _toks("slow painful swift quick death wish wishing wished wishes send go just"),
        (_toks("death hell killed shot hanged raped"),),
    ),
    # "<some> people must be dead": a death wish on any set of people
    Pattern(
        "death_wish",
        re.compile(
            r"people\s+(?:like\s+(?:you|that|them|him|her)\s+)?(?:all\s+)?(?:should|must|need to|needs to|"
            r"deserve to|ought to)\s+(?:all\s+)?(?:die|be dead|be killed|be shot|be hanged|be exterminated|"
            r"be gassed|be put down)" + _END
        ),
        _DEATH_W,
        _toks("people"),
        (_toks("should must need needs deserve ought"), _toks("die dead killed shot hanged exterminated gassed put")),
    ),
    # "a man in a dress", "she's clearly a guy": mocking a trans person's gender
    Pattern(
        "misgendering",
        re.compile(
            r"(?:is|are|that's|it's|he's|she's|just|only|still|clearly|obviously|basically)\s+"
            r"(?:a\s+|just\s+a\s+|just\s+|only\s+|still\s+)?"
            r"m[ae]n\s+in\s+(?:a\s+)?"
            r"(?:dress|dresses|wig|wigs|skirt|skirts|makeup|lipstick)|"
            r"(?:she(?:'s| is)|that(?:'s| is)|it(?:'s| is))\s+(?:clearly\s+|still\s+|obviously\s+|just\s+|really\s+)?"
            r"a\s+(?:man|dude|guy|bloke)(?=\s*(?:[.!?,;\n]|$))|"
            r"(?:is|was)\s+(?:it|that|this|he|she)\s+a\s+(?:man|boy|guy)\s+or\s+a\s+(?:woman|girl|lady)" + _END
        ),
        {_D: 0.6, _I: 0.5},
        _toks("just only still clearly obviously basically are she's she that's that it's it is was"),
        (_toks("dress dresses wig wigs skirt skirts makeup lipstick man dude guy bloke"),),
    ),
    # "her place is in the kitchen"
    Pattern(
        "group_hostility",
        re.compile(
            r"(?:her|their|a woman's|a wife's|a girl's)\s+(?:only\s+)?place\s+is\s+(?:in\s+|at\s+)?(?:the\s+)?"
            r"(?:kitchen|home|bedroom|bed|house|stove|sink)" + _END
        ),
        {_D: 0.65, _I: 0.4},
        _toks("her their woman's wife's girl's"),
        (_toks("place"), _toks("kitchen home bedroom bed house stove sink")),
    ),
    # "you look like a pig", "you look like a man": mocking someone's looks
    Pattern(
        "directed_insult",
        re.compile(
            r"(?:you|u|she|he)\s+(?:look|looks|smell|smells)\s+like\s+(?:a\s+|an\s+|some\s+)?(?:fat\s+|ugly\s+|stupid\s+|"
            r"dumb\s+|hairy\s+|old\s+|little\s+|fucking\s+)*(?:(?:man|dude)(?=\s*(?:[.!?,;\n]|$))|(?:pig|monkey|ape|whale|"
            r"cow|rat|dog|troll|goblin|orc|tranny|retard|clown|freak|hooker|whore|slut|crackhead|junkie|hobo|terrorist|"
            r"gorilla|donkey|horse|toad|thumb|potato|shit|garbage|trash)s?" + _END + ")"
        ),
        {_I: 0.65},
        _toks("you u she he"),
        (_toks("look looks smell smells"),),
    ),
    # "i would kill myself if i looked like you": contempt for how someone is
    Pattern(
        "contempt",
        re.compile(
            r"(?:i(?:'d| would)|i'll|i will)\s+(?:rather\s+|just\s+|honestly\s+)?(?:kill|shoot|hang|off)\s+myself\s+"
            r"if i (?:had|was|were|looked|got|became|lived)|"
            r"if i (?:had|was|were|looked like|became)\s+(?:[\w']+\s+){1,5}?i(?:'d| would)\s+(?:just\s+)?"
            r"(?:kill|shoot|hang|off)\s+myself" + _END
        ),
        {_I: 0.7},
        _toks("i i'd i'll if"),
        (_toks("myself"),),
    ),
    # "beat the shit out of him", "i'd love to see them hang": violence against people, wished or
    # relished
    Pattern(
        "threat",
        re.compile(
            r"(?:beat|kick|knock|slap|punch|smack)\s+the\s+(?:fuck|fucking|shit|hell|crap|living daylights|life)\s+"
            r"(?:out of|outta)\s+" + _TARGET + _END
        ),
        {_V: 0.8, _DH: 0.4},
        _toks("beat kick knock slap punch smack"),
        (_toks("fuck fucking shit hell crap daylights life"),),
    ),
    Pattern(
        "glorified_violence",
        re.compile(
            r"(?:love|loved|loving|enjoy|enjoyed|enjoying|glad|happy|lmao|lmfao|lol|haha|hahaha)\s+"
            r"(?:[\w']+\s+){0,3}?(?:watching|seeing|to see|to watch)\s+(?:(?!nobody\b|no\b|not\b|never\b|none\b|nothing\b)[\w']+\s+){0,6}?"
            r"(?:get\s+|got\s+|getting\s+|being\s+)?(?:killed|shot|beaten|lynched|"
            r"hanged|executed|stabbed|slaughtered|murdered|beheaded|tortured|burned alive|burnt alive|"
            r"(?:tearing|torn|ripped|ripping|blown) apart|beat (?:him|her|them|his|her|their))" + _END
        ),
        {_V: 0.7, _DH: 0.4},
        _toks("love loved loving enjoy enjoyed enjoying glad happy lmao lmfao lol haha hahaha"),
        (
            _toks(
                "killed shot beaten burn burning burned burnt lynched hanged executed stabbed slaughtered murdered "
                "suffer suffering beheaded tortured beat apart"
            ),
        ),
    ),
    # "muslims are animals", "immigrants are a disease"
    Pattern(
        "dehumanising",
        re.compile(
            _GROUP_CORE + r"\s+(?:are|is|r|=|remain|were|become)\s+"
            r"(?:all\s+|just\s+|nothing but\s+|no better than\s+|like\s+|such\s+|basically\s+|literally\s+|"
            r"simply\s+|only\s+|still\s+|a\s+|an\s+|the\s+|fucking\s+|filthy\s+|dirty\s+|disgusting\s+|"
            r"stupid\s+|worthless\s+|bunch of\s+|pack of\s+|herd of\s+)*" + _DEHUM_PRED + _END
        ),
        {_D: 0.85, _I: 0.5},
        _GROUP_ANCHORS,
        (_DEHUM_TOKENS,),
        True,
    ),
    # "muslim scum", "the lgbt plague", "immigrant filth": a group named as a pest or a disease
    Pattern(
        "dehumanising",
        re.compile(
            _GROUP_CORE + r"\s+(?:scum|filth|vermin|cancer|plague|infestation|parasites?|"
            r"cockroach(?:es)?|rats|savages|animals|swine|trash|garbage|subhumans?|invaders|hordes?|"
            r"disease|menace|pests?)" + _END + r"(?!\s+(?:research|screening|treatment|patients?|centre|"
            r"center|society|charity|care|control|survivors?|awareness|prevention))"
        ),
        {_D: 0.8, _I: 0.4},
        _GROUP_ANCHORS,
        (
            _toks(
                "scum filth vermin cancer plague infestation parasite parasites cockroach cockroaches rats "
                "savages animals swine trash garbage subhuman subhumans invaders horde hordes disease menace "
                "pest pests"
            ),
        ),
        True,
    ),
    # "they are vermin": a pronoun subject is weaker evidence than a named group
    Pattern(
        "dehumanising_pronoun",
        re.compile(
            r"(?:they|those people|these people|people like (?:them|that|you))\s+(?:are|r)\s+"
            r"(?:all\s+|just\s+|nothing but\s+|no better than\s+|like\s+|a\s+|fucking\s+|filthy\s+)*"
            r"(?:animals|vermin|rats|cockroaches|parasites|leeches|subhumans?|sub-?human|savages|beasts|"
            r"monkeys|apes|maggots|filth|scum|not human|less than human|a disease|a plague|an infestation)" + _END
        ),
        {_D: 0.6, _I: 0.5},
        _toks("they those these people"),
        (
            _toks(
                "animals vermin rats cockroaches parasites leeches subhuman subhumans sub savages beasts "
                "monkeys apes maggots filth scum human disease plague infestation"
            ),
        ),
    ),
    # "muslims should be deported", "<group> don't deserve to live"
    Pattern(
        "group_violence",
        re.compile(
            _GROUP_CORE + r"\s+(?:should|must|need to|needs to|ought to|have to|has to|deserve to|"
            r"deserves to|gotta)\s+(?:all\s+)?(?:be|get)\s+(?:all\s+)?"
            + _VIOLENT_PASSIVE
            + _END
            + r"|"
            + _GROUP_CORE
            + r"\s+(?:don't|do not|dont|doesn't|does not)\s+deserve\s+"
            r"(?:to live|to exist|to breathe|rights|any rights|respect|to be here|to vote|life)" + _END
        ),
        {_D: 0.9, _V: 0.8},
        _GROUP_ANCHORS,
        (_toks("should must need needs ought have has deserve deserves gotta don't dont doesn't not"),),
        True,
    ),
    # "kill all jews", "deport every immigrant"
    Pattern(
        "group_violence",
        re.compile(
            r"(?:kill|exterminate|gas|shoot|hang|lynch|deport|nuke|burn|eradicate|wipe out|get rid of|"
            r"round up|expel|sterili[sz]e|castrate|slaughter|execute|murder)\s+"
            r"(?:all|every|every single|these|those|the|them)\s+(?:of\s+(?:the\s+)?)?"
            r"(?:fucking\s+|damn\s+|filthy\s+|dirty\s+)?" + _GROUP_RE + _END + r"(?!\s*'s)"
        ),
        {_D: 0.9, _V: 0.8},
        _toks(
            "kill exterminate gas shoot hang lynch deport nuke burn eradicate wipe get round expel sterilize "
            "sterilise castrate slaughter execute murder"
        ),
        (),
        True,
    ),
    # "i hate muslims"
    Pattern(
        "group_hostility",
        re.compile(
            r"i\s+(?:hate|despise|detest|loathe|can't stand|cant stand|cannot stand)\s+(?:all\s+)?"
            + _GROUP_RE
            + _END
            + r"(?!\s*'s)"
        ),
        {_D: 0.75, _I: 0.4},
        _toks("i"),
        (_toks("hate despise detest loathe stand"),),
        True,
    ),
    # "women are stupid", "immigrants are criminals"
    Pattern(
        "group_hostility",
        re.compile(
            _GROUP_CORE + r"\s+(?:are|is|r)\s+(?:all\s+|so\s+|just\s+|too\s+|really\s+|such\s+|fucking\s+|"
            r"very\s+|naturally\s+|inherently\s+|genetically\s+|born\s+|a\s+|an\s+|bunch of\s+)*" + _NEG_PRED + _END
        ),
        {_D: 0.75, _I: 0.4},
        _GROUP_ANCHORS,
        (_NEG_PRED_TOKENS,),
        True,
    ),
    # "go back to your country"
    Pattern(
        "group_hostility",
        re.compile(
            r"(?:go back to (?:your|their) (?:own )?(?:country|countries|homeland|village|cave|jungle|"
            r"desert|shithole|hut|tribe)|go back (?:to )?where (?:you|they) came from|"
            r"(?:go|send them|send him|send her) back to (?:africa|asia|mexico|india|china|pakistan|"
            r"the jungle|the desert|the middle east|your cave))" + _END
        ),
        {_D: 0.75, _I: 0.4},
        _toks("go send"),
        (_toks("back"),),
    ),
    # "you are a worthless idiot", "you stupid bitch", "shut up, moron"
    Pattern(
        "directed_insult",
        re.compile(
            r"(?:(?:you(?:'re| are| r)|ur|u r)\s+(?:just\s+|such\s+)?(?:such\s+|a\s+|an\s+|the\s+|one\s+|"
            r"just\s+|nothing but\s+|so\s+|really\s+|truly\s+|"
            + _INSULT_ADJ
            + r"\s+)*"
            + _INSULT_NOUNS
            + r"|(?:you|u)\s+(?:"
            + _INSULT_ADJ
            + r"\s+)+"
            + _INSULT_NOUNS
            + r"|(?:you|u)\s+"
            + _STRONG_INSULT_NOUNS
            + r"|you(?:'re| are| r)\s+(?:so\s+|such\s+|really\s+|fucking\s+|just\s+|truly\s+)*"
            + _INSULT_PRED
            + r"|(?:shut up|stfu|fuck off|piss off|get lost),?\s+(?:you\s+)?(?:"
            + _INSULT_ADJ
            + r"\s+)*"
            + _INSULT_NOUNS
            + r")"
            + _END
        ),
        {_I: 0.85},
        _toks("you you're ur u shut stfu fuck piss get"),
        (_INSULT_TOKENS,),
    ),
    # "fuck you", "go fuck yourself", "screw you": profanity aimed at someone
    Pattern(
        "directed_insult",
        re.compile(
            r"(?:fuck|screw|fck|fuk)\s+(?:you|u|ya|off|yourself|your\s?self)|go\s+(?:fuck|screw)\s+yourself" + _END
        ),
        {_I: 0.8},
        _toks("fuck screw fck fuk go"),
    ),
)

# Masked obscenities ("f*ck", "sh!t", "b!tch") - the tokenizer would split them apart.
MASKED_PROFANITY = re.compile(
    r"\b(?:f[\*@#%!_.-]{1,3}c?k|f[\*@#%]{1,3}k|f[u\*@#]c[\*@#%]|sh[\*!1@]t|b[\*!1]tch|"
    r"c[\*@#]nt|a[\*@#$]{2}hole|d[\*@#]ck|motherf[\*@#]+)\w*"
)
MASKED_PROFANITY_HINT = frozenset("*@#!$%")

# --------------------------------------------------------------------------------------------
# Compilation
# --------------------------------------------------------------------------------------------


def _inflect(word: str) -> set[str]:
    """Expand ``word*`` to common English inflections (over-generation is harmless: nonsense
    forms never occur in real text)."""
    out = {
        word,
        word + "s",
        word + "es",
        word + "ed",
        word + "d",
        word + "ing",
        word + "er",
        word + "ers",
        word + "ion",
        word + "ions",
        word + "ation",
        word + "ations",
        word + "ly",
    }
    last = word[-1]
    if last not in "aeiouwxy":
        out |= {word + last + "ed", word + last + "ing", word + last + "er", word + last + "ers"}
    if last == "e":
        out |= {word[:-1] + "ing", word[:-1] + "ion", word[:-1] + "ions", word[:-1] + "ation"}
    if last == "y":
        out |= {word[:-1] + "ies", word[:-1] + "ied"}
    return out


def _expand(entry: str) -> set[tuple[str, ...]]:
    star = entry.endswith("*")
    words = TOKEN_RE.findall(entry.rstrip("*").lower())
    if not words:
        return set()
    if not star:
        return {tuple(words)}
    return {tuple(words[:-1]) + (form,) for form in _inflect(words[-1])}


Hit = tuple[str, float, bool]  # category, weight, explicit


@dataclass
class Lexicon:
    """Token and phrase index built from the tables above. A phrase with no hits is benign: it
    consumes its words without scoring them."""

    words: dict[str, list[Hit]] = field(default_factory=dict)
    phrases: dict[str, list[tuple[tuple[str, ...], list[Hit]]]] = field(default_factory=dict)
    benign: set[tuple[str, ...]] = field(default_factory=set)

    def _bucket(self, key: tuple[str, ...]) -> list[Hit]:
        if len(key) == 1:
            return self.words.setdefault(key[0], [])
        lst = self.phrases.setdefault(key[0], [])
        for k, hits in lst:
            if k == key:
                return hits
        hits = []
        lst.append((key, hits))
        return hits

    def add(self, entry: str, hit: Hit | None) -> None:
        for key in _expand(entry):
            bucket = self._bucket(key)
            if hit is None:
                self.benign.add(key)
                continue
            for i, (cat, w, exp) in enumerate(bucket):  # one weight per category and term: the strongest
                if cat == hit[0]:
                    if (exp, w) < (hit[2], hit[1]):
                        bucket[i] = hit
                    break
            else:
                bucket.append(hit)

    def finish(self) -> None:
        for first, lst in self.phrases.items():
            self.phrases[first] = sorted(
                ((k, [] if k in self.benign else hits) for k, hits in lst), key=lambda kv: len(kv[0]), reverse=True
            )
        for key in self.benign:
            if len(key) == 1:
                self.words[key[0]] = []


def build_lexicon() -> Lexicon:
    lex = Lexicon()
    for table, explicit in ((TERMS, False), (EXPLICIT_TERMS, True)):
        for cat, by_weight in table.items():
            for weight, entries in by_weight.items():
                for entry in entries:
                    lex.add(entry, (cat, weight, explicit))
    for entry in BENIGN_PHRASES:
        lex.add(entry, None)
    lex.finish()
    return lex


LEXICON = build_lexicon()

GROUP_NOUN_TOKENS = frozenset(g for g in GROUP_NOUNS if " " not in g) | {"disabled"}
GROUP_ADJ_TOKENS = frozenset(GROUP_ADJECTIVES)
GROUP_HEAD_TOKENS = frozenset(GROUP_HEADS)
_DEHUM_WORDS = frozenset(e for e in DEHUMANISING if " " not in e)
_DEHUM_PHRASES = tuple(e for e in DEHUMANISING if " " in e)
_NEG_WORDS = frozenset(e for e in NEGATIVE_EVALUATIVE if " " not in e)
_NEG_PHRASES = tuple(e for e in NEGATIVE_EVALUATIVE if " " in e)
# a phrase is hinted at by its longest word ("rid" for "get rid", "cleansing" for "ethnic cleansing")
_COOC_HINT = (
    _DEHUM_WORDS | _NEG_WORDS | frozenset(max(TOKEN_RE.findall(ph), key=len) for ph in _DEHUM_PHRASES + _NEG_PHRASES)
)
SENTENCE_SPLIT = re.compile(r"[.!?;\n]+")

# Tokens that make it worth re-scoring a sentence window with the statistical model in long texts
# (one obscenity is diluted to nothing in a 10k-character chunk by its tf-idf normalisation).
MODEL_TRIGGERS = frozenset(
    key[0]
    for cat in ("Profanity", "Insult")
    for weight, entries in TERMS[cat].items()
    if weight >= 0.3
    for entry in entries
    for key in _expand(entry)
    if len(key) == 1
) | frozenset(w for w, hits in LEXICON.words.items() if any(exp for _, _, exp in hits))


@dataclass
class ScanResult:
    """Raw evidence for one piece of text."""

    n_tokens: int
    hits: dict[str, list[tuple[float, bool]]]  # category -> [(weight, explicit)]
    patterns: dict[str, float]  # pattern name -> weight of its strongest match
    model_trigger: bool  # contains words worth a closer look by the statistical model


def _has_group(tokens: list[str], tokset: set[str] | frozenset[str]) -> bool:
    """Does the text name a group ("muslims", "women's", "black people")?"""
    if not GROUP_NOUN_TOKENS.isdisjoint(tokset):
        return True
    if "'s" in "".join(tokset) and any(t.endswith("'s") and t[:-2] in GROUP_NOUN_TOKENS for t in tokset):
        return True
    if GROUP_ADJ_TOKENS.isdisjoint(tokset) or GROUP_HEAD_TOKENS.isdisjoint(tokset):
        return False
    prev = ""
    for t in tokens:
        if t in GROUP_HEAD_TOKENS and prev in GROUP_ADJ_TOKENS:
            return True
        prev = t
    return False


def _word_finder(word: str) -> re.Pattern[str]:
    # literal first character, then the boundary check: lets re skip ahead to candidates
    w0 = re.escape(word[0])
    return re.compile(w0 + r"(?<![a-z0-9']" + w0 + ")" + re.escape(word[1:]) + r"(?![a-z0-9'])")


def _positions(text: str, word: str) -> Iterator[int]:
    """Start offsets of `word` as a whole token in `text`."""
    finder = _FINDERS.get(word)
    if finder is None:
        finder = _FINDERS[word] = _word_finder(word)
    for m in finder.finditer(text):
        yield m.start()


_ALL_PATTERN_TOKENS = frozenset().union(*(p.anchors.union(*p.requires) for p in PATTERNS))
_FINDERS: dict[str, re.Pattern[str]] = {w: _word_finder(w) for p in PATTERNS for w in p.anchors}


def _masked_profanity(lowered: str) -> bool:
    """ "f*ck", "sh!t": only where a masking character touches a letter (a plain search of the whole
    text for a pattern that starts with a word boundary is slow, and "$100" / "20%" are common)."""
    n = len(lowered)
    for ch in MASKED_PROFANITY_HINT:
        i = lowered.find(ch)
        while i != -1:
            touches = i > 0 and lowered[i - 1].isalpha() and i + 1 < n
            touches = touches and (lowered[i + 1].isalpha() or lowered[i + 1] == ch)
            if touches and MASKED_PROFANITY.search(lowered, max(0, i - 10), i + 12):
                return True
            i = lowered.find(ch, i + 1)
    return False


# every token that starts a term or a phrase
_INDEX_KEYS = frozenset(LEXICON.words) | frozenset(LEXICON.phrases)
_PHRASE_STARTS = frozenset(LEXICON.phrases)
_PHRASE_HITS = {key: hits for lst in LEXICON.phrases.values() for key, hits in lst}
# phrases by their first two words, longest first
_PHRASE_PAIRS: dict[tuple[str, str], list[tuple[str, ...]]] = {}
for _key in sorted(_PHRASE_HITS, key=len, reverse=True):
    _PHRASE_PAIRS.setdefault((_key[0], _key[1]), []).append(_key)
_HARMONIC = [sum(1.0 / j for j in range(2, c + 1)) for c in range(1, 257)]  # 1/2 + ... + 1/c


def _damped(pos: int, spans: list[tuple[int, int]] | None) -> bool:
    return bool(spans) and any(s <= pos < e for s, e in spans)  # type: ignore[union-attr]


COUNTER_DAMP = 0.25  # a pattern inside counter-speech ("saying all X are Y is racist") keeps a quarter


def scan(lowered: str, tokens: list[str] | None = None, damp_spans: list[tuple[int, int]] | None = None) -> ScanResult:
    """Match terms, phrases and patterns in lower-cased text (apostrophes normalised to ').
    Patterns that match inside `damp_spans` (sentences that talk about hate rather than express it)
    count at COUNTER_DAMP of their weight."""
    if tokens is None:
        tokens = TOKEN_RE.findall(lowered)
    words = LEXICON.words
    hits: dict[str, list[tuple[float, bool]]] = {}
    counts = Counter(tokens)
    tokset = set(counts)
    relevant = _INDEX_KEYS & tokset
    if relevant:
        # phrases first (longest match at each position); their words are then not counted alone
        term_counts: dict[tuple[str, ...], int] = {}
        starts = relevant & _PHRASE_STARTS
        if starts:
            n = len(tokens)
            skip_to = 0
            pairs = _PHRASE_PAIRS
            for i, tok in enumerate(tokens):
                if tok not in starts or i < skip_to or i + 1 >= n:
                    continue
                cands = pairs.get((tok, tokens[i + 1]))
                if cands is None:
                    continue
                for pkey in cands:  # longest first
                    k = len(pkey)
                    if k == 2 or (i + k <= n and tuple(tokens[i : i + k]) == pkey):
                        term_counts[pkey] = term_counts.get(pkey, 0) + 1
                        for t in pkey:
                            counts[t] -= 1
                        skip_to = i + k
                        break
        for tok in relevant:
            c = counts[tok]
            if c > 0 and tok in words:
                term_counts[(tok,)] = c
        for key, c in term_counts.items():
            found = words[key[0]] if len(key) == 1 else _PHRASE_HITS[key]
            # repeats of a term add less and less (w, w/2, w/3, ...): the first occurrence keeps its
            # explicit flag, the rest only add to the accumulated evidence
            extra = _HARMONIC[c - 1] if c <= len(_HARMONIC) else math.log(c) + 0.5772
            for cat, w, exp in found:
                lst = hits.setdefault(cat, [])
                lst.append((w, exp))
                if c > 1:
                    lst.append((w * extra, False))

    pats: dict[str, float] = {}
    has_group: bool | None = None
    # intersect with the union of all anchors / requirements once; per pattern the sets are small
    present = _ALL_PATTERN_TOKENS & tokset
    for p in PATTERNS if present else ():
        anchors = p.anchors & present
        if not anchors or any(r.isdisjoint(present) for r in p.requires):
            continue
        if p.needs_group:
            if has_group is None:
                has_group = _has_group(tokens, tokset)
            if not has_group:
                continue
        match = p.regex.match
        at = [pos for a in anchors for pos in _positions(lowered, a) if match(lowered, pos)]
        if at:
            factor = 1.0 if any(not _damped(pos, damp_spans) for pos in at) else COUNTER_DAMP
            pats[p.name] = max(pats.get(p.name, 0.0), factor * max(p.weights.values()))
            for cat, w in p.weights.items():
                hits.setdefault(cat, []).append((factor * w, True))

    # A group and a dehumanising / hostile word in the same sentence: weaker than a pattern.
    if not _COOC_HINT.isdisjoint(tokset) and (has_group if has_group is not None else _has_group(tokens, tokset)):
        best = 0.0
        for sent in SENTENCE_SPLIT.split(lowered):
            if damp_spans and any(lowered[s:e].strip() == sent.strip() for s, e in damp_spans):
                continue
            st = TOKEN_RE.findall(sent)
            sset = set(st)
            if not st or not _has_group(st, sset):
                continue
            if not _DEHUM_WORDS.isdisjoint(sset) or any(ph in sent for ph in _DEHUM_PHRASES):
                best = max(best, 0.6)
            elif not _NEG_WORDS.isdisjoint(sset) or any(ph in sent for ph in _NEG_PHRASES):
                best = max(best, 0.45)
        if best:
            pats["group_cooccurrence"] = best
            hits.setdefault("Derogatory", []).append((best, True))

    if _masked_profanity(lowered):
        pats["masked_profanity"] = 0.7
        hits.setdefault("Profanity", []).append((0.7, True))

    return ScanResult(len(tokens), hits, pats, not MODEL_TRIGGERS.isdisjoint(tokset))
