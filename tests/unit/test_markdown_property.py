"""Property: whatever a manifest or the server puts in a value, the rendered comment, parsed by GitHub's own
Markdown implementation (cmark-gfm) and then by the model of what GitHub links after Markdown
(`tests.fake_github.render_like_github`), keeps its table shape, shows every value literally, and contains
no link but ours, no image, heading, HTML comment, extra `</details>`, mention, reference, commit link,
emoji or math."""

from __future__ import annotations

import json
import unicodedata
from html.parser import HTMLParser

import cmarkgfm
from cmarkgfm.cmark import Options
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.domain.config import OwnershipTag
from reconciler.domain.diff import FieldDiff
from reconciler.domain.grants import AccessChange, Grant, Sourced
from reconciler.domain.plan import Change, Plan
from reconciler.domain.values import Position
from reconciler.domain.vocabulary import Action, DiffKind, Kind
from reconciler.render.views import Links, plan_comment
from tests.fake_github import github_references

ZWSP = "\u200b"
CELL_LIMIT = 300  # characters a value may take in a comment before it is cut with an ellipsis

HOSTILE = [
    "a | injected col | more",
    "x</details>\n\n# APPROVED BY SECURITY\n<details>",
    "a\n\n| forged | row |",
    "@octocat please approve",
    '<img src="https://attacker.example/t.png">',
    "[click to approve](https://evil.example)",
    "<!-- marker -->",
    "```\n# not code",
    "fixes #1 and org/repo#2",
    "see www.evil.example or https://evil.example/x",
    "mail me: a@b.example",
    "`code` *em* _em_ ~~del~~ \\ backslash",
    "<script>alert(1)</script>",
    "&amp; &lt; entities",
    "x" * 1000,
    "prod\u200b",
    "\u202egnp.exe\ufeff\U000e0041",
    "GH-12 and TICKET-9 and owner/repo@a5c3785ed8d6a35868bc169f07e40e889087fd2e",
    ":rocket: :+1: ship it",
    "$\\color{red}{APPROVED}$ and $$x$$",
    "deadbeefcafe0123456789",
]
values = st.one_of(st.sampled_from(HOSTILE), st.text(min_size=0, max_size=400))
# Access cells show a value with a suffix (" (new account)"), within the 300-character cell cap: long values are
# cut with "…" by design (render/markdown.py); the resource cell joins two values, so each stays under 140.
cell_values = st.one_of(st.sampled_from([h for h in HOSTILE if len(h) <= 140]), st.text(min_size=0, max_size=140))


class _Inspector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.links: list[str] = []
        self.headings: list[str] = []
        self._heading: list[str] | None = None
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None
        self.comments = 0
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "a":
            self.links.append(dict(attrs).get("href") or "")
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._heading = []
        if tag == "tr":
            self.rows.append([])
        if tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        self.tags.append(f"/{tag}")
        if tag.startswith("h") and tag[1:].isdigit() and self._heading is not None:
            self.headings.append("".join(self._heading))
            self._heading = None
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._heading is not None:
            self._heading.append(data)
        if self._cell is not None:
            self._cell.append(data)

    def handle_comment(self, data: str) -> None:
        self.comments += 1


def _one_line(text: str) -> str:
    """What a value must look like when shown, written from the rule rather than with the code under test:
    tab, LF and CR are written `\\t`, `\\n`, `\\r`; every other control character (Cc) and every other
    invisible character (Cf, Zl, Zp: the zero-width space, U+FEFF, bidirectional controls) a `\\uXXXX` escape;
    a value longer than the limit keeps its first CELL_LIMIT - 1 characters and an ellipsis."""
    named = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
    return _cut(
        "".join(
            named.get(c) or (_escaped(c) if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c) for c in text
        )
    )


def _escaped(char: str) -> str:
    return f"\\u{ord(char):04x}" if ord(char) <= 0xFFFF else f"\\U{ord(char):08x}"


def _cut(text: str) -> str:
    return text if len(text) <= CELL_LIMIT else text[: CELL_LIMIT - 1] + "\u2026"


def _visible(text: str) -> str:
    """The value on one line, compared without zero-width spaces (the escaping inserts them; the page is
    compared without them too)."""
    return _one_line(text).replace(ZWSP, "")


