"""The strict loader, on inputs that cannot live in fixture files (bytes, sizes, depth, time)."""

from __future__ import annotations

import time

import pytest

from reconciler.manifests.yaml_loader import MAX_DEPTH, MAX_FILE_BYTES, load_documents


def _only_problem(raw: bytes) -> str:
    result = load_documents(raw, "f.yaml")
    assert len(result.problems) == 1, result.problems
    problem = result.problems[0]
    return f"{problem.position.line}:{problem.position.col}: {problem.message}"


def _value(raw: bytes) -> object:
    result = load_documents(raw, "f.yaml")
    assert not result.problems, result.problems
    return result.documents[0].value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("expiration_date: 2027-01-01", "2027-01-01"),
        ("expiration_date: 2027-01-01T00:00:00Z", "2027-01-01T00:00:00Z"),
        ("name: no", "no"),
        ("name: NO", "NO"),
        ("name: yes", "yes"),
        ("name: On", "On"),
        ("v: 0755", "0755"),
        ("v: 1:30", "1:30"),
        ("v: 1.10", "1.10"),
        ("v: 1e3", "1e3"),
        ("v: 0x1F", "0x1F"),
        ("v: 1_000", "1_000"),
        ("v: .inf", ".inf"),
        ("v: true", True),
        ("v: false", False),
        ("v: True", "True"),
        ("v: 30", 30),
        ("v: -4", -4),
        ("v: ~", None),
        ("v:", None),
        ("v: '30'", "30"),
        ("v: !!str 30", "30"),
    ],
)
def test_only_json_types_and_no_yaml_1_1_retyping(text: str, expected: object) -> None:
    value = _value(text.encode())
    assert isinstance(value, dict)
    assert list(value.values()) == [expected]
    assert type(next(iter(value.values()))) is type(expected)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"\xff\xfea\x00:\x00", "1:1: file is UTF-16; save it as UTF-8"),
        (b"\xfe\xff\x00a", "1:1: file is UTF-16; save it as UTF-8"),
        (b"name: caf\xe9\n", "1:10: file is not valid UTF-8 (byte 0xE9); save it as UTF-8"),
        (b"a: 1\nname: x\x00y\n", "2:8: forbidden character U+0000 (NUL); remove it"),
        (b"name: a\x1bb\n", "1:8: forbidden character U+001B (control character); remove it"),
        (b"name: a\xc2\x85b\n", "1:8: forbidden character U+0085 (control character); remove it"),
        (
            "name: admin\u202e nimda\n".encode(),
            "1:12: forbidden character U+202E (invisible bidirectional-text control); remove it",
        ),
        (
            "a: 1\nb: \u2066x\u2069\n".encode(),
            "2:4: forbidden character U+2066 (invisible bidirectional-text control); remove it",
        ),
        ("a: x\u2028y\n".encode(), "1:5: forbidden character U+2028 (Unicode line separator); remove it"),
    ],
)
def test_encoding_and_character_hazards_fail_before_parsing(raw: bytes, expected: str) -> None:
    assert _only_problem(raw) == expected


def test_utf8_bom_is_accepted() -> None:
    assert _value(b"\xef\xbb\xbfname: ok-bot\n") == {"name": "ok-bot"}


def test_tab_cr_lf_are_allowed() -> None:
    assert _value(b"a: 'x\ty'\r\nb: 2\r\n") == {"a": "x\ty", "b": 2}


def test_file_over_size_limit_is_rejected_without_parsing() -> None:
    raw = b"a: " + b"x" * MAX_FILE_BYTES
    assert _only_problem(raw).startswith("1:1: file is ")
    assert "larger than the 256 KiB limit" in _only_problem(raw)


