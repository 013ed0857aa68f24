"""Privacy test helpers: the corpus, and what left the system (as the simulated upstream saw it)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from llmcouncil.privacy.evaluation import Document, load_corpus
from llmcouncil.sim import SimServer

CORPUS = Path(__file__).parent / "corpus"


def corpus() -> list[Document]:
    return load_corpus(CORPUS)


def squeezed(text: str) -> str:
    """Letters and digits only, lower-cased: a value re-spaced or re-punctuated still matches."""
    return re.sub(r"[^0-9a-z]", "", text.lower())


def what_left(sim: SimServer) -> str:
    """Every message of every call the simulated upstream received, as one text."""
    return "\n".join(json.dumps(r.messages, ensure_ascii=False) for r in sim.requests)


def leaked(values: list[str], sent: str) -> list[str]:
    """The values found in ``sent``, as written or with their punctuation and spaces changed."""
    flat = squeezed(sent.replace("\\n", " "))
    out = []
    for value in values:
        if value in sent or json.dumps(value, ensure_ascii=False)[1:-1] in sent:
            out.append(value)
        elif len(squeezed(value)) >= 8 and squeezed(value) in flat:
            out.append(value)
    return out
