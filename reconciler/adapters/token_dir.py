"""The token directory: the `TokenSink` for accounts without a secret store. One file per account,
DIR/<name>.token, mode 0600, never overwriting a different token silently.

The directory must be a folder this process can create files in: `probe()` proves it before any write is
planned (plan and apply both call it), and a token is written to a temporary file first and linked into place,
so a full disk or a permission change mid-run leaves no half-written token behind. Every I/O error becomes a
`TokenSinkError` naming the recovery: the account stays marked token-delivery pending, and the next apply with
a writable --token-dir fetches its token again (GET .../token)."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from reconciler.domain.errors import TokenSinkError
from reconciler.domain.values import Token

_PROBE_PREFIX = ".va-reconciler-probe-"
# a token staged by process <pid> before it is linked into place: `.<name>.token.<pid>.<random>`
_STAGED = re.compile(r"^\..+\.token\.(\d+)\.[^.]+$")


class TokenDir:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def probe(self) -> None:
        """Create the directory (mode 0700) if needed and write, sync and remove a probe file in it; raises
        `TokenSinkError` saying why when that fails (a regular file in the way, no permission, read-only).
        Also removes tokens a killed run staged and never linked (their process is gone): copies of a token
        must not outlive the run that wrote them."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            descriptor, probe = tempfile.mkstemp(prefix=_PROBE_PREFIX, dir=self.directory)
            try:
                os.write(descriptor, b"probe")
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
                os.unlink(probe)
            self._sweep()
        except OSError as exc:
            raise TokenSinkError(
                f"--token-dir {self.directory} cannot be written ({exc.strerror or exc}): one-time tokens of "
                "created accounts would be lost; make it a writable folder or pass another one"
            ) from exc

    def _sweep(self) -> None:
        for entry in os.scandir(self.directory):
            found = _STAGED.match(entry.name)
            if found is not None and not _alive(int(found.group(1))):
                os.unlink(entry.path)

    def held(self) -> frozenset[str]:
        """The account names that already have a token file here (none when the folder does not exist yet)."""
        try:
            return frozenset(p.name.removesuffix(".token") for p in self.directory.glob("*.token") if p.is_file())
        except OSError:
            return frozenset()  # unreadable: probe() says why

    def discard(self, name: str) -> str | None:
        """Remove the token file of a deleted account (its token died with it); returns which file, or None
        when there was none. An I/O error is a TokenSinkError: the account is deleted, the file stays."""
        path = self.directory / f"{name}.token"
        try:
            path.unlink()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise TokenSinkError(f"the account is deleted, but {path} could not be removed ({exc.strerror})") from exc
        return str(path)

    def deliver(self, name: str, token: Token) -> str:
        path = self.directory / f"{name}.token"
        try:
            return self._write(path, token.reveal().encode())
        except OSError as exc:
            raise TokenSinkError(
                f"the token could not be written to {path} ({exc.strerror or exc}); the account stays marked "
                f"token-delivery pending: make the folder writable, then run `reconciler apply --token-dir "
                f"{self.directory}` again to recover it"
            ) from exc

    def _write(self, path: Path, value: bytes) -> str:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor, staged = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", dir=self.directory)  # mode 0600
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(value)
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(staged, path)  # atomic, and never replaces: an existing file is compared instead
            except FileExistsError:
                if path.read_bytes() == value:
                    return str(path)  # delivered by an earlier attempt
                raise TokenSinkError(f"{path} already holds a different token; move it away and re-run") from None
        finally:
            os.unlink(staged)
        return str(path)


def _alive(pid: int) -> bool:
    """Whether process `pid` runs on this machine (a token directory is local)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True
