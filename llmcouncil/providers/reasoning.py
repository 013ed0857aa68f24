"""Keep a model's reasoning apart from what it says.

Reasoning models write their thinking into the reply itself: ``<think>…</think>`` (DeepSeek-R1,
Qwen, QwQ), ``<thinking>…</thinking>`` or ``<reasoning>…</reasoning>``. That text is stored with
the call and shown on request, but never parsed as a ranking nor sent to another model, so it is
split off here, once, for every reply.

What counts as reasoning:
- every ``<think>``, ``<thinking>`` or ``<reasoning>`` block, in any case, however many;
- an opening tag that is never closed, when nothing visible comes before it (a reply cut off
  while still thinking): everything after it is reasoning and the visible text is "";
- text before a closing tag that has no opening tag, when it is the first tag of the reply
  (some servers put ``<think>`` in the prompt template, so the reply starts inside the block).

The scan is a single pass: each tag is looked for once from where the previous one ended.
"""

from __future__ import annotations

import re

_NAMES = ("think", "thinking", "reasoning")
_TAG = re.compile(r"<[ \t]*(/?)[ \t]*(think|thinking|reasoning)[ \t]*>", re.IGNORECASE)
_CLOSE = {name: re.compile(rf"<[ \t]*/[ \t]*{name}[ \t]*>", re.IGNORECASE) for name in _NAMES}


def split_reasoning(text: str) -> tuple[str, str | None]:
    """``(visible text, reasoning or None)``. Text without reasoning tags comes back unchanged."""
    first = _TAG.search(text)
    if first is None:
        return text, None
    visible: list[str] = []
    thoughts: list[str] = []
    pos = 0
    if first.group(1):  # a closing tag before any opening one: the reply began inside a block
        thoughts.append(text[: first.start()])
        pos = first.end()
    while (opening := _TAG.search(text, pos)) is not None:
        if opening.group(1):  # a stray closing tag in visible text is dropped, nothing else
            visible.append(text[pos : opening.start()])
            pos = opening.end()
            continue
        before = text[pos : opening.start()]
        close = _CLOSE[opening.group(2).lower()].search(text, opening.end())
        if close is None:
            if "".join(visible).strip() or before.strip():
                # Visible text came first: the tag is part of what the model says (or a block
                # cut off after the answer); keep it visible rather than lose the answer.
                visible.append(text[pos:])
            else:
                thoughts.append(text[opening.end() :])
            pos = len(text)
            break
        visible.append(before)
        thoughts.append(text[opening.end() : close.start()])
        pos = close.end()
    visible.append(text[pos:])
    reasoning = "\n\n".join(part.strip() for part in thoughts if part.strip())
    return "".join(visible).strip(), reasoning or None
