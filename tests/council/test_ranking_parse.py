"""parse_ranking on the reply shapes reviewers actually produce, and on anything else."""

from __future__ import annotations

import json
import re
from typing import Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmcouncil.council.ranking import ParsedRanking, ParseStatus, parse_ranking, response_labels
from llmcouncil.council.ranking_json import _OBJECT_START, _object_start
from llmcouncil.council.ranking_keywords import (
    ALL_TIED_WORDS,
    CORRECTION_WORDS,
    HARD_HEADER_WORDS,
    REFUSAL_WORDS,
    KeywordIndex,
    search_lines,
)
from llmcouncil.council.ranking_text import _corrections, _lines
from llmcouncil.council.ranking_vocab import ALL_TIED, CORRECTION, REFUSAL
from tests.council.ranking_corpus import CASES
from tests.council.ranking_corpus_blind import CASES as BLIND
from tests.council.ranking_corpus_blind import BlindCase
from tests.council.ranking_corpus_blind import tiers_of as blind_tiers

ABC = response_labels(3)
ABCD = response_labels(4)
CAB = ["Response C", "Response A", "Response B"]
CAB_TIERS = (("Response C",), ("Response A",), ("Response B",))


def ok(source: Literal["json", "text"] = "text", issues: list[str] | None = None) -> ParsedRanking:
    return ParsedRanking(CAB_TIERS, ParseStatus.OK, issues or [], source)


def parse(text: str, labels: list[str] = ABC) -> ParsedRanking:
    return parse_ranking(text, labels)


def test_response_labels() -> None:
    assert response_labels(1) == ["Response A"]
    assert response_labels(3) == ABC
    assert response_labels(26)[-1] == "Response Z"
    for bad in (0, -1, 27):
        with pytest.raises(ValueError):
            response_labels(bad)


def test_labels_must_look_like_labels() -> None:
    with pytest.raises(ValueError):
        parse_ranking("FINAL RANKING:\n1. Response A", ["Answer 1"])


def test_original_numbered_format() -> None:
    text = (
        "Response A is thorough but long. Response C misses the edge case.\n\n"
        "FINAL RANKING:\n1. Response C\n2. Response A\n3. Response B"
    )
    assert parse(text) == ok()


@pytest.mark.parametrize(
    "header",
    [
        "FINAL RANKING:",
        "final ranking:",
        "Final Ranking:",
        "**FINAL RANKING:**",
        "**FINAL RANKING**:",
        "## Final Ranking",
        "### FINAL RANKING:",
        "Final ranking (best to worst):",
        "FINAL RANKINGS:",
    ],
)
def test_header_variants(header: str) -> None:
    text = f"Response B is weakest.\n\n{header}\n1. Response C\n2. Response A\n3. Response B"
    parsed = parse(text)
    assert (parsed.ranking, parsed.status, parsed.issues) == (CAB, ParseStatus.OK, [])


@pytest.mark.parametrize(
    "items",
    [
        ["1. **Response C**", "2. **Response A**", "3. **Response B**"],
        ["**1.** Response C", "**2.** Response A", "**3.** Response B"],
        ["1. response c", "2. response a", "3. RESPONSE B"],
        ["1. C", "2. A", "3. B"],
        ["1. **C** - clearest", "2. A: accurate but long", "3. B (misses the point)"],
        ["1) Response C", "2) Response A", "3) Response B"],
        ["- Response C", "- Response A", "- Response B"],
        ["* Response C", "* Response A", "* Response B"],
        ["1.Response C", "2.Response A", "3.Response B"],
    ],
)
def test_item_shapes(items: list[str]) -> None:
    text = "Some reasoning about Response A and Response B.\n\nFINAL RANKING:\n" + "\n".join(items)
    assert parse(text) == ok()


def test_bare_letter_beats_a_label_in_its_explanation() -> None:
    text = "FINAL RANKING:\n1. C - better than Response A\n2. A\n3. B"
    assert parse(text).ranking == CAB