def _shown(text: str) -> str:
    """What a table cell must show: the visible value, trimmed of spaces as GFM trims a cell."""
    return _visible(text).strip(" ")


def _as_json(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=values, after=values, path=values, warning=values)
def test_hostile_values_render_literally_and_inertly(before: str, after: str, path: str, warning: str) -> None:
    change = Change(
        kind=Kind.VIRTUAL_ACCOUNT,
        name="hostile-bot",
        action=Action.UPDATE,
        position=Position("accounts/a.yaml", 3, 1),
        desired={"name": "hostile-bot"},
        diffs=(FieldDiff(path, DiffKind.CHANGE, before, after),),
        warnings=(warning,),
    )
    plan = Plan(changes=(change,), control_plane="https://tfy.example", ownership=OwnershipTag("k", "v"))
    body = plan_comment(plan, Links(repository="acme/accounts", sha="a" * 40))
    html = cmarkgfm.github_flavored_markdown_to_html(body, options=Options.CMARK_OPT_UNSAFE)
    page = _Inspector()
    page.feed(html)

    # Shape: the diff table (header + one row), three cells each; the changes table, four.
    diff_rows = [row for row in page.rows if len(row) == 3]
    assert len(diff_rows) == 2, diff_rows
    cells = [cell.replace(ZWSP, "") for cell in diff_rows[1]]
    assert cells == [_shown(path), _shown(_as_json(before)), _shown(_as_json(after))]
    assert [len(row) for row in page.rows if len(row) == 4] == [4, 4]

    # Nothing hidden, linked (but to our own file and commit), embedded, forged or mentioned.
    assert page.tags.count("details") == page.tags.count("/details") == 1
    assert not {"img", "h1", "h2", "h5", "h6", "script"} & set(page.tags)
    assert page.headings == ["va-reconciler plan", "Changes", "Warnings", "Details"]
    assert page.links == [
        "https://github.com/acme/accounts/blob/" + "a" * 40 + "/accounts/a.yaml#L3",
        "https://github.com/acme/accounts/commit/" + "a" * 40,
    ]
    assert page.comments == 1  # our own marker
    text = "".join(page.text)
    assert f"hostile-bot: {_visible(warning)}".strip(" ") in text.replace(ZWSP, "")
    assert github_references(body) == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    account=cell_values,
    role=cell_values,
    fqn=cell_values,
    binding=cell_values,
    resource_type=cell_values,
    high=st.booleans(),
)
def test_hostile_access_rows_render_literally_and_inertly(
    account: str, role: str, fqn: str, binding: str, resource_type: str, high: bool
) -> None:
    """The access table's every cell (account names, roles, resource FQNs, binding names) keeps its shape and
    shows the value literally."""
    granted = Sourced(Grant(role, resource_type, fqn), f"role-binding {binding}", high)
    access = AccessChange(account, before=(), after=(granted,), new=True)
    plan = Plan(changes=(), control_plane="https://tfy.example", ownership=OwnershipTag("k", "v"), access=(access,))
    body = plan_comment(plan, Links(repository="acme/accounts", sha="a" * 40))
    html = cmarkgfm.github_flavored_markdown_to_html(body, options=Options.CMARK_OPT_UNSAFE)
    page = _Inspector()
    page.feed(html)

    access_rows = [row for row in page.rows if len(row) == 6]
    assert len(access_rows) == 2, access_rows  # header and one grant
    cells = [cell.replace(ZWSP, "") for cell in access_rows[1]]
    assert cells == [
        (_visible(account) + " (new account)").strip(" "),  # the name is cut on its own, then the state follows
        "+",
        _shown(role),
        _shown(f"{resource_type} {fqn}"),
        _shown(f"role-binding {binding}"),
        "high privilege" if high else "",
    ]
    assert not {"img", "h1", "h2", "h5", "h6", "script", "details"} & set(page.tags)
    assert page.links == ["https://github.com/acme/accounts/commit/" + "a" * 40]  # our own footer link
    assert page.tags.count("h3") == 1 and page.tags.count("h4") == 1  # our title and "Access changes"
    assert page.comments == 1
    assert github_references(body) == []
