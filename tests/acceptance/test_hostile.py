"""The hostile corpus: every input a user (or a pull request) controls, tried as a hostile user would. Each case
runs the real CLI in-process on a real temporary folder (a Git repository) and asserts: an exit code in {0, 1,
2} (never 3, "a bug"), no traceback, the file and line where one exists, the expected verdict, and that
nothing printed carries ESC, a bidirectional control or another raw control character. The cases are data;
each stands for its class (issue 13)."""

from __future__ import annotations

import os
import re
import socket
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from reconciler.domain.plan import PLAN_VERSION
from tests.conftest import CliRunner, commit_all, git

GOOD = """type: virtual-account
name: {name}
secret_store_config:
  type: secret-store
  integration_fqn: acme:aws:parameter-store:prod
  secret_path: ci/{name}
"""


def good(name: str = "good-bot", extra: str = "") -> str:
    return GOOD.format(name=name) + extra


Setup = Callable[[Path], None]


@dataclass(frozen=True)
class Case:
    id: str
    files: dict[str, str | bytes] = field(default_factory=dict)
    args: tuple[str, ...] = ("validate", "{repo}")
    code: int = 1
    says: tuple[str, ...] = ()  # substrings of stdout + stderr (file:line:col where one exists)
    env: dict[str, str] = field(default_factory=dict)
    setup: Setup | None = None
    absent: tuple[str, ...] = ()  # must not be printed


def fifo(name: str) -> Setup:
    return lambda repo: os.mkfifo(repo / name)


def symlink(name: str, target: str) -> Setup:
    return lambda repo: os.symlink(target, repo / name)


def nested(depth: int) -> str:
    return "type: virtual-account\nname: deep-bot\ntags:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(depth))


def plan_file(text: str | bytes) -> Setup:
    def write(repo: Path) -> None:
        target = repo.parent / "plan.json"
        target.write_bytes(text if isinstance(text, bytes) else text.encode())

    return write


def busy_port(repo: Path) -> None:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    (repo.parent / "port").write_text(str(holder.getsockname()[1]))
    _HELD.append(holder)


_HELD: list[socket.socket] = []
BOMB = "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n"
INJECT = '"x\\n::error file=a.yaml,line=1::pwned": 1\n'

