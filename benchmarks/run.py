"""Reproduce every figure in benchmarks/README.md, peers included, on this machine:

    python benchmarks/run.py            # 1,000 and 10,000 accounts, 0 and 20 ms latency (about 10 minutes)
    python benchmarks/run.py --quick    # 1,000 accounts only

Installs the peers itself: check-jsonschema comes with `pip install -e '.[dev]'`; TrueFoundry's CLI
(`truefoundry`, the `tfy` command) goes into its own virtual environment under benchmarks/.work/ so its
dependencies never mix with ours. Every peer runs on the same files against the same served emulator in the
same run. The results table replaces the one between the markers in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from generate import generate  # noqa: E402
from importing import bench as bench_import  # noqa: E402
from plan import WORK, bench, run_reconciler  # noqa: E402
from validate import measure as measure_validate  # noqa: E402

from tests.emulator_process import ServedEmulator  # noqa: E402

TFY_VERSION = "0.17.5"
PEER_VENV = WORK / "peer-venv"
README = HERE / "README.md"
START, END = "<!-- results:start -->", "<!-- results:end -->"


def ensure_tfy() -> Path:
    tfy = PEER_VENV / "bin" / "tfy"
    if not tfy.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
        subprocess.run(
            [str(PEER_VENV / "bin" / "pip"), "install", "--quiet", f"truefoundry=={TFY_VERSION}"], check=True
        )
    return tfy


def help_time(repeat: int = 15) -> tuple[float, float]:
    """Median wall time of `reconciler --help` and of a bare interpreter start, in milliseconds."""

    def median(command: list[str]) -> float:
        samples = []
        for _ in range(repeat):
            started = time.perf_counter()
            subprocess.run(command, capture_output=True, check=True)
            samples.append((time.perf_counter() - started) * 1000)
        return statistics.median(samples)

    return median([str(Path(sys.executable).parent / "reconciler"), "--help"]), median([sys.executable, "-c", "pass"])


def tfy_versus_plan(count: int, latency: int, tfy: Path) -> tuple[float, float, int, int]:
    """Both tools dry-run the same repository (1% changed) against the same control plane holding it."""
    root = WORK / f"peer-{count}-{latency}"
    repo = root / "repo"
    generate(repo, count)
    server = ServedEmulator(root / "cp.db")
    env = {**os.environ, **server.env, "CI": "true"}
    try:
        run_reconciler(["apply", str(repo)], env)  # the control plane holds every account
    finally:
        server.stop()
    generate(repo, count, changed_every=100)
    server = ServedEmulator(root / "cp.db", "--latency-ms", str(latency))
    env = {**os.environ, **server.env, "CI": "true"}
    try:
        server.admin("DELETE", "/_emulator/stats")
        ours, _, code, output = run_reconciler(["plan", str(repo)], env)
        assert code == 0, output[-2000:]
        our_requests = sum(server.requests().values())
        server.admin("DELETE", "/_emulator/stats")
        started = time.perf_counter()
        peer = subprocess.run([str(tfy), "apply", "-d", str(repo / "accounts"), "--dry-run"], env=env,
                              capture_output=True, text=True)  # fmt: skip
        theirs = time.perf_counter() - started
        assert peer.returncode == 0, peer.stdout[-2000:] + peer.stderr[-2000:]
        peer_requests = sum(server.requests().values())
    finally:
        server.stop()
    return ours, theirs, our_requests, peer_requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1,000 accounts only")
    args = parser.parse_args()
    counts = [1000] if args.quick else [1000, 10000]
    tfy = ensure_tfy()
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()}, {os.cpu_count()} cores, "
        f"{platform.python_implementation()} {platform.python_version()}; peers: check-jsonschema "
        f"(from PyPI), truefoundry {TFY_VERSION} (`tfy`). Emulator served on 127.0.0.1 by `reconciler emulator "
        "serve`; reconciler concurrency 8.",
        "",
        "**validate** (whole process, same files, same schema; median of 3)",
        "",
        "| manifests | reconciler validate | check-jsonschema | speed-up |",
        "|---:|---:|---:|---:|",
    ]
    for count in counts:
        ours, peer = measure_validate(count, 3)
        lines.append(f"| {count:,} | {ours:.2f} s | {peer:.2f} s | {peer / ours:.1f}x |")
        print(lines[-1], flush=True)
    lines += ["", "**plan against tfy apply --dry-run** (1% changed, the control plane holding every account)", "",
              "| accounts | latency | reconciler plan | requests | tfy apply -d --dry-run | requests | speed-up |",
              "|---:|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    for latency in (0, 20):
        ours, theirs, our_requests, peer_requests = tfy_versus_plan(1000, latency, tfy)
        lines.append(
            f"| 1,000 | {latency} ms | {ours:.2f} s | {our_requests:,} | {theirs:.2f} s | {peer_requests:,} | "
            f"{theirs / ours:.1f}x |"
        )
        print(lines[-1], flush=True)
    lines += ["", "**plan and apply** (wall time of the reconciler process; requests the control plane received)",
              "", "| scenario | accounts | latency | wall time | requests | peak memory |",
              "|---|---:|---:|---:|---:|---:|"]  # fmt: skip
    for count in counts:
        for latency in (0, 20):
            for r in bench(count, latency):
                lines.append(
                    f"| {r.scenario} | {r.count:,} | {r.latency_ms} ms | {r.seconds:.2f} s | {r.requests:,} | "
                    f"{r.peak_mb:.0f} MB |"
                )
                print(lines[-1], flush=True)
    lines += ["", "**import** (an empty repository; the tenant: every field variant, deprecated permissions, a role "
              "binding per ten accounts; served emulator, 0 ms latency)", "",
              "| step | accounts | wall time | peak memory |", "|---|---:|---:|---:|"]  # fmt: skip
    for count in counts:
        for r in bench_import(count, 0):
            lines.append(f"| {r.step} | {r.count:,} | {r.seconds:.2f} s | {r.peak_mb:.0f} MB |")
            print(lines[-1], flush=True)
    help_ms, python_ms = help_time()
    startup = f"`reconciler --help` {help_ms:.0f} ms (median of 15); `python -c pass` {python_ms:.0f} ms."
    lines += ["", f"**start-up**: {startup}"]
    print(lines[-1])
    text = README.read_text(encoding="utf-8")
    before, _, rest = text.partition(START)
    _, _, after = rest.partition(END)
    README.write_text(f"{before}{START}\n" + "\n".join(lines) + f"\n{END}{after}", encoding="utf-8")


if __name__ == "__main__":
    main()
