"""A real PyPI package: SPDX license with its LICENSE file, classifiers, project URLs, a README that renders on
PyPI (absolute links, an install section), and a wheel that runs as `va-reconciler` in a fresh environment."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

import pytest

from reconciler import PROJECT_URL, __version__
from tests.conftest import REPO_ROOT

PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text("utf-8"))["project"]
README = (REPO_ROOT / "README.md").read_text("utf-8")


def test_license_is_an_spdx_expression_with_the_apache_text_beside_it() -> None:
    assert PYPROJECT["license"] == "Apache-2.0"  # a string, not the deprecated table
    assert PYPROJECT["license-files"] == ["LICENSE"]
    text = (REPO_ROOT / "LICENSE").read_text("utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text
    assert not any(c.startswith("License ::") for c in PYPROJECT["classifiers"])  # superseded by the expression


def test_classifiers_and_project_urls_point_at_the_one_home() -> None:
    assert "Programming Language :: Python :: 3.11" in PYPROJECT["classifiers"]
    assert "Typing :: Typed" in PYPROJECT["classifiers"]
    assert PYPROJECT["urls"]["Source"] == PROJECT_URL
    assert all(url.startswith(PROJECT_URL) for url in PYPROJECT["urls"].values())


def test_one_version_everywhere() -> None:
    assert PYPROJECT["version"] == __version__


def test_both_commands_run_the_same_entry_point() -> None:
    scripts = PYPROJECT["scripts"]
    assert scripts["va-reconciler"] == scripts["reconciler"] == "reconciler.cli.main:main"


def test_readme_links_are_absolute_so_they_work_on_pypi() -> None:
    targets = re.findall(r"\]\(([^)\s]+)\)", README)
    assert targets
    relative = [t for t in targets if not t.startswith("https://")]
    assert relative == []


def test_readme_says_how_to_install_without_cloning() -> None:
    for command in ("pipx install va-reconciler", "uv tool install va-reconciler", "uvx va-reconciler"):
        assert command in README


@pytest.mark.slow
def test_the_wheel_runs_as_va_reconciler_in_a_fresh_environment(tmp_path: Path) -> None:
    """Build the wheel as CI does (the locked uv-build, no isolation), install it into a new virtual
    environment with the hash-locked runtime dependencies only, and run both commands."""
    dist = tmp_path / "dist"
    built = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(REPO_ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"},  # uv_build runs uv-build
    )
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    (wheel,) = dist.glob("va_reconciler-*.whl")
    env_dir = tmp_path / "fresh"
    venv.create(env_dir, with_pip=True)
    pip = [str(env_dir / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    lock = REPO_ROOT / ".github" / "actions" / "reconcile" / "requirements.lock"
    if lock.is_file():
        deps = subprocess.run([*pip, "--require-hashes", "--no-deps", "-r", str(lock)], capture_output=True, text=True)
        assert deps.returncode == 0, deps.stderr[-2000:]
        installed = subprocess.run([*pip, "--no-deps", str(wheel)], capture_output=True, text=True)
    else:
        installed = subprocess.run([*pip, str(wheel)], capture_output=True, text=True)
    assert installed.returncode == 0, installed.stderr[-2000:]
    for command in ("va-reconciler", "reconciler"):
        version = subprocess.run([str(env_dir / "bin" / command), "--version"], capture_output=True, text=True)
        assert version.returncode == 0, version.stderr
        assert version.stdout.strip() == f"{command}, version {__version__}"
    example = subprocess.run(
        [str(env_dir / "bin" / "va-reconciler"), "validate", str(REPO_ROOT / "manifests-example")],
        capture_output=True,
        text=True,
    )
    assert example.returncode == 0, example.stdout + example.stderr
