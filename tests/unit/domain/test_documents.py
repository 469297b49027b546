"""Classifying a document by its `type`."""

from __future__ import annotations

import pytest

from reconciler.domain.documents import DocumentClass, classify
from reconciler.domain.vocabulary import Kind


@pytest.mark.parametrize(
    ("value", "verdict"),
    [
        ("virtual-account", DocumentClass.MANAGED),
        ("Virtual-Account", DocumentClass.TYPO),
        ("virtual_account", DocumentClass.TYPO),
        ("virtual account", DocumentClass.TYPO),
        ("virtual-acount", DocumentClass.TYPO),
        ("team", DocumentClass.OTHER),
        ("workspace", DocumentClass.OTHER),
        ("virtual", DocumentClass.OTHER),
    ],
)
def test_classify(value: object, verdict: DocumentClass) -> None:
    found = classify(value, ["type", "name"])
    assert found.verdict == verdict
    assert found.kind == Kind.VIRTUAL_ACCOUNT


@pytest.mark.parametrize(
    ("value", "fields", "verdict"),
    [
        (42, ["type", "name"], DocumentClass.UNTYPED),  # a type that is not a string: the schema says so
        (None, ["type"], DocumentClass.UNTYPED),  # `type:` left empty
        (None, ["name", "permissions"], DocumentClass.UNTYPED),  # a manifest that lost its type line
        (None, ["auto_rotate"], DocumentClass.UNTYPED),
        (None, ["token_type"], DocumentClass.UNTYPED),
        (None, ["foo"], DocumentClass.NOT_A_MANIFEST),
        (None, ["name", "on", "jobs"], DocumentClass.NOT_A_MANIFEST),  # a workflow
        (None, ["name", "ownedBy", "tags"], DocumentClass.NOT_A_MANIFEST),  # fields every TrueFoundry kind has
        (None, [], DocumentClass.NOT_A_MANIFEST),
    ],
)
def test_documents_without_a_type(value: object, fields: list[str], verdict: DocumentClass) -> None:
    found = classify(value, fields)
    assert found.verdict == verdict
    assert found.kind == Kind.VIRTUAL_ACCOUNT


def test_a_role_binding_without_its_type_is_taken_for_one() -> None:
    found = classify(None, ["name", "subjects", "permissions"])
    assert (found.verdict, found.kind) == (DocumentClass.UNTYPED, Kind.ROLE_BINDING)


@pytest.mark.parametrize(
    ("value", "verdict"),
    [
        ("virtualacc", DocumentClass.TYPO),  # similarity exactly 0.8: 2 * 10 matching / (10 + 15)
        ("virtual_acc", DocumentClass.TYPO),  # "_" folds to "-": 22 / 26; unfolded it would be 20 / 26
        ("virtual acc", DocumentClass.TYPO),  # " " folds to "-" too
        ("virtua", DocumentClass.OTHER),  # 12 / 21
    ],
)
def test_the_near_miss_threshold_and_folding(value: str, verdict: DocumentClass) -> None:
    assert classify(value).verdict == verdict
