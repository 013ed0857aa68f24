"""``KnownValues``: every occurrence of every value is covered, nothing else is, whatever the
values share (prefixes, overlaps, one inside another)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from llmcouncil.privacy.known import KnownValues

_ALPHABET = "ab$.@-1"


def _occurrences(text: str, value: str) -> list[tuple[int, int]]:
    return [(i, i + len(value)) for i in range(len(text)) if text.startswith(value, i)]


@settings(max_examples=300, deadline=None)
@given(
    values=st.lists(st.text(alphabet=_ALPHABET, min_size=3, max_size=8), min_size=1, max_size=12),
    picks=st.lists(st.tuples(st.integers(0, 11), st.text(alphabet=" xyz", max_size=3))),
)
def test_every_occurrence_is_covered_and_nothing_else(
    values: list[str], picks: list[tuple[int, str]]
) -> None:
    text = "".join(values[i % len(values)] + glue for i, glue in picks)
    spans = KnownValues(("PASSWORD", v) for v in values).find(text)
    covered = {i for s in spans for i in range(s.start, s.end)}
    wanted = {i for v in values for a, b in _occurrences(text, v) for i in range(a, b)}
    assert covered == wanted
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:], strict=False))


def test_emails_ignore_case_names_match_whole_words_secrets_match_exactly() -> None:
    known = KnownValues(
        [
            ("EMAIL_ADDRESS", "ana@example.com"),
            ("PERSON", "Ann"),
            ("PASSWORD", "Kp4$mN8"),
            ("PASSWORD", "ab"),  # too short to look for anywhere else
        ]
    )
    text = "ANA@Example.com, Annual Ann, kp4$mn8 Kp4$mN8x ab"
    found = [text[s.start : s.end] for s in known.find(text)]
    assert found == ["ANA@Example.com", "Ann", "Kp4$mN8"]


def test_a_thousand_values_in_one_expression() -> None:
    values = [f"secret-{i:04d}-value" for i in range(1_000)]
    known = KnownValues(("API_KEY", v) for v in values)
    text = " and ".join(values[::7])
    assert [text[s.start : s.end] for s in known.find(text)] == values[::7]
