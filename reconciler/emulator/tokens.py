"""Token minting for the emulated control plane: HS256 JWTs signed with a per-database key, with the claims
TrueFoundry's CLI decodes locally (`tenantName`, `exp`, `username`, reference/control-plane-api.md §8), or
`tfy_` opaque tokens. Only this emulator module imports PyJWT."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import jwt as pyjwt

NO_EXPIRY = timedelta(days=3650)
TFY_KEY_PREFIX = "tfy_"
TFY_JWT_CLAIMS = ("tenantName", "exp")  # what tfy 0.17.5 reads from a key it decodes (common/entities.py)


def tfy_key_problem(token: str) -> str | None:
    """Why TrueFoundry's CLI could not use `token` as TFY_API_KEY, or None. tfy asks /session about keys
    starting with `tfy_` and decodes any other key as a JWT, unverified, reading `tenantName` and `exp`
    (reference/control-plane-api.md §8); a plain string fails there with "Not enough segments"."""
    if token.startswith(TFY_KEY_PREFIX):
        return None
    try:
        claims = pyjwt.decode(token, options={"verify_signature": False})
    except pyjwt.PyJWTError:
        return "is neither a tfy_ key nor a JWT"
    missing = [claim for claim in TFY_JWT_CLAIMS if claim not in claims]
    return f"is a JWT without the claim(s) {', '.join(missing)}" if missing else None


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
