"""Paying for model calls made outside a run: a book's chapter summaries written in the
background (``documents/summary_jobs.py``, which holds this as its ``SummaryPayer``).

The calls are admitted, recorded and settled on the conversation's owner like a run's
(``UsageService.admit``, ``charge_calls``), and audited as a run is: ``document.summaries``
names the models the document's text was sent to, the calls, tokens and cost, or, when a hard
budget refused them, the reason. The summaries are the system's doing, on the owner's behalf:
the actor is the system, the owner is in the details.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from llmcouncil.audit.chain import SYSTEM
from llmcouncil.audit.log import AuditLog
from llmcouncil.errors import BudgetExceededError, CouncilError
from llmcouncil.records import CallRecord
from llmcouncil.usage.ledger import Recorded
from llmcouncil.usage.service import Admission, UsageService

log = logging.getLogger(__name__)

ACTION = "document.summaries"


class BackgroundCharges:
    def __init__(self, usage: UsageService, audit: AuditLog) -> None:
        self._usage = usage
        self._audit = audit

    async def admit(self, *, user_id: str | None, key_id: str | None) -> Admission:
        try:
            return await self._usage.admit(user_id=user_id, key_id=key_id)
        except BudgetExceededError as exc:
            await self._record(
                "refused", None, {"owner": user_id, "reason": exc.code, "message": exc.message}
            )
            raise

    async def release(self, admission: Admission) -> None:
        await self._usage.release(admission)

    async def charge_calls(
        self,
        calls: Sequence[CallRecord],
        *,
        admission: Admission | None,
        user_id: str | None,
        conversation_id: str,
        document_id: str,
    ) -> Recorded:
        recorded = await self._usage.charge_calls(
            calls,
            admission=admission,
            user_id=user_id,
            conversation_id=conversation_id,
            document_id=document_id,
        )
        details = {
            "owner": user_id,
            "conversation_id": conversation_id,
            # where the document's (redacted) text went, as a run's audit says of its question
            "models": sorted({c.answered_by or c.model for c in calls}),
            "calls": len(calls),
            "failed": sum(not c.ok for c in calls),
            "tokens": recorded.tokens,
            "cost": round(recorded.cost, 6),
        }
        await self._record("success", document_id, details)
        return recorded

    async def _record(self, outcome: str, target: str | None, details: dict[str, Any]) -> None:
        try:
            await self._audit.record(
                ACTION, actor=SYSTEM, outcome=outcome, target=target, details=details
            )
        except CouncilError as exc:  # as for runs: the audit failing never fails the work
            log.error("could not audit the summaries of %s: %s", target, exc)
