"""The run gate: policy, rate and budget before a run; ledger, budget and audit after it.

Before: the user must still be active, the council must be within their allowed presets and
models, their runs-per-minute must not be used up, and every hard budget must have room (a
reservation is taken). A refusal for policy or budget is an audit record too.

After: the run's calls enter the ledger, its reservation becomes spending, and one
``council.run`` audit record says who ran what, which models received data, what the privacy
guard redacted (counts per entity type), tokens, cost and outcome — without the question, unless
``audit.include_prompts``. Failures here are logged and never fail the run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from llmcouncil.analytics.recording import record_run_figures
from llmcouncil.audit.chain import Actor
from llmcouncil.audit.log import AuditLog
from llmcouncil.audit.settings import AuditSettings
from llmcouncil.auth.policy import CouncilPolicy, models_receiving_data
from llmcouncil.auth.repository import AuthStore
from llmcouncil.auth.settings import AuthSettings
from llmcouncil.auth.tables import UserRow
from llmcouncil.council.governance import RunActor
from llmcouncil.council.spec import CouncilSpec
from llmcouncil.errors import (
    AuthenticationError,
    BudgetExceededError,
    CouncilError,
    PermissionDeniedError,
)
from llmcouncil.privacy.policy import PrivacySummary
from llmcouncil.records import CallRecord
from llmcouncil.store.repository import RunDetail, Store
from llmcouncil.usage.ledger import Recorded
from llmcouncil.usage.service import Admission, UsageService

log = logging.getLogger(__name__)
# Failures that happen before any request leaves (no upstream received the data).
NO_CALL_KINDS = frozenset({"circuit_open", "capacity", "config"})


@dataclass(slots=True)
class RunAdmission:
    actor: RunActor | None
    spec: CouncilSpec
    usage: Admission
    warnings: list[str] = field(default_factory=list)


class GovernedRunGate:
    def __init__(
        self,
        *,
        store: Store,
        auth_store: AuthStore,
        usage: UsageService,
        audit: AuditLog,
        auth_settings: AuthSettings,
        audit_settings: AuditSettings,
    ) -> None:
        self._store = store
        self._auth_store = auth_store
        self._usage = usage
        self._audit = audit
        self._auth = auth_settings
        self._audit_settings = audit_settings

    async def admit(self, actor: RunActor | None, spec: CouncilSpec) -> RunAdmission:
        user_id = actor.user_id if actor else None
        try:
            if user_id is not None:
                user = await self.check_policy(user_id, spec)
                await self._usage.check_rate(
                    "runs",
                    user_id=user_id,
                    key_id=actor.api_key_id if actor else None,
                    user_limits=user.rate_limits,
                    key_limits=await self._key_limits(actor),
                )
            admission = await self._usage.admit(
                user_id=user_id, key_id=actor.api_key_id if actor else None
            )
        except (PermissionDeniedError, BudgetExceededError) as exc:
            await self._audit.record(
                "council.run",
                actor=_actor(actor),
                outcome="refused",
                details={
                    "preset": spec.preset,
                    "models": models_receiving_data(spec),
                    "reason": exc.code,
                    "message": exc.message,
                },
            )
            raise
        return RunAdmission(
            actor=actor, spec=spec, usage=admission, warnings=list(admission.warnings)
        )

    async def check_policy(self, user_id: str, spec: CouncilSpec) -> UserRow:
        """Refuse (403) a council outside the user's allowed presets and models."""
        user = await self._auth_store.get_user(user_id)
        if not user.active:
            raise AuthenticationError("your account is deactivated")
        role_policy = self._auth.roles.get(user.role)  # type: ignore[call-overload]
        if role_policy is None:
            raise PermissionDeniedError(f"the role {user.role!r} may not ask the council")
        CouncilPolicy.effective(
            role_policy, presets=user.allowed_presets, models=user.allowed_models
        ).check(spec)
        return user

    async def _key_limits(self, actor: RunActor | None) -> dict[str, Any] | None:
        if actor is None or actor.api_key_id is None:
            return None
        return (await self._auth_store.get_key(actor.api_key_id)).rate_limits

    async def release(self, admission: object) -> None:
        if isinstance(admission, RunAdmission):
            await self._usage.release(admission.usage)

    async def finished(self, admission: object, run_id: str, detail: RunDetail | None) -> None:
        usage = admission.usage if isinstance(admission, RunAdmission) else None
        try:
            if detail is None:  # the run's end could not be read back: try once more
                detail = await self._store.get_run(run_id)
            run = detail.run
            recorded = await self._usage.settle(
                run_id, admission=usage, attribution=(run.user_id, run.api_key_id)
            )
            actor = admission.actor if isinstance(admission, RunAdmission) else None
            warnings = admission.warnings if isinstance(admission, RunAdmission) else []
            await self._audit.record(
                "council.run",
                actor=_actor(actor),
                outcome=run.status,
                target=run_id,
                details=await self._run_details(detail, recorded, warnings),
            )
            await record_run_figures(self._store.engine, detail)  # analytics; never raises
        except CouncilError as exc:
            log.error("could not settle run %s: %s", run_id, exc)
        except Exception:
            log.exception("could not settle run %s", run_id)

    async def late(self, run_id: str) -> None:
        try:
            await self._usage.settle(run_id, admission=None)
        except Exception:
            log.exception("could not record the late answer of run %s", run_id)

    async def _run_details(
        self, detail: RunDetail, recorded: Recorded, warnings: list[str]
    ) -> dict[str, Any]:
        run = detail.run
        privacy = PrivacySummary.stored(run.privacy)
        details: dict[str, Any] = {
            "conversation_id": run.conversation_id,
            "preset": run.council.get("preset"),
            "models": models_that_received_data(detail.calls),
            "redactions": dict(privacy.redactions) if privacy else {},
            "privacy_policy": privacy.policy if privacy else None,
            "tokens": {
                "prompt": sum(r.prompt_tokens for r in recorded.records),
                "completion": sum(r.completion_tokens for r in recorded.records),
            },
            "cost": round(recorded.cost, 10),
            "calls": len(recorded.records),
            "attempt": run.attempts,
            "simulated": run.simulated,
            "error": (run.error or {}).get("code"),
        }
        if warnings:
            details["budget_warnings"] = warnings
        if self._audit_settings.include_prompts:
            details["question"] = (await self._store.get_message(run.message_id)).content
        return details


def models_that_received_data(calls: list[CallRecord]) -> list[str]:
    """Every model a request was sent to: answers, failed attempts, fallbacks."""
    seen: list[str] = []
    for call in calls:
        attempts = call.details.get("failed_attempts") or []
        seen += [
            str(a.get("model"))
            for a in attempts
            if isinstance(a, dict) and a.get("model") and a.get("kind") not in NO_CALL_KINDS
        ]
        if call.ok:
            seen.append(call.answered_by or call.model)
        elif not attempts and (call.failure is None or call.failure.kind not in NO_CALL_KINDS):
            seen.append(call.model)
    return sorted(set(seen))


def _actor(actor: RunActor | None) -> Actor:
    if actor is None or (actor.user_id is None and actor.name is None):
        return Actor(name="local")
    return Actor(user_id=actor.user_id, name=actor.name, key_id=actor.api_key_id, ip=actor.ip)
