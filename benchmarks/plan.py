"""Plan and apply N accounts against the served emulator with injected latency; report wall time, requests the
control plane received, and the reconciler's peak memory.

    python benchmarks/plan.py [--counts 1000 10000] [--latency-ms 0 20]

Scenarios per N and latency: apply N creates (from an empty control plane), plan with nothing changed, plan
with 1% changed, apply 1% updates. The emulator runs as its own process (`reconciler emulator serve`), the
reconciler as another, exactly as a user runs them.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from generate import generate  # noqa: E402

from tests.emulator_process import ServedEmulator  # noqa: E402

WORK = HERE / ".work"


@dataclass
class Result:
    scenario: str
    count: int
    latency_ms: int
    seconds: float
    requests: int
    peak_mb: float
    exit_code: int


def run_reconciler(args: list[str], env: dict[str, str]) -> tuple[float, float, int, str]:
    """(seconds, peak RSS in MB, exit code, output) of one reconciler process."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "reconciler", *args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    process.stdout.close()
    return time.perf_counter() - started, usage.ru_maxrss / 1024, process.returncode, output


def scenario(name: str, count: int, latency: int, server: ServedEmulator, args: list[str]) -> Result:
    env = {**os.environ, **server.env, "CI": "true"}
    server.admin("DELETE", "/_emulator/stats")
    seconds, peak, code, output = run_reconciler(args, env)
    requests = sum(server.requests().values())
    if code not in (0, 2):
        print(output[-3000:], file=sys.stderr)
    return Result(name, count, latency, seconds, requests, peak, code)


def bench(count: int, latency: int) -> list[Result]:
    root = WORK / f"plan-{count}-{latency}"
    shutil.rmtree(root, ignore_errors=True)
    repo = root / "repo"
    generate(repo, count)
    server = ServedEmulator(root / "cp.db", "--latency-ms", str(latency))
    results = []
    try:
        results.append(scenario("apply N creates", count, latency, server, ["apply", str(repo)]))
        results.append(scenario("plan, nothing changed", count, latency, server, ["plan", str(repo)]))
        generate(repo, count, changed_every=100)
        results.append(scenario("plan, 1% changed", count, latency, server, ["plan", str(repo)]))
        results.append(scenario("apply 1% updates", count, latency, server, ["apply", str(repo)]))
    finally:
        server.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--counts", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--latency-ms", type=int, nargs="+", default=[0, 20])
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_implementation()} "
          f"{platform.python_version()}")  # fmt: skip
    print("| scenario | accounts | latency | wall time | requests | peak memory | exit |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for count in args.counts:
        for latency in args.latency_ms:
            for r in bench(count, latency):
                print(
                    f"| {r.scenario} | {r.count:,} | {r.latency_ms} ms | {r.seconds:.2f} s | {r.requests:,} | "
                    f"{r.peak_mb:.0f} MB | {r.exit_code} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
