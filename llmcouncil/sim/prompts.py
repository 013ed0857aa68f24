"""Reading the council's prompts: which stage asked, what the question was, which labels exist.

The markers are the contract with `council/prompts.py`: a title prompt starts with "Generate a
very short title", a ranking prompt contains "FINAL RANKING:", a chairman prompt mentions the
"Chairman", a revision turn (mode revise) starts with "Revise your answer", and a request to
finish a cut answer starts with "Your answer above was cut off". All matching
is case-insensitive and runs on the last user message (the chairman marker is also honoured in
a system message). The council encloses each response in a tag that
names its label (`<response label="Response A" nonce="…">`); a repair turn, which asks a reviewer
again for its ranking, says "ranking alone".
"""

from __future__ import annotations

import re

from llmcouncil.sim.config import PromptKind

_TITLE_MARKER = "generate a very short title"
_RANKING_MARKER = "final ranking:"
_CHAIRMAN_MARKER = "chairman"
_REPAIR_MARKER = "ranking alone"
_REVISION_MARKER = "revise your answer"
_CONTINUATION_MARKER = "your answer above was cut off"
_STRUCTURE_MARKER = "<council_structure>"
_OWN_ANSWER = re.compile(
    r"<own_answer [^>]*>\n(?P<text>.*?)\n</own_answer nonce=\"[^\"]*\">", re.DOTALL
)

# The council's delimiter. Inside an answer the council escapes "<response", so an answer cannot
# add a label this way.
_LABEL_TAG = re.compile(r"^<response label=\"Response ([A-Z])\"", re.MULTILINE)

# A label counts as present when it heads a line ("Response A:", "### Response B",
# "**Response C**", "--- Response D ---"). Instructions also mention labels as examples
# ("e.g. 1. Response C"), and those must not become responses the reviewer ranks.
_LABEL_HEADER = re.compile(
    r"^[ \t#*_=\-\[<(]*Response ([A-Z])(?![A-Za-z0-9])[ \t*_\])>]*(?::|-{2,}|={2,}|$)",
    re.MULTILINE,
)
_LABEL_ANYWHERE = re.compile(r"\bResponse ([A-Z])(?![A-Za-z0-9])")

_QUESTION_LINE = re.compile(
    r"(?:original\s+|user(?:'s)?\s+)?question\s*:\s*(.+?)(?:\n\s*\n|\n\s*title\s*:|\Z)",
    re.IGNORECASE | re.DOTALL,
)
_QUOTED = re.compile(r"[\"“«](.{3,}?)[\"”»]", re.DOTALL)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9+#'\-]*[A-Za-z0-9+#]|[A-Za-z]")

_MAX_QUESTION_CHARS = 300

_STOPWORDS = frozenset(
    """
    a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing done down during each either
    explain few for from further get give had has have having he her here hers him his how i if
    in into is it its itself just know let like make many me might more most much must my need
    no nor not now of off on once only or other our ours out over own please same she should so
    some such tell than that the their theirs them then there these they thing things this those
    through to too under until up use using very want was we well were what when where which
    while who whom why will with would you your yours question answer short title words
    generate summarizes following concise descriptive quotes punctuation maximum
    """.split()
)

_CODE_WORDS = frozenset(
    """
    code coding program programming function script python javascript typescript java rust go
    golang sql regex class implement implementation bug debug compile api algorithm snippet bash
    shell c++ c# kotlin swift html css react query
    """.split()
)


def detect_prompt_kind(*, user_text: str, system_text: str = "") -> PromptKind:
    lowered = user_text.lower()
    if lowered.lstrip().startswith(_TITLE_MARKER):
        return "title"
    if lowered.lstrip().startswith(_REVISION_MARKER):
        return "revision"
    if lowered.lstrip().startswith(_CONTINUATION_MARKER):
        return "continuation"
    # The chairman sees the reviewers' rankings, "FINAL RANKING:" included, so it goes first.
    if _CHAIRMAN_MARKER in lowered or _CHAIRMAN_MARKER in system_text.lower():
        return "chairman"
    if _RANKING_MARKER in lowered:
        return "ranking"
    return "answer"


def response_labels(text: str) -> list[str]:
    """The labels (`Response A`, ...) of a ranking prompt's responses, in order of appearance."""
    tagged = _unique(_LABEL_TAG.findall(text))
    if tagged:
        return [f"Response {letter}" for letter in tagged]
    headed = _unique(_LABEL_HEADER.findall(text))
    found = headed or _unique(_LABEL_ANYWHERE.findall(text))
    return [f"Response {letter}" for letter in found]


def own_answer(text: str) -> str:
    """A revision turn's own previous answer (as quoted: suspicious lines start with "> ")."""
    match = _OWN_ANSWER.search(text)
    return match.group("text") if match else ""


def asks_for_structure(text: str) -> bool:
    """A chairman prompt that asks for the synthesis's structured part."""
    return _STRUCTURE_MARKER in text.lower()


def asks_for_ranking_alone(text: str) -> bool:
    """A repair turn: the reviewer's earlier reply had no ranking the council could read."""
    return _REPAIR_MARKER in text.lower()


def extract_question(text: str, *, kind: PromptKind) -> str:
    """The user's question inside a stage prompt; for a plain answer, the message itself."""
    if kind == "answer":
        return _clip(text)
    match = _QUESTION_LINE.search(text)
    if match:
        return _clip(_strip_quotes(match.group(1)))
    quoted = _QUOTED.search(text)
    if quoted:
        return _clip(quoted.group(1))
    # No marker at all: whatever follows the instruction's first line is the best guess.
    _, _, rest = text.partition("\n")
    return _clip(rest or text)


def keywords(text: str, *, limit: int = 6) -> list[str]:
    """Distinct content words of `text` in order, stopwords and very short words left out."""
    seen: set[str] = set()
    picked: list[str] = []
    for word in _WORD.findall(text):
        lowered = word.lower()
        if lowered in _STOPWORDS or len(lowered) < 3 or lowered in seen:
            continue
        seen.add(lowered)
        picked.append(word)
        if len(picked) >= limit:
            break
    return picked


def mentions_code(text: str) -> bool:
    return any(word.lower() in _CODE_WORDS for word in _WORD.findall(text))


def _unique(letters: list[str]) -> list[str]:
    return list(dict.fromkeys(letters))


def _strip_quotes(text: str) -> str:
    return text.strip().strip("\"'“”«»").strip()


def _clip(text: str) -> str:
    flat = " ".join(text.split())
    if len(flat) <= _MAX_QUESTION_CHARS:
        return flat
    return flat[:_MAX_QUESTION_CHARS].rsplit(" ", 1)[0] + "…"