def test_the_last_header_wins_over_one_quoted_in_the_reasoning() -> None:
    text = (
        'The instructions ask me to end with "FINAL RANKING:" and a list.\n'
        "1. Response A: detailed\n2. Response B: short\n3. Response C: wrong\n\n"
        "FINAL RANKING:\n1. Response C\n2. Response A\n3. Response B"
    )
    assert parse(text) == ok()


def test_a_trailing_header_with_no_labels_falls_back_to_the_one_before() -> None:
    text = (
        "FINAL RANKING:\n1. Response C\n2. Response A\n3. Response B\n\nThat is my final ranking:"
    )
    assert parse(text).ranking == CAB


def test_inline_ranking_after_the_header() -> None:
    assert parse("FINAL RANKING: 1. Response C 2. Response A 3. Response B").ranking == CAB
    assert parse("FINAL RANKING: Response C > Response A > Response B").ranking == CAB
    assert parse("FINAL RANKING: C > A > B").ranking == CAB


def test_details_under_items_and_notes_after_the_list_are_not_votes() -> None:
    text = (
        "FINAL RANKING:\n"
        "1. Response C\n   - clearer than Response B\n"
        "2. Response A\n"
        "3. Response B\n\n"
        "Notes:\n- Response A could be shorter"
    )
    assert parse(text) == ok()


# Which entry was the slip is anyone's guess ("1. C 2. A 3. C": was the first C meant to be D?),
# so a list that repeats a label or names one outside the council is not trusted at all.
def test_a_repeated_label_fails_the_list() -> None:
    text = "FINAL RANKING:\n1. Response C\n2. Response A\n3. Response C\n4. Response B"
    parsed = parse(text)
    assert (parsed.ranking, parsed.status) == ([], ParseStatus.FAILED)
    assert parsed.reason == "Response C is ranked twice"


def test_an_unknown_label_fails_the_list() -> None:
    text = "FINAL RANKING:\n1. Response C\n2. Response Q\n3. Response A\n4. Response B"
    parsed = parse(text)
    assert (parsed.ranking, parsed.status) == ([], ParseStatus.FAILED)
    assert parsed.reason == "Response Q is not one of the responses"


def test_partial_lists_do_not_invent_positions() -> None:
    parsed = parse("FINAL RANKING:\n1. Response C\n2. Response A", ABCD)
    assert parsed == ParsedRanking(
        (("Response C",), ("Response A",)),
        ParseStatus.PARTIAL,
        ["missing Response B", "missing Response D"],
        "text",
        reason="only the top 2 of 4 responses are ranked",
    )


def test_a_label_does_not_match_inside_a_longer_word() -> None:
    parsed = parse("FINAL RANKING:\n1. Response AB\n2. Response B\n3. Responses C")
    assert parsed.status is ParseStatus.FAILED
    assert parsed.reason == "an item of the list names no response"


def test_no_header_reads_a_list_of_labels_alone() -> None:
    text = (
        "1. Response A: good\n2. Response B: fine\n3. Response C: best\n\n"
        "Overall:\n1. Response C\n2. Response A\n3. Response B"
    )
    assert parse(text) == ok(issues=["no ranking header; read a list of labels alone"])


def test_no_header_and_no_list_fails_rather_than_counting_mentions() -> None:
    text = "Response C is best. Response A is next, then Response B; Response C is clearly ahead."
    parsed = parse(text)
    assert (parsed.tiers, parsed.status) == ((), ParseStatus.FAILED)
    assert parsed.reason is not None and "no ranking found" in parsed.reason


def test_empty_and_label_free_replies_fail() -> None:
    assert parse("") == ParsedRanking(
        (), ParseStatus.FAILED, ["empty reply"], "text", reason="empty reply"
    )
    assert parse("  \n ").status is ParseStatus.FAILED
    parsed = parse("I cannot rank these.")
    assert (parsed.ranking, parsed.status) == ([], ParseStatus.FAILED)
    assert parsed.reason == "the reviewer declined to rank"
    assert parse("FINAL RANKING:\n1. Response Q").status is ParseStatus.FAILED


