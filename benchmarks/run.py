"""Reproduce every figure in benchmarks/README.md, peers included, on this machine:

    python benchmarks/run.py            # everything, 100,000 accounts included (about 25 minutes on 2 cores)
    python benchmarks/run.py --quick    # 1,000 accounts only: no 10,000, 50,000 or 100,000

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

import ci_install  # noqa: E402
import concurrency  # noqa: E402
import parallel  # noqa: E402
import transports  # noqa: E402
from generate import generate  # noqa: E402
from importing import bench as bench_import  # noqa: E402
from plan import WORK, bench, run_reconciler  # noqa: E402
from validate import measure as measure_validate  # noqa: E402
from validate import ours_only as validate_alone  # noqa: E402

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


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def validate_section(counts: list[int], memory_count: int | None) -> list[str]:
    lines = [
        "**validate** (whole process, same files, same schema; median of 3, interleaved)",
        "",
        "| manifests | reconciler validate | check-jsonschema | speed-up | our peak memory (workers included) |",
        "|---:|---:|---:|---:|---:|",
    ]
    for count in counts:
        ours, peer, peak = measure_validate(count, 3)
        lines.append(f"| {count:,} | {ours:.2f} s | {peer:.2f} s | {peer / ours:.1f}x | {peak:.0f} MB |")
        print(lines[-1], flush=True)
    if memory_count:
        seconds, peak = validate_alone(memory_count)
        lines.append(f"| {memory_count:,} | {seconds:.2f} s | (not run) | | {peak:.0f} MB |")
        print(lines[-1], flush=True)
    lines += [
        "",
        "**validate's reading, one process or two** (`parallel.py`: `load_repository` as validate calls it, "
        "without start-up; best of 3)",
        "",
    ]
    lines += parallel.table(counts, 3)
    return lines


def tfy_section(tfy: Path) -> list[str]:
    lines = ["**plan against tfy apply --dry-run** (1% changed, the control plane holding every account)", "",
             "| accounts | latency | reconciler plan | requests | tfy apply -d --dry-run | requests | speed-up |",
             "|---:|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    for latency in (0, 20):
        ours, theirs, our_requests, peer_requests = tfy_versus_plan(1000, latency, tfy)
        lines.append(
            f"| 1,000 | {latency} ms | {ours:.2f} s | {our_requests:,} | {theirs:.2f} s | {peer_requests:,} | "
            f"{theirs / ours:.1f}x |"
        )
        print(lines[-1], flush=True)
    return lines


def plan_apply_section(runs: list[tuple[int, int]]) -> list[str]:
    lines = ["**plan and apply** (wall time of the reconciler process; requests the control plane received; "
             "concurrency 8)", "", "| scenario | accounts | latency | wall time | requests | peak memory |",
             "|---|---:|---:|---:|---:|---:|"]  # fmt: skip
    for count, latency in runs:
        for r in bench(count, latency):
            lines.append(
                f"| {r.scenario} | {r.count:,} | {r.latency_ms} ms | {r.seconds:.2f} s | {r.requests:,} | "
                f"{r.peak_mb:.0f} MB |"
            )
            print(lines[-1], flush=True)
    return lines


def import_section(counts: list[int]) -> list[str]:
    lines = ["**import** (an empty repository; the tenant: every field variant, deprecated permissions, a role "
             "binding per ten accounts; served emulator, 0 ms latency)", "",
             "| step | accounts | wall time | peak memory |", "|---|---:|---:|---:|"]  # fmt: skip
    for count in counts:
        for r in bench_import(count, 0):
            lines.append(f"| {r.step} | {r.count:,} | {r.seconds:.2f} s | {r.peak_mb:.0f} MB |")
            print(lines[-1], flush=True)
    return lines


def concurrency_section() -> list[str]:
    lines = ["**does concurrency pay?** (`concurrency.py`: apply 1,000 creates from an empty control plane at "
             "20 ms; best of 2, interleaved; floor = requests x latency / concurrency)", ""]  # fmt: skip
    lines += concurrency.table(concurrency.sweep(1000, 20, [8, 32, 64], 2), 1000)
    print("\n".join(lines[-5:]), flush=True)
    return lines


def transports_section() -> list[str]:
    lines = ["**transports compared** (`transports.py`: 1,000 dry-run PUTs at 20 ms against the served emulator; "
             "best of 2, interleaved; the client's CPU per request)", ""]  # fmt: skip
    lines += transports.run(1000, [8, 32, 64], 20, 2, WORK)
    print("\n".join(lines[-14:]), flush=True)
    return lines


def ci_section() -> list[str]:
    best = ci_install.measure(3)
    line = (f"**the pull-request job** (`ci_install.py`: the composite action's install step with uv, empty cache, "
            "bytecode compiled, then `reconciler plan` of manifests-example; best of 3): "
            f"install {best.install:.2f} s, plan {best.plan:.2f} s, total {best.total:.2f} s.")  # fmt: skip
    print(line, flush=True)
    return [line]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1,000 accounts only")
    args = parser.parse_args()
    counts = [1000] if args.quick else [1000, 10000]
    runs = [(count, latency) for count in counts for latency in (0, 20)] + ([] if args.quick else [(100000, 0)])
    tfy = ensure_tfy()
    before = load()
    lines = validate_section(counts, None if args.quick else 50000)
    lines += ["", *tfy_section(tfy)]
    lines += ["", *plan_apply_section(runs)]
    lines += ["", *import_section(counts)]
    lines += ["", *concurrency_section()]
    lines += ["", *transports_section()]
    lines += ["", *ci_section()]
    help_ms, python_ms = help_time()
    lines += [
        "",
        f"**start-up**: `reconciler --help` {help_ms:.0f} ms (median of 15); `python -c pass` {python_ms:.0f} ms.",
    ]
    print(lines[-1])
    header = [
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()}, {os.cpu_count()} cores, "
        f"{platform.python_implementation()} {platform.python_version()}, in one run of `benchmarks/run.py`; "
        f"load average (1 / 5 / 15 min) {before} at the start and {load()} at the end (the machine is shared: "
        "ratios measured within one run are what to compare). Peers: check-jsonschema (from PyPI), truefoundry "
        f"{TFY_VERSION} (`tfy`). Emulator served on 127.0.0.1 by `reconciler emulator serve`.",
        "",
    ]
    text = README.read_text(encoding="utf-8")
    before_marker, _, rest = text.partition(START)
    _, _, after = rest.partition(END)
    README.write_text(f"{before_marker}{START}\n" + "\n".join(header + lines) + f"\n{END}{after}", encoding="utf-8")


if __name__ == "__main__":
    main()
