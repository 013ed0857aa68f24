"""The words and marks the ranking parser recognises in a reviewer's reply.

Every pattern here is applied to one line (or one table cell, one JSON string) at a time and is
written so that no two neighbouring quantified parts overlap: a long run of spaces, stars or
letters cannot make a match quadratic. Labels are "Response X" in English and in the languages
reviewers answer in; a lowercase letter is a label only when the next word is not lowercase
English ("response a: 7/10" is a label, "the response a reader wants" is not).
"""

from __future__ import annotations

import re

_RESPONSE_WORDS = (
    r"response|respuesta|r[ée]ponse|antwort|resposta|risposta|antwoord|odpowied[źz]|ответ"
    r"|answer|resp\.?"
)
LABEL = re.compile(
    rf"(?<![^\W\d_])(?i:{_RESPONSE_WORDS})(?:[ \t\u00a0]+#?|[-_])"
    r"(?:([A-Z])|([a-z])(?![ \t]+[a-z]))(?![A-Za-z0-9])"
    r"|(?:回答|回复|答案|応答|レスポンス)[ \t]*([A-Za-z])(?![A-Za-z0-9])"
)
# A letter standing alone for a label: only capitals, only where a label is expected.
BARE = re.compile(r"(?<![A-Za-z0-9'’])([A-Z])(?![A-Za-z0-9'’])")

# "FINAL RANKING" and its translations: a reply's own ranking header.
HARD_HEADER = (
    r"final[ \t_-]*rank(?:ing)?s?|rank(?:ing)?s?[ \t]+final"
    r"|classement[ \t]+final|clasificaci[oó]n[ \t]+final|classifica[cç][aã]o[ \t]+final"
    r"|classifica[ \t]+finale|graduatoria[ \t]+finale|orden[ \t]+final"
    r"|(?:endg[uü]ltige|finale|abschlie[sß]ende)[ \t]+(?:rangfolge|rangliste|reihenfolge)"
    r"|rangfolge|rangliste|eindrangschikking|definitieve[ \t]+rangschikking"
    r"|最终排名|最終排名|最终排序|最終ランキング|最終順位"
    r"|(?:итоговый|окончательный|финальный)[ \t]+рейтинг|итоговое[ \t]+ранжирование"
)
# Lead-ins that introduce a ranking when a line is made of little else ("My ranking:").
SOFT_HEADER = (
    r"(?:(?:corrected|revised|updated|new|amended|overall|complete|full|actual|my|our|the)"
    r"[ \t]+)*rank(?:ing)?s?(?:[ \t]+order)?"
    r"|order[ \t]+of[ \t]+(?:preference|quality|merit)"
    r"|(?:ranked[ \t]+)?(?:from[ \t]+)?(?:best|worst|strongest|weakest)[ \t]+to[ \t]+"
    r"(?:best|worst|strongest|weakest)"
    r"|(?:my[ \t]+)?top[ \t]+(?:\d|two|three|four|five|picks?)"
    r"(?:[ \t]+(?:picks|responses|answers))?"
    r"|correction|corrected|edit(?:ed)?|update[d]?|revised|revision"
    r"|clasificaci[oó]n|classement|classifica|ranglijst|rangschikking|reihenfolge"
    r"|i(?:'d|’d|[ \t]+would)[ \t]+rank[ \t]+them(?:[ \t]+as[ \t]+follows)?"
)
_HEADER_TAIL = (
    r"[ \t*_]*(?:\([^()\n]{0,100}\)[ \t*_]*)?(?:,[^:\n]{0,60}(?=:))?"
    r"(?:(?:is|are|would[ \t]+be|as[ \t]+follows|below)[ \t*_]*)?"
)
HEADER = re.compile(
    rf"(?P<hard>{HARD_HEADER})|(?P<soft>(?<![\w]){SOFT_HEADER}(?![\w]))", re.IGNORECASE
)
# The same, for text already lowercased (much faster than ignoring case).
HEADER_LOWER = re.compile(HEADER.pattern)
HEADER_TAIL = re.compile(rf"{_HEADER_TAIL}(?P<colon>[:：]|[ \t]+[-–—][ \t]|$)", re.IGNORECASE)
# Words before a header on its line that make it someone else's header, quoted or reported.
QUOTING = re.compile(
    r"ends?[ \t]+with|contains?|includ(?:es|ing)|says?|said|writes?|wrote|claims?|inject"
    r"|quot|instruct|reads?[ \t]*:|appends?|appended|tries|attempt|example|format|instead of"
    r"|asked|asks|requested|ignore|disregard|like[ \t]+[\"“']",
    re.IGNORECASE,
)
QUOTE_MARKS = "\"'“”‘’`«»„"
# Words elsewhere in a reply that say a quoted block is someone else's text.
INJECTION_TALK = re.compile(
    r"inject|manipulat|quot(?:e|ed|ing)|claims?|instruct|ends?[ \t]+with|contains?[ \t]+(?:a|the)"
    r"|attempt|disregard|ignor(?:e|ed|ing)|embedded|hidden|prompt|includ(?:es|ed|ing)"
    r"|this[ \t]+text|says|writes|wrote|will[ \t]+not|won't|refuse",
    re.IGNORECASE,
)

