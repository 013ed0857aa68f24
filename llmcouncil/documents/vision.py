"""Which models read images, and what a run records of who saw which image.

A model reads images when configuration says so (``documents.vision``: for upstreams whose
model list says nothing, or says it wrongly), else when the provider's model list names
``image`` among its ``input_modalities`` (``providers/catalogue.py``). Anything else is sent
text only, with a note in the documents' message that an image was left out.

Images are never scanned for personal data (their bytes hold no text this server can read), so
under a preset whose ``pii_policy`` is ``block`` they are sent to nobody (docs/PRIVACY.md).
The models that may receive them are the run's own: its members, chairman and their
fallbacks, every one of which the role policy admitted before the run began.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from llmcouncil.errors import ConfigError
from llmcouncil.providers.base import ChatMessage, ImagePart
from llmcouncil.providers.catalogue import ModelInfo

# Model reference → True when it reads images, False when it does not, None: not known.
ImageInput = Callable[[str], bool | None]

NOT_READ = "does not read images"
PRIVACY_BLOCK = "the preset's pii_policy is block, and an image cannot be checked for personal data"


# Encoded images kept for the next run (a follow-up sends the same image again): base64 of a
# 5 MB image costs tens of milliseconds of the event loop. Bounded by their URLs' length.
CACHED_URL_CHARS = 32 * 1024 * 1024
_PARTS: OrderedDict[str, ImagePart] = OrderedDict()


def image_part(media_type: str, data: bytes, *, content_hash: str) -> ImagePart:
    """The image as a content part, encoded once while it stays among the recent ones."""
    key = f"{content_hash}:{media_type}"
    part = _PARTS.get(key)
    if part is not None:
        _PARTS.move_to_end(key)
        return part
    part = ImagePart.of(media_type, data)
    _PARTS[key] = part
    while sum(len(p.url) for p in _PARTS.values()) > CACHED_URL_CHARS and len(_PARTS) > 1:
        _PARTS.popitem(last=False)
    return part


def catalogue_image_input(model_info: Callable[[str], ModelInfo | None]) -> ImageInput:
    """A model reference → whether its provider's model list says it takes images."""

    def reads(ref: str) -> bool | None:
        try:
            info = model_info(ref)
        except ConfigError:  # a reference no provider serves: nothing known
            return None
        return None if info is None else "image" in info.input_modalities

    return reads


def reads_images(ref: str, *, configured: Collection[str], listed: ImageInput | None) -> bool:
    """Configuration first (the reference, or its model id without the provider), then the
    provider's model list; a model nobody vouches for is sent text."""
    if ref in configured or (":" in ref and ref.split(":", 1)[1] in configured):
        return True
    return bool(listed(ref)) if listed is not None else False


# What a model can be sent: its share of the documents (characters) and whether it reads images.
Takes = tuple[int, bool]


@dataclass(frozen=True, slots=True)
class ModelHistories:
    """The histories some of a run's models are sent instead of its text history (whose
    documents fit the smallest window among the members and chairman, with images left out):

    * a model that reads images gets the documents' message with the images as content parts;
    * a model whose window (with its fallbacks') takes more of a document that does not fit
      the smallest window gets its larger share (``documents/context.py``, per budget).

    ``own``: model → its history; ``needs``: model → what its history asks of whoever takes
    it (characters, images); ``takes``: every model the run may call → what it can take.
    Reviews always get the text history: a reviewer judges the answers, which are text."""

    own: Mapping[str, list[ChatMessage]]
    needs: Mapping[str, Takes]
    takes: Mapping[str, Takes]

    @property
    def readers(self) -> frozenset[str]:
        """The models sent a history of their own."""
        return frozenset(self.own)

    def for_model(self, model: str, text: list[ChatMessage]) -> list[ChatMessage]:
        return self.own.get(model, text)

    def fallbacks(self, model: str, chain: Sequence[str]) -> tuple[str, ...]:
        """The fallbacks that can take ``model``'s history: its request carries it."""
        need = self.needs.get(model)
        if need is None:
            return tuple(chain)
        chars, images = need
        return tuple(
            m
            for m in chain
            if (can := self.takes.get(m)) is not None and can[0] >= chars and (can[1] or not images)
        )


@dataclass(frozen=True, slots=True)
class ImageRecord:
    """Who saw one image, for the run's record and the API."""

    document_id: str
    filename: str
    seen_by: list[str]
    left_out_for: list[str]
    reason: str | None  # why it was left out, when it was

    def as_dict(self) -> dict[str, Any]:
        return {
            "document_id": self.document_id,
            "filename": self.filename,
            "seen_by": self.seen_by,
            "left_out_for": self.left_out_for,
            "reason": self.reason,
        }


def image_records(
    images: Sequence[tuple[str, str]],
    *,
    models: Sequence[str],
    readers: Collection[str],
    blocked: bool,
) -> list[ImageRecord]:
    """``images``: (document id, file name) each; ``models``: the run's members and chairman."""
    models = list(dict.fromkeys(models))  # a chairman that is also a member, once
    seen = [m for m in models if m in readers]
    left = [m for m in models if m not in readers]
    reason = PRIVACY_BLOCK if blocked else (NOT_READ if left else None)
    return [
        ImageRecord(
            document_id=document_id,
            filename=filename,
            seen_by=list(seen),
            left_out_for=list(left),
            reason=reason,
        )
        for document_id, filename in images
    ]
