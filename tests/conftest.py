"""Shared helpers: run the real CLI in-process (the same `run()` the console script calls) and build real
Git repositories in temporary folders."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from reconciler.cli.main import run

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
TODAY = "2026-11-22"


@pytest.fixture(autouse=True, scope="session")
def _no_tfy_login(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A home without ~/.truefoundry: a developer's `tfy login` must never turn a test's embedded control plane
    into their real tenant (commands resolve credentials as tfy does). Git identity and caches stay as they were."""
    real_home = Path.home()
    with pytest.MonkeyPatch.context() as patch:
        if (real_home / ".gitconfig").is_file() and "GIT_CONFIG_GLOBAL" not in os.environ:
            patch.setenv("GIT_CONFIG_GLOBAL", str(real_home / ".gitconfig"))
        patch.setenv("XDG_CACHE_HOME", os.environ.get("XDG_CACHE_HOME", str(real_home / ".cache")))
        patch.setenv("HOME", str(tmp_path_factory.mktemp("home")))
        for variable in ("TFY_HOST", "TFY_API_KEY"):
            patch.delenv(variable, raising=False)
        yield


@dataclass(frozen=True)
class CliResult:
    code: int
    out: str
    err: str


CliRunner = Callable[..., CliResult]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """`cli("validate", "path")` runs the reconciler exactly as the console script does, outside Actions."""
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    for variable in ("NO_COLOR", "FORCE_COLOR"):  # colour is what each test asks for, not the caller's terminal
        monkeypatch.delenv(variable, raising=False)

    def invoke(*args: str, env: dict[str, str] | None = None) -> CliResult:
        for key, value in (env or {}).items():
            monkeypatch.setenv(key, value)
        capsys.readouterr()
        code = run(list(args))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return invoke


def copy_example(destination: Path, *ignore: str) -> Path:
    """A copy of manifests-example at `destination` (which may exist), without the embedded control plane's
    state (`.reconciler/`) that the README's main command leaves in the example when run in this checkout,
    nor the names in `ignore`."""
    shutil.copytree(
        REPO_ROOT / "manifests-example",
        destination,
        ignore=shutil.ignore_patterns(".reconciler", *ignore),
        dirs_exist_ok=True,
    )
    return destination


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def git_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "test@example.com")
    git(repo, "config", "user.name", "Test")
    git(repo, "config", "commit.gpgsign", "false")
    return repo


def commit_all(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def problem_lines(output: str, strip_prefix: str) -> list[str]:
    """The `file:line:col: error: ...` lines of human output, with the file prefix removed."""
    return sorted(
        line.removeprefix(strip_prefix)
        for line in output.splitlines()
        if line.startswith(strip_prefix) and ": error: " in line
    )


def names(values: Sequence[str]) -> list[str]:
    return sorted(values)


@pytest.fixture(scope="session")
def peers() -> Path:
    """A virtual environment with TrueFoundry's CLI (`bin/tfy`) and SDK (`bin/python -c 'import truefoundry_sdk'`)."""
    from tests.peers import peer_venv

    return peer_venv()
