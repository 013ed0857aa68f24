"""The one error tree of LLM Council.

Every error the package raises on purpose is a ``CouncilError``. Library errors (aiohttp,
SQLAlchemy, pydantic) are translated at the boundary where they occur (``raise … from exc``),
and the API and the CLI turn this tree into status codes and messages in one place each
(``llmcouncil.api.errors`` and ``llmcouncil.cli``).

    CouncilError
    ├── ConfigError                   invalid configuration; ``problems`` lists every one
    │   └── PrivacyVaultError         a stored privacy vault does not open with the configured keys
    ├── ValidationFailedError         a client's input is unacceptable (HTTP 422)
    │   ├── ContentTooLargeError      content over the configured limit (HTTP 413)
    │   ├── UnsupportedMediaTypeError a file of a type that cannot be read (HTTP 415)
    │   ├── DocumentRejectedError     a file that cannot be read safely (encrypted, corrupt, an
    │   │                             archive bomb, no text layer); ``code`` says which (HTTP 422)
    │   └── PiiBlockedError           the privacy policy refuses the content; ``entities`` names
    │                                 the types found (HTTP 422, code ``pii_blocked``)
    ├── NotFoundError                 unknown conversation, run or preset (HTTP 404)
    ├── ConflictError                 the request clashes with current state (HTTP 409)
    ├── AuthenticationError           no valid session or API key (HTTP 401)
    ├── PermissionDeniedError         signed in, but not allowed to do this (HTTP 403)
    ├── BudgetExceededError           a hard budget is used up for its period (HTTP 402)
    ├── OverloadedError               too much work in flight; ``retry_after`` seconds (HTTP 429)
    │   └── RateLimitExceededError    a user's or key's requests per minute are used up
    ├── HandedOverError               the instance stopped and handed its live run to another
    │                                 (code ``handed_over``, HTTP 503): follow it elsewhere
    ├── VaultChangedError             internal: a conversation's privacy vault was written by
    │                                 another process between this write's read and its write;
    │                                 nothing of the write was stored, and the caller reads and
    │                                 redacts again (``store/vault_writes.py``), never an answer
    ├── StoreError                    the database failed (HTTP 503)
    │   ├── StorageError              a read or write failed mid-flight: disk full, read-only,
    │   │                             connection lost (code ``storage_unavailable``); the run it
    │   │                             broke ends with the reason and can be retried
    │   └── VaultContendedError       the vault kept changing under a write, attempt after
    │                                 attempt; nothing was stored (HTTP 503, retryable)
    ├── CouncilFailedError            every member of a stage failed; ``failures`` per model
    └── ProviderError                 one upstream call failed; carries ``model`` and ``provider``
        ├── ProviderAuthError         401/403: key missing, wrong or without access
        ├── PaymentRequiredError      402: the account is out of credit
        ├── ModelNotFoundError        404: the upstream does not know the model id
        ├── BadRequestError           other 4xx: the upstream rejected the request
        ├── RateLimitedError          429; ``retry_after`` seconds when the upstream said
        ├── UpstreamServerError       5xx
        ├── UpstreamTimeoutError      total or first-token deadline passed
        ├── UpstreamConnectionError   could not connect, or the connection dropped
        ├── MalformedResponseError    the reply was not the chat-completions format
        ├── CircuitOpenError          the model's breaker is open; no call was made
        └── CapacityTimeoutError      no in-flight slot or rpm budget before the deadline;
                                      no call was made

``ProviderError.kind`` is a stable snake_case name used in the API, the store and metrics.
``ProviderError.retryable`` says whether a retry could help.
"""

from __future__ import annotations

from dataclasses import dataclass


class CouncilError(Exception):
    """Base of every error LLM Council raises on purpose."""

    code = "council_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(CouncilError):
    """The configuration is invalid; ``problems`` holds every problem found, not just the first."""

    code = "config_invalid"

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        joined = "\n".join(f"- {p}" for p in self.problems)
        super().__init__(f"invalid configuration:\n{joined}")


class ValidationFailedError(CouncilError):
    code = "validation_failed"


class ContentTooLargeError(ValidationFailedError):
    code = "content_too_large"


class UnsupportedMediaTypeError(ValidationFailedError):
    code = "unsupported_media_type"


class DocumentRejectedError(ValidationFailedError):
    """A file that cannot be read safely; ``code`` names why (``document_encrypted`` …)."""

    code = "document_rejected"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class PiiBlockedError(ValidationFailedError):
    """The preset's privacy policy is ``block`` (or a secret was found under ``block`` secrets)."""

    code = "pii_blocked"

    def __init__(self, message: str, *, entities: list[str]) -> None:
        super().__init__(message)
        self.entities = list(entities)


class PrivacyVaultError(ConfigError):
    """A stored vault does not decrypt: ``privacy.key`` changed or was lost."""

    code = "privacy_vault_unreadable"


