"""Resources kept light for validate (`listed`), a report cut down to a commit's files (`restricted_to`), and
reports of several manifest roots as one (`merge_reports`)."""

from __future__ import annotations

from reconciler.domain.resources import DesiredResource, SkippedDocument, ValidationReport, merge_reports
from reconciler.domain.values import Position, Problem
from reconciler.domain.vocabulary import Kind, Severity, SkipReason

VA = Kind.VIRTUAL_ACCOUNT


def resource(name: str, file: str, line: int = 1) -> DesiredResource:
    return DesiredResource(VA, name, {"name": name}, Position(file, line, 1))


def skip(file: str, line: int = 1) -> SkippedDocument:
    return SkippedDocument(Position(file, line, 1), "team")


def problem(file: str, line: int = 1, message: str = "bad") -> Problem:
    return Problem(Position(file, line, 1), message)


def test_a_listed_resource_keeps_its_name_and_only_the_fields_asked_for() -> None:
    full = DesiredResource(
        VA,
        "ci-bot",
        {"type": "virtual-account", "name": "ci-bot", "tags": {"env": "prod"}, "expiration_date": "2027-01-01"},
        Position("accounts/ci-bot.yaml", 3, 1),
        {("tags", "env"): (7, 10)},
    )
    listed = full.listed(["tags", "ownedBy"])
    assert listed.manifest == {"name": "ci-bot", "tags": {"env": "prod"}}
    assert (listed.kind, listed.name, listed.position) == (VA, "ci-bot", Position("accounts/ci-bot.yaml", 3, 1))
    assert listed.position_of(("tags", "env")) == Position("accounts/ci-bot.yaml", 7, 10)
    assert full.manifest["type"] == "virtual-account"  # the original is left whole


def test_a_listed_resource_with_no_fields_keeps_only_its_name() -> None:
    full = DesiredResource(VA, "ci-bot", {"type": "virtual-account", "name": "ci-bot"}, Position("f.yaml", 1, 1))
    assert full.listed([]).manifest == {"name": "ci-bot"}


def test_a_report_restricted_to_a_commits_files_drops_the_other_candidates_and_keeps_the_rest() -> None:
    report = ValidationReport(
        files=3,
        resources=(resource("a", "a.yaml"), resource("b", "b.yaml")),
        skipped=(skip("a.yaml", 5), skip("b.yaml", 5)),
        problems=(problem("a.yaml"), problem("b.yaml"), problem("reconciler.yaml", message="config")),
    )
    restricted = report.restricted_to(["a.yaml", "notes.txt"], ["a.yaml", "b.yaml"])
    assert restricted == ValidationReport(
        files=1,
        resources=(resource("a", "a.yaml"),),
        skipped=(skip("a.yaml", 5),),
        problems=(problem("a.yaml"), problem("reconciler.yaml", message="config")),
    )


def test_a_report_restricted_to_every_candidate_is_the_whole_report() -> None:
    report = ValidationReport(2, (resource("a", "a.yaml"),), (skip("b.yaml"),), (problem("b.yaml"),))
    assert report.restricted_to(["a.yaml", "b.yaml"], ["a.yaml", "b.yaml"]) == report


def test_merged_reports_add_their_files_and_keep_every_resource_in_order() -> None:
    first = ValidationReport(2, (resource("z", "one/z.yaml"),), (), ())
    second = ValidationReport(3, (resource("a", "two/a.yaml"), resource("m", "two/m.yaml")), (), ())
    merged = merge_reports([first, second])
    assert merged.files == 5
    assert merged.resources == (resource("z", "one/z.yaml"), resource("a", "two/a.yaml"), resource("m", "two/m.yaml"))


def test_merged_reports_sort_skipped_documents_by_position_with_the_extra_ones() -> None:
    first = ValidationReport(1, (), (skip("b.yaml", 9), skip("b.yaml", 2)), ())
    second = ValidationReport(1, (), (skip("a.yaml", 4),), ())
    outside = SkippedDocument(Position("0-outside.yaml", 1, 1), "", SkipReason.OUTSIDE_PATHS)
    merged = merge_reports([first, second], [outside])
    assert merged.skipped == (outside, skip("a.yaml", 4), skip("b.yaml", 2), skip("b.yaml", 9))


def test_merged_reports_sort_their_problems_by_place() -> None:
    late = problem("b.yaml", 9)
    warning = Problem(Position("a.yaml", 3, 1), "w", severity=Severity.WARNING)
    merged = merge_reports(
        [ValidationReport(1, (), (), (late, problem("b.yaml", 1))), ValidationReport(1, (), (), (warning,))]
    )
    assert merged.problems == (warning, problem("b.yaml", 1), late)
    assert merged.skipped == () and merged.resources == ()


def test_merging_no_reports_is_an_empty_report() -> None:
    assert merge_reports([]) == ValidationReport(0, (), (), ())
