"""Moderation: categories, decisions, thresholds, chunking and PII positions.

The statistical model (alt-profanity-check) takes a few seconds to import, so one backend is
shared by the module.
"""

from __future__ import annotations

import itertools
import json
import logging
import random

import pytest

from docpipe.models import ModerationVerdict
from docpipe.moderation import (
    CATEGORIES,
    DEFAULT_THRESHOLDS,
    THRESHOLDS_ENV,
    ModerationBackend,
    ThresholdConfigError,
    get_backend,
    parse_thresholds,
)
from docpipe.moderation.local import chunk_text
from docpipe.moderation.pii import find_pii

GOOGLE_CATEGORIES = [
    "Toxic",
    "Insult",
    "Profanity",
    "Derogatory",
    "Sexual",
    "Death, Harm & Tragedy",
    "Violent",
    "Firearms & Weapons",
    "Public Safety",
    "Health",
    "Religion & Belief",
    "Illicit Drugs",
    "War & Conflict",
    "Politics",
    "Finance",
    "Legal",
]

INVOICE = """INVOICE
Acme Print & Packaging Ltd, Unit 4 Riverside Park, Leeds LS11 5QT
Invoice no: INV-2024-00417          Invoice date: 2024-03-15          Due date: 14/04/2024
PO number: PO-88213                 Customer ID: C-000912
Bill to: Northwind Traders, 12 High Street, York YO1 7HH

Description                                   Qty    Unit price      Amount
Die-cut labels, 500 per roll                    4         12.50       50.00
Heat gun, industrial 2000W                      1         89.99       89.99
Bullet point brochure layout (design hours)     6         45.00      270.00
Kill switch enclosure, steel                    2         18.00       36.00
Shipping and handling                           1         25.00       25.00

Subtotal                                                             470.99
VAT 20%                                                               94.20
Total due                                                        GBP 565.19

Payment terms: net 30. A late payment charge of 2% per month applies to overdue balances.
Please pay by bank transfer quoting INV-2024-00417. We will execute the remaining work order
once the deposit clears. If anything on this invoice looks wrong, shoot me an email and I will
issue a credit note. Total amount in words: five hundred sixty-five pounds and nineteen pence.
Thank you for your business!
"""

RECEIPT = """GREEN GARDEN CENTRE  Store #112
Receipt 00481923    15/03/2024 14:02    Till 3
Weed killer 1L                 x1    9.99
Bath bomb, lavender            x2    7.98
Kitchen knife set              x1   49.99
Glue gun + sticks              x1   18.50
Subtotal                            86.46
Sales tax 8.25%                      7.13
TOTAL                               93.59
VISA ************4242   AUTH 071553   Charge approved.
Returns within 30 days with receipt. Thank you for shopping with us!
"""

FORM = """NEW EMPLOYEE FORM
Name: Jane Doe     Date of birth: 1990-05-17     Sex: F
Position: Account Executive     Department: Finance     Start date: 2024-04-01
Payroll: salary paid monthly by bank transfer; tax code 1257L; pension contribution 5%.
Please execute this agreement by signing below. Either party may terminate employment in
accordance with the terms and conditions of the contract and applicable law.
Emergency contact: John Doe (spouse). Health insurance plan: standard.
Signature: ______________      Date: ______________
"""

THREATS = [
    "I will find you and hurt you",
    "you deserve to die",
    "I'm going to kill you and your family",
    "Someone should shoot him.",
    "I hope you die in a fire",
    "We know where you are. We will hunt you down and kill you.",
]
DEROGATORY = [  # no obscenities: slurs and dehumanising statements only
    "Muslims are animals and should be deported",
    "Immigrants are vermin.",
    "those people are subhuman",
    "Women are inferior and should not be allowed to vote",
    "gay people don't deserve to live",
    "go back to your country, wetback",
]


@pytest.fixture(scope="module")
def backend():
    return get_backend("local")


def verdict_of(backend, text: str) -> ModerationVerdict:
    return backend.moderate(text)


# ---------------------------------------------------------------------------------------------
# API and categories


def test_categories_are_googles_sixteen():
    assert CATEGORIES == GOOGLE_CATEGORIES
    assert set(DEFAULT_THRESHOLDS) == set(GOOGLE_CATEGORIES)


