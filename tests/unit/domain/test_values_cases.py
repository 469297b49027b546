"""Invisible characters (one at a time, and the first in a text) and the token's hash."""

from __future__ import annotations

from reconciler.domain.values import Token, first_invisible, is_invisible


def test_controls_format_characters_and_separators_are_invisible() -> None:
    for char in ("\x00", "\x1b", "\x7f", "\u200b", "\u200d", "\ufeff", "\u202e", "\u00ad", "\u2028", "\u2029"):
        assert is_invisible(char), repr(char)


def test_letters_spaces_and_tab_or_line_breaks_are_visible() -> None:
    for char in ("a", "Z", "0", " ", "-", "é", "\u00a0", "\t", "\n", "\r"):
        assert not is_invisible(char), repr(char)


def test_the_first_invisible_character_of_ascii_text_is_found_by_offset() -> None:
    assert first_invisible("ab\x01c\x02") == 2
    assert first_invisible("\x7f") == 0


def test_ascii_text_without_invisible_characters_has_none() -> None:
    assert first_invisible("plain text\twith tab\nand lines\r\n") is None
    assert first_invisible("") is None


def test_the_first_invisible_character_of_other_text_is_its_first_occurrence() -> None:
    assert first_invisible("é\u200bx\u200b") == 1
    assert first_invisible("café\u200d bar\u200b") == 4
    assert first_invisible("na\u00efve\u2028x\ufeffy\u2028") == 5


def test_other_text_without_invisible_characters_has_none() -> None:
    assert first_invisible("café au lait, 10 €") is None


def test_distinct_tokens_do_not_all_share_one_hash() -> None:
    assert len({hash(Token(f"eyJ.token-{i}")) for i in range(50)}) > 1
