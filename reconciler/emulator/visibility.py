"""What a caller may see. TrueFoundry lists "virtual accounts accessible to the current user"
(reference/control-plane-api.md §4 #1) without saying which; the emulator's rule [I] (docs/architecture.md):

- a tenant admin sees everything;
- any other caller (a virtual account's token) sees itself and the accounts its own team owns
  (`ownedBy.team`), and the role bindings naming at least one account it sees;
- `exists` answers for the whole tenant (names are unique tenant-wide), whoever asks.

Writes, dry runs and tokens stay for tenant admins (`auth.py`)."""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.emulator.auth import Identity
from reconciler.emulator.store import AccountRow, BindingRow, Store


class Visibility:
    def __init__(self, store: Store) -> None:
        self._store = store

    def accounts(self, identity: Identity, rows: Iterable[AccountRow]) -> list[AccountRow]:
        if identity.tenant_admin:
            return list(rows)
        seen = self._sees(identity)
        return [row for row in rows if seen(row)]

    def bindings(self, identity: Identity, rows: Iterable[BindingRow]) -> list[BindingRow]:
        if identity.tenant_admin:
            return list(rows)
        visible = {a.name for a in self.accounts(identity, self._store.all_accounts())}
        return [row for row in rows if visible & set(_accounts_named(row))]

    def _sees(self, identity: Identity) -> _Seen:
        caller = self._store.account_by_name(identity.account_name) if identity.account_name else None
        team = _team(caller) if caller is not None else None
        return _Seen(identity.account_name, team)


class _Seen:
    def __init__(self, name: str | None, team: str | None) -> None:
        self._name, self._team = name, team

    def __call__(self, row: AccountRow) -> bool:
        return row.name == self._name or (self._team is not None and _team(row) == self._team)


def _team(row: AccountRow) -> str | None:
    owner = row.manifest.get("ownedBy")
    team = owner.get("team") if isinstance(owner, dict) else None
    return team if isinstance(team, str) else None


def _accounts_named(row: BindingRow) -> list[str]:
    subjects = row.manifest.get("subjects")
    return [
        str(s.get("name"))
        for s in (subjects if isinstance(subjects, list) else [])
        if isinstance(s, dict) and s.get("type") == "virtualaccount"
    ]
