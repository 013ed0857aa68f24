"""Configuration layers, model references, demo mode and the all-problems-at-once check."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmcouncil.config import check_settings, is_demo, load_settings, resolve_model
from llmcouncil.errors import ConfigError
from llmcouncil.presets.settings import DEFAULT_CHAIRMAN, DEFAULT_MEMBERS


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("OPENROUTER_API_KEY", "OPENAI_API_KEY", "OPENROUTER_BASE_URL", "COUNCIL_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no council.toml or .env from the developer's checkout


def test_defaults_are_four_frontier_models_from_four_labs_and_a_chairman_among_them() -> None:
    settings = load_settings()
    preset = settings.preset(None)
    assert (
        preset.members
        == DEFAULT_MEMBERS
        == [
            "openai/gpt-5.4",
            "google/gemini-3.1-pro-preview",
            "anthropic/claude-sonnet-4.6",
            "x-ai/grok-4.20",
        ]
    )
    assert preset.chairman == DEFAULT_CHAIRMAN == "google/gemini-3.1-pro-preview"
    assert settings.providers["openrouter"].api_key_env == "OPENROUTER_API_KEY"
    assert settings.database_url.startswith("sqlite") and settings.port == 8001
    assert is_demo(settings)  # no key anywhere
    assert check_settings(settings) == []


def test_precedence_toml_dotenv_env_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "council.toml").write_text(
        'port = 9001\nlog_level = "DEBUG"\non_disconnect = "continue"\n'
        "[timeouts]\ntotal = 11\nfirst_token = 3\n"
    )
    (tmp_path / ".env").write_text("COUNCIL_PORT=9002\nCOUNCIL_TIMEOUTS__TOTAL=12\n")
    settings = load_settings()
    assert settings.port == 9002 and settings.timeouts.total == 12
    assert settings.timeouts.first_token == 3 and settings.log_level == "DEBUG"
    monkeypatch.setenv("COUNCIL_PORT", "9003")
    assert load_settings().port == 9003
    assert load_settings(port=9004).port == 9004
    assert load_settings(port=None).port == 9003  # an absent flag does not override


def test_openrouter_key_and_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-x")
    monkeypatch.setenv("OPENROUTER_BASE_URL", "http://127.0.0.1:1234/v1")
    settings = load_settings()
    assert not is_demo(settings)
    assert settings.providers["openrouter"].base_url == "http://127.0.0.1:1234/v1"
    assert settings.providers["openrouter"].api_key() == "sk-or-x"


def test_model_references() -> None:
    settings = load_settings()
    assert resolve_model(settings, "openai/gpt-5.1").provider == "openrouter"
    ollama = resolve_model(settings, "ollama:llama3.1:8b")
    assert (ollama.provider, ollama.model) == ("ollama", "llama3.1:8b")
    free = resolve_model(settings, "meta-llama/llama-3.1-8b-instruct:free")
    assert (free.provider, free.model) == ("openrouter", "meta-llama/llama-3.1-8b-instruct:free")


def test_check_lists_every_problem_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-x")
    members = ", ".join(f'"m{i}"' for i in range(27))
    (tmp_path / "council.toml").write_text(
        'default_preset = "missing"\n'
        '[providers.local]\nbase_url = "ftp://nope"\n'
        '[providers.paid]\nbase_url = "https://paid.example/v1"\napi_key_env = "PAID_KEY"\n'
        f'[presets.big]\nmembers = [{members}]\nchairman = "paid:boss"\n'
        '[presets.odd]\nmembers = ["nowhere:model", "a", "a"]\nchairman = "a"\n'
        'fallbacks = {stranger = ["b"]}\n'
    )
    problems = check_settings(load_settings())
    text = "\n".join(problems)
    assert "default_preset 'missing'" in text
    assert "provider 'local': base_url" in text
    assert "27 members, at most 26" in text
    assert "chairman 'paid:boss' is not reachable" in text and "$PAID_KEY" in text
    assert "a member is listed twice" in text
    assert "fallbacks name 'stranger'" in text
    assert len(problems) >= 6


def test_invalid_values_and_files_are_config_errors(tmp_path: Path) -> None:
    (tmp_path / "council.toml").write_text("port = 'eighty'\n[timeouts]\ntotal = -1\n")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert len(caught.value.problems) == 2
    (tmp_path / "council.toml").write_text("this is not toml =")
    with pytest.raises(ConfigError):
        load_settings()
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(config_file=tmp_path / "absent.toml")


def test_the_example_config_is_valid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    example = Path(__file__).resolve().parent.parent / "council.example.toml"
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-x")
    settings = load_settings(config_file=example)
    assert check_settings(settings) == []
    assert settings.preset("default").chairman_fallbacks == ["anthropic/claude-sonnet-4.6"]
