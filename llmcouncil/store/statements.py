"""The run path's statements, built once, with bind parameters for what changes.

Building a SQLAlchemy statement and computing its cache key (how SQLAlchemy finds the compiled
form) cost about ten times executing it on SQLite: three reads of one run took 430–515 µs of CPU
built afresh and 50 µs built once (docs/PERFORMANCE.md), and a council makes a few dozen
statements. A statement built once keeps its cache key, so an execution only binds values.

Updates have no ``values()``: the SET clause is the execution's parameters (one compiled form
per set of columns, cached like the rest); their WHERE parameter is ``b_id`` so it cannot clash
with a column name. Inserts take their rows as execution parameters too.
"""

from __future__ import annotations

from sqlalchemy import bindparam, func, insert, select, update

from llmcouncil.store.tables import CONVERSATIONS, MESSAGES, MODEL_CALLS, RUNS

INSERT_CONVERSATION = insert(CONVERSATIONS)
INSERT_MESSAGE = insert(MESSAGES)
INSERT_RUN = insert(RUNS)
INSERT_CALLS = insert(MODEL_CALLS)

UPDATE_CONVERSATION = update(CONVERSATIONS).where(CONVERSATIONS.c.id == bindparam("b_id"))
UPDATE_RUN = update(RUNS).where(RUNS.c.id == bindparam("b_id"))
# The same, only while the run's attempt is still the one this process executes (run_fence.py).
UPDATE_RUN_FENCED = update(RUNS).where(
    RUNS.c.id == bindparam("b_id"), RUNS.c.attempts == bindparam("b_attempt")
)

CONVERSATION = select(CONVERSATIONS).where(CONVERSATIONS.c.id == bindparam("conversation_id"))

MESSAGES_OF_CONVERSATION = (
    select(MESSAGES)
    .where(MESSAGES.c.conversation_id == bindparam("conversation_id"))
    .order_by(MESSAGES.c.seq)
)
RUNS_OF_CONVERSATION = (
    select(RUNS)
    .where(RUNS.c.conversation_id == bindparam("conversation_id"))
    .order_by(RUNS.c.created_at, RUNS.c.id)
)

LAST_SEQ = select(func.coalesce(func.max(MESSAGES.c.seq), 0)).where(
    MESSAGES.c.conversation_id == bindparam("conversation_id")
)

# Earlier (question, final answer) pairs: messages before ``before_seq`` with a finished run.
HISTORY = (
    select(MESSAGES.c.id, MESSAGES.c.content, RUNS.c.final)
    .join(RUNS, RUNS.c.message_id == MESSAGES.c.id)
    .where(
        MESSAGES.c.conversation_id == bindparam("conversation_id"),
        MESSAGES.c.seq < bindparam("before_seq"),
        RUNS.c.final.is_not(None),
    )
    .order_by(MESSAGES.c.seq, RUNS.c.created_at)
)

# A run with its conversation's vault, in one read.
RUN_WITH_VAULT = (
    select(RUNS, CONVERSATIONS.c.pii_vault.label("conversation_vault"))
    .join(CONVERSATIONS, CONVERSATIONS.c.id == RUNS.c.conversation_id)
    .where(RUNS.c.id == bindparam("run_id"))
)

CALLS_OF_RUNS = (
    select(MODEL_CALLS)
    .where(MODEL_CALLS.c.run_id.in_(bindparam("run_ids", expanding=True)))
    .order_by(MODEL_CALLS.c.stage, MODEL_CALLS.c.position, MODEL_CALLS.c.id)
)
