"""An image in the browser: attached to a conversation, sent to the member whose model reads
images and not to the one whose model does not, and said so under the answer ("photo.png: seen
by grok-4.20 · left out for deepseek-v3.2 (does not read images)")."""

from __future__ import annotations

import json
import re
import struct
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from e2e_server import CouncilServer, latency
from e2e_ui import RUN_TIMEOUT_MS, ask, open_app, reveal, shoot, wait_finished
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

VISION = "x-ai/grok-4.20"
TEXT_ONLY = "deepseek/deepseek-v3.2"
# Configuration vouches for the one that reads images, and the chairman reads none: what each
# model is sent does not depend on whether the model list has been fetched yet.
COUNCIL = {
    "COUNCIL_PRESETS": json.dumps(
        {
            "default": {
                "members": [VISION, TEXT_ONLY],
                "chairman": TEXT_ONLY,
                "title_model": TEXT_ONLY,
            }
        }
    ),
    "COUNCIL_DOCUMENTS__VISION": json.dumps([VISION]),
}


def make_png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    rows = b"".join(
        b"\x00"
        + b"".join(
            b"\x20\x60\xd0" if (x // 8 + y // 8) % 2 else b"\xf0\xf0\xf0" for x in range(width)
        )
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def paste_image(page: Page, data: bytes) -> None:
    """Pastes an image into the question box, as a person pasting a screenshot would (the
    browser's own paste event, carrying the clipboard's file)."""
    box = page.get_by_label("Your question")
    box.focus()
    box.evaluate(
        "(box, bytes) => { const t = new DataTransfer();"
        " t.items.add(new File([new Uint8Array(bytes)], 'image.png', {type: 'image/png'}));"
        " box.dispatchEvent(new ClipboardEvent('paste',"
        " {clipboardData: t, bubbles: true, cancelable: true})); }",
        list(data),
    )


@pytest.fixture
def vision_server(tmp_path: Path, built_ui: None) -> Iterator[CouncilServer]:
    server = CouncilServer(workdir=tmp_path, env=COUNCIL)
    server.start()
    try:
        server.configure_sim(latency=latency(400, first_token_ms=100))
        yield server
    finally:
        server.stop()


def test_an_attached_image_says_which_models_saw_it(
    browser_for: Callable[[CouncilServer], Page],
    vision_server: CouncilServer,
    tmp_path: Path,
    shots: Path,
) -> None:
    page = browser_for(vision_server)
    photo = tmp_path / "photo.png"
    photo.write_bytes(make_png(48, 32))
    open_app(page)
    page.get_by_test_id("attach-input").set_input_files(str(photo))
    card = page.get_by_role("article", name=re.compile(r"Document: .*photo", re.I))
    expect(card).to_be_visible(timeout=RUN_TIMEOUT_MS)
    expect(card).to_contain_text("48×32", timeout=RUN_TIMEOUT_MS)  # once read in the background

    # A screenshot pasted into the question box is attached too.
    paste_image(page, make_png(16, 16))
    pasted = page.get_by_role("article", name=re.compile(r"Document: .*pasted-", re.I))
    expect(pasted).to_be_visible(timeout=RUN_TIMEOUT_MS)
    expect(page.get_by_test_id("send-size")).to_contain_text("2 images")

    turn = ask(page, "What pattern does the picture show?")
    wait_finished(turn)
    saw = turn.get_by_role("list", name="What this answer saw")
    lines = saw.get_by_test_id("image-seen")
    expect(lines).to_have_count(2)
    expect(lines.first).to_contain_text("photo.png: seen by grok-4.20")
    expect(lines.first).to_contain_text("left out for deepseek-v3.2 (does not read images)")
    expect(lines.last).to_contain_text(re.compile(r"pasted-.*\.png: seen by grok-4\.20"))
    reveal(lines.last)
    shoot(page, shots, "images-seen")
