"""Control-plane errors: our own classes, mapped from HTTP statuses and transport failures, carrying the
server's `message`. The httpx exception is chained (`raise ... from`), never shown to users."""

from __future__ import annotations

from reconciler.domain.errors import ReconcilerError


class ControlPlaneError(ReconcilerError):
    status: int | None = None
    transient = False  # worth retrying for reads and updates

    def __init__(self, message: str, status: int | None = None, retry_after: str | None = None) -> None:
        super().__init__(message)
        if status is not None:
            self.status = status
        self.retry_after = retry_after


class Rejected(ControlPlaneError):
    """400/422: the server refused the request as invalid; retrying cannot help."""


class AuthenticationFailed(ControlPlaneError):
    status = 401


class PermissionDenied(ControlPlaneError):
    status = 403


class NotFound(ControlPlaneError):
    status = 404


class Conflict(ControlPlaneError):
    status = 409


class RateLimited(ControlPlaneError):
    status = 429
    transient = True


class Unavailable(ControlPlaneError):
    """502/503/504 and other 5xx."""

    transient = True


class ConnectionFailed(ControlPlaneError):
    """Nothing reached the server (connect error or timeout): always safe to retry."""

    transient = True


class ResponseLost(ControlPlaneError):
    """The request may have been processed but the response never arrived (read timeout, dropped
    connection): safe to retry only when repeating it cannot lose anything."""

    transient = True


class ListingIncomplete(ControlPlaneError):
    """The paginated listing did not add up: nothing may be planned or deleted from it."""


class ListingChanged(ListingIncomplete):
    """Two readings of a listing disagree, or a name the listing did not show exists and can be found: the
    resources changed while they were read. Worth reading again."""


class ReadOnlyViolation(ControlPlaneError):
    """A write attempted through a read-only client; raised before anything is sent."""


_BY_STATUS: dict[int, type[ControlPlaneError]] = {
    400: Rejected,
    401: AuthenticationFailed,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    422: Rejected,
    429: RateLimited,
}


def error_for_status(status: int, message: str, retry_after: str | None) -> ControlPlaneError:
    kind = _BY_STATUS.get(status) or (Unavailable if status >= 500 else Rejected)
    return kind(message, status=status, retry_after=retry_after)
