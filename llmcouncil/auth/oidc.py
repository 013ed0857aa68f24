"""Single sign-on with OpenID Connect: the authorization code flow with PKCE and a nonce.

Authlib supplies the protocol pieces (PKCE challenge, URL building, random state) and joserfc,
Authlib's JOSE library, verifies the ID token against the provider's JWKS (signature, issuer,
audience, expiry, nonce). The three HTTP requests (discovery, JWKS, token) go through aiohttp,
the client the rest of the package uses; Authlib's own clients would pull in a second HTTP stack.

The state, nonce and code verifier of a sign-in in progress are kept server-side as a one-time
token (``auth.one_time_tokens``), so the callback accepts each state once, within ten minutes.
"""

from __future__ import annotations

import base64
import logging
import os
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp
from authlib.common.security import generate_token
from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from llmcouncil.auth.settings import OIDCSettings
from llmcouncil.errors import AuthenticationError

log = logging.getLogger(__name__)
STATE_TTL = 600.0
METADATA_TTL = 3600.0
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"]


@dataclass(frozen=True, slots=True)
class PendingSignIn:
    """What the callback needs: stored under the state, never sent to the browser except
    ``state`` itself (and the challenge derived from the verifier)."""

    state: str
    nonce: str
    code_verifier: str
    redirect_uri: str
    next_path: str

    def as_dict(self) -> dict[str, str]:
        return {
            "nonce": self.nonce,
            "code_verifier": self.code_verifier,
            "redirect_uri": self.redirect_uri,
            "next_path": self.next_path,
        }


@dataclass(frozen=True, slots=True)
class Identity:
    subject: str  # issuer + "|" + sub: unique across providers
    username: str | None
    email: str | None
    name: str | None


class OIDCClient:
    def __init__(self, settings: OIDCSettings) -> None:
        self.settings = settings
        self._http: aiohttp.ClientSession | None = None
        self._metadata: dict[str, Any] | None = None
        self._metadata_at = 0.0
        self._keys: KeySet | None = None

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.close()

    async def begin(self, *, redirect_uri: str, next_path: str) -> tuple[str, PendingSignIn]:
        """The provider's authorization URL to send the browser to, and what to keep."""
        metadata = await self._discover()
        pending = PendingSignIn(
            state=generate_token(43),
            nonce=generate_token(43),
            code_verifier=generate_token(64),
            redirect_uri=redirect_uri,
            next_path=next_path,
        )
        url = add_params_to_uri(
            str(metadata["authorization_endpoint"]),
            [
                ("response_type", "code"),
                ("client_id", self.settings.client_id),
                ("redirect_uri", redirect_uri),
                ("scope", " ".join(self.settings.scopes)),
                ("state", pending.state),
                ("nonce", pending.nonce),
                ("code_challenge", create_s256_code_challenge(pending.code_verifier)),
                ("code_challenge_method", "S256"),
            ],
        )
        return url, pending

    async def finish(self, *, code: str, pending: dict[str, str]) -> Identity:
        """Exchange the code and verify the ID token; ``AuthenticationError`` when anything
        about it is wrong."""
        metadata = await self._discover()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": pending["redirect_uri"],
            "code_verifier": pending["code_verifier"],
            "client_id": self.settings.client_id,
        }
        headers = {}
        secret = self._client_secret()
        if secret:  # client_secret_basic: both parts form-encoded first (RFC 6749, 2.3.1)
            pair = f"{quote(self.settings.client_id, safe='')}:{quote(secret, safe='')}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        tokens = await self._request_json(
            "POST", str(metadata["token_endpoint"]), data=form, headers=headers
        )
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise AuthenticationError("single sign-on failed: the provider sent no ID token")
        claims = await self._verify(id_token, nonce=pending["nonce"], metadata=metadata)
        return Identity(
            subject=f"{metadata['issuer']}|{claims['sub']}",
            username=_text(claims.get(self.settings.username_claim)),
            email=_text(claims.get("email")),
            name=_text(claims.get("name")),
        )

    async def _verify(
        self, id_token: str, *, nonce: str, metadata: dict[str, Any]
    ) -> dict[str, Any]:
        for refresh in (False, True):  # a key rotation: fetch the JWKS again once
            keys = await self._jwks(metadata, refresh=refresh)
            try:
                token = jwt.decode(id_token, keys, algorithms=ALGORITHMS)
            except JoseError as exc:
                if refresh:
                    raise AuthenticationError(
                        f"single sign-on failed: the ID token is not valid ({exc.error})"
                    ) from exc
                continue
            registry = jwt.JWTClaimsRegistry(
                leeway=60,
                iss={"essential": True, "value": metadata["issuer"]},
                aud={"essential": True, "value": self.settings.client_id},
                sub={"essential": True},
                exp={"essential": True},
                nonce={"essential": True, "value": nonce},
            )
            try:
                registry.validate(token.claims)
            except JoseError as exc:
                raise AuthenticationError(
                    f"single sign-on failed: the ID token's claims are not valid ({exc})"
                ) from exc
            return dict(token.claims)
        raise AssertionError("unreachable")

    async def _discover(self) -> dict[str, Any]:
        if self._metadata is None or time.monotonic() - self._metadata_at > METADATA_TTL:
            issuer = self.settings.issuer.rstrip("/")
            metadata = await self._request_json("GET", f"{issuer}/.well-known/openid-configuration")
            if str(metadata.get("issuer", "")).rstrip("/") != issuer:
                raise AuthenticationError(
                    "single sign-on failed: the provider's discovery names another issuer"
                )
            missing = [
                k
                for k in ("authorization_endpoint", "token_endpoint", "jwks_uri")
                if not metadata.get(k)
            ]
            if missing:
                raise AuthenticationError(
                    f"single sign-on failed: the provider's discovery lacks {', '.join(missing)}"
                )
            self._metadata, self._metadata_at = metadata, time.monotonic()
            self._keys = None
        return self._metadata

    async def _jwks(self, metadata: dict[str, Any], *, refresh: bool) -> KeySet:
        if self._keys is None or refresh:
            data = await self._request_json("GET", str(metadata["jwks_uri"]))
            try:
                self._keys = KeySet.import_key_set(data)  # type: ignore[arg-type]
            except (JoseError, KeyError, TypeError, ValueError) as exc:
                raise AuthenticationError(
                    "single sign-on failed: the provider's JWKS is not valid"
                ) from exc
        return self._keys

    async def _request_json(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))
        try:
            async with self._http.request(method, url, **kwargs) as response:
                body = await response.json(content_type=None)
                if response.status >= 400 or not isinstance(body, dict):
                    problem = body.get("error") if isinstance(body, dict) else response.status
                    raise AuthenticationError(
                        f"single sign-on failed: the provider answered {response.status} "
                        f"({problem})"
                    )
                return body
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            log.warning("OIDC request to %s failed: %s", url, exc)
            raise AuthenticationError(
                "single sign-on failed: the identity provider could not be reached"
            ) from exc

    def _client_secret(self) -> str | None:
        if not self.settings.client_secret_env:
            return None
        return os.environ.get(self.settings.client_secret_env) or None


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None
