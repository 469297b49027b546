"""Pure: where apply may run. Apply converges a control plane to what was merged, so it refuses:

- in a pull-request event (`pull_request`, `pull_request_target`, ...): changes under review are planned,
  never applied (reference/security-and-reliability.md, the Actions threat model);
- a branch other than the one it deploys (`apply.branch` in reconciler.yaml, else the repository's default
  branch), unless told otherwise (`--skip-ref-check`);
- a commit that is no longer the tip of that branch, as GitHub says at apply time: an older run must never
  overwrite what a newer one applies (two merges in a row, runs finishing out of order).
What cannot be known (no remote, no GitHub answer) restricts nothing: the workflow's concurrency group remains.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RunContext:
    """What is known about the run. `applied`: the branch applied (None: a detached commit or a tag); `ref`:
    what was asked for, for messages; `head`: its commit; `deploys`: the branch apply converges from (None:
    unknown); `deploys_head`: that branch's commit in this clone; `tip`: its commit as GitHub says now."""

    event: str = ""
    ref: str = ""
    applied: str | None = None
    head: str | None = None
    deploys: str | None = None
    deploys_head: str | None = None
    tip: str | None = None


SKIP = "pass --skip-ref-check to apply it anyway"


def apply_refusal(run: RunContext, skip_ref_check: bool = False) -> str | None:
    """Why apply must not run here, or None."""
    if run.event.startswith("pull_request"):
        return (
            f"apply refuses to run in a {run.event} event: a pull request is planned for review and applied "
            "after the merge (on push to its base branch)"
        )
    if skip_ref_check:
        return None
    if run.deploys is not None and run.applied is not None and run.applied != run.deploys:
        return (
            f"apply converges the control plane to {run.deploys}, but this run applies {run.applied}: merge it "
            f"first, or {SKIP}"
        )
    if run.deploys is not None and run.applied is None and run.head is not None and run.head != run.deploys_head:
        return (
            f"apply converges the control plane to {run.deploys}, but this run applies {run.ref or run.head[:12]}, "
            f"which is not its head: apply {run.deploys}, or {SKIP}"
        )
    if run.tip is not None and run.head is not None and run.tip != run.head:
        branch = run.deploys or run.applied or "the branch"
        return (
            f"{branch} has moved on to {run.tip[:12]} since this run's commit {run.head[:12]}: the run for the newer "
            f"commit applies it, and an older commit must never overwrite it ({SKIP})"
        )
    return None
