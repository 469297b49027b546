"""Import N accounts from a served control plane into an empty repository; report the wall time and peak memory
of `reconciler import`, then of `validate` and the first `plan` (only adoptions) on what it wrote.

    python benchmarks/importing.py [--counts 1000 10000] [--latency-ms 0 20]

The tenant is the benchmark repository's accounts (every field variant, deprecated permissions included, so
each account also gets a role binding) plus one role binding per ten accounts, put into the control plane
through its API as any client would (not by `reconciler apply`, which would tag them as a repository's), then
served by `reconciler emulator serve`, as a user runs it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx
import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from generate import TEAMS, manifest  # noqa: E402
from plan import WORK, run_reconciler  # noqa: E402

from reconciler.emulator.http.app import create_app  # noqa: E402
from tests.emulator_process import API, ServedEmulator  # noqa: E402


@dataclass
class Result:
    step: str
    count: int
    latency_ms: int
    seconds: float
    peak_mb: float
    exit_code: int
    files: int = 0


def tenant(count: int) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    accounts = [yaml.safe_load(manifest(index)) for index in range(count)]
    bindings = [
        {
            "type": "role-binding",
            "name": f"grant-{index:05d}",
            "subjects": [{"type": "virtualaccount", "name": accounts[index]["name"]}],
            "permissions": [
                {"resourceType": "workspace", "resourceFqn": "acme-prod-cluster:sre", "role": "workspace-viewer"}
            ],
        }  # fmt: skip
        for index in range(0, count, 10)
    ]
    return accounts, bindings


async def seed(db: Path, count: int) -> None:
    """Put the tenant into the control plane's database through its API (in-process: not what is measured)."""
    app = create_app(db)
    headers = {"Authorization": f"Bearer {app.state.emulator.backend.admin_token}"}
    accounts, bindings = tenant(count)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://seed", headers=headers) as c:
        for kind, manifests in (("virtual-accounts", accounts), ("role-bindings", bindings)):
            for body in manifests:
                response = await c.put(f"{API}/{kind}", json={"manifest": body, "dryRun": False})
                response.raise_for_status()


def bench(count: int, latency: int) -> list[Result]:
    root = WORK / f"import-{count}"
    db = root / "cp.db"
    if not db.exists():  # seeding 10,000 accounts takes a while; the database is kept between runs
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        asyncio.run(seed(db, count))
    repo = root / f"repo-{latency}"
    shutil.rmtree(repo, ignore_errors=True)
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    server = ServedEmulator(db, "--latency-ms", str(latency))
    env = {**os.environ, **server.env, "CI": "true"}
    results = []
    try:
        for step, args in (("import", ["import", str(repo)]), ("validate the result", ["validate", str(repo)]),
                           ("first plan (adoptions)", ["plan", str(repo)])):  # fmt: skip
            seconds, peak, code, output = run_reconciler(args, env)
            if code not in (0, 2):
                print(output[-3000:], file=sys.stderr)
            files = sum(1 for _ in (repo / "accounts").rglob("*.yaml")) if step == "import" else 0
            results.append(Result(step, count, latency, seconds, peak, code, files))
            if step == "first plan (adoptions)":
                summary = [line for line in output.splitlines() if line.startswith("Plan:")]
                print(f"  {summary[-1] if summary else output[-500:]}", file=sys.stderr)
    finally:
        server.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--counts", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--latency-ms", type=int, nargs="+", default=[0, 20])
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_implementation()} "
          f"{platform.python_version()}; teams {len(TEAMS)}")  # fmt: skip
    print("| step | accounts | latency | wall time | peak memory | exit | files written |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for count in args.counts:
        for latency in args.latency_ms:
            for r in bench(count, latency):
                print(f"| {r.step} | {r.count:,} | {r.latency_ms} ms | {r.seconds:.2f} s | {r.peak_mb:.0f} MB | "
                      f"{r.exit_code} | {r.files or ''} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
