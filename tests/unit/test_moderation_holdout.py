"""A hand-written, labelled set of short comments (the kind posted under videos and in forums) that
checks the local engine's hate detection generalises beyond the lexicons' own entries: hateful
comments against groups in many forms (generalisations, dehumanising, calls for exclusion or
violence, stereotypes, slurs, contempt) and benign ones that name the same groups (news, support,
counter-speech, personal experience), rude comments without a group target, and business text.

Content warning: the HATEFUL list is hateful by construction.

HATEFUL / BENIGN are split in two halves by position and both must score; LATER_* were written
after the rules and are kept as written (their misses included). INDIVIDUAL_* add abuse aimed at
one person (threats, self-harm incitement, relished violence, contempt for looks or disability) with
look-alikes from sport, medicine and idiom; NEWS_ABOUT_GROUPS checks that reports naming groups next
to violence or slurs are not held. `docpipe eval moderation` reads
the same rows from a CSV written by `write_csv()` (``python tests/unit/test_moderation_holdout.py
OUT.csv``).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

HATEFUL: list[str] = [
    # generalisations and stereotypes
    "Women are too emotional to be leaders, they belong in the kitchen",
    "Every single muslim is a potential terrorist, wake up people",
    "Black people are naturally more violent, look at the crime stats",
    "Jews control the banks and the media, everyone knows it",
    "Mexicans are all lazy drug dealers who live off welfare",
    "Gays are sick perverts who want to groom our children",
    "Immigrants only come here to rape our women and steal our jobs",
    "Gypsies are thieves, every one of them, lock your doors",
    "Asians can't drive and they all eat dogs, disgusting",
    "Feminists are ugly bitter hags nobody wants",
    "Arabs are a backward people who never contributed anything to civilization",
    "Trans people are mentally ill freaks and should be treated as such",
    "Africans have lower IQs, that's why their countries are shitholes",
    "Indians smell like curry and scam old people on the phone for a living",
    "Chinese people are soulless bugs with no empathy",
    "Autistic people are useless retards who drain the system",
    "Lesbians just need a real man to fix them",
    "Muslim men are all pedophiles, their prophet married a child",
    "Refugees are parasites who come here for free money",
    "Women are only good for cooking and sex",
    # dehumanising
    "These migrants are vermin infesting our cities",
    "Islam is a cancer that must be cut out of Europe",
    "Black people are basically apes with phones",
    "Jews are rats, always have been",
    "Homosexuality is a disease and gays are the carriers",
    "They are not human, they are animals, these muslims",
    "Roma are an infestation in every town they settle in",
    "Transgenders are abominations against nature",
    "Immigrants are a plague on this country",
    "Those people breed like cockroaches",
    # calls for exclusion, expulsion and violence
    "Deport every last one of them, no exceptions",
    "Send all the muslims back where they came from",
    "Muslims should be banned from entering the country forever",
    "Gays should be thrown off rooftops like they deserve",
    "We need to round up the illegals and put them in camps",
    "Kill all the jews, finish what Hitler started",
    "Immigrants should be shot at the border",
    "Trans people should not be allowed near children or in public",
    "Women should not be allowed to vote, it was a mistake",
    "Someone should burn down that mosque with everyone inside",
    "The only good muslim is a dead muslim",
    "Hang them all, every single refugee",
    "Disabled people should be sterilized so they don't reproduce",
    "Get these foreigners out of our country now",
    "Black people should go back to Africa",
    "Lock up all the gays and throw away the key",
    "Jews don't deserve to live among decent people",
    "We should nuke the middle east and be done with it",
    "Gas them all",
    "Ship every one of these parasites back home",
    # contempt, mockery, slurs
    "Stupid women drivers, always causing accidents, get off the road",
    "Fucking faggots everywhere now, it's disgusting",
    "Another nigger shooting, what a surprise",
    "Go back to your cave, raghead",
    "Muzzies out",
    "Those dirty gypsies again",
    "Retards like him should be locked in an institution",
    "This tranny is a man in a dress, disgusting",
    "I hate jews, they are evil",
    "I can't stand black people, they ruin every neighbourhood",
    "Feminism is cancer",
    "Islam is not a religion of peace, it is a death cult and its followers are savages",
    "Gay marriage is an abomination and gay people are going to hell",
    "Ugly fat women should not be allowed to post pictures",
    "White people are the devil and should be wiped out",
    "Christians are brainwashed idiots and should be mocked everywhere",
    "Men are trash, all of them",
    "Jews are greedy and only care about money",
    "Muslims are inbred because they marry their cousins",
    "Immigrants are destroying our culture and our country",
    # implicit, no profanity, no slur
    "Whenever there is a bombing you know exactly which religion did it",
    "Funny how crime went up the moment they let those people in",
    "Diversity is just a code word for white genocide",
    "Islam has no place in a civilized society",
    "A woman's place is in the home, not in the office",
    "They multiply like rabbits and take over every neighbourhood",
    "Why do we let these savages into our country",
    "No more mosques, no more muslims",
    "Homosexuals are a danger to children",
    "Our country was better before the immigrants came",
]

BENIGN: list[str] = [
    # the same groups, neutral, supportive or reporting
    "My neighbour is muslim and she is the kindest person I know",
    "Women have been leading successful companies for decades",
    "The documentary shows how Jewish families rebuilt their lives after the war",
    "Immigrants founded many of the largest companies in the country",
    "Black history month starts next week at our school",
    "I am gay and I have been with my husband for 12 years",
    "Refugees fleeing the war need shelter and food, please donate",
    "The Mexican restaurant down the street has the best tacos",
    "Trans people deserve the same healthcare as everyone else",
    "Many Christians and Muslims attended the interfaith dinner",
    "Autistic children often have exceptional memory for details",
    "The Roma community has a rich musical tradition",
    "Disabled athletes competed in the Paralympics this summer",
    "Chinese New Year celebrations filled the streets with colour",
    "Indian cuisine varies enormously from region to region",
    "Feminism gave women the right to vote and to own property",
    "Arab scholars preserved Greek philosophy through the middle ages",
    "African music has influenced almost every modern genre",
    "My grandmother was a refugee and built a new life here",
    "Lesbian and gay couples can now adopt in most states",
    # counter-speech and discussion of hate
    "Saying all muslims are terrorists is ignorant and racist",
    "Stop blaming immigrants for everything, it is lazy thinking",
    "Racism against black people is still a huge problem",
    "Comments like that are why gay kids are afraid to come out",
    "The video explains how antisemitic conspiracy theories spread online",
    "Calling women emotional is an old sexist stereotype",
    "People who hate refugees have never met one",
    "It is wrong to judge a whole religion by a few extremists",
    "The article is about the rise of hate crimes against Asians",
    "Nobody should be attacked for who they love",
    # rude or negative without a group target
    "This video is garbage, worst tutorial I have ever watched",
    "What a stupid idea, this will never work",
    "The referee was blind, terrible call",
    "I hate Mondays and I hate traffic",
    "This song is so bad it hurts my ears",
    "The government wasted billions on this useless project",
    "That politician is a liar and should resign",
    "My boss is an idiot who never listens",
    "The customer service was awful, never buying from them again",
    "Damn, that was a crazy game last night",
    "This shit is hilarious, I can't stop laughing",
    "The movie was boring and way too long",
    "Traffic in this city is a nightmare",
    "He played like garbage in the second half",
    "The update broke everything, what a mess",
    "I disagree with the tax policy, it hurts small businesses",
    "The new phone is overpriced and the battery is weak",
    "Stop spamming the comments please",
    "The landlord ignored our repairs for months",
    "Worst pizza I have ever had",
    # violence and conflict, reported
    "The army withdrew its troops from the border region",
    "Police arrested a man after a stabbing in the city centre",
    "The war killed thousands of civilians and displaced millions",
    "The museum exhibit covers the history of the Holocaust",
    "Hunters must carry a licence for their rifles",
    "The film depicts the violence of the civil rights era",
    "A bomb threat forced the evacuation of the station",
    "Survivors of the genocide shared their stories",
    "The boxer knocked out his opponent in the third round",
    "Doctors treated the victims of the attack",
    # everyday and business
    "Invoice 2291 is due on 30 June, please pay by bank transfer",
    "Thanks for the quick delivery, the parts fit perfectly",
    "Our quarterly revenue grew 12 percent compared to last year",
    "Please find attached the signed contract and the purchase order",
    "The meeting is moved to Thursday at 10am",
    "Great recipe, I added more garlic and it was delicious",
    "Can anyone recommend a good laptop for programming",
    "The hotel staff were friendly and the room was clean",
    "Remember to back up your files before the upgrade",
    "Happy birthday mum, love you",
    "The kids loved the science museum",
    "Our team won the regional football final",
    "I moved to Germany for work and learned the language",
    "The bank approved our mortgage application",
    "Dogs need regular exercise and a balanced diet",
    "The guide explains how to kill a frozen process in Linux",
    "Our black and white photo series won an award",
    "The old man at the market sells the best apples",
    "Women's football is growing fast in Europe",
    "The gay pride parade brought thousands to the city",
]

# written after the engine's rules, as unseen checks (first-measured figures in docs/moderation.md)
LATER_HATEFUL: list[str] = [
    "Honestly these people have no business being in Europe",
    "I'm sick of seeing hijabs everywhere, this isn't Saudi Arabia",
    "Mark my words, the Jews are behind every war",
    "Girls who play video games are just attention seekers",
    "Put a bullet in every pedo and every gay while you're at it",
    "The Chinese eat bats and spread their diseases to the world",
    "Filthy immigrants crawling over the border like ants",
    "Muslims breed faster than us and soon we will be the minority",
    "Gay people are an insult to God",
    "Black guys are only good at sports and crime",
    "Disabled kids are a waste of taxpayer money",
    "If your wife talks back you should slap her, women need discipline",
    "Send the boats back and let them drown",
    "No Indians allowed in my shop, they smell",
    "Transgenderism is a mental illness and should be treated, not celebrated",
    "Why are all terrorists muslim? Think about it",
    "Every jew I've met was a liar and a cheat",
    "Africans destroyed their own continent and now they want ours",
    "Women are weak and belong at home raising children",
    "Migrants are leeches sucking our welfare dry",
    "Turn the mosques into parking lots",
    "Homos should keep their disgusting lifestyle out of sight",
    "Arabs understand only violence",
    "Hispanics are ruining this country with their gangs",
    "Feminists deserve to be beaten",
    "Gypsy scum stole my bike again",
    "I wouldn't hire a woman, they get pregnant and quit",
    "Blacks have been a burden on society since day one",
    "Refugees are rapists, plain and simple",
    "The world would be a better place without muslims",
    "Retarded people shouldn't be allowed to breed",
    "Their religion is violent and their men are animals",
    "Asians are copycats who can't invent anything",
    "Lesbians are disgusting and unnatural",
    "Kick every foreigner out and close the borders for good",
    "Jews are parasites feeding on the nations",
    "Mexicans should build the wall and then get deported",
    "Islam must be eradicated from our continent",
    "Stupid feminists ruin everything they touch",
    "Trans women are men, perverts in dresses",
    "Pakistanis are all groomers, every town has the same story",
    "You people ruin every country you move to",
    "Nobody wants your kind here, go home",
    "A gay teacher should never be allowed in a classroom",
    "The Roma are a criminal race",
    "Jewish bankers caused every recession, look it up",
    "Muslim women in burkas look like garbage bags",
    "Ban Islam now before it is too late",
    "Trannies are mentally ill, stop pretending otherwise",
    "Black neighbourhoods are zoos",
    "Somalis are pirates and thieves",
    "Women drivers should have their licences taken away",
    "Immigrant children are future criminals",
    "These invaders should be met with bullets at the border",
    "Hindus worship cows because they are primitive",
    "I'd never let my daughter marry a black man, they are violent",
    "Feminists are hysterical and should shut up",
    "The only thing muslims bring is terror",
    "Latinos are breeding us out of our own country",
    "Deaf people are a drain on the health system",
    "Every Arab is a liar",
    "Send the refugees back to their war zones, not our problem",
    "Gays are going to burn in hell where they belong",
    "Chinese immigrants are spies, every one of them",
    "All migrants are freeloaders",
    "Exterminate the vermin in our streets",
    "Atheists have no morals and cannot be trusted",
    "Women are too stupid to understand economics",
    "Jews are a cancer on humanity",
    "Kill every last one of those animals",
]

# written with LATER_HATEFUL
LATER_BENIGN: list[str] = [
    "I converted to Islam last year and my family supported me",
    "Jewish and Arab students organised a joint concert",
    "Women make up half of the engineering class this year",
    "The refugees arriving this week will be housed in the old school",
    "Gay rights have come a long way since the nineties",
    "My colleague from Nigeria taught me to cook jollof rice",
    "Disabled parking spaces should be wider",
    "Muslims around the world are celebrating Eid today",
    "The black community organised a food drive for the winter",
    "Immigrants pay billions in taxes every year",
    "She is the first transgender woman elected to the council",
    "Chinese students make up a large share of the university",
    "Is it true that most refugees are women and children?",
    "Many autistic adults struggle to find work",
    "Mexican food is my favourite cuisine",
    "Catholics and Protestants now share the same church building",
    "The museum has a new exhibit on African art",
    "Hate speech against Muslims rose after the attack, the report says",
    "It is not fair to blame all immigrants for one crime",
    "My gay uncle is the funniest person at every family dinner",
    "This game is rigged, the devs are clowns",
    "I can't stand people who chew loudly",
    "What a terrible referee, he ruined the match",
    "Our manager is useless and everyone knows it",
    "The traffic in this town is killing me",
    "That movie was so bad it was almost good",
    "I'm going to kill this presentation tomorrow",
    "The new tax law is a disaster for farmers",
    "The soldiers returned home after the war",
    "The police shot the suspect after a long chase",
    "Please send the signed invoice to accounts@example.com by Friday",
    "The shipment of 40 pallets arrived damaged",
    "We are hiring a senior data engineer in Berlin",
    "The annual report shows strong growth in Asia",
    "Remember to water the plants while I'm away",
    "The recipe calls for two eggs and a cup of flour",
    "Our dog loves chasing squirrels in the park",
    "The concert was amazing, best night of my life",
    "Can someone explain how mortgages work",
    "The women's team won the championship again",
    "My Pakistani neighbours invited us to their wedding",
    "The Roma festival drew visitors from all over Europe",
    "Muslim women founded a new mentoring network",
    "Our school hired its first deaf teacher this year",
    "Black-owned businesses grew fast during the last decade",
    "The Jewish museum reopened after renovation",
    "Latinos are the fastest growing group of voters in the state",
    "Hindus celebrate Diwali with lights and sweets",
    "Somali refugees opened a bakery on our street",
    "The feminist author spoke at the library tonight",
    "Many Arab countries are investing in solar energy",
    "Trans athletes and sports fairness is a debated topic",
    "Chinese immigrants built much of the railroad",
    "Atheists and believers debated respectfully on stage",
    "Women drivers have fewer accidents according to insurers",
    "Blaming migrants for the housing crisis is unfair and wrong",
    "The report documents abuse suffered by gay men in prison",
    "Immigration policy will dominate the election",
    "This printer is garbage, it jams every day",
    "The match was a disaster, our defence was useless",
    "The new menu is disgusting, nobody will eat that",
    "Shut up and take my money, this product is great",
    "The ending of that series was so stupid",
    "He is an idiot for selling his shares so early",
    "The invoice total was wrong, please send a corrected copy",
    "Our Berlin office closes at 6pm on Fridays",
    "The vet said our cat needs surgery next week",
    "We will kill it at the trade show next month",
    "The documentary about the war in Syria was heartbreaking",
    "Police are looking for two men after the robbery",
]


# abuse aimed at one person or at a group through violence, self-harm incitement, relished violence,
# disability and gender contempt; with look-alikes (sport, news, medicine, everyday idiom) in
# INDIVIDUAL_BENIGN. Written after the rules they test, kept as written (misses included).
INDIVIDUAL_HATEFUL: list[str] = [
    "Someone should slap that fat cow until she shuts up",
    "I'd happily punch every one of them in the face",
    "Go ahead and choke him, nobody will miss a cripple",
    "Death to all infidels",
    "I wish a painful death on every one of those people",
    "People like you should be put down like sick dogs",
    "Do us all a favour and jump off a bridge",
    "Drink some bleach and spare us your opinions",
    "I would shoot myself if I looked like that tranny",
    "Loved seeing those protesters get beaten by the cops, they deserved it",
    "Haha I enjoyed watching that mosque burn",
    "Deaf people are defective and should not have kids",
    "Women are the weaker sex and should obey their husbands",
    "Her place is the kitchen, not parliament",
    "Paraplegics are a waste of space",
    "Being gay is a mental illness and gayness should be cured",
    "Black ass people ruin every street they live on",
    "Those Muslim parasites want sharia everywhere",
    "Immigrants are not people, they are a flood of filth",
    "Send them all to hell, every last migrant",
    "Lesbianism is unnatural and should be banned",
    "Beat the shit out of him, he's just a gay kid",
    "Autists are a burden and should be euthanized",
    "The white race is the master race, the rest are animals",
    "I dare you to stab him, the dirty gypsy",
    "Those wetbacks should not be allowed to reproduce",
    "Trans women are just men in dresses, stop pretending",
    "You look like a goblin, no wonder nobody dates you",
    "Jews make me sick with their endless whining",
    "Someone should put that retarded kid in an institution for good",
    "Death to all of them, every single one",
    "Deaf people shouldn't have children, they pass it on",
    "Her only place is the kitchen, she should shut up about politics",
]

# written with INDIVIDUAL_HATEFUL
INDIVIDUAL_BENIGN: list[str] = [
    "I slapped a sticker on my laptop and called it a day",
    "The boxer punched his way to the title",
    "We choked in the final five minutes and lost the cup",
    "Death to boring meetings, long live the stand-up",
    "My grandmother died peacefully at home last winter",
    "Doctors say men will die younger than women on average",
    "The report on cancer rates among Black women was published today",
    "She loved watching the fireworks over the harbour",
    "The firefighters were glad nobody was hurt when the barn burned",
    "Deaf people use sign language to communicate",
    "My paraplegic cousin coaches the wheelchair basketball team",
    "The debate about whether women are paid equally continues",
    "The church bake sale raised money for the hospice",
    "I'm gay and my parents threw me a party when I came out",
    "Muslim doctors volunteered during the pandemic",
    "Immigrants are people with dreams like everyone else",
    "The migrants were rescued after their boat sank",
    "The killer was sentenced to life in prison",
    "Please do me a favour and send the report by Friday",
    "Let's kill the old build server and move to the new cluster",
    "I would love to see the mountains in autumn",
    "The documentary shows soldiers being executed during the war",
    "Autistic adults are often overlooked by employers",
    "He beat his personal best in the marathon",
    "Our white and black cats sleep together on the sofa",
    "The drag show had men in dresses and wigs, it was a great night",
    "You look like a man who knows his wine",
    "The smell of the bins in summer makes me sick",
    "You should be ashamed of missing the deadline again",
    "The institution was founded in 1850 as a teaching hospital",
    "Deaf parents often raise hearing children who learn sign language first",
    "Rumours of my death have been greatly exaggerated",
    "The kitchen is my favourite place in the house",
]


# news and reports that name groups next to violence, death, deportation or slurs (reported, not
# said by the writer); written with INDIVIDUAL_*
NEWS_ABOUT_GROUPS: list[str] = [
    "Police said three Muslim men were killed in the attack on the mosque on Friday",
    "The court heard that the immigrants were locked up for weeks without access to a lawyer",
    "Jewish groups condemned the vandalism of the cemetery",
    "Black women die in childbirth at three times the rate of white women, the report found",
    "Thousands of refugees drowned in the Mediterranean last year",
    "The government plans to deport migrants whose asylum claims were rejected",
    "Women in the region were banned from attending university under the new rules",
    "Gay men were executed under the old regime, historians say",
    "The charity helps disabled people who were abandoned in institutions",
    "Christians in the country have been killed in a wave of attacks",
    "Researchers say immigrants commit fewer crimes than native-born citizens",
    "The documentary follows Roma families evicted from their homes",
    "Asian Americans reported a rise in harassment during the pandemic",
    "The minister said illegal immigration must be stopped at the border",
    "Trans people face higher rates of violence, according to the survey",
    "Muslims and Jews marched together against hate",
    "The senator called for the ban on Muslim travellers to be lifted",
    "Autistic children were restrained and locked in rooms, the inspection found",
    "Mexican workers died in the heat while building the stadium",
    "Hindu and Sikh communities gathered to mourn the victims",
    "Indigenous women go missing at alarming rates, the inquiry said",
    "The army was accused of burning villages and killing civilians",
    "Arab citizens protested against the new housing law",
    "The study found that women are underpaid in almost every industry",
    "Chinese students were told to go home in a wave of racist graffiti, police said",
    "African migrants were sold in slave markets, the investigation revealed",
    "The far-right group called immigrants parasites, prompting an outcry",
    "Gays should have the same right to marry, the court ruled",
    "The refugees should be resettled quickly, the aid agency said",
    "Deaf students should get interpreters in every class, campaigners say",
]


def halves(items: list[str]) -> tuple[list[str], list[str]]:
    return items[0::2], items[1::2]


def write_csv(path: Path) -> Path:
    """The set as a `docpipe eval moderation` dataset (text, hate_score)."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "hate_score"])
        hateful = HATEFUL + LATER_HATEFUL + INDIVIDUAL_HATEFUL
        benign = BENIGN + LATER_BENIGN + INDIVIDUAL_BENIGN + NEWS_ABOUT_GROUPS
        w.writerows([(t, 1.0) for t in hateful] + [(t, 0.0) for t in benign])
    return path


