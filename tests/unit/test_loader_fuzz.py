"""Fuzz the input path (bytes -> strict YAML -> schema validation -> plan text): nothing but positioned
problems may come out; no exception, no RecursionError, bounded messages."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.manifests.yaml_loader import load_documents
from reconciler.schema import MANIFEST_SCHEMA_FILE, packaged_schema
from reconciler.schema.validate import SchemaValidator

VALIDATOR = SchemaValidator(packaged_schema(MANIFEST_SCHEMA_FILE))
YAML_PIECES = st.sampled_from(
    ["type: virtual-account\n", "name: ", "a", "-", " ", "\n", "  ", ":", "[", "]", "{", "}", ",", "&x ", "*x",
     "<<: ", "!!str ", "!!python/object ", "'", '"', "#", "---\n", "...\n", "? ", "|\n", ">\n", "1", "true",
     "2027-01-01", "auto_rotate:", "permissions:", "tags:", "\t", "\u202e", "\x00", "é"]
)  # fmt: skip


def _exercise(raw: bytes) -> None:
    result = load_documents(raw, "fuzz.yaml")
    for problem in result.problems:
        assert problem.position.line >= 1 and problem.position.col >= 1
        assert len(problem.message) <= 500
    for document in result.documents:
        if document.clean and isinstance(document.value, dict):
            for problem in VALIDATOR.problems(document.value, document.position_of, document.key_position_of):
                assert len(problem.message) <= 500


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(YAML_PIECES, max_size=60).map("".join))
def test_yaml_like_text_only_yields_problems(text: str) -> None:
    _exercise(text.encode("utf-8"))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_only_yield_problems(raw: bytes) -> None:
    _exercise(raw)
