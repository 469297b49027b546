"""The token directory: the `TokenSink` for accounts without a secret store. One file per account,
DIR/<name>.token, mode 0600, never overwriting a different token silently."""

from __future__ import annotations

import os
from pathlib import Path

from reconciler.domain.errors import TokenSinkError
from reconciler.domain.values import Token


class TokenDir:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def deliver(self, name: str, token: Token) -> str:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self.directory / f"{name}.token"
        value = token.reveal().encode()
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except FileExistsError:
            if path.read_bytes() == value:
                return str(path)  # delivered by an earlier attempt
            raise TokenSinkError(f"{path} already holds a different token; move it away and re-run") from None
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(value)
        return str(path)
