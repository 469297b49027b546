"""SQLite persistence for the emulated control plane: accounts, JWTs, the emulated secret store and the
notification outbox. WAL mode; every write runs in one `BEGIN IMMEDIATE` transaction, so concurrent
requests (and a second process on the same file) serialise instead of losing updates."""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    manifest TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    jwt_id TEXT,
    next_rotation TEXT,
    last_synced_jwt_id TEXT,
    last_synced_at TEXT,
    last_accessed_at TEXT
);
CREATE INDEX IF NOT EXISTS accounts_next_rotation ON accounts (next_rotation);
CREATE TABLE IF NOT EXISTS jwts (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    token TEXT NOT NULL UNIQUE,
    token_type TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    expiry TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jwts_account ON jwts (account_id);
CREATE TABLE IF NOT EXISTS secrets (
    store TEXT NOT NULL,
    path TEXT NOT NULL,
    value TEXT NOT NULL,
    jwt_id TEXT NOT NULL,
    account_name TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (store, path)
);
CREATE TABLE IF NOT EXISTS role_bindings (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    manifest TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    account_name TEXT NOT NULL,
    event TEXT NOT NULL,
    target_type TEXT NOT NULL,
    channel TEXT NOT NULL,
    recipients TEXT NOT NULL,
    jwt_id TEXT,
    created_at TEXT NOT NULL
);
"""

_ACCOUNT_COLUMNS = (
    "id, name, manifest, created_at, updated_at, created_by, jwt_id, next_rotation, "
    "last_synced_jwt_id, last_synced_at, last_accessed_at"
)


@dataclass(frozen=True)
class AccountRow:
    id: str
    name: str
    manifest: dict[str, Any]
    created_at: str
    updated_at: str
    created_by: dict[str, Any]
    jwt_id: str | None
    next_rotation: str | None
    last_synced_jwt_id: str | None
    last_synced_at: str | None
    last_accessed_at: str | None


@dataclass(frozen=True)
class BindingRow:
    id: str
    name: str
    manifest: dict[str, Any]
    created_at: str
    updated_at: str
    created_by: dict[str, Any]


_BINDING_COLUMNS = "id, name, manifest, created_at, updated_at, created_by"


def _binding(row: Sequence[Any]) -> BindingRow:
    return BindingRow(row[0], row[1], json.loads(row[2]), row[3], row[4], json.loads(row[5]))


@dataclass(frozen=True)
class JwtRow:
    id: str
    account_id: str
    token: str
    token_type: str
    created_at: str
    updated_at: str
    expiry: str


def _account(row: Sequence[Any]) -> AccountRow:
    return AccountRow(row[0], row[1], json.loads(row[2]), row[3], row[4], json.loads(row[5]), *row[6:11])


class Store:
    """One connection, guarded by a lock: requests are short, and serialising them is what makes 50
    parallel upserts of the same account end consistent."""

    def __init__(self, path: Path | str) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30)
        self._lock = threading.RLock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        with self.transaction():
            for statement in filter(None, (part.strip() for part in _SCHEMA.split(";"))):
                self._db.execute(statement)

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # meta -------------------------------------------------------------------------------------------------
    def meta(self, key: str, default_factory: Any = None) -> str | None:
        """The value stored under `key`; with `default_factory`, creates it once (e.g. the signing key)."""
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
            if row is not None or default_factory is None:
                return None if row is None else str(row[0])
            value = str(default_factory())
            self._db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (key, value))
            return self.meta(key)

    def set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # accounts ---------------------------------------------------------------------------------------------
    def account_by_id(self, account_id: str) -> AccountRow | None:
        with self._lock:
            row = self._db.execute(f"SELECT {_ACCOUNT_COLUMNS} FROM accounts WHERE id = ?", (account_id,)).fetchone()
        return None if row is None else _account(row)

    def account_by_name(self, name: str) -> AccountRow | None:
        with self._lock:
            row = self._db.execute(f"SELECT {_ACCOUNT_COLUMNS} FROM accounts WHERE name = ?", (name,)).fetchone()
        return None if row is None else _account(row)

    def all_accounts(self) -> list[AccountRow]:
        with self._lock:
            rows = self._db.execute(f"SELECT {_ACCOUNT_COLUMNS} FROM accounts ORDER BY name").fetchall()
        return [_account(r) for r in rows]

    def account_page(self, limit: int, offset: int) -> tuple[list[AccountRow], int]:
        """One page in name order and the total, straight from SQL (the unfiltered listing is the hot path)."""
        with self._lock:
            total = int(self._db.execute("SELECT COUNT(*) FROM accounts").fetchone()[0])
            rows = self._db.execute(
                f"SELECT {_ACCOUNT_COLUMNS} FROM accounts ORDER BY name LIMIT ? OFFSET ?", (limit, offset)
            ).fetchall()
        return [_account(r) for r in rows], total

    def accounts_due_for_rotation(self, now: str) -> list[AccountRow]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_ACCOUNT_COLUMNS} FROM accounts WHERE next_rotation IS NOT NULL "
                "AND next_rotation <= ? ORDER BY next_rotation",
                (now,),
            ).fetchall()
        return [_account(r) for r in rows]

    def save_account(self, account: AccountRow) -> None:
        self._db.execute(
            # An upsert, not INSERT OR REPLACE: a replace deletes the row first and cascades to its JWTs.
            f"INSERT INTO accounts ({_ACCOUNT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?) "
            "ON CONFLICT (id) DO UPDATE SET name = excluded.name, manifest = excluded.manifest, "
            "created_at = excluded.created_at, updated_at = excluded.updated_at, "
            "created_by = excluded.created_by, jwt_id = excluded.jwt_id, "
            "next_rotation = excluded.next_rotation, last_synced_jwt_id = excluded.last_synced_jwt_id, "
            "last_synced_at = excluded.last_synced_at, last_accessed_at = excluded.last_accessed_at",
            (
                account.id,
                account.name,
                json.dumps(account.manifest, sort_keys=True),
                account.created_at,
                account.updated_at,
                json.dumps(account.created_by, sort_keys=True),
                account.jwt_id,
                account.next_rotation,
                account.last_synced_jwt_id,
                account.last_synced_at,
                account.last_accessed_at,
            ),
        )

    def delete_account(self, account_id: str) -> None:
        self._db.execute("DELETE FROM jwts WHERE account_id = ?", (account_id,))
        self._db.execute("DELETE FROM accounts WHERE id = ?", (account_id,))

    def touch_account(self, account_id: str, now: str) -> None:
        with self._lock:
            self._db.execute("UPDATE accounts SET last_accessed_at = ? WHERE id = ?", (now, account_id))

    # role bindings ----------------------------------------------------------------------------------------
    def binding_by(self, column: str, value: str) -> BindingRow | None:
        """The binding whose `column` (id or name) is `value`."""
        assert column in ("id", "name")
        with self._lock:
            row = self._db.execute(
                f"SELECT {_BINDING_COLUMNS} FROM role_bindings WHERE {column} = ?", (value,)
            ).fetchone()
        return None if row is None else _binding(row)

    def all_bindings(self) -> list[BindingRow]:
        with self._lock:
            rows = self._db.execute(f"SELECT {_BINDING_COLUMNS} FROM role_bindings ORDER BY name").fetchall()
        return [_binding(r) for r in rows]

    def save_binding(self, binding: BindingRow) -> None:
        self._db.execute(
            f"INSERT INTO role_bindings ({_BINDING_COLUMNS}) VALUES (?,?,?,?,?,?) "
            "ON CONFLICT (id) DO UPDATE SET name = excluded.name, manifest = excluded.manifest, "
            "updated_at = excluded.updated_at",
            (
                binding.id,
                binding.name,
                json.dumps(binding.manifest, sort_keys=True),
                binding.created_at,
                binding.updated_at,
                json.dumps(binding.created_by, sort_keys=True),
            ),
        )

    def delete_binding(self, binding_id: str) -> None:
        self._db.execute("DELETE FROM role_bindings WHERE id = ?", (binding_id,))

    # jwts -------------------------------------------------------------------------------------------------
    def jwts_for(self, account_ids: Sequence[str]) -> dict[str, list[JwtRow]]:
        found: dict[str, list[JwtRow]] = {account_id: [] for account_id in account_ids}
        with self._lock:
            for start in range(0, len(account_ids), 500):
                chunk = list(account_ids[start : start + 500])
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    "SELECT id, account_id, token, token_type, created_at, updated_at, expiry FROM jwts "
                    f"WHERE account_id IN ({marks}) ORDER BY created_at, id",
                    chunk,
                ).fetchall()
                for row in rows:
                    found[row[1]].append(JwtRow(*row))
        return found

    def jwt_by_token(self, token: str) -> JwtRow | None:
        with self._lock:
            row = self._db.execute(
                "SELECT id, account_id, token, token_type, created_at, updated_at, expiry FROM jwts WHERE token = ?",
                (token,),
            ).fetchone()
        return None if row is None else JwtRow(*row)

    def save_jwt(self, jwt: JwtRow) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO jwts (id, account_id, token, token_type, created_at, updated_at, expiry) "
            "VALUES (?,?,?,?,?,?,?)",
            (jwt.id, jwt.account_id, jwt.token, jwt.token_type, jwt.created_at, jwt.updated_at, jwt.expiry),
        )

    def delete_jwt(self, jwt_id: str) -> None:
        self._db.execute("DELETE FROM jwts WHERE id = ?", (jwt_id,))

    # emulated secret store and notification outbox --------------------------------------------------------
    def put_secret(self, store: str, path: str, value: str, jwt_id: str, account: str, now: str) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO secrets (store, path, value, jwt_id, account_name, updated_at) "
            "VALUES (?,?,?,?,?,?)",
            (store, path, value, jwt_id, account, now),
        )

    def secrets(self) -> list[tuple[str, str, str, str, str, str]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT store, path, value, jwt_id, account_name, updated_at FROM secrets ORDER BY store, path"
            ).fetchall()
        return [tuple(r) for r in rows]

    def notify(self, account: str, event: str, target: dict[str, Any], jwt_id: str | None, now: str) -> None:
        recipients = target.get("to_emails") or target.get("channels") or []
        self._db.execute(
            "INSERT INTO outbox (account_name, event, target_type, channel, recipients, jwt_id, created_at) "
            "VALUES (?,?,?,?,?,?,?)",
            (
                account,
                event,
                target["type"],
                target["notification_channel"],
                json.dumps(recipients),
                jwt_id,
                now,
            ),
        )

    def outbox(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, account_name, event, target_type, channel, recipients, jwt_id, created_at "
                "FROM outbox ORDER BY seq"
            ).fetchall()
        keys = (
            "seq",
            "account",
            "event",
            "targetType",
            "notificationChannel",
            "recipients",
            "jwtId",
            "createdAt",
        )
        return [dict(zip(keys, (*r[:5], json.loads(r[5]), *r[6:]), strict=True)) for r in rows]


def new_id(length: int = 24) -> str:
    """A stable random identifier in the documented style: lowercase alphanumerics."""
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(length))
