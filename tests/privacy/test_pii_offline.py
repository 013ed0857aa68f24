"""Detection works with no network: Presidio's e-mail check would fetch the public suffix list.

The fault injected: every way to open a connection or resolve a name raises.
"""

from __future__ import annotations

import socket
from typing import Any, NoReturn

import pytest
import tldextract

from llmcouncil.privacy.detector import PiiDetector


def _no_network(*_args: Any, **_kwargs: Any) -> NoReturn:
    raise AssertionError("the privacy layer tried to use the network")


def test_detector_builds_and_finds_emails_without_any_network(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", _no_network)
    monkeypatch.setattr(socket, "create_connection", _no_network)
    monkeypatch.setattr(socket.socket, "connect", _no_network)
    monkeypatch.setattr(socket.socket, "connect_ex", _no_network)
    # Presidio's own e-mail recognizer calls this one, which fetches and caches the list.
    monkeypatch.setattr(tldextract, "extract", _no_network)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("TLDEXTRACT_CACHE", str(tmp_path / "cache"))

    detector = PiiDetector()  # a fresh one: building must not reach out either
    text = "write to a.b@example.co.uk, x@bücher.de or ops@intranet.corp; pin lodash@4.17.21"
    found = [text[f.start : f.end] for f in detector.find(text)]
    assert found == ["a.b@example.co.uk", "x@bücher.de", "ops@intranet.corp"]
    assert not (tmp_path / "cache").exists(), "nothing is cached on disk"