# "(from worst to best)" and the like: a list that runs upwards.
_ARROW = r"[ \t]*(?:→|->|⟶|=>|⇒|—>|-->)[ \t]*"
REVERSED = re.compile(
    r"worst[ \t-]*(?:\w+[ \t-]+){0,2}?to[ \t-]+(?:the[ \t]+)?best"
    rf"|(?:worst|weakest|lowest|bottom){_ARROW}(?:best|strongest|highest|top)"
    r"|weakest[ \t]+to[ \t]+(?:the[ \t]+)?strongest|lowest[ \t]+to[ \t]+highest"
    r"|least[ \t]+(?:\w+[ \t]+){0,2}?to[ \t]+(?:the[ \t]+)?most|bottom[ \t]+to[ \t]+top"
    r"|last[ \t]+to[ \t]+first|ascending|increasing[ \t]+(?:order|quality)"
    r"|\b1[ \t]*(?:=|is|being)[ \t]*(?:the[ \t]+)?(?:worst|lowest|weakest)"
    r"|de[ \t]+peor[ \t]+a[ \t]+mejor|du[ \t]+pire[ \t]+au[ \t]+meilleur|aufsteigend"
    r"|vom[ \t]+schlechtesten|ascendente|croissant"
    r"|\b(?:worst|weakest|lowest|poorest|least[ \t]+\w+|bottom)(?:[ \t-]+\w+)?[ \t-]+first\b"
    r"|\brevers(?:e|ed)[ \t]+order\b|\bin[ \t]+reverse\b|\bbottom[ \t-]+up\b",
    re.IGNORECASE,
)
FORWARD = re.compile(
    r"best[ \t-]*(?:\w+[ \t-]+){0,2}?to[ \t-]+(?:the[ \t]+)?worst|highest[ \t]+to[ \t]+lowest"
    rf"|(?:best|strongest|highest|top){_ARROW}(?:worst|weakest|lowest|bottom)"
    r"|strongest[ \t]+to[ \t]+(?:the[ \t]+)?weakest|most[ \t]+to[ \t]+least|descending"
    r"|\b1[ \t]*(?:=|is|being)[ \t]*(?:the[ \t]+)?(?:best|highest|strongest|top)"
    r"|de[ \t]+mejor[ \t]+a[ \t]+peor|du[ \t]+meilleur[ \t]+au[ \t]+pire|absteigend"
    r"|vom[ \t]+besten"
    r"|\b(?:best|strongest|highest|top|most[ \t]+\w+)(?:[ \t-]+\w+)?[ \t-]+first\b"
    r"|\btop[ \t-]+down\b",
    re.IGNORECASE,
)

_ORDINAL_WORDS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "primero": 1, "primera": 1, "segundo": 2,
    "segunda": 2, "tercero": 3, "tercera": 3, "cuarto": 4, "cuarta": 4, "premier": 1,
    "première": 1, "deuxième": 2, "second(e)": 2, "troisième": 3, "quatrième": 4, "erster": 1,
    "erste": 1, "zweiter": 2, "zweite": 2, "dritter": 3, "dritte": 3, "vierter": 4, "vierte": 4,
}  # fmt: skip
_ORDINAL_ALTERNATIVES = "|".join(
    sorted((word for word in _ORDINAL_WORDS if "(" not in word), key=len, reverse=True)
)
ORDINAL = re.compile(
    r"(?<![\w.])(?:(?P<num>\d{1,2})[ \t]*(?:st|nd|rd|th|º|°|er|re|e|ème|\.?[ \t]*place)"
    r"|(?:rank(?:ed)?|place|position|platz|puesto|rang|no\.?)[ \t]*(?:#|no\.?)?[ \t]*"
    r"(?P<after>\d{1,2})"
    r"|#[ \t]*(?P<hash>\d{1,2})"
    rf"|(?P<word>{_ORDINAL_ALTERNATIVES}))"
    r"(?![\w])",
    re.IGNORECASE,
)


def ordinal_value(match: re.Match[str]) -> int:
    for group in ("num", "after", "hash"):
        if match.group(group):
            return int(match.group(group))
    return _ORDINAL_WORDS[match.group("word").lower()]


