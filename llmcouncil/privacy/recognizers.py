"""Recognizers Presidio does not ship, and offline or faster versions of two it does.

* ``SecretRecognizer`` finds credentials by their published shapes: provider API keys (OpenAI,
  OpenRouter, Anthropic, AWS, GitHub, Slack, Google, Stripe, Hugging Face), PEM private keys over
  many lines, JWTs, ``Bearer``/``Basic`` credentials, and values assigned to keys named like a
  secret (``password=…``, ``"api_key": "…"``) when the value looks like one. A pattern may mark
  the part that is the secret (group ``s``), so ``password=`` stays readable.
* ``OfflineEmailRecognizer`` validates the domain against tldextract's bundled public-suffix
  snapshot; Presidio's own calls ``tldextract.extract``, which fetches the list over the network.
* ``CandidatePhoneRecognizer`` runs Presidio's phonenumbers matching only on digit runs that could
  be a phone number, instead of over the whole text once per region: the same results, about a
  hundred times less work on a long document.
"""

from __future__ import annotations

import functools
import ipaddress
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import tldextract
from presidio_analyzer import LocalRecognizer, Pattern, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import (
    EmailRecognizer,
    InPanRecognizer,
    IpRecognizer,
    NhsRecognizer,
    PhoneRecognizer,
)

from llmcouncil.privacy.entities import (
    ACCESS_TOKEN,
    API_KEY,
    PASSWORD,
    PRIVATE_KEY,
    SECRET_ENTITIES,
)

_SECRET_NAME = (
    r"(?:api[_-]?key|apikey|secret(?:[_-]?key)?|client[_-]?secret|access[_-]?key(?:[_-]?id)?"
    r"|secret[_-]?access[_-]?key|auth[_-]?token|access[_-]?token|refresh[_-]?token|token"
    r"|private[_-]?key|passwd|password|pwd|pass)"
)
# key = value, key: value, "key": "value", KEY=value; the value is group "s". The key name may
# end a longer name (DB_PASSWORD, app.secret): no prefix is matched for that, since a leading
# ``\b[\w.-]*`` gives the same values and takes time that grows with the square of a long run
# of word characters, dots or dashes (8,000 characters of "a.a.a…": 17 s).
_ASSIGNED = (
    r"(?i:" + _SECRET_NAME + r")[\"']?\s*(?::|=|:=|=>)\s*"
    r"(?P<q>[\"'`]?)(?P<s>[^\s\"'`,;]{6,200})(?P=q)"
)
_PLACEHOLDER_VALUE = re.compile(
    r"^(?:\*+|x+|\.+|<[^>]*>|\$\{?[\w.]+\}?|%\(?\w+\)?s?|\{\{.*\}\}|(?:none|null|true|false"
    r"|changeme|password|secret|redacted|example|your[\w-]*|xxx+\w*|\w+\(.*|os\.\w+.*"
    r"|env\.\w+.*|process\.env.*|getenv.*|settings\.\w+.*|self\.\w+.*|config\.\w+.*|\[\w+\])$)",
    re.IGNORECASE,
)


def shannon_entropy(value: str) -> float:
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def _looks_secret(value: str) -> bool:
    """An assigned value that is a credential rather than a name, an expression or a stand-in."""
    if _PLACEHOLDER_VALUE.fullmatch(value):
        return False
    classes = sum(
        (
            any(c.islower() for c in value),
            any(c.isupper() for c in value),
            any(c.isdigit() for c in value),
            any(not c.isalnum() for c in value),
        )
    )
    return classes >= 2 and shannon_entropy(value) >= 2.5


@dataclass(frozen=True, slots=True)
class SecretPattern:
    name: str
    entity: str
    regex: re.Pattern[str]
    check: Callable[[str], bool] | None = None
    # Below 1.0 for the generic shapes, so a provider's key shape names an overlapping finding.
    score: float = 1.0


def _p(
    name: str,
    entity: str,
    regex: str,
    check: Callable[[str], bool] | None = None,
    score: float = 1.0,
) -> SecretPattern:
    return SecretPattern(name, entity, re.compile(regex), check, score)


