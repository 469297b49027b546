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
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402

BIN = Path(sys.executable).parent
SCHEMA = PROJECT / "schemas" / "virtual-account.schema.json"


def timed(command: list[str], expect_ok: bool = True) -> tuple[float, float]:
    """(seconds, peak memory in MB) of one process, its forked workers included: the larger of its own peak
    RSS (the largest process's, from `wait4`) and the peak, sampled every 50 ms, of the PSS of it and its
    children (PSS shares the pages a fork shares, so the two processes are not counted twice)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stderr is not None
    sampled: list[float] = [0.0]
    done = threading.Event()
    sampler = threading.Thread(target=_sample_pss, args=(process.pid, sampled, done), daemon=True)
    sampler.start()
    errors = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    done.set()
    sampler.join()
    process.stderr.close()
    elapsed = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if expect_ok and code != 0:
        raise SystemExit(f"{command[0]} failed ({code}):\n{errors[-2000:].decode()}")
    return elapsed, max(usage.ru_maxrss / 1024, sampled[0])


def _sample_pss(pid: int, peak: list[float], done: threading.Event) -> None:
    while not done.wait(0.05):
        peak[0] = max(peak[0], sum(_pss_kb(p) for p in (pid, *_children(pid))) / 1024)


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _pss_kb(pid: int) -> int:
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0  # gone, or not Linux: the RSS from wait4 stands alone
    return next((int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:")), 0)


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
    print("| manifests | reconciler validate | check-jsonschema | speed-up | our peak memory (workers included) |")
    print("|---:|---:|---:|---:|---:|")
    for count in args.counts:
        ours, peer, peak = measure(count, args.repeat)
        print(f"| {count:,} | {ours:.2f} s | {peer:.2f} s | {peer / ours:.1f}x | {peak:.0f} MB |", flush=True)


if __name__ == "__main__":
    main()
