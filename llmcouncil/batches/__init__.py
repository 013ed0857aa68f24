"""Batches: many questions asked of one council as a background job.

``tables`` / ``repository`` (the batch and one row per question), ``runner`` (the job: claims
the batch, runs each question as an ordinary run with an idempotency key, resumable after a
crash), ``service`` (submit, watch, cancel, with access control), ``questions`` (reading a
JSONL/CSV file of questions), ``export`` (CSV and JSON Lines).
"""