CASES = [
    # -- files and folders -------------------------------------------------------------------------------
    Case("fifo-yaml", {"a.yaml": good()}, setup=fifo("b.yaml"), says=("b.yaml:1:1: error: not a regular file",)),
    Case("symlink-yaml", {"a.yaml": good()}, setup=symlink("b.yaml", "/etc/passwd"), says=("b.yaml:1:1",)),
    Case("empty-repository", {}, code=0, says=("warning: no manifest files",)),
    Case("only-other-files", {"README.md": "# hi\n"}, code=0, says=("warning: no manifest files",)),
    Case("upper-case-suffix", {"A.YAML": good("upper-bot")}, code=0, says=("1 files, 1 accounts",)),
    Case("upper-case-yml-invalid", {"B.YML": good("x")}, says=("B.YML:2:7: error",)),
    Case("folder-named-yaml", {"d.yaml/a.yaml": good()}, code=0, says=("1 files, 1 accounts",)),
    Case("latin-1", {"a.yaml": good().encode() + b"# caf\xe9\n"}, says=("a.yaml:7:",)),
    Case("utf-16", {"a.yaml": "\ufeff".encode("utf-16-le") + good().encode("utf-16-le")}, says=("a.yaml:1:1",)),
    Case("nul-byte", {"a.yaml": good() + "# \x00\n"}, says=("a.yaml:7:",)),
    Case("oversized", {"a.yaml": good() + "#" + "x" * 300_000 + "\n"}, says=("a.yaml:1:1",)),
    Case("too-deep", {"a.yaml": nested(40)}, says=("a.yaml:", "nesting deeper than 32")),
    Case("unclosed-quote", {"a.yaml": 'type: virtual-account\nname: "abc\ntags:\n  a: b\n'}, says=("a.yaml:2:7",)),
    Case("unclosed-bracket", {"a.yaml": "type: virtual-account\ntags: [a, b\nname: x\n"}, says=("a.yaml:",)),
    Case("alias-bomb", {"a.yaml": BOMB}, says=("a.yaml:1:4", "anchors")),
    Case("anchor", {"a.yaml": good() + "tags: &t {a: b}\n"}, says=("a.yaml:7:7",)),
    Case("duplicate-key", {"a.yaml": good() + "name: again\n"}, says=("a.yaml:7:1", "duplicate key")),
    Case("yaml-tag", {"a.yaml": good() + "tags: !!python/object:os.system {}\n"}, says=("a.yaml:7:7",)),
    Case("non-string-key", {"a.yaml": good() + "tags:\n  [a]: b\n"}, says=("a.yaml:8:3",)),
    Case("top-level-list", {"a.yaml": "- type: virtual-account\n"}, says=("a.yaml:1:1",)),
    Case("type-typo", {"a.yaml": good().replace("virtual-account", "Virtual-Account")}, says=("a.yaml:1:7",)),
    Case("trailing-document", {"a.yaml": good() + "---\n"}, code=0, says=("1 accounts",)),
    # -- numbers -----------------------------------------------------------------------------------------
    Case(
        "int-30-digits",
        {"a.yaml": good(extra="auto_rotate:\n  auto_rotate_interval: " + "9" * 30 + "\n")},
        says=("a.yaml:8:25: error: whole number out of range",),
    ),  # fmt: skip
    Case(
        "int-5000-digits",
        {"a.yaml": good(extra="auto_rotate:\n  grace_period: " + "9" * 5000 + "\n")},
        says=("a.yaml:8:17: error: whole number out of range (5000 digits)",),
    ),  # fmt: skip
    Case("int-negative-huge", {"a.yaml": good(extra="tags:\n  n: -" + "9" * 25 + "\n")}, says=("a.yaml:8:6",)),
    Case(
        "int-2-pow-53",
        {"a.yaml": good(extra="auto_rotate:\n  auto_rotate_interval: 9007199254740992\n")},
        says=("a.yaml:8:25: error: whole number out of range",),
    ),  # fmt: skip
    Case(
        "interval-over-100-years",
        {"a.yaml": good(extra="auto_rotate:\n  auto_rotate_interval: 9999999\n")},
        says=("a.yaml:8:25: error: Rotation Interval in days: must be at most 36500",),
    ),  # fmt: skip
    Case(
        "grace-over-100-years", {"a.yaml": good(extra="auto_rotate:\n  grace_period: 36501\n")}, says=("a.yaml:8:17",)
    ),  # fmt: skip
    Case("interval-at-the-bound", {"a.yaml": good(extra="auto_rotate:\n  auto_rotate_interval: 36500\n")}, code=0),
    Case(
        "interval-as-decimal",
        {"a.yaml": good(extra="auto_rotate:\n  auto_rotate_interval: 30.0\n")},
        says=("a.yaml:8:25", "whole number"),
    ),  # fmt: skip
    Case(
        "plan-huge-interval",
        {"a.yaml": good(extra="auto_rotate:\n  auto_rotate_interval: 99999999\n")},
        args=("plan", "{repo}"),
        says=("a.yaml:8:25",),
    ),  # fmt: skip
    # -- characters in decoded values, keys and file names -----------------------------------------------
    Case(
        "escaped-bidi-name",
        {"a.yaml": good().replace("name: good-bot", 'name: "good-bot\\u202e"')},
        says=("a.yaml:2:7", "U+202E"),
    ),  # fmt: skip
    Case("escaped-esc-value", {"a.yaml": good(extra='tags:\n  a: "\\e[31mred"\n')}, says=("a.yaml:8:6", "U+001B")),
    Case("escaped-bel-value", {"a.yaml": good(extra='tags:\n  a: "\\x07"\n')}, says=("a.yaml:8:6", "U+0007")),
    Case("escaped-nel-value", {"a.yaml": good(extra='tags:\n  a: "x\\N"\n')}, says=("a.yaml:8:6",)),
    Case("escaped-line-separator", {"a.yaml": good(extra='tags:\n  a: "x\\L"\n')}, says=("a.yaml:8:6",)),
    Case("escaped-zwsp", {"a.yaml": good(extra='tags:\n  env: "prod\\u200b"\n')}, says=("a.yaml:8:8",)),
    Case(
        "osc-8-key",
        {"a.yaml": good(extra='tags:\n  "\\e]8;;http://evil\\e\\\\x\\e]8;;\\e\\\\": v\n')},
        says=("a.yaml:8:3",),
    ),  # fmt: skip
    Case("raw-bidi-comment", {"a.yaml": good() + "# \u202eevil\n"}, says=("a.yaml:7:3",)),
    Case(
        "workflow-command-in-unknown-key",
        {"a.yaml": good() + INJECT},
        says=("a.yaml:7:1", "\\n::error"),
        absent=("\n::error file=a.yaml,line=1::pwned",),
    ),  # fmt: skip
    Case(
        "workflow-command-in-tag-key",
        {"a.yaml": good(extra='tags:\n  "k\\n::add-mask::x": v\n')},
        says=("a.yaml:8:3",),
        absent=("\n::add-mask::",),
    ),  # fmt: skip
    Case(
        "workflow-command-in-unknown-key-plan",
        {"a.yaml": good() + INJECT},
        args=("plan", "{repo}"),
        says=("a.yaml:7:1",),
        absent=("\n::error file=a.yaml,line=1::pwned",),
    ),  # fmt: skip
    Case(
        "file-name-with-newline",
        {"x\n::error file=z::pwned.yaml": "a: [\n"},
        says=("x\\n::error",),
        absent=("\n::error file=z::pwned",),
    ),  # fmt: skip
    Case("file-name-with-esc", {"x\x1b[31m.yaml": "a: [\n"}, says=("x\\u001b[31m.yaml",)),
    # -- reconciler.yaml ---------------------------------------------------------------------------------
    Case("config-unknown-key", {"reconciler.yaml": "version: 1\nprunee: {}\n"}, says=("reconciler.yaml:2:1",)),
    Case("config-invalid-yaml", {"reconciler.yaml": "paths: [a\n"}, says=("reconciler.yaml:",)),
    Case("config-absolute-path", {"reconciler.yaml": "paths: [/etc]\n"}, says=("reconciler.yaml:1:9",)),
    Case("config-missing-path", {"reconciler.yaml": "paths: [nowhere]\n"}, code=2, says=("nowhere",)),
    Case(
        "config-default-paths",
        {"reconciler.yaml": "version: 1\n", "a.yaml": good()},
        code=0,
        says=("1 files, 1 accounts",),
    ),  # fmt: skip
    Case("config-concurrency-zero", {"reconciler.yaml": "concurrency: 0\n"}, says=("reconciler.yaml:1:14",)),
    Case(
        "config-scope-teams-not-a-list",
        {"reconciler.yaml": "scope:\n  teams: platform\n"},
        says=("reconciler.yaml:2:10",),
    ),  # fmt: skip
    Case("config-huge-number", {"reconciler.yaml": "concurrency: " + "9" * 40 + "\n"}, says=("reconciler.yaml:1:14",)),
    # -- expiry ------------------------------------------------------------------------------------------
    Case(
        "expiry-past-validate",
        {"a.yaml": good(extra='expiration_date: "2020-01-01"\n')},
        code=0,
        says=("a.yaml:7:18: warning: Expiration date of the virtual account 2020-01-01 is in the past",),
    ),  # fmt: skip
    Case(
        "expiry-past-new-account-plan",
        {"a.yaml": good(extra='expiration_date: "2020-01-01"\n')},
        args=("plan", "{repo}"),
        says=("blocked", "sets expiration_date 2020-01-01, which is in the past"),
    ),  # fmt: skip
    Case("expiry-not-a-date", {"a.yaml": good(extra='expiration_date: "2026-13-45"\n')}, says=("a.yaml:7:18",)),
    # -- command line, plan files, environment -----------------------------------------------------------
    Case(
        "out-into-missing-folder",
        {"a.yaml": good()},
        args=("plan", "{repo}", "--out", "{tmp}/no/such/plan.json"),
        code=2,
        says=("does not exist",),
    ),  # fmt: skip
    Case("out-is-a-folder", {"a.yaml": good()}, args=("plan", "{repo}", "--out", "{tmp}"), code=2),
    Case(
        "apply-out-missing-folder-writes-nothing",
        {"a.yaml": good()},
        args=("apply", "{repo}", "--out", "{tmp}/no/report.json"),
        code=2,
        says=("does not exist",),
    ),  # fmt: skip
    Case(
        "plan-file-truncated",
        {"a.yaml": good()},
        args=("apply", "{repo}", "--plan", "{tmp}/plan.json"),
        setup=plan_file(f'{{"version": {PLAN_VERSION}}}'),
        says=("plan file is incomplete or malformed",),
    ),  # fmt: skip
    Case(
        "plan-file-old-version",
        {"a.yaml": good()},
        args=("apply", "{repo}", "--plan", "{tmp}/plan.json"),
        setup=plan_file('{"version": 1}'),
        says=(f"not a version {PLAN_VERSION} plan",),
    ),  # fmt: skip
    Case(
        "plan-file-not-json",
        {"a.yaml": good()},
        args=("apply", "{repo}", "--plan", "{tmp}/plan.json"),
        setup=plan_file("{"),
        says=("not JSON",),
    ),  # fmt: skip
    Case(
        "plan-file-binary",
        {"a.yaml": good()},
        args=("apply", "{repo}", "--plan", "{tmp}/plan.json"),
        setup=plan_file(b"\xff\xfe\x00garbage"),
        says=("not UTF-8",),
    ),  # fmt: skip
    Case(
        "plan-file-deeply-nested",
        {"a.yaml": good()},
        args=("apply", "{repo}", "--plan", "{tmp}/plan.json"),
        setup=plan_file("[" * 100_000),
        says=("not JSON",),
    ),  # fmt: skip
    Case(
        "plan-file-fifo",
        {"a.yaml": good()},
        args=("apply", "{repo}", "--plan", "{repo}/p.json"),
        setup=fifo("p.json"),
        says=("not a regular file",),
    ),  # fmt: skip
    Case(
        "tfy-host-bad-ipv6",
        {"a.yaml": good()},
        args=("plan", "{repo}"),
        env={"TFY_HOST": "http://[::1", "TFY_API_KEY": "k"},
        says=("TFY_HOST must be a URL",),
    ),  # fmt: skip
    Case(
        "tfy-host-bad-port",
        {"a.yaml": good()},
        args=("plan", "{repo}"),
        env={"TFY_HOST": "http://localhost:99999", "TFY_API_KEY": "k"},
        says=("TFY_HOST must be a URL",),
    ),  # fmt: skip
    Case(
        "tfy-host-no-scheme",
        {"a.yaml": good()},
        args=("drift", "{repo}"),
        env={"TFY_HOST": "tfy.example.com", "TFY_API_KEY": "k"},
        says=("TFY_HOST must be a URL",),
    ),  # fmt: skip
    Case(
        "tfy-key-without-host",
        {"a.yaml": good()},
        args=("plan", "{repo}"),
        env={"TFY_API_KEY": "k"},
        says=("TFY_HOST is not",),
    ),  # fmt: skip
    Case("bad-today", {"a.yaml": good()}, args=("validate", "{repo}", "--today", "2026-02-30"), code=2),
    Case("bad-format", {"a.yaml": good()}, args=("validate", "{repo}", "--format", "xml"), code=2),
    Case("unknown-ref", {"a.yaml": good()}, args=("validate", "{repo}", "--ref", "no-such-ref"), code=2),
    Case("missing-path", {}, args=("validate", "{tmp}/nowhere"), code=2),
    Case(
        "bad-option-detailed-exitcode",
        {"a.yaml": good()},
        args=("plan", "{repo}", "--detailed-exitcode", "--x"),
        code=1,
    ),  # fmt: skip
    Case(
        "path-with-escape-in-error",
        {},
        args=("validate", "{tmp}/no\x1b]0;title\x07where"),
        code=2,
        says=("\\u001b]0;title\\u0007where",),
    ),  # fmt: skip
    Case("debug-after-subcommand", {"a.yaml": good()}, args=("validate", "{repo}", "--debug"), code=0),
    Case(
        "github-report-outside-actions",
        {"a.yaml": good()},
        args=("apply", "{repo}", "--github-report"),
        says=("GITHUB_TOKEN and GITHUB_REPOSITORY must be set",),
    ),  # fmt: skip
    Case(
        "github-comment-outside-a-pull-request",
        {"a.yaml": good()},
        args=("plan", "{repo}", "--github-comment"),
        env={"GITHUB_TOKEN": "t", "GITHUB_REPOSITORY": "a/b"},
        says=("--github-comment needs a pull_request",),
    ),  # fmt: skip
    Case(
        "github-issue-without-token",
        {"a.yaml": good()},
        args=("drift", "{repo}", "--github-issue"),
        says=("GITHUB_TOKEN",),
    ),  # fmt: skip
    Case(
        "actions-apply-embedded",
        {"a.yaml": good()},
        args=("apply", "{repo}"),
        env={"GITHUB_ACTIONS": "true"},
        says=("apply refused: no TFY_HOST in GitHub Actions",),
    ),  # fmt: skip
    Case(
        "actions-drift-embedded",
        {"a.yaml": good()},
        args=("drift", "{repo}"),
        env={"GITHUB_ACTIONS": "true"},
        says=("drift refused",),
    ),  # fmt: skip
    Case(
        "actions-plan-embedded-says-so",
        {"a.yaml": good()},
        args=("plan", "{repo}"),
        env={"GITHUB_ACTIONS": "true"},
        code=0,
        says=("not planning against a real control plane",),
    ),  # fmt: skip
    Case(
        "event-file-not-json",
        {"a.yaml": good()},
        args=("plan", "{repo}", "--github-comment"),
        env={"GITHUB_EVENT_PATH": "{repo}/a.yaml", "GITHUB_TOKEN": "t"},
        says=("not a readable JSON event",),
    ),  # fmt: skip
    Case(
        "embedded-database-corrupt",
        {"a.yaml": good(), ".reconciler/control-plane.db": "garbage"},
        args=("plan", "{repo}"),
        says=("cannot open its database",),
    ),  # fmt: skip
    # -- emulator serve ----------------------------------------------------------------------------------
    Case("serve-port-out-of-range", {}, args=("emulator", "serve", "--port", "99999"), code=2),
    Case(
        "serve-busy-port",
        {},
        args=("emulator", "serve", "--port", "{port}", "--db", "{tmp}/e.db"),
        code=2,
        setup=busy_port,
        says=("cannot serve on 127.0.0.1:",),
    ),  # fmt: skip
    Case(
        "serve-bad-tenant",
        {"t.yaml": "teams: [\n"},
        args=("emulator", "serve", "--port", "0", "--tenant", "{repo}/t.yaml", "--db", "{tmp}/e.db"),
        says=("t.yaml:2:1: not valid YAML",),
    ),  # fmt: skip
    Case(
        "serve-tenant-wrong-shape",
        {"t.yaml": "tenant_name: x\nroles: [1]\n"},
        args=("emulator", "serve", "--port", "0", "--tenant", "{repo}/t.yaml", "--db", "{tmp}/e.db"),
        says=("not a tenant description",),
    ),  # fmt: skip
    Case(
        "serve-corrupt-db",
        {"e.db": "garbage"},
        args=("emulator", "serve", "--port", "0", "--db", "{repo}/e.db"),
        says=("cannot use it",),
    ),  # fmt: skip
]

