"""Would a process pool over both cores pay for validate? Reading, parsing and schema-checking N generated
manifests in this process, against the same work split between this process and one forked worker (the
worker's half comes back as the slim result validate needs: names and problems).

    python benchmarks/parallel.py [--counts 1000 10000 50000] [--repeat 3]

Measures the work itself, not a whole `reconciler validate` process: interpreter start and imports (about a
third of validate at 6,000 files) would be the same either way. Best of `--repeat`, interleaved.
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from generate import generate  # noqa: E402

from reconciler.app.validate import read_file  # noqa: E402
from reconciler.domain.checks import check_resource  # noqa: E402
from reconciler.domain.config import RepoConfig  # noqa: E402
from reconciler.domain.ports import SourceFile  # noqa: E402
from reconciler.domain.resources import DesiredResource, SkippedDocument  # noqa: E402
from reconciler.domain.values import Problem  # noqa: E402

TODAY = date(2026, 11, 22)


def validate_files(paths: list[Path]) -> tuple[list[str], list[Problem]]:
    """What validate does per file (read, parse, schema, the checks of one resource): names and problems."""
    names: list[str] = []
    problems: list[Problem] = []
    for path in paths:
        resources: list[DesiredResource] = []
        skipped: list[SkippedDocument] = []
        problems += read_file(SourceFile(path.name, path.read_bytes()), resources, skipped)
        for resource in resources:
            problems += check_resource(resource, TODAY, RepoConfig())
            names.append(resource.name)
    return names, problems


def in_one_process(paths: list[Path]) -> float:
    started = time.perf_counter()
    names, _ = validate_files(paths)
    assert len(names) == len(paths)
    return time.perf_counter() - started


def over_two_processes(paths: list[Path]) -> float:
    started = time.perf_counter()
    half = len(paths) // 2
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        theirs = pool.submit(validate_files, paths[:half])
        mine, _ = validate_files(paths[half:])
        names, _ = theirs.result()
    assert len(names) + len(mine) == len(paths)
    return time.perf_counter() - started


def measure(count: int, repeat: int) -> tuple[float, float]:
    root = HERE / ".work" / f"parallel-{count}"
    shutil.rmtree(root, ignore_errors=True)
    paths = generate(root, count)
    validate_files(paths[:50])  # warm the validators and imports in the parent before the fork
    single, pooled = [], []
    for _ in range(repeat):
        single.append(in_one_process(paths))
        pooled.append(over_two_processes(paths))
    return min(single), min(pooled)


def table(counts: list[int], repeat: int) -> list[str]:
    lines = ["| manifests | one process | two processes (fork) | speed-up |", "|---:|---:|---:|---:|"]
    for count in counts:
        single, pooled = measure(count, repeat)
        lines.append(f"| {count:,} | {single:.2f} s | {pooled:.2f} s | {single / pooled:.2f}x |")
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