# "7/10", "8.5 / 10", "4 out of 5", "Score: 8.5", "Overall: 9", "12 points".
SCORE = re.compile(
    r"(?<![\w./])(?P<value>\d{1,3}(?:[.,]\d{1,2})?)[ \t*_]*(?:/|out[ \t]+of|sur|von)[ \t]*"
    r"(?P<scale>\d{1,3})(?![\w.]|[.,]\d)"
    r"|(?P<key>score|rating|grade|punkte|puntuaci[oó]n|puntaje|note|bewertung|overall|total)"
    r"[ \t*_]*[:=][ \t*_]*(?P<bare>\d{1,3}(?:[.,]\d{1,2})?)(?![\w/]|[.,]\d|[ \t]*(?:/|out))"
    r"|(?P<points>\d{1,3}(?:[.,]\d{1,2})?)[ \t]*(?:points|pts|punkte|puntos)(?![\w])",
    re.IGNORECASE,
)
SCORE_IS_OVERALL = re.compile(r"overall|total|final|gesamt|global|aggregate", re.IGNORECASE)


def score_value(match: re.Match[str]) -> float | None:
    if match.group("value") is not None:
        scale = float(match.group("scale"))
        value = float(match.group("value").replace(",", "."))
        return value / scale if 0 < scale and value <= scale else None
    raw = match.group("bare") or match.group("points")
    return float(raw.replace(",", "."))


TIE_WORDS = re.compile(
    r"\b(?:tie|ties|tied|tying|equal|equally|joint|jointly|same|ex[ \t-]aequo|gleichauf"
    r"|empate|empatad[oa]s?|égalité)\b|=|≈",
    re.IGNORECASE,
)
ALL_TIED = re.compile(
    r"\b(?:all|every|each)\b[^.\n]{0,40}\b(?:tied|tie|equal(?:ly)?|same|indistinguishable)\b"
    r"|\bno[ \t]+(?:clear[ \t]+)?(?:preference|difference|winner)\b",
    re.IGNORECASE,
)
REFUSAL = re.compile(
    r"\b(?:can(?:no|')t|can[ \t]+not|won(?:'|’)t|will[ \t]+not|unable[ \t]+to|not[ \t]+able[ \t]+to"
    r"|decline[ \t]+to|refuse[ \t]+to|not[ \t]+comfortable)\b[^.\n]{0,60}"
    r"\b(?:rank|ranking|evaluat|compar|judge|order)",
    re.IGNORECASE,
)
# A line opening with one of these after the ranking may change it.
CORRECTION = re.compile(
    r"^[ \t*_#>(\[-]*(?:correction|corrected|edit|update|erratum|revision|revised|actually"
    r"|wait|oops|scratch[ \t]+that|on[ \t]+(?:second[ \t]+thought|reflection)"
    r"|i[ \t]+(?:made[ \t]+a[ \t]+mistake|mislabel|mixed[ \t]+up|need[ \t]+to[ \t]+correct)"
    r"|let[ \t]+me[ \t]+(?:correct|fix|revise)|p\.?s\.?)\b",
    re.IGNORECASE,
)
RANK_TALK = re.compile(
    r"rank|order|swap|switch|first|second|top|place|position|above|below|higher|lower"
    r"|better|worse|best|worst",
    re.IGNORECASE,
)
SWAP_TOP_TWO = re.compile(
    r"\b(?:swap|switch|revers|flip|exchang)\w*[ \t]+(?:the[ \t]+)?(?:top|first)[ \t]+two\b"
    r"|\b(?:top|first)[ \t]+two[ \t]+(?:should[ \t]+be[ \t]+|are[ \t]+|were[ \t]+)?"
    r"(?:swapped|switched|reversed|flipped)",
    re.IGNORECASE,
)
SWAP_WORD = re.compile(r"\b(?:swap|switch|exchang|flip|revers)\w*", re.IGNORECASE)
# Words that make a ranking a hypothetical one ("If brevity matters most, an alternative order
# would be:"): such a ranking does not replace the reviewer's own, stated before it.
HYPOTHETICAL = re.compile(
    r"\b(?:if|alternative(?:ly)?|hypothetical(?:ly)?|suppos(?:e|ing)|assuming|otherwise"
    r"|depending|in[ \t]+case|for[ \t]+example|e\.g\.|for[ \t]+instance|might|could)\b",
    re.IGNORECASE,
)
# A correction line that confirms the ranking instead of changing it.
CONFIRMED = re.compile(
    r"\b(?:ranking|order|list)[ \t]+(?:above|as[ \t]+written|as[ \t]+given)[^.\n]{0,30}?"
    r"\b(?:stands|is[ \t]+(?:still[ \t]+)?correct|remains|unchanged|is[ \t]+right)\b"
    r"|\b(?:ranking|order)[ \t]+(?:stands|is[ \t]+unchanged|does[ \t]+not[ \t]+change"
    r"|doesn't[ \t]+change)\b",
    re.IGNORECASE,
)
POSTSCRIPT = re.compile(r"^[ \t*_#>(\[-]*(?:p\.?[ \t]*s\.?|note|n\.?b\.?)\b", re.IGNORECASE)