def test_backend_protocol_and_verdict_shape(backend):
    assert isinstance(backend, ModerationBackend)
    assert backend.name == "local" and backend.version
    v = backend.moderate("Hello, please find the report attached.")
    assert isinstance(v, ModerationVerdict)
    assert list(v.categories) == GOOGLE_CATEGORIES
    assert all(0.0 <= s <= 1.0 for s in v.categories.values())
    assert v.engine and v.engine_version == backend.version
    assert v.decision == "allow" and v.reasons == []


def test_unknown_backend_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown moderation backend 'nope'"):
        get_backend("nope")


def test_empty_text_allows_with_zero_scores(backend):
    v = backend.moderate("   ")
    assert v.decision == "allow" and set(v.categories.values()) == {0.0} and v.pii == []


def test_non_str_is_rejected(backend):
    with pytest.raises(TypeError):
        backend.moderate_many([b"bytes"])  # type: ignore[list-item]


def test_moderate_many_matches_moderate(backend):
    texts = [INVOICE, THREATS[0], "fuck this", "", DEROGATORY[0]]
    batch = backend.moderate_many(texts)
    assert [v.to_json() for v in batch] == [backend.moderate(t).to_json() for t in texts]


# ---------------------------------------------------------------------------------------------
# harmful content


@pytest.mark.parametrize("text", THREATS)
def test_threats_without_profanity_are_flagged(backend, text):
    v = verdict_of(backend, text)
    assert v.categories["Violent"] >= 0.8, v.categories  # lexicon words alone stop at 0.7
    assert v.decision == "block"
    assert any(r.startswith("Violent") for r in v.reasons)


@pytest.mark.parametrize("text", DEROGATORY)
def test_slurs_and_dehumanising_statements_are_flagged(backend, text):
    v = verdict_of(backend, text)
    assert v.categories["Derogatory"] >= 0.5, v.categories
    assert v.decision != "allow"
    assert any(r.startswith("Derogatory") for r in v.reasons)


def test_dehumanising_is_not_caught_by_the_profanity_model_alone(backend):
    # the point of the lexicons: the profanity model does not see these as profane
    v = verdict_of(backend, "Immigrants are vermin.")
    assert v.categories["Profanity"] < 0.6
    assert v.categories["Derogatory"] >= 0.8


@pytest.mark.parametrize("text", ["You are a worthless idiot", "shut up, you pathetic loser"])
def test_directed_insults(backend, text):
    v = verdict_of(backend, text)
    assert v.categories["Insult"] >= 0.8
    assert v.decision != "allow"


@pytest.mark.parametrize("text", ["This is fucking bullshit", "what a load of shit, f*ck this"])
def test_profanity_is_scored_and_reviewed_when_configured(backend, text):
    v = verdict_of(backend, text)
    assert v.categories["Profanity"] >= 0.6
    # swearing aimed at nobody is not hate: allowed by default, held when a tenant asks for it
    assert v.decision == "allow", v.reasons
    strict = get_backend("local", thresholds={"Profanity": {"review": 0.6}})
    assert strict.moderate(text).decision == "review"


@pytest.mark.parametrize(
    "text",
    [
        "This fucking printer jammed again",  # swearing, aimed at nobody
        "Third time your useless courier lost my parcel. Your service is pathetic, I want a refund.",
    ],
)
def test_rudeness_without_a_target_is_not_held(backend, text):
    v = verdict_of(backend, text)
    assert v.decision == "allow", v.reasons
    assert v.categories["Toxic"] < 0.5  # the model alone, uncorroborated, stays under review


def test_masked_profanity_is_seen_by_the_lexicon(backend):
    v = verdict_of(backend, "f*ck off")
    assert v.categories["Profanity"] >= 0.6


def test_confidence_grows_with_evidence(backend):
    one, many = backend.moderate_many(
        [
            "The report mentions a rifle.",
            "The report mentions a rifle, a shotgun, a pistol, ammunition and grenades.",
        ]
    )
    assert many.categories["Firearms & Weapons"] > one.categories["Firearms & Weapons"]


def test_length_normalisation_dilutes_ordinary_words(backend):
    short = "Rifle and ammunition."
    long = short + " " + " ".join(["The quarterly meeting reviewed sales figures."] * 200)
    s, lg = backend.moderate_many([short, long])
    assert lg.categories["Firearms & Weapons"] < s.categories["Firearms & Weapons"]


