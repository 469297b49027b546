"""The emulator's API error: an HTTP status with the documented body `{statusCode, message, code}`
(reference/control-plane-api.md §7)."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    CODES = {
        400: "BAD_REQUEST",
        401: "UNAUTHORIZED",
        403: "FORBIDDEN",
        404: "NOT_FOUND",
        409: "CONFLICT",
        422: "VALIDATION_ERROR",
        429: "TOO_MANY_REQUESTS",
        503: "SERVICE_UNAVAILABLE",
    }

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def body(self) -> dict[str, Any]:
        return {"statusCode": self.status, "message": self.message, "code": self.CODES.get(self.status, "ERROR")}
