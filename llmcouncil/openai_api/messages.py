"""From an OpenAI request to a council: which preset, which question, which history.

- ``model``: ``council`` is the default preset, ``council/<preset>`` a named one.
- ``messages``: the last message is the question and must come from the user. Earlier user and
  assistant messages become the conversation's history, paired in order: consecutive messages of
  one role are joined (a blank line between), and assistant text before any user message is
  dropped (it answers nothing). History beyond ``limits.max_history_chars`` is sent to the models
  oldest-first-dropped, as in any conversation.
- ``system`` and ``developer`` messages, wherever they stand, are joined into one system prompt
  that the members (stage 1) and the Chairman (stage 3) receive after the preset's own; the
  reviewers (stage 2) do not, so they judge the answers by the preset's rules alone.
- Size: each message up to ``limits.max_content_chars``, all of them together up to
  ``limits.max_request_chars`` (about the largest context window); past either, 413.
- Content is text: a string or ``text`` parts. A user message may also carry ``file`` parts
  and ``image_url`` parts with inline data (``attachments.py``): they become documents and
  images of the conversation the request opens, which every member is shown. Audio, tool calls
  and tool results are refused with a 400, since no stage could pass them on faithfully.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from llmcouncil.config import Settings
from llmcouncil.documents.inline import InlineFile
from llmcouncil.errors import ContentTooLargeError, NotFoundError, ValidationFailedError
from llmcouncil.openai_api.attachments import file_part, image_part
from llmcouncil.openai_api.schemas import MODEL_PREFIX, ChatCompletionRequest, ChatMessageIn


@dataclass(frozen=True, slots=True)
class Consultation:
    preset: str
    question: str
    history: list[tuple[str, str]] = field(default_factory=list)
    system_prompt: str | None = None
    attachments: list[InlineFile] = field(default_factory=list)


def preset_for(settings: Settings, model: str) -> str:
    """The preset a model name stands for; ``NotFoundError`` (404) for any other name."""
    name = settings.default_preset if model == MODEL_PREFIX else None
    prefix = f"{MODEL_PREFIX}/"
    if model.startswith(prefix):
        name = model[len(prefix) :]
    if name is None or name not in settings.presets:
        known = ", ".join([MODEL_PREFIX, *(f"{prefix}{p}" for p in sorted(settings.presets))])
        raise NotFoundError(f"the model {model!r} does not exist; available: {known}")
    return name


_ATTACHABLE = ("file", "image_url")


def _text(message: ChatMessageIn, index: int) -> str:
    """The message's text; its ``file`` and ``image_url`` parts are read by ``_attachments``."""
    if message.tool_calls:
        raise ValidationFailedError(f"messages[{index}]: tool calls are not supported")
    content = message.content
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    texts: list[str] = []
    for number, part in enumerate(content):
        if part.type in _ATTACHABLE and message.role == "user":
            continue
        if part.type != "text" or part.text is None:
            where = "user messages only" if part.type in _ATTACHABLE else "not supported"
            raise ValidationFailedError(
                f"messages[{index}].content[{number}]: content of type {part.type!r}: {where}; "
                "the council reads text, and files and images a user attaches"
            )
        texts.append(part.text)
    return "\n".join(texts)


def _attachments(settings: Settings, request: ChatCompletionRequest) -> list[InlineFile]:
    """Every file and image of the request's user messages, decoded, in order."""
    found: list[InlineFile] = []
    limits = settings.documents
    for index, message in enumerate(request.messages):
        if message.role != "user" or isinstance(message.content, str) or not message.content:
            continue
        for number, part in enumerate(message.content):
            where = f"messages[{index}].content[{number}]"
            extra = part.model_extra or {}
            if part.type == "file":
                found.append(
                    file_part(extra.get("file"), where=where, max_bytes=limits.max_file_bytes)
                )
            elif part.type == "image_url":
                found.append(
                    image_part(
                        extra.get("image_url"),
                        where=where,
                        max_bytes=limits.max_image_bytes,
                        number=sum(1 for a in found if a.filename.startswith("image-")) + 1,
                    )
                )
    if len(found) > limits.max_documents:
        raise ValidationFailedError(
            f"messages: {len(found)} files and images; a conversation holds at most "
            f"{limits.max_documents} (documents.max_documents)"
        )
    return found


def _check_request(request: ChatCompletionRequest) -> None:
    if request.n is not None and request.n > 1:
        raise ValidationFailedError("n: a council gives one answer; n must be 1")
    if request.tools or request.functions:
        raise ValidationFailedError("tools: the council cannot call tools")


_REFUSED_ROLES = ("tool", "function")


def _check_total(settings: Settings, texts: list[str]) -> None:
    """All messages together within ``limits.max_request_chars``: checked before any one is
    looked at further, so an oversized history costs no scan (``ContentTooLargeError``, 413)."""
    total, limit = sum(map(len, texts)), settings.limits.max_request_chars
    if total > limit:
        raise ContentTooLargeError(
            f"messages have {total} characters together; the limit is {limit} "
            "(limits.max_request_chars)"
        )


def consultation(settings: Settings, request: ChatCompletionRequest) -> Consultation:
    _check_request(request)
    preset = preset_for(settings, request.model)
    system: list[str] = []
    turns: list[tuple[str, str]] = []  # (role, text), consecutive roles merged
    texts = [_text(m, i) for i, m in enumerate(request.messages) if m.role not in _REFUSED_ROLES]
    _check_total(settings, texts)
    for index, message in enumerate(request.messages):
        if message.role in _REFUSED_ROLES:
            raise ValidationFailedError(
                f"messages[{index}]: {message.role} messages are not supported"
            )
        text = _text(message, index)
        if len(text) > settings.limits.max_content_chars:
            raise ContentTooLargeError(
                f"messages[{index}] has {len(text)} characters; "
                f"the limit is {settings.limits.max_content_chars}"
            )
        if message.role in ("system", "developer"):
            if text.strip():
                system.append(text.strip())
            continue
        if turns and turns[-1][0] == message.role:
            turns[-1] = (message.role, f"{turns[-1][1]}\n\n{text}")
        else:
            turns.append((message.role, text))
    if not turns or turns[-1][0] != "user":
        raise ValidationFailedError("messages: the last message must come from the user")
    while turns and turns[0][0] == "assistant":
        turns.pop(0)
    question = turns.pop()[1]
    history = [(turns[i][1], turns[i + 1][1]) for i in range(0, len(turns) - 1, 2)]
    return Consultation(
        preset=preset,
        question=question,
        history=history,
        system_prompt="\n\n".join(system) or None,
        attachments=_attachments(settings, request),
    )
