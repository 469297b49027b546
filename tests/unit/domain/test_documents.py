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
        (None, DocumentClass.UNTYPED),
        (42, DocumentClass.UNTYPED),
    ],
)
def test_classify(value: object, verdict: DocumentClass) -> None:
    found = classify(value)
    assert found.verdict == verdict
    assert found.kind == Kind.VIRTUAL_ACCOUNT
