"""What operators see: Prometheus metrics, OpenTelemetry traces and structured logs.

Nothing is re-exported: ``llmcouncil.config`` imports ``observability.settings``, and the other
modules import the configuration, so this package stays import-free (as ``resilience`` does).
Runs are observed through their event stream (``RunChannel.tap``), never by metric calls spread
through the pipeline; see docs/OPERATIONS.md for what is exported and how to scrape it.
"""