def test_json_bare_and_fenced() -> None:
    body = json.dumps({"reasoning": "Response A rambles.", "ranking": CAB})
    expected = ok("json")
    assert parse(body) == expected
    assert parse(f"```json\n{body}\n```") == expected
    assert parse(f"Here is my review:\n```\n{body}\n```\nThanks.") == expected


def test_json_on_one_line_of_a_fence() -> None:
    text = f"```json {json.dumps({'ranking': CAB})}```"
    assert parse(text) == ok("json")


def test_json_ranking_written_as_a_string() -> None:
    parsed = parse(json.dumps({"reasoning": "", "ranking": "Response C, Response A, Response B"}))
    assert parsed == ok("json", ["JSON ranking is a string, not a list"])


def test_json_entries_are_normalised_and_checked() -> None:
    body = json.dumps({"reasoning": "", "ranking": ["response c", "A", "B"]})
    assert parse(body).ranking == CAB
    body = json.dumps({"reasoning": "", "ranking": ["response c", "A", "C", 3, "Response B"]})
    parsed = parse(body)
    assert (parsed.ranking, parsed.status) == ([], ParseStatus.FAILED)
    assert parsed.reason == "Response C is ranked twice"


def test_invalid_json_falls_back_to_the_text() -> None:
    truncated = '{"reasoning": "Response A rambles.", "ranking": ["Response C", "Response A", "Resp'
    parsed = parse(truncated)
    assert (parsed.ranking, parsed.status) == (["Response C", "Response A"], ParseStatus.PARTIAL)
    assert parsed.reason == "the JSON ranking is cut off"


def test_json_without_a_usable_ranking_parses_its_reasoning() -> None:
    reasoning = "Fine work.\n\nFINAL RANKING:\n1. Response C\n2. Response A\n3. Response B"
    parsed = parse(json.dumps({"reasoning": reasoning, "ranking": []}))
    assert parsed == ok(issues=["JSON ranking invalid; parsed its reasoning"])


def test_code_in_the_reasoning_is_not_mistaken_for_json() -> None:
    text = "Response A's code\n```python\nx = {1: 2}\n```\nFINAL RANKING:\n1. C\n2. A\n3. B"
    assert parse(text) == ok()


def test_windows_line_endings() -> None:
    text = "## Final Ranking\r\n1. Response C\r\n2. Response A\r\n3. Response B\r\n"
    assert parse(text) == ok()


# --- properties --------------------------------------------------------------------------------

FRAGMENTS = [
    "FINAL RANKING:", "final ranking", "## Final Ranking", "**", "Response ", "Response A",
    "response b", "C", "1. ", "2) ", "- ", "* ", "\n", "\r\n", "   ", "{", "}", "[", "]", '"',
    '"ranking": [', "```json\n", "```", ",", ">", "Response AB", "\t", "ſ", "\u212a", "12:30",
]  # fmt: skip


@given(st.text(), st.integers(min_value=1, max_value=26))
def test_parse_never_raises_on_arbitrary_text(text: str, n: int) -> None:
    check_invariants(parse_ranking(text, response_labels(n)), response_labels(n))


@given(
    st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=4), max_size=40).map("".join),
    st.integers(min_value=1, max_value=5),
)
def test_parse_never_raises_on_near_misses(text: str, n: int) -> None:
    check_invariants(parse_ranking(text, response_labels(n)), response_labels(n))


def check_invariants(parsed: ParsedRanking, labels: list[str]) -> None:
    assert set(parsed.ranking) <= set(labels)  # never invents a label
    assert len(set(parsed.ranking)) == len(parsed.ranking)  # each label at most once
    assert all(parsed.tiers)  # no empty tier
    assert (parsed.status is ParseStatus.FAILED) == (not parsed.ranking)
    assert (parsed.reason is None) == (parsed.status is ParseStatus.OK)
    if parsed.status is ParseStatus.OK:
        assert sorted(parsed.ranking) == sorted(labels)
        assert len(parsed.tiers) > 1 or len(labels) == 1  # all tied is no preference


