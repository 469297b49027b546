"""The gate's last refusal when neither the deployed nor the applied branch is known."""

from __future__ import annotations

from reconciler.domain.gate import RunContext, apply_refusal

OLD, NEW = "a" * 40, "b" * 40


def test_a_detached_stale_commit_of_an_unknown_branch_is_refused_as_the_branch() -> None:
    assert apply_refusal(RunContext(event="push", head=OLD, tip=NEW)) == (
        "the branch has moved on to bbbbbbbbbbbb since this run's commit aaaaaaaaaaaa: the run for the newer commit "
        "applies it, and an older commit must never overwrite it (pass --skip-ref-check to apply it anyway)"
    )
