"""Where apply may run: never in a pull-request event, only the branch it deploys, only that branch's tip."""

from __future__ import annotations

import pytest

from reconciler.domain.gate import RunContext, apply_refusal

MAIN, OLD, NEW = "main", "a" * 40, "b" * 40


@pytest.mark.parametrize("event", ["pull_request", "pull_request_target", "pull_request_review"])
def test_a_pull_request_event_is_refused_even_when_told_to_skip_the_ref_check(event: str) -> None:
    run = RunContext(event=event, applied=MAIN, head=NEW, deploys=MAIN, deploys_head=NEW, tip=NEW)
    for skip in (False, True):
        assert apply_refusal(run, skip) == (
            f"apply refuses to run in a {event} event: a pull request is planned for review and applied after the "
            "merge (on push to its base branch)"
        )


def test_the_deployed_branch_at_its_tip_may_apply() -> None:
    assert (
        apply_refusal(RunContext(event="push", applied=MAIN, head=NEW, deploys=MAIN, deploys_head=NEW, tip=NEW)) is None
    )
    assert apply_refusal(RunContext(event="workflow_dispatch", applied=MAIN, head=NEW, deploys=MAIN)) is None
    assert apply_refusal(RunContext(applied="feature", head=NEW)) is None  # no remote, nothing configured: unknown


def test_another_branch_is_refused_unless_told() -> None:
    run = RunContext(applied="feature", head=NEW, deploys=MAIN, deploys_head=OLD)
    assert apply_refusal(run) == (
        "apply converges the control plane to main, but this run applies feature: merge it first, or pass "
        "--skip-ref-check to apply it anyway"
    )
    assert apply_refusal(run, skip_ref_check=True) is None


def test_a_detached_commit_applies_only_when_it_is_the_deployed_branchs_head() -> None:
    assert apply_refusal(RunContext(ref="v1.2", head=OLD, deploys=MAIN, deploys_head=NEW)) == (
        "apply converges the control plane to main, but this run applies v1.2, which is not its head: apply main, "
        "or pass --skip-ref-check to apply it anyway"
    )
    assert "applies aaaaaaaaaaaa, which" in str(apply_refusal(RunContext(head=OLD, deploys=MAIN, deploys_head=NEW)))
    assert apply_refusal(RunContext(ref=NEW, head=NEW, deploys=MAIN, deploys_head=NEW)) is None


def test_an_older_commit_never_applies_over_a_newer_tip() -> None:
    stale = RunContext(event="push", applied=MAIN, head=OLD, deploys=MAIN, deploys_head=OLD, tip=NEW)
    assert apply_refusal(stale) == (
        "main has moved on to bbbbbbbbbbbb since this run's commit aaaaaaaaaaaa: the run for the newer commit applies "
        "it, and an older commit must never overwrite it (pass --skip-ref-check to apply it anyway)"
    )
    assert apply_refusal(stale, skip_ref_check=True) is None
    unknown_default = RunContext(event="push", applied="release", head=OLD, tip=NEW)
    assert str(apply_refusal(unknown_default)).startswith("release has moved on to bbbbbbbbbbbb")
    assert apply_refusal(RunContext(event="push", applied=MAIN, head=OLD, deploys=MAIN, tip=None)) is None
