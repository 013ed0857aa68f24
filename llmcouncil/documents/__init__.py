"""Documents, books and images as a conversation's context (docs/API.md, docs/ARCHITECTURE.md).

Reading files (``formats``, one module per format, run off the loop by ``extraction``), storing
them redacted (``redaction``, ``tables``, ``repository``), choosing what a run is shown within a
context window (``retrieval``, ``context``), reading citations back (``citations``), and the
service that ties them together (``service``). Kept free of imports here: ``config`` reads
``documents.settings`` and must stay fast.
"""
