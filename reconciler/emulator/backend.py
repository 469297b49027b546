"""The emulated control plane behind the HTTP routes: one tenant, its store, clock, tokens, callers and
accounts, wired together. A second implementation of TrueFoundry's API: nothing here imports the reconciler."""

from __future__ import annotations

import secrets
from pathlib import Path

from reconciler.emulator.accounts import Accounts
from reconciler.emulator.auth import ADMIN_SUBJECT, Authenticator
from reconciler.emulator.bindings import Bindings
from reconciler.emulator.clock import Clock
from reconciler.emulator.lifecycle import TokenLifecycle
from reconciler.emulator.store import Store, new_id
from reconciler.emulator.tenant import Tenant, load_tenant
from reconciler.emulator.tokens import TokenMint
from reconciler.emulator.validation import AccountValidator
from reconciler.emulator.visibility import Visibility


class Backend:
    """Everything one emulated tenant holds. The admin token is stored with the database (a JWT generated
    once) unless one is given."""

    def __init__(self, db_path: Path | str, admin_token: str | None = None, tenant_file: Path | None = None) -> None:
        self.store = Store(db_path)
        self.tenant: Tenant = load_tenant(tenant_file)
        self.clock = Clock(self.store)
        mint = TokenMint(self.store.meta("jwt_signing_key", lambda: secrets.token_hex(32)) or "", self.tenant.name)
        if admin_token is not None:
            self.store.set_meta("admin_token", admin_token)
        token = self.store.meta("admin_token", lambda: mint.admin_session_token(ADMIN_SUBJECT, new_id(12))) or ""
        self.admin_token = token
        self.tokens = TokenLifecycle(self.store, self.clock, mint)
        validator = AccountValidator(self.tenant)
        self.bindings = Bindings(self.store, self.clock, self.tenant, validator)
        index = self.bindings.grants_by_account
        self.auth = Authenticator(self.store, self.clock, self.tenant, mint, token, index)
        self.accounts = Accounts(self.store, self.clock, self.tenant, validator, self.tokens, index)
        self.visibility = Visibility(self.store)
