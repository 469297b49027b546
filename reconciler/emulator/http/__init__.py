"""The emulator over HTTP (Starlette, and only here): TrueFoundry's API routes, emulator-only routes under
`/_emulator/`, and the fault-and-latency middleware."""