def test_alias_bomb_is_rejected_fast() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(8):
        this, prev = chr(ord("b") + level), chr(ord("a") + level)
        lines.append(f"{this}: &{this} [" + ",".join(f"*{prev}" for _ in range(9)) + "]")
    bomb = ("\n".join(lines) + "\n").encode()
    assert len(bomb) < 500
    started = time.perf_counter()
    result = load_documents(bomb, "bomb.yaml")
    elapsed = time.perf_counter() - started
    assert elapsed < 0.5
    messages = {p.message for p in result.problems}
    assert "YAML aliases (*name) are not allowed; write the value out" in messages
    assert not result.documents[0].clean
    assert all(len(p.message) <= 500 for p in result.problems)


@pytest.mark.parametrize("opener", [b"[", b"{a: "])
def test_deep_nesting_is_a_positioned_problem_not_a_recursion_error(opener: bytes) -> None:
    raw = b"a: " + opener * 50_000
    message = _only_problem(raw)
    assert f"nesting deeper than {MAX_DEPTH} levels is not allowed" in message


def _too_deep_at(raw: bytes) -> str:
    """The one problem's `line:col`, asserting it is our own depth message (never libyaml's)."""
    result = load_documents(raw, "f.yaml")
    assert [p.message for p in result.problems] == [f"nesting deeper than {MAX_DEPTH} levels is not allowed"]
    where = result.problems[0].position
    return f"{where.line}:{where.col}"


# Where level 33 opens, counted by hand: "a: " then `[` at columns 4, 5, ... (the root mapping is level 1,
# so the 32nd `[` opens level 33); "a: " then "{a: " every 4 columns; a root "{" is level 1 itself (the 33rd
# opens level 33, at 1 + 32 * 4); block "- " every 2 columns (the 33rd "-" opens level 33); under three block
# mappings the 30th `[` opens level 33 (line 3 starts "    c: ", so the first `[` is at column 8).
DEPTH_CASES = {
    "flow [": (lambda n: b"a: " + b"[" * n + b"\n", "1:35"),
    "flow {": (lambda n: b"a: " + b"{a: " * n + b"\n", "1:128"),
    "flow [ closed": (lambda n: b"a: " + b"[" * n + b"]" * n + b"\n", "1:35"),
    "flow { at the root": (lambda n: b"{a: " * n + b"\n", "1:129"),
    "block -": (lambda n: b"- " * n + b"x\n", "1:65"),
    "block mapping in flow": (lambda n: b"a:\n  b:\n    c: " + b"[" * n + b"\n", "3:37"),
}


@pytest.mark.parametrize("depth", [33, 999, 1_001, 50_000])
@pytest.mark.parametrize("case", sorted(DEPTH_CASES))
def test_depth_verdict_is_ours_at_every_depth_whatever_libyaml_is_installed(case: str, depth: int) -> None:
    build, where = DEPTH_CASES[case]
    raw = build(depth)
    if len(raw) > MAX_FILE_BYTES:
        pytest.skip("over the file size limit: refused before parsing")
    assert _too_deep_at(raw) == where


def test_brackets_in_quotes_and_comments_do_not_count_towards_depth() -> None:
    quoted = b"a: '" + b"[" * 2_000 + b"'\nb: \"" + b"{" * 2_000 + b'\\""\n# ' + b"[" * 2_000 + b"\n"
    result = load_documents(quoted, "f.yaml")
    assert result.problems == []
    assert result.documents[0].value == {"a": "[" * 2_000, "b": "{" * 2_000 + '"'}


def test_brackets_in_a_block_scalar_never_hide_a_real_verdict() -> None:
    raw = b"a: |\n  " + b"[" * 2_000 + b"\nb: 1\n"
    result = load_documents(raw, "f.yaml")
    assert result.problems == []
    assert result.documents[0].value == {"a": "[" * 2_000 + "\n", "b": 1}


def test_nesting_at_the_limit_is_fine() -> None:
    raw = b"a: " + b"[" * (MAX_DEPTH - 1) + b"]" * (MAX_DEPTH - 1) + b"\n"
    assert load_documents(raw, "f.yaml").problems == []


