"""Which resources a repository considers at all (`scope:` in reconciler.yaml), for tenants shared by several
repositories or teams. Plan, drift and prune see only resources in scope; everything else is left alone, as if
it did not exist (`kinds.in_scope` selects them), except that a destination (a token secret, an identity
mapping) another account holds still blocks a write whether or not that account is in scope.

- An account is in scope when its name matches an `include` pattern (none given: every name), matches no
  `exclude` pattern, and, when `teams` is given, its `ownedBy.team` is one of them. Patterns are shell-style
  (`fnmatch`), case-sensitive (account names are lower case).
- An account in Git is judged by its manifest in Git, an account only live by its live manifest: a change of
  `ownedBy.team` in Git therefore never makes a live account look "gone from Git" and pruned.
- A role binding is in scope when every virtual account it names is (one naming none has nothing to scope).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase


@dataclass(frozen=True)
class Scope:
    """`include`/`exclude`: shell patterns on account names; `teams`: `ownedBy.team` values. Empty `include`
    and `teams` mean "any"; the default scope holds everything."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()

    @property
    def everything(self) -> bool:
        return not (self.include or self.exclude or self.teams)

    def includes(self, name: str, team: str | None) -> bool:
        """Whether an account named `name`, owned by `team` (None: no `ownedBy.team`), is in scope."""
        if self.include and not any(fnmatchcase(name, pattern) for pattern in self.include):
            return False
        if any(fnmatchcase(name, pattern) for pattern in self.exclude):
            return False
        return not self.teams or team in self.teams

    def describe(self) -> str:
        """The scope in words, for notices: `include ci-*; exclude legacy-*; teams platform`."""
        parts = [
            f"{label} {', '.join(values)}"
            for label, values in (("include", self.include), ("exclude", self.exclude), ("teams", self.teams))
            if values
        ]
        return "; ".join(parts) or "everything"


def team_of(manifest: Mapping[str, object]) -> str | None:
    """The manifest's `ownedBy.team`, or None."""
    owner = manifest.get("ownedBy")
    team = owner.get("team") if isinstance(owner, Mapping) else None
    return team if isinstance(team, str) else None


def scope_from_data(data: Mapping[str, Sequence[str]]) -> Scope:
    """The `scope:` section of schema-valid reconciler.yaml data."""
    return Scope(
        include=tuple(data.get("include", ())),
        exclude=tuple(data.get("exclude", ())),
        teams=tuple(data.get("teams", ())),
    )
