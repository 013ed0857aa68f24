"""Logs: one JSON object per line for machines, readable lines in a terminal.

The package logs through the standard library everywhere; ``configure_logging`` puts one
structlog ``ProcessorFormatter`` on the root handler, so uvicorn, SQLAlchemy and the MCP SDK come
out in the same shape as our own lines. ``request_id`` and ``run_id`` live in context variables:
the request middleware binds the first, and ``bind_run`` binds the second in a run task's own
context (the run service calls it through ``RunLogContext``), so every line a run logs names both,
even after the request that started it is gone.

What never reaches a log line: API keys (exact configured values, ``sk-…`` tokens and bearer
credentials are masked in every field) and prompt text (nothing in the package logs it; the
access log leaves out query strings, which can carry search text).
"""

from __future__ import annotations

import contextvars
import logging
import re
import sys
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal, TextIO

import structlog
from structlog.contextvars import bind_contextvars, reset_contextvars
from structlog.typing import EventDict, Processor, WrappedLogger

if TYPE_CHECKING:
    from llmcouncil.config import Settings
    from llmcouncil.council.events import RunChannel
    from llmcouncil.council.pipeline import RunContext

LogFormat = Literal["auto", "json", "console"]

_HANDLER_NAME = "llmcouncil"
# Keys are masked wherever they appear; a value must be at least this long to be registered,
# so a short or placeholder value cannot blank out ordinary words.
_MIN_SECRET = 8
_TOKEN_PATTERNS = [
    (re.compile(r"\b(sk|pk|rk)-[A-Za-z0-9_\-]{8,}"), r"\1-***"),
    (re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/\-]+=*"), r"\1 ***"),
]
_secrets: set[str] = set()
# Loggers that say at INFO what no one running the server needs: Presidio names each of its two
# dozen recognizers as it loads them, and the simulator's own "listening" line repeats the address
# the runtime already announces beside the demo warning.
QUIET_BELOW_WARNING = ("presidio-analyzer", "presidio-anonymizer", "llmcouncil.sim.server")


def register_secrets(values: Iterable[str | None]) -> None:
    """Exact values (provider keys read from the environment) to mask in every log line."""
    _secrets.update(v for v in values if v and len(v) >= _MIN_SECRET)


def mask_secrets(text: str) -> str:
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, "***")
    for pattern, replacement in _TOKEN_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _mask(_logger: WrappedLogger, _name: str, event: EventDict) -> EventDict:
    for key, value in event.items():
        if isinstance(value, str):
            event[key] = mask_secrets(value)
    return event


_FIRST = ("timestamp", "level", "logger", "message", "request_id", "run_id")


def _json_shape(_logger: WrappedLogger, _name: str, event: EventDict) -> EventDict:
    """Every JSON line names its request and run (null outside of one), in a stable order."""
    event["message"] = event.pop("event", "")
    event.setdefault("request_id", None)
    event.setdefault("run_id", None)
    return {**{key: event.pop(key, None) for key in _FIRST}, **event}


def _drop_terminal_markup(_logger: WrappedLogger, _name: str, event: EventDict) -> EventDict:
    event.pop("color_message", None)  # uvicorn's copy of the message with ANSI colour codes
    return event


def _trace_ids(_logger: WrappedLogger, _name: str, event: EventDict) -> EventDict:
    """Lines logged inside a recording span carry its ids, to jump from a log line to its trace."""
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event["trace_id"] = format(context.trace_id, "032x")
        event["span_id"] = format(context.span_id, "016x")
    return event


def _chain() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        _drop_terminal_markup,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
        _trace_ids,
    ]


def formatter(fmt: Literal["json", "console"], *, colors: bool = False) -> logging.Formatter:
    tail: list[Processor]
    if fmt == "json":
        renderer = structlog.processors.JSONRenderer(ensure_ascii=False)
        tail = [structlog.processors.format_exc_info, _mask, _json_shape, renderer]
    else:
        tail = [_mask, structlog.dev.ConsoleRenderer(colors=colors, sort_keys=False)]
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_chain(),
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *tail],
    )


def configure_logging(
    level: str = "INFO", *, fmt: LogFormat = "auto", stream: TextIO | None = None
) -> logging.Handler:
    """Route every logger to one handler on stderr (or ``stream``); safe to call again."""
    out = stream or sys.stderr
    chosen: Literal["json", "console"]
    if fmt == "auto":
        chosen = "console" if out.isatty() else "json"
    else:
        chosen = fmt
    handler = logging.StreamHandler(out)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(formatter(chosen, colors=out.isatty()))
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    quiet = max(logging.WARNING, root.level)
    for name in QUIET_BELOW_WARNING:
        logging.getLogger(name).setLevel(quiet)
    return handler


def setup_logging(settings: Settings, *, stream: TextIO | None = None) -> logging.Handler:
    """The server's and the CLI's logging: level and format from the settings, keys masked."""
    register_secrets(provider.api_key() for provider in settings.providers.values())
    return configure_logging(
        settings.log_level, fmt=settings.observability.log_format, stream=stream
    )


def bind_request(request_id: str) -> Mapping[str, contextvars.Token[Any]]:
    """Bind the request id for the current context; pass the result to ``unbind``."""
    return bind_contextvars(request_id=request_id)


def bind_run(run_id: str, conversation_id: str) -> None:
    """Bind a run's ids; call it inside the run task's own ``contextvars.Context``."""
    bind_contextvars(run_id=run_id, conversation_id=conversation_id)


def unbind(tokens: Mapping[str, contextvars.Token[Any]]) -> None:
    reset_contextvars(**tokens)


class RunLogContext:
    """A run observer: every line the run's task logs names the run and its conversation."""

    def run_started(
        self, ctx: RunContext, channel: RunChannel, context: contextvars.Context
    ) -> None:
        del channel
        context.run(bind_run, ctx.run_id, ctx.conversation_id)
