"""The package's public names are a promise: changing them is a decision, not an accident."""

import llmcouncil


def test_public_api_is_pinned() -> None:
    assert llmcouncil.__all__ == [
        "ChatMessage",
        "Completion",
        "CompletionRequest",
        "ConfigError",
        "CouncilError",
        "CouncilFailedError",
        "PresetSettings",
        "Provider",
        "ProviderError",
        "ProviderSettings",
        "Settings",
        "Usage",
        "load_settings",
    ]
    for name in llmcouncil.__all__:
        assert getattr(llmcouncil, name) is not None
