"""Use case: which pull requests an apply carried, and which of their accounts each one touched.

An apply converges the control plane to the checked-out head of main, which may hold several merges since the
last apply (a run the concurrency group cancelled, two merges close together). Every pull request merged
since the last applied revision hears about the apply, with the rows of its own accounts.

Where the last applied revision is kept: a commit status (`va-reconciler/apply`, one context per environment)
that every apply sets on the revision it applied. The last applied revision is the nearest first-parent
ancestor of the applied head carrying it. When none is found (the first apply, statuses unreadable, a
shallow clone), the range falls back to the push event's `before` commit, then to the commit that started
the run, so the pull request of that commit is always reported on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reconciler.domain.documents import DocumentClass, classify
from reconciler.domain.ports import History, Publisher
from reconciler.manifests.yaml_loader import load_documents
from reconciler.render.views import ApplyScope

MAX_COMMITS = 100  # first-parent commits searched back from the applied head
MANIFEST_SUFFIXES = (".yaml", ".yml")


def status_context(environment: str) -> str:
    return f"va-reconciler/apply{f' ({environment})' if environment else ''}"


@dataclass(frozen=True)
class AppliedRange:
    """The commits an apply brought in (newest first) and how their start was found."""

    commits: tuple[str, ...]
    since: str


def applied_range(
    history: Sequence[str], last_applied: str | None, before: str | None, trigger: str | None
) -> AppliedRange:
    """The commits of `history` (the applied head first, then its first parents) after the last applied
    revision; without one, after the push's `before`, else from the `trigger` commit on, else the head."""
    for bound, inclusive, how in (
        (last_applied, False, "the last applied revision (commit status)"),
        (before, False, "the push event's previous head"),
        (trigger, True, "the commit that started the run"),
    ):
        if bound and bound in history:
            end = history.index(bound) + (1 if inclusive else 0)
            return AppliedRange(tuple(history[:end]), how)
    return AppliedRange(tuple(history[:1]), "the applied revision alone")


def accounts_touched(history: History, sha: str) -> frozenset[str]:
    """Names of the managed accounts commit `sha` changed: every account defined in a manifest it changed,
    as the file was before (deletes, renames) and after."""
    parents = history.first_parents(sha, 2)
    parent = parents[1] if len(parents) > 1 else None
    names: set[str] = set()
    for path in history.changed_files(sha):
        if path.endswith(MANIFEST_SUFFIXES):
            for revision in (sha, parent):
                content = history.read(revision, path) if revision else None
                names.update(_account_names(content, path) if content is not None else ())
    return frozenset(names)


def _account_names(content: bytes, path: str) -> set[str]:
    found = set()
    for document in load_documents(content, path).documents:
        value = document.value
        if isinstance(value, dict) and classify(value.get("type")).verdict == DocumentClass.MANAGED:
            name = value.get("name")
            if isinstance(name, str):
                found.add(name)
    return found


def pull_request_scopes(github: Publisher, history: History, commits: Sequence[str]) -> list[ApplyScope]:
    """One scope per merged pull request of `commits` (oldest first): the commits it was merged as and the
    accounts they touched."""
    merged: dict[int, list[str]] = {}
    for sha in reversed(commits):
        for number in github.pull_requests_of(sha):
            merged.setdefault(number, []).append(sha)
    return [
        ApplyScope(number, tuple(shas), frozenset().union(*(accounts_touched(history, s) for s in shas)))
        for number, shas in merged.items()
    ]