_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def unsafe_characters(text: str) -> list[str]:
    """Characters no output may carry raw: ESC and every other control but tab and LF (CR included), and every
    format character (Cf: bidirectional controls, zero-width characters), by category."""
    return sorted({c for c in text if _UNSAFE.match(c) or unicodedata.category(c) == "Cf"})


def test_the_corpus_is_large_and_every_id_is_unique() -> None:
    assert len(CASES) >= 60
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input(case: Case, cli: CliRunner, git_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tmp = git_repo.parent
    for name, content in case.files.items():
        path = git_repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    if case.setup is not None:
        case.setup(git_repo)
    if case.files and not case.setup:
        git(git_repo, "add", "-A") if "\n" in "".join(case.files) else commit_all(git_repo, "hostile")
    monkeypatch.chdir(tmp)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    port = (tmp / "port").read_text() if (tmp / "port").exists() else "0"
    args = [a.format(repo=git_repo, tmp=tmp, port=port) for a in case.args]
    env = {k: v.format(repo=git_repo) for k, v in case.env.items()}
    try:
        result = cli(*args, env=env)
    finally:
        while _HELD:
            _HELD.pop().close()
    output = result.out + result.err
    assert result.code == case.code, output
    assert result.code in (0, 1, 2)
    assert "Traceback" not in output and "internal error" not in output, output
    for said in case.says:
        assert said in output, output
    for missing in case.absent:
        assert missing not in "\n" + output, output
    assert unsafe_characters(output) == [], output
