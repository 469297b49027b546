"""Does concurrency pay? Apply N creates against `reconciler emulator serve --latency-ms L` at several values of
`concurrency` (reconciler.yaml), each from an empty control plane, interleaved over rounds, best of each.

    python benchmarks/concurrency.py [--count 1000] [--latency-ms 20] [--concurrency 8 32 64] [--rounds 2]

The floor of a run is requests x latency / concurrency (issue 15): the time the requests would take if the
client, the server and the machine cost nothing. A row reports the wall time of the reconciler process
(start-up and reading the manifests included), its ratio to the floor, and its speed-up over the first
concurrency of the sweep.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from generate import generate  # noqa: E402
from plan import WORK, run_reconciler  # noqa: E402

from tests.emulator_process import ServedEmulator  # noqa: E402


@dataclass
class Run:
    concurrency: int
    seconds: float
    requests: int
    peak_mb: float
    latency_ms: int

    @property
    def floor(self) -> float:
        return self.requests * self.latency_ms / 1000 / self.concurrency


def apply_once(repo: Path, db: Path, concurrency: int, latency: int) -> Run:
    (repo / "reconciler.yaml").write_text(f"version: 1\npaths: [accounts]\nconcurrency: {concurrency}\n")
    db.unlink(missing_ok=True)
    server = ServedEmulator(db, "--latency-ms", str(latency))
    try:
        seconds, peak, code, output = run_reconciler(["apply", str(repo)], {**os.environ, **server.env, "CI": "true"})
        if code != 0:
            raise SystemExit(f"apply failed ({code}):\n{output[-2000:]}")
        requests = sum(server.requests().values())
    finally:
        server.stop()
    return Run(concurrency, seconds, requests, peak, latency)


def sweep(count: int, latency: int, concurrencies: list[int], rounds: int) -> list[Run]:
    root = WORK / f"concurrency-{count}-{latency}"
    shutil.rmtree(root, ignore_errors=True)
    generate(root / "repo", count)
    best: dict[int, Run] = {}
    for _ in range(rounds):
        for concurrency in concurrencies:
            run = apply_once(root / "repo", root / "cp.db", concurrency, latency)
            if concurrency not in best or run.seconds < best[concurrency].seconds:
                best[concurrency] = run
    return [best[c] for c in concurrencies]


def table(runs: list[Run], count: int) -> list[str]:
    lines = [
        "| creates | latency | concurrency | wall time | requests | floor | x floor | speed-up over "
        f"{runs[0].concurrency} |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines.extend(
        f"| {count:,} | {r.latency_ms} ms | {r.concurrency} | {r.seconds:.2f} s | {r.requests:,} | {r.floor:.2f} s | "
        f"{r.seconds / r.floor:.2f}x | {runs[0].seconds / r.seconds:.2f}x |"
        for r in runs
    )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 32, 64])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    for line in table(sweep(args.count, args.latency_ms, args.concurrency, args.rounds), args.count):
        print(line, flush=True)


if __name__ == "__main__":
    main()
