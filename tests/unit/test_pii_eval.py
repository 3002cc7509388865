"""The generated PII evaluation set and `docpipe eval pii`."""

from __future__ import annotations

import json
import random

import pytest
from stdnum import iban as stdiban
from stdnum import luhn

from docpipe.moderation import pii_eval
from docpipe.moderation.pii import PII_TYPES


@pytest.fixture(scope="module")
def items():
    return pii_eval.build_set(40, seed=1234)


def test_labels_slice_to_the_injected_values(items):
    kinds = {k for it in items for k, _, _ in it.spans}
    assert kinds == set(PII_TYPES)
    for it in items:
        for kind, s, e in it.spans:
            value = it.text[s:e]
            assert value.strip() == value and value, (kind, value)
            if kind == "email":
                assert "@" in value
            if kind == "payment_card":
                assert luhn.is_valid("".join(ch for ch in value if ch.isdigit()))
            if kind == "iban":
                assert stdiban.is_valid(value)


def test_hard_negatives_are_what_they_claim():
    rng = random.Random(5)
    for _ in range(50):
        assert not luhn.is_valid("".join(ch for ch in pii_eval.card_number(rng, valid=False) if ch.isdigit()))
        assert not stdiban.is_valid(pii_eval.iban(rng, valid=False))
        area = pii_eval.ssn(rng, valid=False)[:3]
        assert area in {"000", "666"} or area[0] == "9"


def test_the_same_seed_gives_the_same_set():
    a = pii_eval.build_set(3, seed=9)
    b = pii_eval.build_set(3, seed=9)
    assert [(x.text, x.spans) for x in a] == [(y.text, y.spans) for y in b]


def test_detector_meets_the_goal_on_an_unseen_seed(items):
    ev = pii_eval.evaluate(items, keep_errors=True)
    for kind, score in ev.per_type.items():
        assert score.support > 0, kind
        assert score.precision >= 0.95 and score.recall >= 0.95, (kind, score, ev.misses, ev.false_alarms)


def test_scoring_counts_type_mismatches_as_errors():
    item = pii_eval.Item("call 020 7946 0958 now", "GB", [("payment_card", 5, 18)])
    ev = pii_eval.evaluate([item])
    assert ev.per_type["payment_card"].fn == 1
    assert ev.per_type["phone"].fp == 1


def test_eval_pii_command_json(capsys):
    from docpipe.cli import main

    assert main(["eval", "pii", "--docs", "8", "--seed", "3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["documents"] == 8
    assert set(out["types"]) == set(PII_TYPES)
    assert all({"precision", "recall", "support"} <= set(v) for v in out["types"].values())
