"""Which models read images (configuration first, then the provider's model list), the messages
that carry an image to them and the note the others get, and whose fallbacks may take it."""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

from files import make_png
from test_context import book

from llmcouncil.documents import vision
from llmcouncil.documents.context import build_context
from llmcouncil.documents.repository import StoredDocument
from llmcouncil.documents.vision import (
    ModelHistories,
    catalogue_image_input,
    image_part,
    image_records,
    reads_images,
)
from llmcouncil.errors import ConfigError
from llmcouncil.providers.base import ChatMessage, ImagePart
from llmcouncil.providers.catalogue import ModelInfo


def photo(data: bytes) -> StoredDocument:
    return dataclasses.replace(
        book(),
        id="img",
        kind="image",
        media_type="image/png",
        filename="photo.png",
        title="photo",
        content_hash=hashlib.sha256(data).hexdigest(),
        sections=[],
        section_count=0,
        pages=None,
        data=data,
    )


def listing(ref: str) -> ModelInfo | None:
    if ref == "nowhere:x":
        raise ConfigError("no provider serves it")
    known = {
        "sim:eye": ModelInfo("eye", "Eye", input_modalities=("text", "image")),
        "sim:words": ModelInfo("words", "Words"),
    }
    return known.get(ref)


def test_configuration_first_then_the_model_list_and_nobody_unvouched_for() -> None:
    listed = catalogue_image_input(listing)
    assert (listed("sim:eye"), listed("sim:words"), listed("sim:other"), listed("nowhere:x")) == (
        True,
        False,
        None,
        None,
    )
    configured = ["words", "sim:other"]
    assert reads_images("sim:eye", configured=configured, listed=listed)
    assert reads_images("sim:words", configured=configured, listed=listed)  # by its model id
    assert reads_images("sim:other", configured=configured, listed=listed)
    assert not reads_images("sim:unknown", configured=configured, listed=listed)
    assert not reads_images("sim:eye", configured=[], listed=None)  # no list: text


def test_the_image_goes_in_content_parts_and_the_text_says_it_was_left_out() -> None:
    data = make_png(2, 2)
    context = build_context([book(), photo(data)], question="q", budget_chars=10**6)
    assert context is not None and context.image_messages is None  # nobody reads images
    text = context.messages[0]
    assert text.images == () and "photo.png" in text.content and "not shown to you" in text.content

    shown = build_context([book(), photo(data)], question="q", budget_chars=10**6, show_images=True)
    assert shown is not None and shown.image_messages is not None
    with_image = shown.image_messages[0]
    assert with_image.images == (ImagePart.of("image/png", data),)
    assert "not shown to you" not in with_image.content
    assert "The Harbour" in with_image.content  # the documents' text is the same
    assert shown.messages == context.messages  # the text-only history is unchanged


def test_an_image_alone_is_still_named_to_a_model_that_reads_no_images() -> None:
    context = build_context([photo(make_png())], question="q", budget_chars=10**6)
    assert context is not None
    assert context.messages[0].content.startswith("The user also attached 1 image (photo.png)")
    assert context.images == [("img", "photo.png")]


def test_only_readers_get_the_image_history_and_keep_only_fallbacks_that_read_images() -> None:
    text, seen = [ChatMessage("user", "text")], [ChatMessage("user", "seen")]
    takes = {"eye": (1000, True), "eye-2": (10, True), "words": (9000, False)}
    images = ModelHistories(own={"eye": seen}, needs={"eye": (0, True)}, takes=takes)
    assert images.for_model("eye", text) is seen
    assert images.for_model("words", text) is text
    assert images.fallbacks("eye", ["words", "eye-2"]) == ("eye-2",)
    assert images.fallbacks("words", ["words-2", "eye"]) == ("words-2", "eye")


def test_a_larger_share_of_the_documents_keeps_only_fallbacks_whose_window_takes_it() -> None:
    text, wide = [ChatMessage("user", "text")], [ChatMessage("user", "the whole book")]
    takes = {"wide": (50_000, False), "wide-2": (60_000, False), "narrow": (8_000, True)}
    shares = ModelHistories(own={"wide": wide}, needs={"wide": (50_000, False)}, takes=takes)
    assert shares.readers == frozenset({"wide"})
    assert shares.for_model("wide", text) is wide
    assert shares.fallbacks("wide", ["narrow", "wide-2", "unknown"]) == ("wide-2",)


def test_the_record_names_each_model_once() -> None:
    (record,) = image_records(
        [("img", "photo.png")], models=["eye", "words", "eye"], readers={"eye"}, blocked=False
    )
    assert (record.seen_by, record.left_out_for, record.reason) == (
        ["eye"],
        ["words"],
        "does not read images",
    )


def test_an_image_is_encoded_once_while_it_is_among_the_recent_ones(monkeypatch: Any) -> None:
    monkeypatch.setattr(vision, "CACHED_URL_CHARS", 200)
    monkeypatch.setattr(vision, "_PARTS", type(vision._PARTS)())
    first = image_part("image/png", b"a" * 60, content_hash="h1")
    assert image_part("image/png", b"ignored", content_hash="h1") is first
    image_part("image/png", b"b" * 60, content_hash="h2")
    image_part("image/png", b"c" * 60, content_hash="h3")  # over 200 characters: h1 goes
    assert image_part("image/png", b"d" * 60, content_hash="h1") is not first