def test_topical_categories_are_scored(backend):
    v = verdict_of(
        backend,
        "The patient was admitted to hospital; the diagnosis was diabetes and the "
        "prescription was sent to the pharmacy.",
    )
    assert v.categories["Health"] >= 0.5
    assert v.decision == "allow"  # Health never blocks or reviews by default


# ---------------------------------------------------------------------------------------------
# benign business documents


@pytest.mark.parametrize("text", [INVOICE, RECEIPT, FORM], ids=["invoice", "receipt", "form"])
def test_benign_business_documents_are_allowed(backend, text):
    v = verdict_of(backend, text)
    assert v.decision == "allow", v.reasons
    assert v.categories["Toxic"] < 0.5
    assert v.categories["Violent"] < 0.5
    assert v.categories["Finance"] >= 0.5  # it is recognisably about money


def test_business_idioms_do_not_count_as_violence(backend):
    v = verdict_of(
        backend,
        "Please shoot me an email. We will execute the contract and kill the process "
        "on the old server; bullet points below. Heat gun and glue gun on the invoice.",
    )
    assert v.decision == "allow", v.reasons
    assert v.categories["Violent"] < 0.3
    assert v.categories["Firearms & Weapons"] < 0.3


def _business_corpus(n: int, seed: int = 7) -> list[str]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        base = rnd.choice([INVOICE, RECEIPT, FORM])
        text = base.replace("00417", f"{i:05d}").replace("00481923", f"{i:08d}")
        while len(text) < 2000:
            text += "\n" + rnd.choice([INVOICE, RECEIPT, FORM])
        out.append(text[:2048])
    return out


def test_many_benign_documents_are_all_allowed(backend):
    verdicts = backend.moderate_many(_business_corpus(300))
    assert {v.decision for v in verdicts} == {"allow"}


# ---------------------------------------------------------------------------------------------
# chunking


def test_chunks_cover_the_text_with_overlap():
    text = " ".join(f"word{i}" for i in range(12_000))
    chunks = chunk_text(text, size=10_000, overlap=500)
    assert len(chunks) > 1
    assert all(len(c) <= 10_000 for c in chunks)
    assert chunks[0] == text[: len(chunks[0])]
    assert text.endswith(chunks[-1])
    for a, b in itertools.pairwise(chunks):
        assert a[-300:] in b  # consecutive chunks overlap


def test_threat_after_30k_chars_of_benign_text_is_found(backend):
    benign = (INVOICE + "\n") * (30_000 // len(INVOICE) + 1)
    assert len(benign) > 30_000
    text = benign + "\nI will find you and hurt you.\n" + INVOICE
    v = backend.moderate(text)
    assert v.decision == "block"
    assert v.categories["Violent"] >= 0.8
    assert backend.moderate(benign).decision == "allow"


def test_threat_across_a_chunk_boundary_is_found(backend):
    filler = "The shipment arrived on time and the totals match the purchase order. "
    head = (filler * 200)[:9_990]  # the threat straddles the 10 000-character boundary
    text = head + " I will find you and hurt you. " + filler * 50
    assert len(chunk_text(text)) > 1
    assert backend.moderate(text).categories["Violent"] >= 0.8


def test_profanity_is_not_diluted_away_in_a_long_chunk(backend):
    filler = "The shipment arrived on time and the totals match the purchase order. " * 120
    v = backend.moderate(filler + " Honestly this is fucking bullshit. " + filler)
    assert v.categories["Profanity"] >= 0.6
    # the model's score for the whole 17k-character chunk is ~0.04 (tf-idf dilution); the sentence
    # window with the obscenity is what brings Toxic up (to the cap for swearing aimed at nobody)
    assert v.categories["Toxic"] >= 0.4


# ---------------------------------------------------------------------------------------------
# thresholds and decisions


def test_threshold_override_changes_the_decision(backend):
    assert backend.moderate(INVOICE).decision == "allow"
    strict = get_backend("local", thresholds={"Finance": {"review": 0.3}})
    v = strict.moderate(INVOICE)
    assert v.decision == "review"
    assert any(r.startswith("Finance") and "review 0.30" in r for r in v.reasons)

    lenient = get_backend(
        "local",
        thresholds=json.dumps(
            {c: {"block": None, "review": None} for c in ("Toxic", "Violent", "Insult", "Death, Harm & Tragedy")}
        ),
    )
    assert lenient.moderate(THREATS[0]).decision == "allow"


def test_thresholds_from_env(monkeypatch):
    monkeypatch.setenv(THRESHOLDS_ENV, json.dumps({"Finance": {"block": 0.3}}))
    v = get_backend("local").moderate(INVOICE)
    assert v.decision == "block"
    # the argument wins over the environment
    v = get_backend("local", thresholds={"Finance": {"block": None}}).moderate(INVOICE)
    assert v.decision == "allow"


def test_partial_override_keeps_other_defaults():
    t = parse_thresholds({"Toxic": {"block": 0.95}})
    assert t["Toxic"].block == 0.95 and t["Toxic"].review == DEFAULT_THRESHOLDS["Toxic"].review
    assert t["Violent"] == DEFAULT_THRESHOLDS["Violent"]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"toxic": {"block": 0.9}}', "did you mean 'Toxic'"),
        ('{"Hate": {"block": 0.9}}', "unknown category 'Hate'"),
        ('{"Toxic": 0.9}', "must be an object"),
        ('{"Toxic": {"blok": 0.9}}', "unknown key"),
        ('{"Toxic": {"block": 1.5}}', "between 0 and 1"),
        ('{"Toxic": {"block": "high"}}', "must be a number"),
        ('{"Toxic": {"block": 0.4, "review": 0.6}}', "above its block threshold"),
    ],
)
def test_invalid_threshold_json_gives_a_clear_error(monkeypatch, raw, message):
    monkeypatch.setenv(THRESHOLDS_ENV, raw)
    with pytest.raises(ThresholdConfigError, match=message) as exc:
        get_backend("local")
    assert THRESHOLDS_ENV in str(exc.value)


