"""``python -m llmcouncil`` is the ``council`` command."""

from llmcouncil.cli import main

main()
