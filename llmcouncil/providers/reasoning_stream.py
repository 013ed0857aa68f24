"""``<think>`` blocks kept out of a stream's text deltas, as they arrive.

``split_reasoning`` decides what a finished reply's text and reasoning are; this is its streaming
counterpart, so a client watching tokens never sees reasoning as answer text. It holds back only
what could still turn out to be a tag (a ``<`` not yet closed by ``>``, a dozen characters at
most) and the inside of a block until it closes. Where the two could disagree, the finished
reply's split is the one stored; the stream only errs towards showing less:

- a block opened after visible text and never closed is answer text for ``split_reasoning``: its
  held text is released as text when the stream ends (``finish``);
- a reply that begins inside a block (``<think>`` was in the prompt template, so only the closing
  tag is sent) streams its reasoning as text until the closing tag; the stored reply is right.
"""

from __future__ import annotations

import re

_TAG = re.compile(r"<[ \t]*(/?)[ \t]*(think|thinking|reasoning)[ \t]*>", re.IGNORECASE)
_LONGEST_TAG = 16  # "</ reasoning >" and a little slack: a longer "<…" run is not a tag


class ThinkFilter:
    """Feed content deltas; get back (visible text, reasoning text) for each."""

    __slots__ = ("_held", "_inside", "_opening", "_block", "_seen_visible")

    def __init__(self) -> None:
        self._held = ""  # text not yet classified (a possible partial tag at the end)
        self._inside: str | None = None  # the open block's tag name
        self._opening = ""  # the open block's opening tag as written
        self._block: list[str] = []  # the open block's text so far (already given as reasoning)
        self._seen_visible = False

    def feed(self, text: str) -> tuple[str, str]:
        if self._inside is None and not self._held and "<" not in text:
            self._seen_visible = self._seen_visible or bool(text.strip())
            return text, ""  # the common case: plain text, nothing to look at
        data = self._held + text
        self._held = ""
        visible: list[str] = []
        thought: list[str] = []
        pos = 0
        while pos < len(data):
            if self._inside is None:
                tag = _TAG.search(data, pos)
                end = tag.start() if tag else len(data)
                safe = _safe_end(data, pos, end, tag is None)
                visible.append(data[pos:safe])
                if tag is None:
                    self._held = data[safe:]
                    break
                if not tag.group(1):  # an opening tag (a stray closing one is dropped)
                    self._inside = tag.group(2).lower()
                    self._opening = tag.group(0)
                    self._block = []
                    self._seen_visible = self._seen_visible or bool("".join(visible).strip())
                pos = tag.end()
            else:
                close = _closing(data, pos, self._inside)
                end = close.start() if close else len(data)
                safe = _safe_end(data, pos, end, close is None)
                piece = data[pos:safe]
                thought.append(piece)
                self._block.append(piece)
                if close is None:
                    self._held = data[safe:]
                    break
                self._inside = None
                pos = close.end()
        shown = "".join(visible)
        self._seen_visible = self._seen_visible or bool(shown.strip())
        return shown, "".join(thought)

    def finish(self) -> str:
        """Text still to show when the stream ends (a held partial tag, or an unclosed block that
        followed visible text, which ``split_reasoning`` keeps as text)."""
        rest, self._held = self._held, ""
        if self._inside is None:
            return rest
        if not self._seen_visible:
            return ""  # cut off while thinking: all of it was reasoning
        released = self._opening + "".join(self._block) + rest
        self._inside = None
        return released


def _closing(data: str, pos: int, name: str) -> re.Match[str] | None:
    for tag in _TAG.finditer(data, pos):
        if tag.group(1) and tag.group(2).lower() == name:
            return tag
    return None


def _safe_end(data: str, pos: int, end: int, at_end: bool) -> int:
    """Where text before ``end`` can be released: at ``end`` unless the data ran out while a
    ``<`` near its end could still begin a tag."""
    if not at_end:
        return end
    lt = data.rfind("<", pos, end)
    if lt == -1 or ">" in data[lt:end] or end - lt > _LONGEST_TAG:
        return end
    return lt
