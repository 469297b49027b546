"""Invisible characters are refused by Unicode category (Cf, Cc but tab/LF/CR, Zl, Zp), in the raw text and
in decoded keys and values, with their real position; values from elsewhere are shown escaped."""

from __future__ import annotations

import sys
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.domain.diff import FieldDiff
from reconciler.domain.plan import Change, Plan
from reconciler.domain.vocabulary import Action, DiffKind, Kind
from reconciler.manifests.yaml_loader import load_documents
from reconciler.render.text import plan_text

# Every format character this Python knows, found by category here rather than taken from the code.
FORMAT_CHARACTERS = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"]


def _problems(raw: bytes) -> list[str]:
    return [f"{p.position.line}:{p.position.col}: {p.message}" for p in load_documents(raw, "f.yaml").problems]


def test_there_are_many_format_characters_beyond_the_usual_examples() -> None:
    assert {"\u200b", "\u200d", "\u2060", "\ufeff", "\u00ad", "\U000e0001"} <= set(FORMAT_CHARACTERS)
    assert len(FORMAT_CHARACTERS) > 150


@given(char=st.sampled_from(FORMAT_CHARACTERS), prefix=st.text(alphabet="abc-", max_size=5))
def test_every_format_character_in_a_value_is_refused_where_it_stands(char: str, prefix: str) -> None:
    raw = f"type: virtual-account\ntags:\n  env: {prefix}{char}x\n".encode()
    (problem,) = _problems(raw)
    assert problem.startswith(f"3:{8 + len(prefix)}: forbidden character U+{ord(char):04X} (")


@given(char=st.sampled_from(FORMAT_CHARACTERS))
def test_every_format_character_written_as_an_escape_is_refused_too(char: str) -> None:
    escape = f"\\u{ord(char):04x}" if ord(char) <= 0xFFFF else f"\\U{ord(char):08x}"
    value = f'type: virtual-account\ntags:\n  env: "prod{escape}"\n'.encode()
    key = f'type: virtual-account\ntags:\n  "e{escape}nv": prod\n'.encode()
    assert _problems(value) == [
        f"3:8: forbidden character U+{ord(char):04X} ({_kind(char)}) in this value, written as an escape; remove it"
    ]
    assert _problems(key) == [
        f"3:3: forbidden character U+{ord(char):04X} ({_kind(char)}) in this key, written as an escape; remove it"
    ]


def _kind(char: str) -> str:
    if char == "\ufeff":
        return "byte-order mark after the start of the file, as when files saved with one are joined"
    if unicodedata.bidirectional(char) in ("LRE", "RLE", "PDF", "LRO", "RLO", "LRI", "RLI", "FSI", "PDI"):
        return "invisible bidirectional-text control"
    if char in "\u200e\u200f\u061c":
        return "invisible bidirectional-text control"
    return f"invisible format character {unicodedata.name(char).lower()}"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            b"type: virtual-account\nname: a-bot\n\xef\xbb\xbf---\ntype: virtual-account\nname: b-bot\n",
            "3:1: forbidden character U+FEFF (byte-order mark after the start of the file, as when files saved "
            "with one are joined); remove it",
        ),
        (
            b'name: "a\\x01b"\n',
            "1:7: forbidden character U+0001 (control character) in this value, written as an escape; remove it",
        ),  # fmt: skip
        (
            b'name: "a\\Lb"\n',
            "1:7: forbidden character U+2028 (Unicode line separator) in this value, written as an escape; remove it",
        ),  # fmt: skip
        (
            "name: soft\u00adhyphen\n".encode(),
            "1:11: forbidden character U+00AD (invisible format character soft hyphen); remove it",
        ),  # fmt: skip
    ],
)
def test_positioned_refusals(raw: bytes, expected: str) -> None:
    assert _problems(raw) == [expected]


def test_a_byte_order_mark_at_the_start_is_still_fine_and_visible_text_is_untouched() -> None:
    result = load_documents('\ufeffname: café\nnote: "tab\\there"\n'.encode(), "f.yaml")
    assert result.problems == []
    assert result.documents[0].value == {"name": "café", "note": "tab\there"}


def test_a_live_value_with_an_invisible_character_is_shown_escaped_in_the_plan() -> None:
    change = Change(
        kind=Kind.VIRTUAL_ACCOUNT,
        name="zw-bot",
        action=Action.UPDATE,
        diffs=(FieldDiff("tags.env", DiffKind.CHANGE, "prod\u200b", "prod"),),
    )
    text = plan_text(Plan(changes=(change,)))
    assert '~ tags.env: "prod\\u200b" -> "prod"' in text
    assert "\u200b" not in text
