"""The one error hierarchy. A `ReconcilerError` is a user-facing condition with a message and an exit code;
anything else reaching the top-level handler is a bug (exit 3)."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    INVALID = 1  # invalid input, a failed apply, or any error a user can fix
    USAGE = 2  # bad command line (also "changes present" with --detailed-exitcode, as terraform does)
    INTERNAL = 3  # a bug: short message, traceback only with --debug
    CHANGES = 2


class ReconcilerError(Exception):
    """Base of every error we raise on purpose. `str(error)` is what the user sees."""

    exit_code: ExitCode = ExitCode.INVALID


class UsageError(ReconcilerError):
    """The command line asks for something impossible (unknown ref, missing path, bad option mix)."""

    exit_code = ExitCode.USAGE


class ConfigError(ReconcilerError):
    """reconciler.yaml or the environment is invalid."""


class SourceError(ReconcilerError):
    """The manifests could not be read (not a repository, unreadable path)."""


class PlanFileError(ReconcilerError):
    """A plan file that is unreadable, of another version, or altered since it was written."""


class InvalidDesiredState(ReconcilerError):
    """The manifests are invalid: nothing may be planned, applied or compared from them."""


class TokenSinkError(ReconcilerError):
    """A token could not be delivered to its destination."""


class OutOfBand(ReconcilerError):
    """Changed in the control plane since it was read: skipped, nothing written."""


class AppearedSincePlan(ReconcilerError):
    """A create found the name taken since the plan was made: reported as failed, for review."""
