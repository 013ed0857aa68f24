"""The detector on its own: secrets by shape, values that must not be flagged, wrapped values,
overlap merging, named entities with a (tiny, locally built) spaCy model."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmcouncil.config import Settings, check_settings
from llmcouncil.privacy.detector import Finding, PiiDetector, merge_overlaps, shared_detector
from llmcouncil.privacy.settings import PrivacySettings, find_ner_model

SECRETS = [
    ("API_KEY", "sk-proj-" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z_-Ab3dEf6hIj9kLm"),
    ("API_KEY", "sk-or-v1-" + "0123456789abcdef" * 4),
    ("API_KEY", "sk-ant-api03-" + "x9Y8w7V6u5T4s3R2q1P0" * 4),
    ("API_KEY", "AKIAIOSFODNN7EXAMPLE"),
    ("API_KEY", "ghp_" + "a1B2c3D4e5F6g7H8i9J0" + "k1L2m3N4o5P6q7R8"),
    ("API_KEY", "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"),
    ("API_KEY", "AIza" + "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q"),
    ("API_KEY", "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"),
    ("API_KEY", "hf_" + "AbCdEfGhIjKlMnOpQrStUvWxYz01234567"),
    ("ACCESS_TOKEN", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlLXZhbHVlLTEyMw"),
]


@pytest.fixture(scope="module")
def detector() -> PiiDetector:
    return shared_detector()


@pytest.mark.parametrize(("entity", "value"), SECRETS)
def test_secret_shapes_are_found_exactly(detector: PiiDetector, entity: str, value: str) -> None:
    text = f"config: KEY {value} (rotated yesterday)"
    found = detector.find(text)
    assert [(f.entity, text[f.start : f.end]) for f in found] == [(entity, value)]


def test_multi_line_private_key_is_one_finding(detector: PiiDetector) -> None:
    pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\nkqhkiG9w0BAQEF==\n-----END PRIVATE KEY-----"
    text = f"here it is:\n{pem}\nthanks"
    found = detector.find(text)
    assert [(f.entity, text[f.start : f.end]) for f in found] == [("PRIVATE_KEY", pem)]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (
            "Authorization: Bearer n3Y-NBDRzrZSgqbjG3uhkWKFLf6xuI5a",
            "n3Y-NBDRzrZSgqbjG3uhkWKFLf6xuI5a",
        ),
        ('"password": "mG7!pQ2#vX9z",', "mG7!pQ2#vX9z"),
        ("postgres://app:S3cretPassw0rd@db:5432/x", "S3cretPassw0rd"),
        # Values that merely start like a stand-in (x…, *…, .…) are still secrets.
        ("api_key=X00123456a", "X00123456a"),
        ("password: xK9mQ2pL7w", "xK9mQ2pL7w"),
        ("secret=*Hq7vT2!mZ9", "*Hq7vT2!mZ9"),
        ("pwd=.Ab9xQ2mT7vK", ".Ab9xQ2mT7vK"),
    ],
)
def test_generic_secrets_keep_their_names_readable(
    detector: PiiDetector, text: str, value: str
) -> None:
    found = detector.find(text)
    assert [text[f.start : f.end] for f in found] == [value]


@pytest.mark.parametrize(
    "text",
    [
        'api_key = os.environ["OPENAI_API_KEY"]',
        "password: ********",
        "OPENAI_API_KEY=your-key-here",
        "token = get_token(scope)",
        '"max_tokens": 4096',
        "Authorization: Bearer <token>",
        "the card 4111 1111 1111 1112 fails the check digit",
        "the IBAN GB82 WEST 1234 5698 7654 33 has a bad checksum",
        "Python 3.11.7 and nginx 1.25.3 on 0.0.0.0:8080 and 127.0.0.1",
        "order ORD-2024-000123, build 20240514.3, 1/7 = 0.142857142857",
        "2^31 - 1 = 2147483647 and the timestamp 1715693400",
        "uuid 123e4567-e89b-12d3-a456-426614174000, sha 9f2c1e7a4b3d",
        "placeholders such as <EMAIL_1> and <CARD_2> are not personal data",
        "a risk-assessment for the task-force",
    ],
)
def test_what_is_not_personal_data_is_left_alone(detector: PiiDetector, text: str) -> None:
    assert [text[f.start : f.end] for f in detector.find(text)] == []


def test_values_wrapped_over_lines_are_found_at_their_original_offsets(
    detector: PiiDetector,
) -> None:
    text = "pay to DE89 3704 0044\n   0532 0130 00, mail refunds@\nexample-bank.co.uk now"
    found = {f.entity: text[f.start : f.end] for f in detector.find(text)}
    assert found == {
        "IBAN_CODE": "DE89 3704 0044\n   0532 0130 00",
        "EMAIL_ADDRESS": "refunds@\nexample-bank.co.uk",
    }


def test_secrets_only_when_asked(detector: PiiDetector) -> None:
    text = "mail a@example.com the key AKIAIOSFODNN7EXAMPLE"
    found = detector.find(text, entities={"API_KEY"})
    assert [f.entity for f in found] == ["API_KEY"]


spans = st.lists(
    st.tuples(st.integers(0, 60), st.integers(1, 15), st.floats(0, 1), st.booleans()),
    max_size=12,
)


@given(spans)
def test_merged_findings_never_overlap_and_cover_everything(
    raw: list[tuple[int, int, float, bool]],
) -> None:
    findings = [
        Finding("API_KEY" if secret else "PHONE_NUMBER", start, start + size, score)
        for start, size, score, secret in raw
    ]
    merged = merge_overlaps(findings)
    assert all(a.end <= b.start for a, b in zip(merged, merged[1:], strict=False))
    covered = {i for f in findings for i in range(f.start, f.end)}
    assert covered == {i for f in merged for i in range(f.start, f.end)}


def test_a_surer_finding_names_the_merged_span() -> None:
    merged = merge_overlaps(
        [Finding("PHONE_NUMBER", 0, 10, 0.4), Finding("CREDIT_CARD", 2, 19, 1.0)]
    )
    assert merged == [Finding("CREDIT_CARD", 0, 19, 1.0)]


def test_without_a_model_names_and_places_are_said_to_be_missed(tmp_path: Path) -> None:
    model, message = find_ner_model("none")
    assert model is None and "NOT detected" in message
    missing = str(tmp_path / "no-such-model")
    assert find_ner_model(missing)[0] is None
    problems = check_settings(Settings(privacy=PrivacySettings(ner_model=missing)))
    assert any("privacy.ner_model" in p and "never downloaded" in p for p in problems)


def test_an_installed_spacy_model_adds_people_and_places(tmp_path: Path) -> None:
    spacy = pytest.importorskip("spacy")
    nlp = spacy.blank("en")  # built here from nothing: no download
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns(
        [
            {"label": "PERSON", "pattern": [{"LOWER": "priya"}, {"LOWER": "raman"}]},
            {"label": "GPE", "pattern": "Lisbon"},
        ]
    )
    nlp.to_disk(tmp_path / "tiny_ner")
    detector = PiiDetector(ner_model=str(tmp_path / "tiny_ner"))
    assert detector.ner.available and "are detected" in detector.ner.message
    text = "Thank Priya Raman for Lisbon; write to priya@example.com"
    found = [(f.entity, text[f.start : f.end]) for f in detector.find(text)]
    assert found == [
        ("PERSON", "Priya Raman"),
        ("LOCATION", "Lisbon"),
        ("EMAIL_ADDRESS", "priya@example.com"),
    ]
