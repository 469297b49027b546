"""The embedded control plane: a faithful emulator of TrueFoundry's virtual-account API (Starlette + SQLite).

An independent second implementation of the API contract: it imports nothing from the reconciler's client,
planner or use cases (import-linter enforces it), so contract tests against it mean something."""
