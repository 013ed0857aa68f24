"""How many characters of documents a model is sent, from its context window in the catalogue.

The providers' model lists state windows in tokens. English runs about 3.5 characters a token
(less for code and most other languages, hence the share kept back); the rest of a window holds
the instructions, the question, the history and the answer. A model the catalogue does not list
falls back to ``documents.model_context_chars``, then ``documents.context_chars``.
"""

from __future__ import annotations

from collections.abc import Callable

from llmcouncil.errors import ConfigError
from llmcouncil.providers.catalogue import ModelInfo

CHARS_PER_TOKEN = 3.5
DOCUMENT_SHARE = 0.8  # of the window, in characters; the rest and MARGIN_CHARS go to the rest
MARGIN_CHARS = 12_000  # prompts, question and answer
MIN_CHARS = 4_000  # a tiny window still gets a table of contents and a section or two


def document_chars(context_tokens: int) -> int:
    """Characters of documents for a window of ``context_tokens`` tokens."""
    chars = int(context_tokens * CHARS_PER_TOKEN * DOCUMENT_SHARE) - MARGIN_CHARS
    return max(chars, MIN_CHARS)


def catalogue_windows(model_info: Callable[[str], ModelInfo | None]) -> Callable[[str], int | None]:
    """A model reference → characters of documents, where the catalogue states its window."""

    def window(ref: str) -> int | None:
        try:
            info = model_info(ref)
        except ConfigError:  # a reference no provider serves: nothing known
            return None
        if info is None or not info.context_length:
            return None
        return document_chars(info.context_length)

    return window