def test_health_finance_legal_never_block_by_default():
    for cat in ("Health", "Finance", "Legal", "Politics", "Religion & Belief"):
        assert DEFAULT_THRESHOLDS[cat].block is None


# ---------------------------------------------------------------------------------------------
# PII


def _found(text: str, region: str = "US") -> list[tuple[str, str]]:
    return [(f.pii_type, text[f.start : f.end]) for f in find_pii(text, region)]


@pytest.mark.parametrize(
    ("text", "region", "expected"),
    [
        ("Contact jane.doe+billing@example.co.uk for details.", "US", [("email", "jane.doe+billing@example.co.uk")]),
        ("Call us on (202) 456-1111 today", "US", [("phone", "(202) 456-1111")]),
        ("Tel: +44 20 7946 0958", "US", [("phone", "+44 20 7946 0958")]),
        ("Mobile: 07911 123456", "GB", [("phone", "07911 123456")]),
        ("Hubungi 012-345 6789", "MY", [("phone", "012-345 6789")]),
        ("Card: 4111 1111 1111 1111, exp 12/27", "US", [("payment_card", "4111 1111 1111 1111")]),
        ("Amex 3782-822463-10005 on file", "US", [("payment_card", "3782-822463-10005")]),
        ("IBAN: GB82 WEST 1234 5698 7654 32 THANKS", "GB", [("iban", "GB82 WEST 1234 5698 7654 32")]),
        ("IBAN DE89370400440532013000.", "GB", [("iban", "DE89370400440532013000")]),
        ("SSN 123-45-6789 on the form", "US", [("national_id", "123-45-6789")]),
        ("NI number: AB 12 34 56 C", "GB", [("national_id", "AB 12 34 56 C")]),
        ("MyKad 770305-02-1234", "MY", [("national_id", "770305-02-1234")]),
    ],
)
def test_pii_positions_slice_to_the_item(text, region, expected):
    assert _found(text, region) == expected


def test_pii_positions_in_a_document():
    text = INVOICE + "\nQuestions: accounts@acme-print.co.uk or +44 113 496 0123. Card 5555 5555 5555 4444.\n"
    findings = find_pii(text, "GB")
    kinds = [f.pii_type for f in findings]
    assert kinds == ["email", "phone", "payment_card"]
    for f in findings:
        assert text[f.start : f.end] in {"accounts@acme-print.co.uk", "+44 113 496 0123", "5555 5555 5555 4444"}