HEADERS = [
    "FINAL RANKING:",
    "final ranking:",
    "**FINAL RANKING:**",
    "## Final Ranking",
    "Final ranking (best first):",
]
MARKERS = ["{i}.", "{i})", "**{i}.**", "-", "*", "•"]
LABEL_STYLES = ["{label}", "**{label}**", "{lower}", "{letter}", "**{letter}**"]
TAILS = ["", " - clearest", ": strong on facts", " (most thorough)", " — best sourced"]
SENTENCES = [
    "{label} is thorough but long.",
    "{label} misses the edge case.",
    "I compared {label} with the others.",
    "The response a reader wants is short.",
]


@st.composite
def reasoning(draw: st.DrawFn, labels: list[str]) -> str:
    """Prose that mentions labels in a random order, maybe with a discussion list and the header
    quoted from the instructions."""
    mentioned = draw(st.permutations(labels))
    lines = [draw(st.sampled_from(SENTENCES)).format(label=label) for label in mentioned]
    if draw(st.booleans()):
        lines += [f"{i}. {label}: notes" for i, label in enumerate(mentioned, start=1)]
    if draw(st.booleans()):
        lines.insert(0, 'I was asked to finish with "FINAL RANKING:" and a numbered list.')
    return "\n".join(lines)


@st.composite
def rendered_ranking(draw: st.DrawFn) -> tuple[str, list[str], list[str], Literal["json", "text"]]:
    """A complete ranking written in one of the supported formats: (text, labels, order, source)."""
    labels = response_labels(draw(st.integers(min_value=1, max_value=26)))
    order = draw(st.permutations(labels))
    prose = draw(reasoning(labels))
    if draw(st.booleans()):
        body = json.dumps(
            {"reasoning": prose, "ranking": order}, indent=draw(st.sampled_from([None, 2]))
        )
        fence = draw(st.sampled_from(["{}", "```json\n{}\n```", "Here you go:\n```\n{}\n```"]))
        return fence.format(body), labels, order, "json"
    marker = draw(st.sampled_from(MARKERS))
    style = draw(st.sampled_from(LABEL_STYLES))
    items = [
        marker.format(i=i)
        + " "
        + style.format(label=label, lower=label.lower(), letter=label[-1])
        + draw(st.sampled_from(TAILS))
        for i, label in enumerate(order, start=1)
    ]
    header = draw(st.sampled_from(HEADERS))
    closing = draw(st.sampled_from(["", "\n\nThat is my assessment.", "\n"]))
    text = f"{prose}\n\n{header}\n" + "\n".join(items) + closing
    return text, labels, order, "text"


@given(rendered_ranking())
def test_rendered_rankings_parse_back_exactly(
    case: tuple[str, list[str], list[str], Literal["json", "text"]],
) -> None:
    text, labels, order, source = case
    parsed = parse_ranking(text, labels)
    assert (parsed.ranking, parsed.status, parsed.source) == (order, ParseStatus.OK, source)


# --- the corpus ----------------------------------------------------------------------------------


def tiers_of(written: str) -> tuple[tuple[str, ...], ...]:
    if not written:
        return ()
    return tuple(
        tuple(f"Response {letter.strip()}" for letter in tier.split("="))
        for tier in written.split(">")
    )


@pytest.mark.parametrize(
    ("text", "n", "tiers", "status"),
    [pytest.param(text, n, tiers, status, id=name) for name, text, n, tiers, status in CASES],
)
def test_corpus(text: str, n: int, tiers: str, status: str) -> None:
    parsed = parse_ranking(text, response_labels(n))
    assert (parsed.tiers, str(parsed.status)) == (tiers_of(tiers), status), parsed.issues
    check_invariants(parsed, response_labels(n))


def test_the_corpus_is_large_and_varied() -> None:
    assert len(CASES) >= 70
    assert len({name for name, *_ in CASES}) == len(CASES)
    statuses = {status for *_, status in CASES}
    assert statuses == {"ok", "partial", "failed"}


def test_json_overruled_by_later_text_records_the_conflict() -> None:
    text = (
        '{"ranking": ["Response C", "Response A", "Response B"]}\n\n'
        "Correction:\n1. Response A\n2. Response C\n3. Response B"
    )
    parsed = parse(text)
    assert parsed.ranking == ["Response A", "Response C", "Response B"]
    assert parsed.source == "text"
    assert parsed.conflict == (
        "the JSON ranking (C > A > B) and the text ranking (A > C > B) disagree; "
        "used the text one, stated last"
    )


