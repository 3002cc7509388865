"""Hate towards groups (docpipe.moderation.hate): targets, hostile predicates, calls versus reports,
negation and counter-speech."""

from __future__ import annotations

import pytest

from docpipe.moderation import get_backend
from docpipe.moderation.hate import mask_groups, score


def s(text: str) -> float:
    return score(text.lower()).score


@pytest.mark.parametrize(
    "text",
    [
        "Immigrants are parasites",
        "Muslims should be deported",
        "Deport every last one of them",
        "Women belong in the kitchen",
        "Gas them all",
        "Send the boats back and let them drown",
        "Why do we let these savages into our country",
        "No Indians allowed in my shop",
        "Nobody wants you people here",
        "Diversity is a code word for white genocide",
    ],
)
def test_hostile_statements_about_groups_score_for_review(text):
    assert s(text) >= 0.5


@pytest.mark.parametrize(
    "text",
    [
        "Hundreds of migrants were deported last year, the ministry said",  # a report, not a call
        "Not all immigrants are criminals",  # negated
        "Muslims are not terrorists",
        "Saying all muslims are terrorists is ignorant and racist",  # counter-speech
        "Stop blaming immigrants for everything",
        "The article is about the rise of hate crimes against Asians",
        "Women have been leading successful companies for decades",  # a sweeping claim, but praise
        "I am gay and I have been with my husband for 12 years",
        "He played like garbage in the second half",  # one person, a simile of quality
        "Kill the process and restart the server",  # no target
    ],
)
def test_reports_negations_and_counter_speech_stay_under_review(text):
    assert s(text) < 0.5


def test_counter_speech_sentences_are_reported_for_damping():
    res = score("saying all muslims are terrorists is racist. immigrants are vermin.")
    assert len(res.counter_spans) == 1
    assert res.score >= 0.8  # the second sentence still counts


def test_masking_keeps_slurs_and_hides_identity_words():
    assert mask_groups("i am gay and muslim") == "i am people and people"
    assert "faggots" in mask_groups("fucking faggots everywhere")


def test_identity_words_alone_do_not_trigger_the_profanity_model():
    backend = get_backend("local", detect_pii=False)
    mention, attack = backend.moderate_many(["I am gay and proud of it", "Fucking gays everywhere, disgusting"])
    assert mention.decision == "allow", mention.reasons
    assert attack.decision != "allow"


@pytest.fixture(scope="module")
def local_backend():
    return get_backend("local", detect_pii=False)


@pytest.mark.parametrize(
    "text",
    [
        "I'd happily choke him until he stops talking",  # threat with a conditional
        "Beat the crap out of her, she deserves it",
        "Cut your wrists and spare everyone your voice",  # self-harm incitement
        "Do everyone a favour and die",
        "A painful death to all of you",
        "Those people must be dead, all of them",
        "I love watching those refugees get beaten",  # violence relished
        "If I looked like you I would kill myself",  # contempt for how someone is
        "Paraplegics are a waste of space",  # disability
        "Gayness must be wiped out of our schools",
        "Women are the weaker sex and should obey",
        "Her place is in the kitchen",
        "Hopefully the white parasites leave soon",  # identity adjective on a dehumanising noun
        "That's a man in a dress, nothing else",
        "Look at those ching chong eyes",  # slur list
    ],
)
def test_violence_self_harm_and_contempt_towards_people_are_flagged(local_backend, text):
    v = local_backend.moderate(text)
    assert v.decision != "allow", v.categories


@pytest.mark.parametrize(
    "text",
    [
        "Doctors say men will die younger than women, on average",  # a prediction, reported
        "One in four men will die of heart disease, doctors say",  # a disease word, not said of the group
        "The firefighters were glad nobody was hurt when the barn burned",
        "She loved watching the fireworks burn across the sky",
        "We choked in the final minutes and lost",
        "Please do me a favour and send the invoice",
        "I'd kill for a coffee right now",
        "The drag night had men in dresses and wigs, it was brilliant",
        "You look like a man who knows his wine",
        "Never jump off a bridge into shallow water",
    ],
)
def test_look_alikes_of_violence_and_contempt_are_allowed(local_backend, text):
    v = local_backend.moderate(text)
    assert v.decision == "allow", v.reasons
