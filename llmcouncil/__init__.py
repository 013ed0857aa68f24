"""LLM Council: several language models answer, review each other anonymously, and a chairman
writes the final answer.

The public Python API is small: settings, the error tree, the provider contract, and the
simulated upstream. Everything else is reached through the HTTP API or the ``council`` command.
"""

from llmcouncil.config import ProviderSettings, Settings, load_settings
from llmcouncil.errors import (
    ConfigError,
    CouncilError,
    CouncilFailedError,
    ProviderError,
)
from llmcouncil.presets.settings import PresetSettings
from llmcouncil.providers.base import ChatMessage, Completion, CompletionRequest, Provider, Usage

__all__ = [
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
