"""``GET /v1/models``: every preset is a model an OpenAI client can pick."""

from __future__ import annotations

from typing import Any

from openai import AsyncOpenAI

from llmcouncil.presets.settings import PresetSettings


async def test_the_models_are_the_presets(make_settings: Any, start_server: Any) -> None:
    settings = make_settings()
    settings.presets["quick"] = PresetSettings(
        members=["openai/gpt-5.1", "x-ai/grok-4"], chairman="x-ai/grok-4", description="Two"
    )
    live = await start_server(settings)
    async with AsyncOpenAI(base_url=f"{live.base_url}/v1", api_key="x", max_retries=0) as api:
        models = [m async for m in api.models.list()]
        quick = await api.models.retrieve("council/quick")
        chosen = await api.chat.completions.create(
            model="council/quick", messages=[{"role": "user", "content": "Hi"}]
        )
    assert [m.id for m in models] == ["council", "council/default", "council/quick"]
    assert all(m.owned_by == "llm-council" and m.object == "model" for m in models)
    extra = quick.model_extra or {}
    assert extra["council"]["members"] == ["openai/gpt-5.1", "x-ai/grok-4"]
    assert extra["council"]["description"] == "Two"
    council = chosen.model_extra["council"] if chosen.model_extra else {}
    assert [a["model"] for a in council["stage1"]] == ["openai/gpt-5.1", "x-ai/grok-4"]
    assert chosen.model == "council/quick"
