"""The work one request can cost is bounded: an oversized /v1 request is refused before any scan,
long texts are scanned window by window with the same findings as in one piece, and a scan
whose request was cancelled stops at its next window."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmcouncil.config import LimitSettings, Settings
from llmcouncil.privacy.detector import merge_overlaps, shared_detector
from llmcouncil.privacy.policy import PrivacyGuard, newest_turns
from llmcouncil.privacy.scanning import ScanToken, windowed
from llmcouncil.privacy.settings import PrivacySettings
from llmcouncil.sim import SimServer


async def test_a_v1_request_over_the_total_limit_is_refused_with_413_before_any_work(
    make_settings: Any, start_server: Any, sim: SimServer
) -> None:
    live = await start_server(make_settings(limits={"max_request_chars": 1_000}))
    history = [
        {"role": role, "content": "y" * 300} for _ in range(2) for role in ("user", "assistant")
    ]
    body = {"model": "council", "messages": [*history, {"role": "user", "content": "Why?"}]}
    async with httpx.AsyncClient(base_url=live.base_url, timeout=60) as client:
        response = await client.post("/v1/chat/completions", json=body)
        listed = (await client.get("/api/conversations")).json()
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["code"] == "content_too_large"
    assert "1204" in error["message"] and "1000" in error["message"]
    assert sim.requests == [] and listed == [], "nothing was stored or sent"


def test_the_default_total_fits_the_largest_context_windows() -> None:
    limits = LimitSettings()
    assert limits.max_request_chars >= 4_000_000 >= 40 * limits.max_content_chars


@dataclass(frozen=True, slots=True)
class _Span:
    start: int
    end: int


# "Values": letters in brackets. A strict one is found only whole; a tolerant one (like a private
# key, whose expression also matches a key cut short) is found from its start even when cut.
_STRICT = re.compile(r"\[[a-z]+\]")
_TOLERANT = re.compile(r"\[[a-z]+\]?")
_WINDOWS = {"window": 200, "overlap": 80, "margin": 10, "max_window": 2_000}


def _analyze(text: str, pattern: re.Pattern[str]) -> Any:
    def analyze(start: int, end: int) -> list[_Span]:
        piece = text[start:end]
        return [_Span(m.start() + start, m.end() + start) for m in pattern.finditer(piece)]

    return analyze


def _joined(spans: list[_Span]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s in sorted(spans, key=lambda s: (s.start, -s.end)):
        if out and s.start < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], s.end))
        else:
            out.append((s.start, s.end))
    return out


def _text(layout: list[tuple[int, int]]) -> str:
    return "".join(" " * gap + "[" + "v" * length + "]" for gap, length in layout) + "  "


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 150), st.integers(1, 58)), max_size=30))
def test_windows_find_every_value_up_to_the_overlap_whole(layout: list[tuple[int, int]]) -> None:
    text = _text(layout)
    whole = [(m.start(), m.end()) for m in _STRICT.finditer(text)]
    assert _joined(windowed(len(text), _analyze(text, _STRICT), **_WINDOWS)) == whole


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 150), st.integers(1, 900)), max_size=12))
def test_windows_grow_over_a_long_value_cut_at_their_end(layout: list[tuple[int, int]]) -> None:
    text = _text(layout)
    whole = [(m.start(), m.end()) for m in _TOLERANT.finditer(text)]
    assert _joined(windowed(len(text), _analyze(text, _TOLERANT), **_WINDOWS)) == whole


def test_the_detector_finds_the_same_in_one_long_text_as_in_its_parts() -> None:
    detector = shared_detector(ner_model="none")
    part = (
        "Mail ana.lopez@example-clinic.es or call +44 20 7946 0958; card 4111 1111 1111 1111, "
        "api_key=Zq9xV2pL7wQk4T and IBAN GB82 WEST 1234 5698 7654 32. Nothing else here. "
    )
    text = part * 400  # about 70,000 characters: several windows, values across their cuts
    expected = detector.find(part)
    found = detector.find(text)
    assert len(found) == len(expected) * 400
    assert [text[f.start : f.end] for f in found] == [part[f.start : f.end] for f in expected] * 400
    assert merge_overlaps(found) == found


def test_a_private_key_longer_than_the_overlap_is_found_whole_across_a_cut() -> None:
    detector = shared_detector(ner_model="none")
    key = "-----BEGIN PRIVATE KEY-----\n" + "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n" * 120
    key += "-----END PRIVATE KEY-----"
    text = "lorem ipsum " * 1_600 + key + " trailing words" * 10  # the key spans a cut
    found = [f for f in detector.find(text) if f.entity == "PRIVATE_KEY"]
    assert [(text[f.start : f.end]) for f in found] == [key]


async def test_a_cancelled_scan_stops_at_its_next_window() -> None:
    loop = asyncio.get_running_loop()
    scanning = asyncio.Event()
    seen: list[tuple[int, bool]] = []

    def on_checkpoint(token: ScanToken) -> None:
        seen.append((token.checkpoints, token.cancelled))
        if token.checkpoints == 2:  # hold the scan here while the request is cancelled
            loop.call_soon_threadsafe(scanning.set)
            assert token.wait_cancelled(30), "the request was never cancelled"
            seen.append((token.checkpoints, token.cancelled))

    settings_ = Settings(privacy=PrivacySettings(ner_model="none"))
    base = PrivacyGuard.in_memory(settings_)
    guard = PrivacyGuard(
        detector=base.detector,
        cipher=base.cipher,
        settings=settings_.privacy,
        key_source="memory",
        on_checkpoint=on_checkpoint,
    )
    question = "call +1 415 555 0132 about the export. " * 10_000  # 390,000 chars: ~13 windows
    task = asyncio.create_task(
        guard.protect(conversation_id="c", vault_token=None, question=question, policy="redact")
    )
    await scanning.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # The cancellation completes once the thread has stopped: the checkpoint held during the
    # cancel saw it, and no window was analysed after it (of about a dozen).
    assert seen == [(1, False), (2, False), (2, True)]


async def test_an_uncancelled_scan_goes_through_every_window() -> None:
    seen: list[int] = []
    settings_ = Settings(privacy=PrivacySettings(ner_model="none"))
    base = PrivacyGuard.in_memory(settings_)
    guard = PrivacyGuard(
        detector=base.detector,
        cipher=base.cipher,
        settings=settings_.privacy,
        key_source="memory",
        on_checkpoint=lambda token: seen.append(token.checkpoints),
    )
    question = "call +1 415 555 0132 about the export. " * 3_000  # 117,000 chars
    turn = await guard.protect(
        conversation_id="c", vault_token=None, question=question, policy="redact"
    )
    assert len(seen) >= 4 and "+1 415 555 0132" not in turn.question


async def _conversation_ids(client: httpx.AsyncClient) -> list[str]:
    return [c["id"] for c in (await client.get("/api/conversations?source=v1")).json()]


async def test_a_v1_client_that_leaves_during_the_scan_starts_no_run(
    server: Any, client: httpx.AsyncClient, sim: SimServer
) -> None:
    """Megabytes of history take seconds to scan; the client leaves meanwhile. The scan is
    dropped, the conversation opened for it is deleted, and no model is ever called."""
    turn = "call +1 415 555 0132 or mail ana@example-clinic.es about the export. " * 1_400
    history = [{"role": r, "content": turn} for _ in range(10) for r in ("user", "assistant")]
    body = {"model": "council", "messages": [*history, {"role": "user", "content": "Why?"}]}
    request = asyncio.create_task(client.post("/v1/chat/completions", json=body))
    while not await _conversation_ids(client):  # opened: its history is being scanned
        assert not request.done(), request.result().text
        await asyncio.sleep(0.02)
    request.cancel()  # the client goes away: its connection is closed
    with pytest.raises(asyncio.CancelledError):
        await request
    for _ in range(1_500):  # the cancelled opening deletes what it made
        if not await _conversation_ids(client):
            break
        await asyncio.sleep(0.02)
    else:
        pytest.fail("the conversation was never deleted: the request's work went on")
    assert sim.requests == []


def test_only_the_history_that_could_be_sent_is_scanned() -> None:
    history = [(f"q{i:02d}" * 10, f"a{i:02d}" * 10) for i in range(50)]  # 60 characters a turn
    kept = newest_turns(history, max_chars=200)
    assert list(kept) == history[-4:]  # the newest turns to 200 characters, the crossing one too
    assert newest_turns(history, max_chars=10**6) == history
