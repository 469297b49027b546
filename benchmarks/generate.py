"""Generate a manifests repository of N virtual accounts covering every field variant (deterministic).

No account carries `permissions`: the field is deprecated (TrueFoundry grants access with role bindings;
`reconciler migrate` moves it), and each use is a warning at its position, which costs a second, positioned
parse of the file. The repository is the one a user has after migrating."""

from __future__ import annotations

import argparse
from pathlib import Path

TEAMS = ("platform", "data", "payments", "sre", "ml")
NOTIFY = (
    "  type: email\n  notification_channel: acme:notification-channel:email-{team}\n"
    "  to_emails: [{team}@acme.example]\n",
    "  type: slack-webhook\n  notification_channel: acme:notification-channel:slack-{team}\n",
    '  type: slack-bot\n  notification_channel: acme:notification-channel:slack-bot\n  channels: ["#{team}-alerts"]\n',
    "  type: pagerduty\n  notification_channel: acme:notification-channel:pagerduty-{team}\n",
    "  type: ms-teams-webhook\n  notification_channel: acme:notification-channel:teams-{team}\n",
)
STORES = (
    "  type: secret-store\n  integration_fqn: acme:aws:parameter-store:prod\n  secret_path: bench/{name}\n",
    "  integration_fqn: acme:hashicorp:vault:prod\n  secret_path: bench/{name}\n",
    "  type: tfy-secrets\n  secret_group: acme:{team}-secrets\n  key: TOKEN_{index}\n",
)


def manifest(index: int, revision: int = 0) -> str:
    team = TEAMS[index % len(TEAMS)]
    name = f"bench-{team}-{index:05d}"
    interval = 30 + (index % 300) + revision
    parts = [
        "type: virtual-account\n",
        f"name: {name}\n",
        f'expiration_date: "2028-{1 + index % 12:02d}-{1 + index % 28:02d}"\n',
        f"auto_rotate:\n  auto_rotate_interval: {interval}\n  grace_period: {1 + index % 29}\n",
        "notification_target:\n" + NOTIFY[index % len(NOTIFY)].format(team=team),
        "secret_store_config:\n" + STORES[index % len(STORES)].format(name=name, team=team, index=index),
        f"ownedBy:\n  team: {team}\n",
        f"tags:\n  env: prod\n  shard: {index % 16}\n",
    ]
    if index % 7 == 0:
        parts.append("identity_provider_mapping:\n  - identity_provider: acme:identity-provider:okta\n")
        parts.append(f"    value: {name}\n")
    if index % 3 == 0:
        parts.append(f"token_type: {'jwt' if index % 2 else 'opaque'}\n")
    return "".join(parts)


def generate(root: Path, count: int, changed_every: int = 0) -> list[Path]:
    """Write `count` manifests under root/accounts/<team>/; with `changed_every`, every k-th account gets a
    different rotation interval (a 1 % change is changed_every=100)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "reconciler.yaml").write_text("version: 1\npaths: [accounts]\n", encoding="utf-8")
    files = []
    for index in range(count):
        team = TEAMS[index % len(TEAMS)]
        path = root / "accounts" / team / f"bench-{team}-{index:05d}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        revision = 1 if changed_every and index % changed_every == 0 else 0
        path.write_text(manifest(index, revision), encoding="utf-8")
        files.append(path)
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("root", type=Path)
    parser.add_argument("count", type=int)
    args = parser.parse_args()
    generate(args.root, args.count)


if __name__ == "__main__":
    main()