class NotFoundError(CouncilError):
    code = "not_found"


class ConflictError(CouncilError):
    code = "conflict"


class OverloadedError(CouncilError):
    code = "overloaded"

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimitExceededError(OverloadedError):
    code = "rate_limit_exceeded"


class AuthenticationError(CouncilError):
    """No valid credentials: sign in, or send ``Authorization: Bearer <API key>``."""

    code = "unauthenticated"


class PermissionDeniedError(CouncilError):
    """The caller is known but its role, scopes or policy do not allow the request."""

    code = "forbidden"


class BudgetExceededError(CouncilError):
    code = "budget_exceeded"


class HandedOverError(CouncilError):
    """A draining instance handed the run to another instance (api/drain.py): the run goes on
    there; ``run_id`` names it for the client to follow or poll elsewhere."""

    code = "handed_over"

    def __init__(self, message: str, *, run_id: str) -> None:
        super().__init__(message)
        self.run_id = run_id


class RunSupersededError(HandedOverError):
    """This process's execution of a run lost it: another instance took the run over (this
    one's heartbeat stalled past the lease) and goes on with it. Nothing more of this execution
    is written (store/run_fence.py); a client follows the run where it went, as after a
    handover."""


class StoreError(CouncilError):
    code = "store_unavailable"


class StorageError(StoreError):
    """The database refused or lost a statement: full disk, read-only, connection gone.

    Translated from the driver's error where SQLAlchemy raises it (``store/failures.py``), so
    no layer above the store sees a library error for it.
    """

    code = "storage_unavailable"


class VaultContendedError(StoreError):
    """Every attempt to write a conversation's privacy vault found it changed by another
    process since it was read; nothing of the request was stored, and sending it again is
    safe."""

    code = "privacy_vault_contended"


class VaultChangedError(CouncilError):
    """A conversation's vault is no longer the token a write read (another process wrote it
    meanwhile): the write's transaction was rolled back whole. Raised by the store's
    compare-and-set and caught by ``retry_on_vault_change``; it never reaches a client."""

    code = "privacy_vault_changed"


class ProviderError(CouncilError):
    """One upstream call failed. ``model`` is the model id asked for, ``provider`` its upstream."""

    code = "upstream_error"
    kind = "upstream_error"
    retryable = False

    def __init__(
        self,
        message: str,
        *,
        model: str = "",
        provider: str = "",
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.model = model
        self.provider = provider
        self.status = status

    def __str__(self) -> str:
        where = f"{self.model} ({self.provider})" if self.provider else self.model
        return f"{where}: {self.message}" if where else self.message


class ProviderAuthError(ProviderError):
    kind = "auth"


class PaymentRequiredError(ProviderError):
    kind = "payment_required"


class ModelNotFoundError(ProviderError):
    kind = "model_not_found"


class BadRequestError(ProviderError):
    kind = "bad_request"


class RateLimitedError(ProviderError):
    kind = "rate_limited"
    retryable = True

    def __init__(
        self,
        message: str,
        *,
        model: str = "",
        provider: str = "",
        status: int | None = 429,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, model=model, provider=provider, status=status)
        self.retry_after = retry_after


class UpstreamServerError(ProviderError):
    kind = "upstream_5xx"
    retryable = True


class UpstreamTimeoutError(ProviderError):
    kind = "timeout"
    retryable = True


class UpstreamConnectionError(ProviderError):
    kind = "connection"
    retryable = True


class MalformedResponseError(ProviderError):
    kind = "malformed_response"
    retryable = True


class CircuitOpenError(ProviderError):
    kind = "circuit_open"


class CapacityTimeoutError(ProviderError):
    """The call waited for a free slot (in-flight limit, upstream rpm) past its deadline."""

    kind = "capacity"


@dataclass(frozen=True, slots=True)
class ModelFailure:
    """Why one model produced nothing: kept, stored and shown to the user."""

    model: str
    kind: str
    message: str
    status: int | None = None

    @classmethod
    def from_error(cls, error: BaseException, *, model: str) -> ModelFailure:
        if isinstance(error, ProviderError):
            return cls(model=model, kind=error.kind, message=error.message, status=error.status)
        return cls(model=model, kind="internal", message=f"{type(error).__name__}: {error}")

    def as_dict(self) -> dict[str, object]:
        return {
            "model": self.model,
            "kind": self.kind,
            "message": self.message,
            "status": self.status,
        }


class CouncilFailedError(CouncilError):
    """A stage could not produce anything: every model failed. ``failures`` says why, per model."""

    code = "council_failed"

    def __init__(self, message: str, *, failures: list[ModelFailure]) -> None:
        self.failures = list(failures)
        reasons = "; ".join(f"{f.model}: {f.message}" for f in self.failures)
        super().__init__(f"{message} ({reasons})" if reasons else message)