SECRET_PATTERNS: tuple[SecretPattern, ...] = (
    _p(
        "pem private key",
        PRIVATE_KEY,
        r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----(?:[\s\S]*?-----END[A-Z0-9 ]*PRIVATE KEY-----"
        r"|[A-Za-z0-9+/=\s:,-]*)",
    ),
    _p(
        "openai / openrouter / anthropic key",
        API_KEY,
        r"(?<![\w-])sk-(?:proj-|or-v1-|ant-(?:api|admin)\d\d-|svcacct-|None-)?[A-Za-z0-9_-]{20,}",
    ),
    _p("aws access key id", API_KEY, r"\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b"),
    _p("github token", API_KEY, r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b"),
    _p("gitlab token", API_KEY, r"\bglpat-[A-Za-z0-9_-]{20,}"),
    _p("slack token", API_KEY, r"\bxox[abposre]-[A-Za-z0-9-]{10,}"),
    _p(
        "slack webhook",
        API_KEY,
        r"https://hooks\.slack\.com/services/T[A-Za-z0-9]+/B[A-Za-z0-9]+/[A-Za-z0-9]+",
    ),
    _p("google api key", API_KEY, r"\bAIza[0-9A-Za-z_-]{35}(?![\w-])"),
    _p("stripe key", API_KEY, r"\b(?:sk|rk|pk)_(?:live|test)_[0-9A-Za-z]{16,}\b"),
    _p("hugging face token", API_KEY, r"\bhf_[A-Za-z0-9]{30,}\b"),
    _p(
        "json web token",
        ACCESS_TOKEN,
        r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
    ),
    _p(
        "authorization credentials",
        ACCESS_TOKEN,
        r"(?i:\b(?:bearer|basic|token))\s+(?P<s>[A-Za-z0-9._~+/-]{16,}=*)",
        _looks_secret,
        0.95,
    ),
    _p(
        "password in a url",
        PASSWORD,
        # Bounded runs: unbounded ones backtrack over every start in a long run of dots.
        r"\b[a-z][a-z0-9+.-]{0,31}://[^\s:/@]{1,256}:(?P<s>[^\s@/]{3,256})@",
    ),
    _p("assigned secret", PASSWORD, _ASSIGNED, _looks_secret, 0.95),
)


class SecretRecognizer(LocalRecognizer):
    """Credentials: always redacted or blocked, whatever the preset's policy."""

    def __init__(self, patterns: tuple[SecretPattern, ...] = SECRET_PATTERNS) -> None:
        self.secret_patterns = patterns
        super().__init__(supported_entities=sorted(SECRET_ENTITIES), name="SecretRecognizer")

    def load(self) -> None:
        return None

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,  # noqa: ARG002
    ) -> list[RecognizerResult]:
        results: list[RecognizerResult] = []
        for pattern in self.secret_patterns:
            if pattern.entity not in entities:
                continue
            for match in pattern.regex.finditer(text):
                group = "s" if "s" in pattern.regex.groupindex else 0
                start, end = match.span(group)
                value = text[start:end].rstrip()
                if not value or (pattern.check is not None and not pattern.check(value)):
                    continue
                results.append(
                    RecognizerResult(
                        entity_type=pattern.entity,
                        start=start,
                        end=start + len(value),
                        score=pattern.score,
                        recognition_metadata={
                            RecognizerResult.RECOGNIZER_NAME_KEY: "SecretRecognizer",
                            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                            "pattern": pattern.name,
                        },
                    )
                )
        return results


# Presidio's low-score PAN pattern looks for a letter and four digits anywhere up to the end of
# the line (two ``.*?`` look-aheads) from every word boundary: time that grows with the square
# of a line's length (8,000 characters: 0.5 to 2.8 s). Here both must lie in the ten-character
# token itself, which is what the pattern means to find.
_PAN_LOW = r"\b((?=[\w@#$%^?~-]{0,9}[a-zA-Z])(?=[\w@#$%^?~-]{0,6}[0-9]{4})[\w@#$%^?~-]{10})\b"


def in_pan_recognizer(language: str) -> InPanRecognizer:
    """Presidio's Indian PAN recognizer, its low-score pattern bounded to the token."""
    patterns = [
        Pattern(p.name, _PAN_LOW, p.score) if p.name == "PAN (Low)" else p
        for p in InPanRecognizer.PATTERNS
    ]
    return InPanRecognizer(patterns=patterns, supported_language=language)


# The bundled public-suffix snapshot only: no fetch, no cache directory.
_OFFLINE_TLDS = tldextract.TLDExtract(
    cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True
)


# Company-internal domains are no public suffix, but their addresses are just as personal.
_INTERNAL_SUFFIXES = ("local", "internal", "corp", "lan", "intranet", "home", "localdomain")


class OfflineEmailRecognizer(EmailRecognizer):
    def validate_result(self, pattern_text: str) -> bool:
        if pattern_text.rsplit(".", 1)[-1].lower() in _INTERNAL_SUFFIXES:
            return True
        return bool(_OFFLINE_TLDS(pattern_text).fqdn)


class PublicIpRecognizer(IpRecognizer):
    """IP addresses, except the unspecified and loopback ones, which identify no one."""

    def invalidate_result(self, pattern_text: str) -> bool:
        if super().invalidate_result(pattern_text):
            return True
        address = ipaddress.ip_interface(pattern_text).ip
        return address.is_unspecified or address.is_loopback


class NhsWithContextRecognizer(NhsRecognizer):
    """NHS numbers only near the word "NHS": ten digits as 3-3-4 are mostly US phone numbers."""

    _CONTEXT = re.compile(r"\bnhs\b", re.IGNORECASE)
    _WINDOW = 60

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        found = super().analyze(text, entities, nlp_artifacts, regex_flags)
        return [
            r for r in found if self._CONTEXT.search(text, max(0, r.start - self._WINDOW), r.start)
        ]


# A run that could hold a phone number: an optional +, then digits with the separators people use.
PHONE_CANDIDATE = re.compile(r"(?:\+|\b00)?\(?\d[\d\s().\-/]{5,24}\d")
# A bare run of digits is a phone number only when the text says so just before it.
_PHONE_CONTEXT = re.compile(
    r"\b(?:phone|tel|telephone|mobile|cell|call|fax|sms|whatsapp|ring|dial|number|contact)\b",
    re.IGNORECASE,
)
_PHONE_CONTEXT_WINDOW = 40
_DATE_LIKE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4}")
_DECIMAL = re.compile(r"\d+[.,]\d+")
_DOTTED_QUAD = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")  # an IPv4 address, not a phone
_PHONE_MARGIN = 2


