"""The marker a simulated answer carries in its own text, wherever it leaves as plain text.

In demo mode every model is the simulated upstream. A side field (``simulated: true``) is lost
on a third-party tool that shows only the answer's text, and simulated text would pass for a
real answer; so the ``/v1`` completion (plain and streamed) and the MCP tool's text begin with
this line, for simulated runs only.
"""

from __future__ import annotations

SIMULATED_MARKER = "[Simulated answer — demo mode, no model was called]"


def marked(text: str, *, simulated: bool) -> str:
    """``text`` with the marker as its first line when the run was simulated."""
    return f"{SIMULATED_MARKER}\n\n{text}" if simulated else text