def test_a_draft_in_a_think_block_is_never_taken() -> None:
    text = "<think>FINAL RANKING:\n1. Response A\n2. Response B\n3. Response C</think>"
    parsed = parse(text)
    assert parsed.status is ParseStatus.FAILED
    assert parsed.reason == "the reply holds only reasoning, no ranking after it"


def test_ranking_property_flattens_tiers() -> None:
    parsed = parse("FINAL RANKING: A = C > B")
    assert parsed.tiers == (("Response A", "Response C"), ("Response B",))
    assert parsed.ranking == ["Response A", "Response C", "Response B"]


# Shapes that would make a careless pattern quadratic; one of each, 100 kB. The megabyte test
# below runs the shape that reaches the most code.
ADVERSARIAL = [
    "FINAL RANKING:\n" + "1. Response A " * 7_000,
    "Response A > " * 8_000,
    "| Response A | 1 |\n" * 5_000,
    "FINAL RANKING:\n" * 6_000,
    "{" * 20_000 + '"ranking": [' * 1_000,
    "<think>" + "x" * 100_000,
    " " * 100_000 + "x",
    "Response A: 7/10 " * 6_000,
    '"FINAL RANKING: ' * 6_000,
    "- Response A\n  " * 6_000,
    "Response A and " * 7_000 + "tied",
]


@pytest.mark.parametrize("text", ADVERSARIAL)
def test_adversarial_text_returns(text: str) -> None:
    check_invariants(parse_ranking(text, ABCD), ABCD)


def test_a_megabyte_of_adversarial_text_returns() -> None:
    # No timing is asserted (bench/ranking_parse.py measures speed); the call must come back.
    text = "\n".join(
        ["FINAL RANKING: Response A > ", "| Response A | 7/10 |", "- Response B: 2nd"] * 25_000
    )
    assert len(text) > 1_000_000
    check_invariants(parse_ranking(text, ABCD), ABCD)


@given(
    st.sampled_from([case for case in CASES if case[2] == 4 or case[2] == 3]),
    st.permutations("ABCD"),
)
def test_relabelling_the_reply_relabels_the_result(
    case: tuple[str, str, int, str, str], perm: list[str]
) -> None:
    name, text, n, _, _ = case
    letters = "ABCD"[:n]
    mapping = dict(zip(letters, [p for p in perm if p in letters], strict=True))
    renamed = re.sub(r"(?<=Response )([A-D])\b", lambda m: mapping[m.group(1)], text)
    labels = response_labels(n)
    before, after = parse_ranking(text, labels), parse_ranking(renamed, labels)
    other_spellings = re.search(r"ponse|uesta|ntwort|回答", text.replace("Response ", ""), re.I)
    bare_letters = re.search(r"(?<![A-Za-z])[A-D](?![A-Za-z])", text.replace("Response ", ""))
    if not other_spellings and not bare_letters:
        expected = tuple(
            tuple(sorted(f"Response {mapping[label[-1]]}" for label in tier))
            for tier in before.tiers
        )
        assert tuple(tuple(sorted(tier)) for tier in after.tiers) == expected, name
        assert after.status == before.status, name


# --- the blind corpus: written without looking at the parser ------------------------------------


