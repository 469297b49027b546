"""Emulator-only routes, under `/_emulator/` (never under `/api/`), for the admin token only: inspection (what
the emulated secret stores hold, as SHA-256 of each token; rotation notifications; request counts) and, with
`--test-controls`, the clock and fault injection."""

from __future__ import annotations

import hashlib

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reconciler.emulator.clock import iso, parse_iso
from reconciler.emulator.errors import ApiError
from reconciler.emulator.http.api import admin, backend_of, json_body
from reconciler.emulator.http.faults import Fault, Faults, ListingRace


def routes() -> list[Route]:
    return [
        Route("/_emulator/secret-store", inspect_secret_store, methods=["GET"]),
        Route("/_emulator/outbox", inspect_outbox, methods=["GET"]),
        Route("/_emulator/stats", stats, methods=["GET", "DELETE"]),
        Route("/_emulator/clock", clock, methods=["GET", "POST"]),
        Route("/_emulator/faults", faults, methods=["POST", "DELETE"]),
        Route("/_emulator/listing-race", listing_race, methods=["POST"]),
    ]


def _faults(request: Request, test_control: bool = False) -> Faults:
    """The faults and counters, for the admin; test controls only when the emulator was started with them."""
    state = request.app.state.emulator
    if test_control and not state.test_controls:
        raise ApiError(404, "test controls are off; start the emulator with --test-controls")
    admin(request)
    found: Faults = state.faults
    return found


async def inspect_secret_store(request: Request) -> Response:
    """What the emulated secret stores hold, with a SHA-256 of each token instead of the token."""
    backend, _ = admin(request)
    return JSONResponse(
        [
            {
                "store": store,
                "path": path,
                "sha256": hashlib.sha256(value.encode()).hexdigest(),
                "jwtId": jwt_id,
                "account": account,
                "updatedAt": updated_at,
            }
            for store, path, value, jwt_id, account, updated_at in backend.store.secrets()
        ]
    )


async def inspect_outbox(request: Request) -> Response:
    backend, _ = admin(request)
    return JSONResponse(backend.store.outbox())


async def stats(request: Request) -> Response:
    faults = _faults(request)
    if request.method == "DELETE":
        faults.requests.clear()
    counters = faults.requests
    return JSONResponse({"requests": sum(counters.values()), "byRoute": dict(counters), "held": faults.held})


async def clock(request: Request) -> Response:
    _faults(request, test_control=request.method == "POST")
    backend = backend_of(request)
    if request.method == "POST":
        body = await json_body(request)
        if "now" in body:
            backend.clock.set(parse_iso(str(body["now"])))
        else:
            backend.clock.advance(float(body.get("advanceSeconds", 0)))
        backend.tokens.rotate_due()
    return JSONResponse({"now": iso(backend.clock.now())})


async def faults(request: Request) -> Response:
    scripted = _faults(request, test_control=True).scripted
    if request.method == "DELETE":
        scripted.clear()
        return JSONResponse({"faults": 0})
    scripted.append(Fault.from_body(await json_body(request)))
    return JSONResponse({"faults": len(scripted)})


async def listing_race(request: Request) -> Response:
    """`{"offset": 1000, "delete": name, "create": manifest}`: once, just before the account listing serves the
    page at `offset`, delete and create accounts (as another writer would between two pages)."""
    found = _faults(request, test_control=True)
    race = ListingRace.from_body(await json_body(request))
    found.races.append(race)
    return JSONResponse({"offset": race.offset, "pending": len(found.races)})