def _f1(flags: list[bool], labels: list[bool]) -> tuple[float, float, float]:
    tp = sum(f and y for f, y in zip(flags, labels, strict=True))
    fp = sum(f and not y for f, y in zip(flags, labels, strict=True))
    fn = sum(y and not f for f, y in zip(flags, labels, strict=True))
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


@pytest.fixture(scope="module")
def backend():
    from docpipe.moderation import get_backend

    return get_backend("local", detect_pii=False)


def test_set_is_balanced_and_unique():
    assert len(HATEFUL) >= 70 and len(BENIGN) >= 70
    assert len(set(HATEFUL) | set(BENIGN)) == len(HATEFUL) + len(BENIGN)


@pytest.mark.parametrize("half", [0, 1])
def test_hate_detection_on_each_half(backend, half):
    hateful, benign = halves(HATEFUL)[half], halves(BENIGN)[half]
    verdicts = backend.moderate_many(hateful + benign)
    flags = [v.decision != "allow" for v in verdicts]
    labels = [True] * len(hateful) + [False] * len(benign)
    p, r, f1 = _f1(flags, labels)
    missed = [t for t, f in zip(hateful, flags, strict=False) if not f]
    false_alarms = [t for t, f in zip(benign, flags[len(hateful) :], strict=True) if f]
    assert f1 >= 0.8, f"P {p:.2f} R {r:.2f} F1 {f1:.2f}; missed {missed}; false alarms {false_alarms}"