def test_positions_are_recorded_for_every_value_and_key() -> None:
    result = load_documents(b"type: virtual-account\nownedBy:\n  team: a\nperms:\n  - x: 1\n", "f.yaml")
    document = result.documents[0]
    assert str(document.position_of(("ownedBy", "team"))) == "f.yaml:3:9"
    assert str(document.key_position_of(("ownedBy", "team"))) == "f.yaml:3:3"
    assert str(document.position_of(("perms", 0, "x"))) == "f.yaml:5:8"
    assert str(document.position_of(("perms", 0, "missing"))) == "f.yaml:5:5"


def test_problems_in_one_document_do_not_hide_the_next() -> None:
    result = load_documents(b"a: *x\n---\nb: 1\nb: 2\n---\nc: 3\n", "f.yaml")
    assert [p.position.line for p in result.problems] == [1, 4]
    assert [d.clean for d in result.documents] == [False, False, True]


@pytest.mark.parametrize(
    ("text", "read_as", "breaks_json"),
    [
        ("2028-06-30", "a date", True),
        ("2001-12-14t21:59:43.10-05:00", "a timestamp", True),
        ("yes", "the boolean true", False),
        ("No", "the boolean false", False),
        ("on", "the boolean true", False),
        ("OFF", "the boolean false", False),
        ("True", "the boolean true", False),
        ("0755", "the number 493", False),
        ("1:30", "the number 90", False),
        ("0x1F", "the number 31", False),
        ("0b101", "the number 5", False),
        ("1_000", "the number 1000", False),
        ("1.10", "the number 1.1", False),
        ("1.0e+3", "the number 1000.0", False),
        (".inf", "the number Infinity", False),
    ],
)
def test_plain_scalars_a_yaml_1_1_reader_retypes_are_recorded(text: str, read_as: str, breaks_json: bool) -> None:
    import yaml

    document = load_documents(f"type: virtual-account\nv: {text}\n".encode(), "f.yaml").documents[0]
    assert document.value["v"] == text  # we read what was written
    (found,) = document.retyped
    assert (found.text, found.read_as, found.breaks_json, found.path, found.position) == (
        text,
        read_as,
        breaks_json,
        ("v",),
        (2, 4),
    )
    assert not isinstance(yaml.safe_load(f"v: {text}")["v"], str)  # PyYAML (tfy's reader) agrees: not a string


@pytest.mark.parametrize(
    "text",
    [
        '"2028-06-30"',
        "'yes'",
        "2028-6-3",
        "ci-bot",
        "y",
        "n",
        "1e3",
        "12",
        "true",
        "~",
        "hello world",
        "abc:def",
        "1.2.3",
    ],
)
def test_quoted_and_unambiguous_scalars_are_not_recorded(text: str) -> None:
    document = load_documents(f"v: {text}\n".encode(), "f.yaml").documents[0]
    assert document.retyped == ()


def test_retyped_keys_are_recorded_where_the_key_stands() -> None:
    document = load_documents(b"tags:\n  on: call\n  owner: sre\n", "f.yaml").documents[0]
    (found,) = document.retyped
    assert (found.path, found.position, found.read_as) == (("tags", "on"), (2, 3), "the boolean true")


def test_a_plain_scalar_reads_the_same_the_first_time_and_every_time_after() -> None:
    """The quick parse remembers what each plain scalar's text resolved to (`_plain_seen`): falsy values,
    numbers, text and scalars a YAML 1.1 reader retypes read the same on every later file."""
    text = b"a: 0\nb: false\nc: ~\nd:\ne: text\nf: 12\ng: -3\nh: 9007199254740993\ntags:\n  env: on\n"
    expected = {"a": 0, "b": False, "c": None, "d": None, "e": "text", "f": 12, "g": -3, "h": "9007199254740993"}
    for _ in range(3):
        result = load_documents(text, "x.yaml")
        (document,) = result.documents
        assert {k: v for k, v in document.value.items() if k != "tags"} == expected
        assert document.value["tags"] == {"env": "on"}
        assert [(found.position, found.text) for found in document.retyped] == [((10, 8), "on")]
        assert [(p.position.line, p.message[:40]) for p in result.problems] == [
            (8, "whole number out of range (16 digits): n")
        ]