def test_luhn_invalid_card_is_not_reported():
    assert _found("Card: 4111 1111 1111 1112") == []
    assert _found("Card: 4111111111111112") == []


@pytest.mark.parametrize(
    "text",
    [
        "Invoice no: 2024550173",
        "Order number 202-456-1111",
        "Total: 2025550173",
        "Date 2024-03-15, due 15/04/2024, amount 1,234,567.89",
        "Invoice INV-2024-000417-2025550173",
        "Reference 4111111111111111",  # Luhn-valid, but labelled as a reference
        "SSN 666-12-3456 and 000-12-3456 and 123-00-4567",  # never-issued ranges
        "Qty 123 45 6789",  # SSN shape with spaces, but no SSN label
        "QQ 12 34 56 C",  # Q is not a valid NINO prefix letter
        "IBAN GB82 WEST 1234 5698 7654 33",  # bad checksum
    ],
)
def test_no_pii_false_positives_on_business_numbers(text):
    assert _found(text, "GB") == [] and _found(text, "US") == []


def test_phone_region_is_configurable():
    text = "Office: 020 7946 0958"
    assert _found(text, "GB") == [("phone", "020 7946 0958")]
    assert _found(text, "US") == []
    assert get_backend("local", pii_region="GB").moderate(text).pii[0].pii_type == "phone"


def test_pii_alone_does_not_change_the_decision_unless_configured(backend):
    text = "Please call Jane on (202) 456-1111 or email jane@example.com."
    v = backend.moderate(text)
    assert v.decision == "allow" and {f.pii_type for f in v.pii} == {"phone", "email"}
    strict = get_backend("local", pii_review=True).moderate(text)
    assert strict.decision == "review"
    assert any("PII" in r for r in strict.reasons)
    # positions only: neither the reasons nor the verdict's repr carry the values
    assert "456-1111" not in " ".join(strict.reasons) and "jane@example.com" not in repr(strict.pii)


def test_logs_carry_no_text_or_pii(backend, caplog):
    with caplog.at_level(logging.DEBUG, logger="docpipe.moderation"):
        backend.moderate_many(["SSN 123-45-6789, mail jane@example.com, I will find you and hurt you"])
    assert "123-45-6789" not in caplog.text and "jane@example.com" not in caplog.text
    assert "hurt you" not in caplog.text


# ---------------------------------------------------------------------------------------------
# evaluation CLI


def test_evaluate_cli_prints_a_table(tmp_path, capsys):
    from docpipe.moderation.evaluate import main

    path = tmp_path / "labelled.csv"
    path.write_text(
        "text,hate_score\n"
        '"Immigrants are vermin.",1.0\n'
        '"you deserve to die",0.9\n'
        '"Please find the invoice attached.",0.0\n'
        '"The meeting is moved to Tuesday.",0.0\n',
        encoding="utf-8",
    )
    assert main(["--dataset", str(path), "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert "decision != allow" in out and "precision" in out and "texts/s" in out
    line = next(ln for ln in out.splitlines() if ln.startswith("decision != allow"))
    assert line.split()[3:6] == ["1.000", "1.000", "1.000"]  # precision, recall, F1


def test_eval_moderation_command_json(tmp_path, capsys):
    from docpipe.cli import main

    path = tmp_path / "labelled.csv"
    path.write_text(
        "text,hate_score\n"
        '"Muslims should all be deported",0.8\n'
        '"Trans people are freaks and perverts",1.0\n'
        '"My neighbour is muslim and very kind",0.0\n'
        '"The meeting is moved to Tuesday.",0.2\n',
        encoding="utf-8",
    )
    assert main(["eval", "moderation", "--dataset", str(path), "--json", "--repeat", "1"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"texts", "precision", "recall", "f1", "texts_per_second"}
    assert out["texts"] == 4
    assert (out["precision"], out["recall"], out["f1"]) == (1.0, 1.0, 1.0)
    assert out["texts_per_second"] > 0


@pytest.mark.parametrize(
    ("content", "message"),
    [("text,score\nhello,1\n", "missing column"), ("text,hate_score\nhello,high\n", "not a number")],
)
def test_eval_moderation_rejects_bad_files(tmp_path, capsys, content, message):
    from docpipe.cli import main

    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    assert main(["eval", "moderation", "--dataset", str(path)]) == 1
    assert message in capsys.readouterr().err
