"""Time `reconciler validate` against check-jsonschema on the same generated files and the same schema.

    python benchmarks/validate.py [--counts 1000 10000] [--repeat 3]

Both run as whole processes (start-up included), as a user runs them. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
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


def timed(command: list[str], expect_ok: bool = True) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if expect_ok and result.returncode != 0:
        raise SystemExit(f"{command[0]} failed ({result.returncode}):\n{result.stdout[-2000:]}{result.stderr}")
    return elapsed


def measure(count: int, repeat: int) -> tuple[float, float]:
    root = HERE / ".work" / f"validate-{count}"
    shutil.rmtree(root, ignore_errors=True)
    files = generate(root, count)
    ours = [timed([str(BIN / "reconciler"), "validate", str(root)]) for _ in range(repeat)]
    peer_command = [str(BIN / "check-jsonschema"), "--schemafile", str(SCHEMA), *map(str, files)]
    peer = [timed(peer_command) for _ in range(repeat)]
    return statistics.median(ours), statistics.median(peer)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--counts", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}")
    print("| manifests | reconciler validate | check-jsonschema | speed-up |")
    print("|---:|---:|---:|---:|")
    for count in args.counts:
        ours, peer = measure(count, args.repeat)
        print(f"| {count:,} | {ours:.2f} s | {peer:.2f} s | {peer / ours:.1f}x |", flush=True)


if __name__ == "__main__":
    main()
