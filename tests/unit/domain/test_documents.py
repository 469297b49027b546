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
