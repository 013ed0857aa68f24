"""split_reasoning: what a reasoning model thought is kept apart from what it says."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmcouncil.providers.reasoning import split_reasoning


def test_text_without_tags_comes_back_unchanged() -> None:
    text = "  FINAL RANKING:\n1. Response A\n"
    assert split_reasoning(text) == (text, None)


def test_a_think_block_before_the_answer_is_split_off() -> None:
    text = "<think>\nA is best... no, C.\n</think>\n\nFINAL RANKING:\n1. Response C"
    assert split_reasoning(text) == ("FINAL RANKING:\n1. Response C", "A is best... no, C.")


@pytest.mark.parametrize(
    "text",
    [
        "<THINK>draft</THINK>answer",
        "<Thinking>draft</Thinking>answer",
        "<reasoning>draft</reasoning>answer",
        "< think >draft</ think >answer",
    ],
)
def test_every_tag_name_in_any_case(text: str) -> None:
    assert split_reasoning(text) == ("answer", "draft")


def test_several_blocks_are_all_reasoning() -> None:
    text = "<think>one</think>Visible 1. <thinking>two</thinking>Visible 2."
    assert split_reasoning(text) == ("Visible 1. Visible 2.", "one\n\ntwo")


def test_an_unclosed_block_that_opens_the_reply_is_all_reasoning() -> None:
    assert split_reasoning("  <think>still thinking, then cut off") == (
        "",
        "still thinking, then cut off",
    )
    assert split_reasoning("<think>a</think>\n<think>b, cut off") == ("", "a\n\nb, cut off")


def test_an_unclosed_tag_after_visible_text_stays_visible() -> None:
    text = "Models such as R1 wrap their thoughts in a <think> tag."
    assert split_reasoning(text) == (text, None)


def test_a_close_tag_first_means_the_reply_began_inside_the_block() -> None:
    assert split_reasoning("weighing B against C\n</think>\n\nC is best") == (
        "C is best",
        "weighing B against C",
    )


def test_a_block_must_close_with_its_own_name() -> None:
    # </think> does not close <reasoning>; the block runs on and, opening the reply, is reasoning.
    assert split_reasoning("<reasoning>x</think>y") == ("", "x</think>y")


def test_empty_blocks_are_no_reasoning() -> None:
    assert split_reasoning("<think>\n\n</think>\n\nThe answer.") == ("The answer.", None)


def test_long_adversarial_input_returns() -> None:
    # Many unclosed tags after visible text, and many tags of each kind: one pass each.
    for text in (
        "x" + "<think>" * 200_000,
        "<think>" + "</thinking>" * 100_000,
        "a" + "< think" * 150_000,
        "<reasoning></reasoning>" * 50_000,
    ):
        visible, reasoning = split_reasoning(text)
        assert len(visible) <= len(text)
        assert reasoning is None or len(reasoning) <= len(text)


_pieces = st.lists(
    st.sampled_from(
        [
            "<think>",
            "</think>",
            "<Thinking>",
            "</thinking>",
            "<reasoning>",
            "</REASONING>",
            "x",
            " ",
        ]
    )
    | st.text(max_size=5),
    max_size=30,
)


@given(_pieces)
def test_never_raises_and_never_invents_text(pieces: list[str]) -> None:
    text = "".join(pieces)
    visible, reasoning = split_reasoning(text)
    assert reasoning is None or reasoning.strip() == reasoning != ""
    # Every character kept comes from the text, in order: nothing is added.
    assert len(visible) + len(reasoning or "") <= len(text)
    rest = iter(text)
    assert all(char in rest for char in visible)


@given(st.text(alphabet=st.characters(blacklist_characters="<"), max_size=200))
def test_text_without_a_tag_is_untouched(text: str) -> None:
    assert split_reasoning(text) == (text, None)
