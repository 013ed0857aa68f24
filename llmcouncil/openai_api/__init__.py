"""An OpenAI-compatible front door: ``/v1/chat/completions`` and ``/v1/models``.

Any tool that talks to an OpenAI-style model can talk to a council: the model name picks the
preset (``council`` or ``council/<preset>``), the messages array is the conversation, and the
Chairman's answer is the assistant message. See docs/API.md for the mapping.
"""
