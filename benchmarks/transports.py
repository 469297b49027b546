"""Compare HTTP client transports for the control-plane client, on the requests apply sends most: dry-run PUTs
of generated manifests, against `reconciler emulator serve --latency-ms` on 127.0.0.1.

    python benchmarks/transports.py [--requests 1000] [--concurrency 8 32 64] [--latency-ms 20] [--rounds 2]

Candidates (issue 15, "A transport that scales"):
- `httpx pool`: one httpx.AsyncClient, `max_connections = concurrency` (httpcore's pool; its bookkeeping
  scans every connection for every request: encode/httpcore #1035, encode/httpx #3215);
- `httpx sharded`: several httpx.AsyncClients of 4 connections each, requests spread round robin;
- `httpx-aiohttp`: one httpx.AsyncClient over httpx-aiohttp's `AiohttpTransport` (httpx's API, aiohttp's pool);
- `aiohttp`: a bare aiohttp.ClientSession, the reference for what the wire allows.

Each candidate runs in the same process one after the other, interleaved over `--rounds`; a row reports the
best wall time, the client's CPU time for the same run (`time.process_time()`) and the floor
(requests x latency / concurrency). The emulator runs as its own process, so its CPU is not counted here.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from generate import manifest  # noqa: E402

from tests.emulator_process import ADMIN, ServedEmulator  # noqa: E402

PATH = "/api/svc/v1/virtual-accounts"
HEADERS = {"Authorization": f"Bearer {ADMIN}", "Content-Type": "application/json"}
Send = Callable[[bytes], Awaitable[int]]


@dataclass
class Row:
    transport: str
    concurrency: int
    seconds: float
    cpu_seconds: float
    floor: float


def bodies(count: int) -> list[bytes]:
    """Dry-run PUT bodies of `count` generated manifests (the YAML parsed by the reconciler's own loader)."""
    from reconciler.manifests.yaml_loader import load_documents

    found = []
    for index in range(count):
        document = load_documents(manifest(index).encode(), "bench.yaml").documents[0]
        found.append(json.dumps({"manifest": document.value, "dryRun": True}).encode())
    return found


async def _drive(send: Send, payloads: list[bytes], concurrency: int) -> None:
    semaphore = asyncio.Semaphore(concurrency)

    async def one(body: bytes) -> None:
        async with semaphore:
            status = await send(body)
            assert status == 200, status

    await asyncio.gather(*(one(body) for body in payloads))


async def httpx_pool(url: str, payloads: list[bytes], concurrency: int) -> None:
    import httpx

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, headers=HEADERS, limits=limits) as client:

        async def send(body: bytes) -> int:
            return (await client.put(PATH, content=body)).status_code

        await _drive(send, payloads, concurrency)


async def httpx_sharded(url: str, payloads: list[bytes], concurrency: int, per_shard: int = 4) -> None:
    import httpx

    shards = max(1, concurrency // per_shard)
    limits = httpx.Limits(max_connections=per_shard, max_keepalive_connections=per_shard)
    clients = [httpx.AsyncClient(base_url=url, headers=HEADERS, limits=limits) for _ in range(shards)]
    turn = itertools.cycle(clients)

    async def send(body: bytes) -> int:
        return (await next(turn).put(PATH, content=body)).status_code

    try:
        await _drive(send, payloads, concurrency)
    finally:
        for client in clients:
            await client.aclose()


async def httpx_aiohttp(url: str, payloads: list[bytes], concurrency: int) -> None:
    import httpx
    from httpx_aiohttp import AiohttpTransport

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    transport = AiohttpTransport(limits=limits)
    async with httpx.AsyncClient(base_url=url, headers=HEADERS, transport=transport) as client:

        async def send(body: bytes) -> int:
            return (await client.put(PATH, content=body)).status_code

        await _drive(send, payloads, concurrency)


async def bare_aiohttp(url: str, payloads: list[bytes], concurrency: int) -> None:
    import aiohttp

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(url, headers=HEADERS, connector=connector) as session:

        async def send(body: bytes) -> int:
            async with session.put(PATH, data=body) as response:
                await response.read()
                return response.status

        await _drive(send, payloads, concurrency)


CANDIDATES: dict[str, Callable[[str, list[bytes], int], Awaitable[None]]] = {
    "httpx pool": httpx_pool,
    "httpx sharded (4 per client)": httpx_sharded,
    "httpx-aiohttp": httpx_aiohttp,
    "aiohttp (reference)": bare_aiohttp,
}


def measure(url: str, payloads: list[bytes], concurrencies: list[int], latency_ms: int, rounds: int) -> list[Row]:
    best: dict[tuple[str, int], Row] = {}
    for _ in range(rounds):
        for concurrency in concurrencies:
            for name, candidate in CANDIDATES.items():
                cpu, started = time.process_time(), time.perf_counter()
                asyncio.run(candidate(url, payloads, concurrency))
                seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
                floor = len(payloads) * latency_ms / 1000 / concurrency
                row = Row(name, concurrency, seconds, cpu, floor)
                key = (name, concurrency)
                if key not in best or seconds < best[key].seconds:
                    best[key] = row
    return sorted(best.values(), key=lambda r: (r.concurrency, list(CANDIDATES).index(r.transport)))


def table(rows: list[Row], requests: int) -> list[str]:
    lines = [
        "| transport | concurrency | wall time | x floor | client CPU per request |",
        "|---|---:|---:|---:|---:|",
    ]
    lines.extend(
        f"| {r.transport} | {r.concurrency} | {r.seconds:.2f} s | "
        f"{f'{r.seconds / r.floor:.2f}x' if r.floor else '-'} | {r.cpu_seconds / requests * 1000:.2f} ms |"
        for r in rows
    )
    return lines


def run(requests: int, concurrencies: list[int], latency_ms: int, rounds: int, work: Path) -> list[str]:
    payloads = bodies(requests)
    server = ServedEmulator(work / "transports.db", "--latency-ms", str(latency_ms))
    try:
        rows = measure(server.url, payloads, concurrencies, latency_ms, rounds)
    finally:
        server.stop()
    return table(rows, requests)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 32, 64])
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    work = HERE / ".work"
    work.mkdir(exist_ok=True)
    for line in run(args.requests, args.concurrency, args.latency_ms, args.rounds, work):
        print(line, flush=True)


if __name__ == "__main__":
    main()
