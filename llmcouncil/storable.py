"""What text every supported database can store: the floor's one check, used at every edge.

PostgreSQL text cannot hold a NUL character, and no UTF-8 encoder takes a lone UTF-16 surrogate
(JSON's ``"\\udfff"`` decodes to one in Python). The API refuses such values in every request
(``api/inputs.py``); readers of uploaded files (an evaluation dataset, a batch file) refuse
them where they parse, naming the line.
"""

from __future__ import annotations

import re

_SURROGATE = re.compile("[\ud800-\udfff]")


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as text, or None."""
    if "\x00" in value:
        return "must not contain a NUL character (\\u0000)"
    if not value.isascii() and _SURROGATE.search(value):
        return "must not contain an unpaired UTF-16 surrogate (\\ud800-\\udfff): not valid Unicode"
    return None
