"""TrueFoundry's own CLI (`tfy`, truefoundry 0.17.5) and SDK (truefoundry-sdk 0.6.0), installed once from the
hashed `requirements/peers.lock` into a cached virtual environment, so tests can drive the emulator with
clients nobody here wrote."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT

LOCK = REPO_ROOT / "requirements" / "peers.lock"


def peer_venv() -> Path:
    """The folder of a virtual environment holding the peers (built on first use, ~40 s)."""
    key = hashlib.sha256(LOCK.read_bytes()).hexdigest()[:12]
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    root = cache / "va-reconciler" / f"peers-{key}"
    if (root / ".complete").exists():
        return root
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(root)], check=True, capture_output=True)
    install = [str(root / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check", "--require-hashes",
               "--no-deps", "-r", str(LOCK)]  # fmt: skip
    done = subprocess.run(install, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"installing TrueFoundry's CLI and SDK failed:\n{done.stderr[-2000:]}")
    (root / ".complete").write_text("ok\n")
    return root