class CandidatePhoneRecognizer(PhoneRecognizer):
    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,  # noqa: ARG002
    ) -> list[RecognizerResult]:
        results: list[RecognizerResult] = []
        for candidate in PHONE_CANDIDATE.finditer(text):
            if not self._plausible(text, candidate):
                continue
            offset = max(0, candidate.start() - _PHONE_MARGIN)
            window = text[offset : candidate.end() + _PHONE_MARGIN]
            for entity, start, end, score in self._in_window(window, tuple(entities)):
                results.append(
                    RecognizerResult(
                        entity_type=entity,
                        start=start + offset,
                        end=end + offset,
                        score=score,
                        recognition_metadata={
                            RecognizerResult.RECOGNIZER_NAME_KEY: "CandidatePhoneRecognizer",
                            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                        },
                    )
                )
        return results

    @staticmethod
    def _plausible(text: str, candidate: re.Match[str]) -> bool:
        value, start = candidate.group(), candidate.start()
        if sum(c.isdigit() for c in value) < 7 or _DATE_LIKE.search(value):
            return False
        if _DECIMAL.fullmatch(value) or _DOTTED_QUAD.fullmatch(value):
            return False
        before = text[start - 1] if start else " "
        if before.isalnum() or before in "-_/.,:#":  # part of an id, a decimal, a path
            return False
        if value.isdigit():
            window = text[max(0, start - _PHONE_CONTEXT_WINDOW) : start]
            return _PHONE_CONTEXT.search(window) is not None
        return True

    @functools.lru_cache(maxsize=4096)  # noqa: B019 - one recognizer per process
    def _in_window(
        self, window: str, entities: tuple[str, ...]
    ) -> tuple[tuple[str, int, int, float], ...]:
        # An international number reads the same from every region: one pass is enough.
        international = window.lstrip(" (").startswith(("+", "00"))
        regions = self.supported_regions
        self.supported_regions = regions[:1] if international else regions
        try:
            found = super().analyze(window, list(entities), None)  # type: ignore[arg-type]
        finally:
            self.supported_regions = regions
        return tuple({(r.entity_type, r.start, r.end, r.score) for r in found})
