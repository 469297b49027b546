"""Published schemas in use: the documents the commands write validate against theirs (and the schemas are
strict), `schema export` writes them into a user's repository, and the example's modelines resolve there."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from reconciler.domain.plan import PLAN_VERSION
from reconciler.schema import PUBLISHED_SCHEMAS
from tests.conftest import REPO_ROOT, TODAY, CliRunner, copy_example

MODELINE = re.compile(r"yaml-language-server:\s*\$schema=(\S+)")


def published(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((REPO_ROOT / "schemas" / name).read_text("utf-8"))
    return jsonschema.Draft202012Validator(schema)


def test_plan_apply_and_drift_documents_match_their_published_schemas(
    example: Path, cli: CliRunner, tmp_path: Path
) -> None:
    tokens = str(tmp_path / "tokens")
    plan = cli("plan", str(example), "--out", str(tmp_path / "plan.json"), "--today", TODAY, "--token-dir", tokens)
    assert plan.code == 0, plan.err
    applied = cli("apply", str(example), "--plan", str(tmp_path / "plan.json"), "--out", str(tmp_path / "apply.json"),
                  "--today", TODAY, "--token-dir", tokens)  # fmt: skip
    assert applied.code == 0, applied.out + applied.err
    (example / "accounts" / "sre" / "oncall-pager.yaml").unlink()  # drift: an owned account left Git
    drift = cli("drift", str(example), "--out", str(tmp_path / "drift.json"), "--today", TODAY)
    assert drift.code == 0, drift.err
    for file, schema in (("plan.json", "plan.schema.json"), ("apply.json", "apply-report.schema.json"),
                         ("drift.json", "drift.schema.json")):  # fmt: skip
        document = json.loads((tmp_path / file).read_text("utf-8"))
        assert list(published(schema).iter_errors(document)) == [], file
    findings = json.loads((tmp_path / "drift.json").read_text("utf-8"))["findings"]
    assert [f["kind"] for f in findings] == ["orphaned"]
    plan_document = json.loads((tmp_path / "plan.json").read_text("utf-8"))
    assert {c["action"] for c in plan_document["changes"]} == {"create"}


def test_the_output_schemas_are_strict() -> None:
    plan = published("plan.schema.json")
    valid = {"kind": "virtual-account", "name": "a", "action": "create", "file": None, "line": None, "col": None,
             "id": None, "desired": {}, "desired_hash": None, "live_fingerprint": None, "diffs": [], "warnings": [],
             "errors": [], "reason": "", "token_destination": None, "deliver_token": False}  # fmt: skip
    document = {"version": PLAN_VERSION, "revision": None, "source": "s", "control_plane": "c",
                "ownership": {"key": "k", "value": "v"}, "prune": False, "live_count": 0, "desired_count": 1,
                "summary": {"create": 1}, "notices": [], "problems": [], "access": [], "changes": [valid],
                "checksum": "x"}  # fmt: skip
    assert plan.is_valid(document)
    assert not plan.is_valid({**document, "version": 1})
    assert not plan.is_valid({**document, "extra": 1})
    assert not plan.is_valid({**document, "changes": [{**valid, "action": "upsert"}]})
    assert not plan.is_valid({k: v for k, v in document.items() if k != "checksum"})


def test_schema_export_writes_every_schema_this_version_ships(tmp_path: Path, cli: CliRunner) -> None:
    target = tmp_path / "repo" / "schemas"
    first = cli("schema", "export", str(target))
    assert first.code == 0, first.err
    assert sorted(p.name for p in target.iterdir()) == sorted(PUBLISHED_SCHEMAS)
    for name in PUBLISHED_SCHEMAS:
        assert (target / name).read_text("utf-8") == (REPO_ROOT / "schemas" / name).read_text("utf-8")
    again = cli("schema", "export", str(target))
    assert again.code == 0 and "already current" in again.out
    (tmp_path / "file").write_text("x")
    assert cli("schema", "export", str(tmp_path / "file")).code == 2  # a usage error


def test_the_example_modelines_resolve_in_a_users_repository(
    tmp_path: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = tmp_path / "user"
    copy_example(user, "schemas")
    monkeypatch.chdir(user)
    assert cli("schema", "export", "schemas").code == 0
    modelines = 0
    for manifest in user.rglob("*.yaml"):
        match = MODELINE.search(manifest.read_text("utf-8"))
        if match is None:
            continue
        modelines += 1
        target = (manifest.parent / match.group(1)).resolve()
        assert target.is_file(), f"{manifest}: {match.group(1)} does not resolve"
        assert target.parent == (user / "schemas").resolve()
    assert modelines == 12  # eleven manifests and reconciler.yaml
    for manifest in (REPO_ROOT / "manifests-example").rglob("*.yaml"):  # and in this repository as committed
        match = MODELINE.search(manifest.read_text("utf-8"))
        assert match is None or (manifest.parent / match.group(1)).is_file(), manifest


def test_one_modeline_serves_a_file_holding_several_kinds(tmp_path: Path, cli: CliRunner) -> None:
    """manifest.schema.json picks each document's schema by `type` (the language server applies one schema to
    every document of a file), through references resolved beside it, as an editor resolves them."""
    from referencing import Registry, Resource

    folder = tmp_path / "schemas"
    assert cli("schema", "export", str(folder)).code == 0
    schemas = {p.name: json.loads(p.read_text("utf-8")) for p in folder.glob("*.json")}
    registry: Registry = Registry().with_resources(
        (name, Resource.from_contents(schema)) for name, schema in schemas.items()
    )
    registry = registry.with_resources((s["$id"], Resource.from_contents(s)) for s in schemas.values() if "$id" in s)
    any_kind = jsonschema.Draft202012Validator(schemas["manifest.schema.json"], registry=registry)
    runner = yaml_documents(REPO_ROOT / "manifests-example" / "accounts" / "ml" / "training-runner.yaml")
    assert [d["type"] for d in runner] == ["virtual-account", "role-binding"]
    for document in runner:
        assert list(any_kind.iter_errors(document)) == [], document["type"]
    team = yaml_documents(REPO_ROOT / "manifests-example" / "accounts" / "data" / "pipelines.yaml")[-1]
    assert team["type"] == "team" and any_kind.is_valid(team)  # other kinds are skipped, not errors
    assert not any_kind.is_valid({"type": "virtual-account", "name": "Bad_Name"})
    assert not any_kind.is_valid({"type": "role-binding", "name": "b", "expiration_date": "2030-01-01"})
    assert not any_kind.is_valid({"name": "no-type"})


def yaml_documents(path: Path) -> list[dict[str, object]]:
    import yaml

    return [d for d in yaml.safe_load_all(path.read_text("utf-8")) if d]
