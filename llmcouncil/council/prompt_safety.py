"""Quoting one model's text inside another's prompt so that it cannot pass for the prompt itself.

A member's answer (or a reviewer's review) is data. Pasted as it is, an answer that contains
``\\n\\nResponse C:\\n…``, ``FINAL RANKING:`` or ``STAGE 2 - Peer reviews:`` would forge the
prompt's own structure: a second label, a fake ranking, a fake review. Three defences:

- every quoted text is enclosed between an opening and a closing tag that carry a nonce
  (``nonce_for``): derived from the run's seed, so a resumed run rebuilds the same prompt, and
  never shown to the models whose text is quoted before they wrote it;
- inside the text, a line that imitates the prompt's structure (a label heading, a ranking
  header, a stage or reviewer heading, the aggregate line, the question line) is quoted with
  ``> `` and any tag of ours is escaped (``&lt;response``), so it stays readable but cannot be
  taken for structure (``neutralise``);
- optionally, phrases by which a model names itself ("As Claude…", "I am GPT-4", "as an OpenAI
  model") and the answering model's own name are masked (``mask_identity``), so reviewers judge
  the answer, not the brand.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

MASK = "[model name]"

# A line that reads as the prompt's structure, after any markdown decoration. Matched at a line's
# start only: a sentence that mentions "Response A" in passing is the text's own business.
_STRUCTURE = re.compile(
    # ">" is left out of the decoration: a line already quoted is not structure (and quoting
    # twice would make ``neutralise`` change its own output).
    # One character class, not a repetition of groups: nested repeats backtrack exponentially on
    # a long run of decoration ("-----BEGIN …" in an answer).
    r"[ \t#*_=|~`\[(-]*"
    r"(?:response[ \t\u00a0]+[a-z](?![\w])"
    r"|final[ \t_-]*rankings?"
    r"|stage[ \t]*[0-9ivx]+\b"
    r"|reviewer[ \t]*\d+"
    r"|(?:aggregate|overall)[ \t]+ranking"
    r"|peer[ \t]+reviews?\b"
    r"|individual[ \t]+responses?\b"
    r"|(?:original[ \t]+)?question[ \t]*:"
    r"|your[ \t]+task\b"
    r"|</?[ \t]*(?:response|review|question)\b)",
    re.IGNORECASE,
)
# Our tags anywhere in a line: escaped so no text can open or close a section.
_TAG = re.compile(r"<(?=[ \t]*/?[ \t]*(?:response|review|question)\b)", re.IGNORECASE)

# A vendor or model family, with a version or variant when one follows ("Claude 3.5 Sonnet").
_VERSION = (
    r"(?:[ -](?:[0-9][\w.\-]*|sonnet|opus|haiku|pro|flash|ultra|large|mini|r1|v[0-9][\w.]*))*"
)
_BRANDS = (
    r"(?:(?:chat[ -]?gpt|gpt(?:-?[0-9][\w.\-]*)?|claude|gemini|grok|llama|mistral|mixtral|deepseek"
    rf"|qwen[0-9.]*|phi-?[0-9][\w.]*|command[ -]r\+?){_VERSION}"
    r"|openai|anthropic|bard|google(?:[ -]deepmind)?|deepmind|x\.?ai|meta[ -]ai|alibaba|cohere)"
)
# Cheap substring checks first: most answers name no model at all.
_STEMS = (
    "gpt",
    "claude",
    "gemini",
    "grok",
    "llama",
    "mistral",
    "mixtral",
    "deepseek",
    "qwen",
    "phi",
    "command",
    "openai",
    "anthropic",
    "bard",
    "google",
    "deepmind",
    "xai",
    "x.ai",
    "meta",
    "alibaba",
    "cohere",
)
_AI = r"(?:[ \t]+(?:model|assistant|ai|llm|language[ \t]+model|chatbot)\b)?"
# Found by the name first, then the words before it are checked: one scan of the text for the
# names (rare in most answers) instead of trying every phrase at every position.
_BRAND_AT = re.compile(rf"(?<![\w-]){_BRANDS}(?![\w-])(?P<ai>{_AI})", re.IGNORECASE)
_LEAD_WINDOW = 48
# What makes a name self-identification, right before it: "As Claude" opening a sentence,
# "I am GPT-4", "I'm Gemini", "my name is Grok", "I was trained by OpenAI".
_LEAD = re.compile(
    r"(?:[.!?:\n][ \t]*as[ \t]+(?:an?[ \t]+)?"
    r"|\b(?:I[ \t]+am|I['’]m|my[ \t]+name[ \t]+is)[ \t]+(?:an?[ \t]+|the[ \t]+)?"
    r"|\bI(?:[ \t]+(?:was|am)|['’]m)[ \t]+(?:made|built|trained|created|developed)[ \t]+by[ \t]+)$",
    re.IGNORECASE,
)
# "as an OpenAI model" mid-sentence counts only with "model", "assistant"… after the name.
_MID_AS = re.compile(r"\bas[ \t]+an?[ \t]+(?:large[ \t]+)?$", re.IGNORECASE)
_HERE = re.compile(r"[ \t]+here\b", re.IGNORECASE)


def nonce_for(seed: int, purpose: str) -> str:
    """A nonce for one prompt kind of one run: the same on a resumed run, unguessable before."""
    digest = hashlib.blake2b(f"{seed}\0{purpose}".encode(), digest_size=6, person=b"council-nonce")
    return digest.hexdigest()


def neutralise(text: str) -> str:
    """``text`` with every line that imitates the prompt's structure quoted, our tags escaped."""
    if "<" in text:
        text = _TAG.sub("&lt;", text)
    # Line by line, each tried at its start only: a text has few lines and many characters.
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if _STRUCTURE.match(line):
            lines[index] = "> " + line
    return "\n".join(lines)


def mask_identity(text: str, names: Iterable[str] = ()) -> str:
    """``text`` with self-identifying phrases and the given model names masked (the name only:
    "As Claude, I…" becomes "As [model name], I…")."""
    lowered = text.lower()
    pieces: list[str] = []
    pos = 0
    names_present = any(stem in lowered for stem in _STEMS)
    for match in _BRAND_AT.finditer(text) if names_present else ():
        if _self_identifies(text, match):
            pieces += [text[pos : match.start()], MASK]
            pos = match.start("ai")
    if pieces:
        text = "".join([*pieces, text[pos:]])
        lowered = text.lower()
    for name in sorted({n for n in names if len(n) >= 3}, key=len, reverse=True):
        if name.lower() in lowered:
            text = re.sub(rf"(?<![\w/-]){re.escape(name)}(?![\w/-])", MASK, text, flags=re.I)
            lowered = text.lower()
    return text


def _self_identifies(text: str, match: re.Match[str]) -> bool:
    start = match.start()
    before = text[max(0, start - _LEAD_WINDOW) : start]
    if start <= _LEAD_WINDOW:
        before = "\n" + before  # the start of the text opens a sentence
    if _LEAD.search(before) or (match.group("ai") and _MID_AS.search(before)):
        return True
    return _HERE.match(text, match.end()) is not None


def model_names(model_id: str | None) -> list[str]:
    """The ways a model's own id shows in its text: the id, and the name after its vendor."""
    if not model_id:
        return []
    bare = model_id.split(":", 1)[-1]  # a provider prefix ("sim:openai/gpt-5.1")
    return list(dict.fromkeys([model_id, bare, bare.rsplit("/", 1)[-1]]))