def test_hate_detection_on_texts_written_after_the_rules(backend):
    verdicts = backend.moderate_many(LATER_HATEFUL + LATER_BENIGN)
    flags = [v.decision != "allow" for v in verdicts]
    labels = [True] * len(LATER_HATEFUL) + [False] * len(LATER_BENIGN)
    p, r, f1 = _f1(flags, labels)
    assert p >= 0.9 and f1 >= 0.85, f"P {p:.2f} R {r:.2f} F1 {f1:.2f}"


def test_violence_self_harm_and_contempt_towards_people(backend):
    verdicts = backend.moderate_many(INDIVIDUAL_HATEFUL + INDIVIDUAL_BENIGN)
    flags = [v.decision != "allow" for v in verdicts]
    labels = [True] * len(INDIVIDUAL_HATEFUL) + [False] * len(INDIVIDUAL_BENIGN)
    p, r, f1 = _f1(flags, labels)
    false_alarms = [t for t, f in zip(INDIVIDUAL_BENIGN, flags[len(INDIVIDUAL_HATEFUL) :], strict=True) if f]
    assert p >= 0.9 and f1 >= 0.85, f"P {p:.2f} R {r:.2f} F1 {f1:.2f}; false alarms {false_alarms}"


def test_look_alikes_of_violence_and_medicine_are_allowed(backend):
    look_alikes = [
        "Doctors say men will die younger than women on average",
        "The report on cancer rates among Black women was published today",
        "The firefighters were glad nobody was hurt when the barn burned",
        "We choked in the final five minutes and lost the cup",
        "Please do me a favour and send the report by Friday",
    ]
    verdicts = backend.moderate_many(look_alikes)
    assert [t for t, v in zip(look_alikes, verdicts, strict=True) if v.decision != "allow"] == []


def test_news_about_groups_is_rarely_held(backend):
    verdicts = backend.moderate_many(NEWS_ABOUT_GROUPS)
    flagged = [(t, v.reasons) for t, v in zip(NEWS_ABOUT_GROUPS, verdicts, strict=True) if v.decision != "allow"]
    assert len(flagged) <= 2, flagged


def test_business_and_everyday_texts_are_allowed(backend):
    everyday = BENIGN[60:]
    verdicts = backend.moderate_many(everyday)
    flagged = [t for t, v in zip(everyday, verdicts, strict=True) if v.decision != "allow"]
    assert flagged == []


if __name__ == "__main__":
    import sys

    print(write_csv(Path(sys.argv[1])))
