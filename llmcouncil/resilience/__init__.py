"""Policies between the council and the providers: retries, circuit breakers, fallbacks,
straggler deadlines, hedging and backpressure. See docs/ARCHITECTURE.md and docs/PERFORMANCE.md.

Nothing is re-exported here: ``llmcouncil.config`` imports ``resilience.settings``, and the
modules that need settings import ``llmcouncil.config``, so this package stays import-free.
"""
