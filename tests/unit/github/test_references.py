"""What GitHub links or replaces after Markdown, per its documentation: the model in the fake GitHub finds
each kind in plain text (guarding the guard), and nothing once a value went through our escaping."""

from __future__ import annotations

import pytest

from reconciler.render.markdown import html_text, md_text
from tests.fake_github import github_references

CASES = {
    "@octocat please": "@octocat",
    "ping @acme/security": "@acme/security",
    "fixes #12": "#12",
    "see acme/other#3": "acme/other#3",
    "GH-42 is done": "GH-42",
    "gh-42 is done": "gh-42",
    "TICKET-7 tracks it": "TICKET-7",
    "at a5c3785ed8d6a35868bc169f07e40e889087fd2e": "a5c3785ed8d6a35868bc169f07e40e889087fd2e",
    "short sha abc1234 here": "abc1234",
    "acme/repo@abc1234": "acme/repo@abc1234",
    "ship :rocket: now": ":rocket:",
    "vote :+1:": ":+1:",
    "total $\\sum x$ here": "math",
}


@pytest.mark.parametrize(("text", "found"), CASES.items())
def test_the_model_sees_each_kind_in_plain_text(text: str, found: str) -> None:
    assert found in github_references(text)


@pytest.mark.parametrize("text", CASES)
def test_escaped_values_link_nothing(text: str) -> None:
    assert github_references(f"| {md_text(text)} |\n|---|\n| {md_text(text)} |") == []
    assert github_references(f"<details><summary>{html_text(text)}</summary>\n\nx\n</details>") == []


def test_our_own_file_positions_and_account_names_stay_readable() -> None:
    assert str(md_text("release-2024-bot")) == "release\\-2024\\-bot"
    assert github_references("[accounts/a\\.yaml:12:3](https://github.com/acme/a/blob/x/accounts/a.yaml#L12)") == []
