"""The pull-request job's own cost: the composite action's install step, then `reconciler plan` of the example
repository, with a cold cache.

    python benchmarks/ci_install.py [--repeat 3]

Runs the action's install step exactly as written in .github/actions/reconcile/action.yml (its `run` script,
with GITHUB_ACTION_PATH set) against a fresh interpreter environment that stands for setup-python's (a venv
without pip, made before the clock starts), with an empty uv cache (UV_CACHE_DIR in a new temporary folder:
every wheel is downloaded again), uv taken from this project's environment as setup-uv would put it on PATH.
Then times `reconciler plan manifests-example` on the embedded control plane, as a fork's pull request or the
acceptance check runs it. Reports the best of `--repeat` runs of each part.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
ACTION = PROJECT / ".github" / "actions" / "reconcile" / "action.yml"
BIN = Path(sys.executable).parent


@dataclass
class Timing:
    install: float
    plan: float

    @property
    def total(self) -> float:
        return self.install + self.plan


def install_script() -> str:
    """The `run` script of the action's install step (the one that reads requirements.lock)."""
    steps: list[dict[str, Any]] = yaml.safe_load(ACTION.read_text(encoding="utf-8"))["runs"]["steps"]
    return next(step["run"] for step in steps if "requirements.lock" in step.get("run", ""))


def once(work: Path) -> Timing:
    interpreter = work / "python"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(interpreter)], check=True)
    env = {
        **os.environ,
        "PATH": f"{interpreter / 'bin'}:{BIN}:{os.environ['PATH']}",
        "GITHUB_ACTION_PATH": str(ACTION.parent),
        "UV_CACHE_DIR": str(work / "uv-cache"),
    }
    started = time.perf_counter()
    subprocess.run(["bash", "-euo", "pipefail", "-c", install_script()], env=env, check=True)
    installed = time.perf_counter()
    example = work / "example"
    shutil.copytree(PROJECT / "manifests-example", example)
    plain = {k: v for k, v in env.items() if k not in ("TFY_HOST", "TFY_API_KEY", "GITHUB_ACTIONS")}
    result = subprocess.run([str(interpreter / "bin" / "reconciler"), "plan", str(example)], env=plain,
                            capture_output=True, text=True)  # fmt: skip
    planned = time.perf_counter()
    if result.returncode not in (0, 2):
        raise SystemExit(f"plan failed ({result.returncode}):\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return Timing(installed - started, planned - installed)


def measure(repeat: int) -> Timing:
    timings = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="ci-install-") as work:
            timings.append(once(Path(work)))
    return Timing(min(t.install for t in timings), min(t.plan for t in timings))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    best = measure(args.repeat)
    print(f"install (uv, cold cache, compiled bytecode) {best.install:.2f} s; plan of the example {best.plan:.2f} s; "
          f"total {best.total:.2f} s")  # fmt: skip


if __name__ == "__main__":
    main()
