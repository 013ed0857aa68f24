"""Background jobs: one ``JobQueue`` interface, SAQ on Redis or tasks in this process.

``queue`` (the interface, the in-process queue), ``saq_queue`` (Redis: the enqueuing side and
the worker of ``council worker``), ``deployment`` (which one the settings choose),
``settings`` (the ``[jobs]`` section). Nothing is imported here, so that ``config`` can import
the settings without a cycle.
"""