def blind_verdict(case: BlindCase, parsed: ParsedRanking) -> Literal["right", "unsure", "misread"]:
    """right: what a careful reader takes; unsure: failed, or a top-k the truth agrees with;
    misread: anything else that would be counted."""
    accepted = {(case.status, blind_tiers(case.truth))}
    accepted |= {(status, blind_tiers(truth)) for status, truth in case.alts}
    if (str(parsed.status), parsed.tiers) in accepted:
        return "right"
    if parsed.status is ParseStatus.FAILED:
        return "unsure"
    if parsed.status is ParseStatus.PARTIAL and case.status != "failed":
        truth = blind_tiers(case.truth)
        place = {label: i for i, tier in enumerate(truth) for label in tier}
        labels = response_labels(case.n)
        rank = [place.get(label, len(truth)) for label in labels]  # unlisted in truth: below all
        said = {label: i for i, tier in enumerate(parsed.tiers) for label in tier}
        unlisted = len(parsed.tiers)
        agrees = all(
            (rank[i] < rank[j]) == (said[a] < said.get(b, unlisted))
            for i, a in enumerate(labels)
            for j, b in enumerate(labels)
            if a in said and i != j
        )
        if agrees:
            return "unsure"
    return "misread"


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in BLIND])
def test_blind_corpus_is_never_misread(case: BlindCase) -> None:
    labels = response_labels(case.n)
    parsed = parse_ranking(case.text, labels)
    check_invariants(parsed, labels)
    assert blind_verdict(case, parsed) != "misread", (parsed.tiers, parsed.status, parsed.issues)


def test_blind_corpus_is_mostly_read_right() -> None:
    verdicts = [blind_verdict(c, parse_ranking(c.text, response_labels(c.n))) for c in BLIND]
    assert len(BLIND) >= 60 and len({c.name for c in BLIND}) == len(BLIND)
    assert verdicts.count("right") >= 0.85 * len(BLIND)


def test_a_very_long_reply_is_read_from_its_tail() -> None:
    prose = "Response A is discussed at length; Response B less so.\n\n" * 3_000
    parsed = parse(prose + "FINAL RANKING:\n1. Response C\n2. Response A\n3. Response B")
    assert (parsed.ranking, parsed.status) == (CAB, ParseStatus.OK)
    assert "the reply is long: only its last 2,000 lines were read" in parsed.issues


# --- the shortcuts that keep parsing fast read exactly what the whole-text search reads ---------

SHORTCUT_FRAGMENTS = [
    *FRAGMENTS, "I can't rank", "cannot compare", "won't judge", "all four are tied", "equally",
    "no clear winner", "the same", "ſ", "İ", "\u212a", "✅", "Correction: ", "ps ", "P.S.",
    "  > ", "(edit) ", "Wait, ", "On second thought ", "{", ": {", ". {", "``` json {", " json\n{",
    "\n{", '{"a": 1}', "ORDER", "Rank", "#", "_", "x" * 150, " " * 290,
]  # fmt: skip
shortcut_text = st.lists(
    st.sampled_from(SHORTCUT_FRAGMENTS) | st.text(max_size=3), max_size=30
).map("".join)


@given(shortcut_text)
def test_line_gated_refusal_and_tie_checks_match_the_whole_text_search(text: str) -> None:
    assert search_lines(REFUSAL, text, REFUSAL_WORDS) == bool(REFUSAL.search(text))
    assert search_lines(ALL_TIED, text, ALL_TIED_WORDS) == bool(ALL_TIED.search(text))


@given(shortcut_text, st.integers(min_value=0, max_value=8))
def test_json_objects_are_found_where_the_start_pattern_finds_them(text: str, at: int) -> None:
    position = min(at, len(text))
    found = _OBJECT_START.search(text, position)
    expected = text.index("{", found.start()) if found else -1
    assert _object_start(text, position) == expected


@given(shortcut_text)
def test_corrections_are_the_lines_the_keyword_search_finds(text: str) -> None:
    lines = _lines(text)
    words = KeywordIndex(text, [start for start, _ in lines])
    expected = [
        lines[i] for i in words.lines_with(CORRECTION_WORDS) if CORRECTION.match(lines[i][1])
    ]
    assert _corrections(lines, words) == expected


@given(shortcut_text)
def test_header_hardness_per_line_matches_the_keyword_search(text: str) -> None:
    lines = _lines(text)
    words = KeywordIndex(text, [start for start, _ in lines])
    hard = set(
        KeywordIndex(text, [start for start, _ in lines]).lines_with(HARD_HEADER_WORDS, head=300)
    )
    for index in range(len(lines)):
        assert words.holds(index, HARD_HEADER_WORDS, head=300) == (index in hard)
