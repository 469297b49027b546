"""The one error hierarchy. A `ReconcilerError` is a user-facing condition with a message and an exit code;
anything else reaching the top-level handler is a bug (exit 3)."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Terraform's convention (`plan -detailed-exitcode`): under --detailed-exitcode, 2 is never an error, so a
    CI script can branch on it.

    0 success; 1 every error a user can act on (invalid input, a failed apply, and, under --detailed-exitcode,
    usage errors too); 2 with --detailed-exitcode: the plan has changes, or drift was found; without it: a
    usage error (bad option, unknown Git ref, missing path), as click, grep and diff use it; 3 a bug (short
    message, traceback only with --debug)."""

    OK = 0
    INVALID = 1  # invalid input, a failed apply: any error a user can fix
    CHANGES = 2  # with --detailed-exitcode only: changes (plan) or drift found (drift); never an error there
    INTERNAL = 3  # a bug: short message, traceback only with --debug


def usage_exit_code(detailed_exitcode: bool) -> int:
    """A usage error's exit code: 2 (click's and POSIX tools' convention), but 1 when --detailed-exitcode
    gives 2 its meaning of "changes" or "drift", so that a typo never reads as changes."""
    return ExitCode.INVALID if detailed_exitcode else 2


class ReconcilerError(Exception):
    """Base of every error we raise on purpose. `str(error)` is what the user sees."""

    exit_code: ExitCode = ExitCode.INVALID


class UsageError(ReconcilerError):
    """The command line asks for something impossible (unknown ref, missing path, bad option mix). Exits
    `usage_exit_code(...)`: 2, or 1 under --detailed-exitcode."""


class ApplyRefused(ReconcilerError):
    """Apply may not run here: a pull-request event, another branch, a commit that is no longer the tip."""


class ConfigError(ReconcilerError):
    """reconciler.yaml or the environment is invalid."""


class SourceError(ReconcilerError):
    """The manifests could not be read (not a repository, unreadable path)."""


class PlanFileError(ReconcilerError):
    """A plan file that is unreadable, of another version, or altered since it was written."""


class OutputError(ReconcilerError):
    """A result could not be written where the command line asked (--out)."""


class InvalidDesiredState(ReconcilerError):
    """The manifests are invalid: nothing may be planned, applied or compared from them."""


class TokenSinkError(ReconcilerError):
    """A token could not be delivered to its destination."""


class OutOfBand(ReconcilerError):
    """Changed in the control plane since it was read: skipped, nothing written."""


class AppearedSincePlan(ReconcilerError):
    """A create found the name taken since the plan was made: reported as failed, for review."""
