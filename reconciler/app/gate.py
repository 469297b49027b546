"""Use case: may apply run here? Gathers what Git, the Actions environment and GitHub say about the run,
and asks the pure rule (`domain/gate.py`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from reconciler.adapters.git_source import checkout_of
from reconciler.domain.errors import ApplyRefused
from reconciler.domain.gate import RunContext, apply_refusal

BRANCH_PREFIX = "refs/heads/"


@dataclass(frozen=True)
class Where:
    """Where apply was started: the folder and --ref, the environment, and whether to skip the ref checks."""

    path: str
    ref: str | None
    environ: Mapping[str, str]
    skip_ref_check: bool = False

    def check(self, configured: str | None) -> None:
        check_where_apply_runs(self.path, self.ref, configured, self.environ, self.skip_ref_check)


def check_where_apply_runs(
    path: str, ref: str | None, configured: str | None, environ: Mapping[str, str], skip_ref_check: bool
) -> None:
    """Raises ApplyRefused when apply must not run here (a pull-request event, another branch, a commit that is
    no longer the branch's tip); returns quietly otherwise."""
    refusal = apply_refusal(run_context(path, ref, configured, environ, ask_tip=not skip_ref_check), skip_ref_check)
    if refusal is not None:
        raise ApplyRefused(f"{refusal}; nothing was planned or written")


def run_context(
    path: str, ref: str | None, configured: str | None, environ: Mapping[str, str], ask_tip: bool = True
) -> RunContext:
    checkout = checkout_of(path, ref)
    if environ.get("GITHUB_ACTIONS") != "true":
        return RunContext(
            ref=ref or "",
            applied=checkout.branch,
            head=checkout.head,
            deploys=configured or checkout.default_branch,
            deploys_head=checkout.default_head,
        )
    from reconciler.app.github import branch_tip, github_context

    context = github_context(environ)
    pushed = context.ref.removeprefix(BRANCH_PREFIX) if context.ref.startswith(BRANCH_PREFIX) else None
    applied = checkout.branch if ref not in (None, "HEAD") else pushed
    deploys = configured or context.default_branch or checkout.default_branch
    branch = deploys or applied
    tip = branch_tip(context, branch) if ask_tip and branch and context.token and context.repository else None
    return RunContext(
        event=context.event_name,
        ref=ref or context.ref,
        applied=applied,
        head=checkout.head,
        deploys=deploys,
        deploys_head=checkout.default_head if deploys == checkout.default_branch else None,
        tip=tip,
    )
