"""Property: any plan, huge and hostile ones included (errors full of `<`, which escaping multiplies by four,
long paths, long diffs), renders to a comment within GitHub's limit counted in UTF-16 code units, and to a
job summary within 1 MiB; every section that lost items says how many, and where to see them."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.domain.config import OwnershipTag
from reconciler.domain.diff import FieldDiff
from reconciler.domain.drift import DriftReport, Finding
from reconciler.domain.plan import Change, Plan
from reconciler.domain.reports import ApplyReport, Outcome
from reconciler.domain.values import Position, Problem
from reconciler.domain.vocabulary import Action, DiffKind, DriftKind, Kind, OutcomeStatus
from reconciler.render.views import Links, apply_comment, drift_issue, plan_comment, plan_failed, plan_job_summary

GITHUB_LIMIT = 65_536  # characters, counted by GitHub in UTF-16 code units
WRITE_ID = len("\n<!-- va-reconciler:write 0123456789abcdef -->")  # what the client appends to a create
SUMMARY_LIMIT = 1024 * 1024
LINKS = Links(repository="acme/accounts", sha="a" * 40, run_url="https://github.example/acme/accounts/actions/runs/1")


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


hostile = st.one_of(
    st.just("<" * 400),
    st.just("😀" * 300),  # two UTF-16 units each
    st.just("|" * 400),
    st.just("@a #1 GH-2 :+1: $x$ " * 30),
    st.text(min_size=0, max_size=500),
)
paths = st.one_of(
    st.just("accounts/" + "d/" * 1500 + "a.yaml"), st.just("accounts/a.yaml"), st.text(min_size=1, max_size=50)
)


@st.composite
def plans(draw: st.DrawFn) -> Plan:
    value, path = draw(hostile), draw(paths)
    count = draw(st.integers(min_value=0, max_value=400))
    actions = draw(st.lists(st.sampled_from(list(Action)), min_size=1, max_size=3))
    changes = tuple(
        Change(
            kind=Kind.VIRTUAL_ACCOUNT,
            name=f"bot-{index}",
            action=actions[index % len(actions)],
            position=Position(path, index + 1, 1),
            desired={"name": f"bot-{index}", "permissions": [value]},
            diffs=(
                FieldDiff("permissions", DiffKind.CHANGE, value, value),
                FieldDiff(value, DiffKind.ADD, None, value),
            ),
            warnings=(value,) * draw(st.integers(0, 2)),
            errors=(f"the control plane rejects it: {value}",) * draw(st.integers(0, 2)),
            reason=value if index % 3 == 0 else "",
            token_destination=value,
        )
        for index in range(count)
    )
    problems = tuple(Problem(Position(path, i + 1, 1), value) for i in range(draw(st.integers(0, 200))))
    return Plan(changes=changes, problems=problems, control_plane=value, ownership=OwnershipTag("k", "v"))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(plan=plans())
def test_any_plan_fits_the_comment_and_the_job_summary(plan: Plan) -> None:
    body = plan_comment(plan, LINKS)
    assert utf16(body) + WRITE_ID <= GITHUB_LIMIT
    assert len(plan_job_summary(plan, LINKS).encode("utf-8")) <= SUMMARY_LIMIT
    errors = len(plan.problems) + sum(len(c.errors) for c in plan.changes)
    listed = len(re.findall(r"^- .*?: the control plane rejects it: |^- \[", body, re.M))
    cut = re.search(r"^- … and (\d+) more errors: see the \[job summary\]", body, re.M)
    assert listed + (int(cut.group(1)) if cut else 0) == errors


def test_110_errors_full_of_angle_brackets_end_with_how_many_more_and_where() -> None:
    """The issue's case: 110 server errors with long `<` values made a 108,648-character body."""
    changes = tuple(
        Change(Kind.VIRTUAL_ACCOUNT, f"big-probe-{i:03d}", Action.CREATE,
               Position(f"accounts/big-probe-{i:03d}.yaml", 1, 1),
               errors=("the control plane rejects it: team " + "<" * 280 + " not found",))
        for i in range(110)
    )  # fmt: skip
    body = plan_comment(Plan(changes=changes, control_plane="https://tfy.example"), LINKS)
    assert utf16(body) + WRITE_ID <= GITHUB_LIMIT
    shown = body.count(": the control plane rejects it: team &lt;")
    assert 0 < shown < 110
    assert (
        f"- … and {110 - shown} more errors: see the [job summary]"
        "(https://github.example/acme/accounts/actions/runs/1) and the `plan.json` artifact." in body
    )


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=hostile, count=st.integers(0, 3000))
def test_apply_reports_and_drift_issues_fit_too(value: str, count: int) -> None:
    plan = Plan(changes=(), control_plane=value)
    outcomes = tuple(
        Outcome(Kind.VIRTUAL_ACCOUNT, f"b{i}", Action.CREATE, OutcomeStatus.FAILED, value) for i in range(count)
    )
    assert utf16(apply_comment(ApplyReport(plan, outcomes, 0), LINKS)) + WRITE_ID <= GITHUB_LIMIT
    diffs = (FieldDiff(value, DiffKind.CHANGE, value, value),)
    findings = tuple(Finding(DriftKind.MODIFIED, Kind.VIRTUAL_ACCOUNT, f"b{i}", value, diffs) for i in range(count))
    report = DriftReport(findings=findings, revision=None, control_plane=value, checked_at="now")
    assert utf16(drift_issue(report, LINKS)) + WRITE_ID <= GITHUB_LIMIT


@given(error=st.text(max_size=5000))
def test_the_plan_failed_note_names_the_head_and_fits(error: str) -> None:
    body = plan_failed("b" * 40, error, LINKS)
    assert "**Plan failed for [<code>bbbbbbbbbbbb</code>](https://github.com/acme/accounts/commit/" in body
    assert utf16(body) + WRITE_ID <= GITHUB_LIMIT


def test_the_plan_failed_note_masks_secrets_and_token_shapes() -> None:
    body = plan_failed("b" * 40, "401 for key s3cret-value and eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig", LINKS,
                       secrets=("s3cret-value",))  # fmt: skip
    assert "s3cret" not in body and "eyJhbGci" not in body
    assert "401 for key \\*\\*\\* and \\*\\*\\*" in body
