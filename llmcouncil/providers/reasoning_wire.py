"""A reasoning model's effort and budgets, in each upstream's own request format.

- OpenRouter: ``"reasoning": {"effort": "high"}`` or ``{"max_tokens": 8000}`` (one of the two;
  a token budget is the more precise, so it wins when both are set), and ``max_tokens`` for the
  whole reply.
- OpenAI: ``"reasoning_effort": "high"`` (no thinking budget on the wire), and
  ``max_completion_tokens`` in place of ``max_tokens``, which its reasoning models refuse.
- ``none`` (e.g. Ollama): nothing is sent; the reply budget stays ``max_tokens``.

The format comes from ``ProviderSettings.reasoning_format``, else from the base URL.
"""

from __future__ import annotations

from typing import Any, Literal

from llmcouncil.providers.base import CompletionRequest

WireFormat = Literal["openrouter", "openai", "none"]


def guess_format(base_url: str) -> WireFormat:
    """The format an upstream most likely speaks, from its address."""
    url = base_url.lower()
    if "openrouter.ai" in url:
        return "openrouter"
    if ":11434" in url or "ollama" in url:
        return "none"
    return "openai"  # api.openai.com, and the gateways that copy its parameters


def add_reasoning(payload: dict[str, Any], request: CompletionRequest, fmt: WireFormat) -> None:
    """Add ``request``'s reasoning and output budget to ``payload`` in format ``fmt``."""
    reasoning = request.reasoning
    if reasoning is None or fmt == "none":
        return
    if fmt == "openrouter":
        if reasoning.max_tokens is not None:
            payload["reasoning"] = {"max_tokens": reasoning.max_tokens}
        elif reasoning.effort is not None:
            payload["reasoning"] = {"effort": reasoning.effort}
        return
    if reasoning.effort is not None:
        payload["reasoning_effort"] = reasoning.effort
    if "max_tokens" in payload:
        payload["max_completion_tokens"] = payload.pop("max_tokens")
