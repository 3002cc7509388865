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
