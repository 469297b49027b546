"""Does reading on every core pay for validate? `load_repository` as validate calls it (reading, parsing,
schema and per-resource checks, checks across files) on N generated manifests in one process, against the
same call sharing its chunks of files with a forked worker (`adapters/cores.py`: both take chunks from one
counter; the worker's results come back pickled).

    python benchmarks/parallel.py [--counts 1000 10000 50000] [--repeat 3]

Measures the work itself, not a whole `reconciler validate` process: interpreter start and imports (about a
third of validate at 6,000 files) are the same either way. Best of `--repeat`, interleaved.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from datetime import date
from pathlib import Path
from unittest import mock

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from generate import generate  # noqa: E402

import reconciler.app.validate as use_case  # noqa: E402
from reconciler.adapters.git_source import WorkTreeSource  # noqa: E402

TODAY = date(2026, 11, 22)


def validate(root: Path, cores: int) -> float:
    """Seconds of validate's `load_repository` of `root` on `cores` cores (1: this process alone)."""
    with mock.patch.object(use_case, "cores", lambda: cores):
        started = time.perf_counter()
        loaded = use_case.load_repository(WorkTreeSource(root), TODAY, check_policy=True)
        elapsed = time.perf_counter() - started
    assert loaded.report.files > 0 and not any(p.severity == "error" for p in loaded.report.problems)
    return elapsed


def measure(count: int, repeat: int) -> tuple[float, float]:
    root = HERE / ".work" / f"parallel-{count}"
    shutil.rmtree(root, ignore_errors=True)
    generate(root, count)
    validate(root, 1)  # warm the validators and the page cache
    single, shared = [], []
    for _ in range(repeat):
        single.append(validate(root, 1))
        shared.append(validate(root, 2))
    return min(single), min(shared)


def table(counts: list[int], repeat: int) -> list[str]:
    lines = ["| manifests | one process | two processes (a forked worker) | speed-up |", "|---:|---:|---:|---:|"]
    for count in counts:
        single, shared = measure(count, repeat)
        lines.append(f"| {count:,} | {single:.2f} s | {shared:.2f} s | {single / shared:.2f}x |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--counts", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for line in table(args.counts, args.repeat):
        print(line, flush=True)


if __name__ == "__main__":
    main()
