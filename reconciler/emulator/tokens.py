"""Token minting for the emulated control plane: HS256 JWTs signed with a per-database key, with the claims
TrueFoundry's CLI decodes locally (`tenantName`, `exp`, `username`, reference/control-plane-api.md §8), or
`tfy_` opaque tokens. Only this emulator module imports PyJWT."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import jwt as pyjwt

NO_EXPIRY = timedelta(days=3650)


class TokenMint:
    def __init__(self, signing_key: str, tenant_name: str) -> None:
        self._key = signing_key
        self._tenant = tenant_name

    def mint(self, token_type: str, claims: dict[str, object]) -> str:
        """A new token: opaque (`tfy_...`) or a signed JWT carrying `claims` plus the tenant name."""
        if token_type == "opaque":
            return "tfy_" + secrets.token_urlsafe(32)
        return pyjwt.encode({"tenantName": self._tenant, **claims}, self._key, algorithm="HS256")

    def signature_ok(self, token: str) -> bool:
        try:
            pyjwt.decode(token, self._key, algorithms=["HS256"], options={"verify_exp": False})
        except pyjwt.PyJWTError:
            return False
        return True

    def admin_session_token(self, subject: dict[str, str], jti: str) -> str:
        """A long-lived JWT for the admin, with the claims TrueFoundry's CLI decodes locally."""
        return self.mint(
            "jwt",
            {
                "exp": int((datetime.now(UTC) + NO_EXPIRY).timestamp()),
                "sub": subject["subjectId"],
                "username": "admin",
                "email": subject["subjectSlug"],
                "subjectType": "user",
                "jti": jti,
            },
        )
