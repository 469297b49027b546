"""Time `reconciler validate` against check-jsonschema on the same generated files and the same schema.

    python benchmarks/validate.py [--counts 1000 10000] [--repeat 3]

Both run as whole processes (start-up included), as a user runs them. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402

BIN = Path(sys.executable).parent
SCHEMA = PROJECT / "schemas" / "virtual-account.schema.json"


def timed(command: list[str], expect_ok: bool = True) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of one process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stderr is not None
    errors = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.stderr.close()
    elapsed = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if expect_ok and code != 0:
        raise SystemExit(f"{command[0]} failed ({code}):\n{errors[-2000:].decode()}")
    return elapsed, usage.ru_maxrss / 1024


def measure(count: int, repeat: int) -> tuple[float, float, float]:
    """Median seconds of ours and of check-jsonschema, interleaved, and our largest peak RSS in MB."""
    root = HERE / ".work" / f"validate-{count}"
    shutil.rmtree(root, ignore_errors=True)
    files = generate(root, count)
    peer_command = [str(BIN / "check-jsonschema"), "--schemafile", str(SCHEMA), *map(str, files)]
    ours, peer = [], []
    for _ in range(repeat):
        ours.append(timed([str(BIN / "reconciler"), "validate", str(root)]))
        peer.append(timed(peer_command))
    return statistics.median(t for t, _ in ours), statistics.median(t for t, _ in peer), max(m for _, m in ours)


def ours_only(count: int) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of `reconciler validate` alone, for sizes where the peer would take minutes."""
    root = HERE / ".work" / f"validate-{count}"
    shutil.rmtree(root, ignore_errors=True)
    generate(root, count)
    return timed([str(BIN / "reconciler"), "validate", str(root)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--counts", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}")
    print("| manifests | reconciler validate | check-jsonschema | speed-up | our peak memory |")
    print("|---:|---:|---:|---:|---:|")
    for count in args.counts:
        ours, peer, peak = measure(count, args.repeat)
        print(f"| {count:,} | {ours:.2f} s | {peer:.2f} s | {peer / ours:.1f}x | {peak:.0f} MB |", flush=True)


if __name__ == "__main__":
    main()
