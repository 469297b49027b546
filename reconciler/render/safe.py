"""The one output sanitizer: every byte this tool prints to a terminal or a log, in every format, passes here.

Text from a manifest, a file name, a Git ref or a control-plane or GitHub message is data, never terminal or
workflow control. Shown, it is one line with every character a reader cannot see written as a visible escape,
by Unicode category rather than by a list (`values.is_invisible`): controls (Cc: NUL, BEL, ESC, DEL, the C1
range, and here also tab and line breaks, written `\\t`, `\\n`, `\\r`), format characters (Cf: zero-width
characters, U+FEFF, bidirectional-text controls) and line/paragraph separators (Zl, Zp), as `\\uXXXX`. So:

- a value cannot start a line, and so cannot forge a GitHub workflow command (`::error`, `::add-mask::`);
- a value cannot colour, move the cursor, retitle the terminal or draw an OSC-8 hyperlink (no ESC passes);
- two values that differ by an invisible character never look the same.

`shown` is for values inside a line the views build; `terminal` is the last pass over whole outputs (it keeps
line breaks, tabs and the colour codes the styler adds, nothing else); `masked` also hides secrets, for error
messages that may quote a request.
"""

from __future__ import annotations

import logging
import re

from reconciler.domain.values import is_invisible

MAX_CHARS = 300
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_SGR = re.compile(r"\x1b\[[0-9;]*m")  # the colour codes click.style writes, and only those
_FAST_SAFE = re.compile(r"[\x20-\x7e]*")  # printable ASCII: nothing to escape


def escape_char(char: str) -> str:
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _unsafe(char: str) -> bool:
    return char in _NAMED or is_invisible(char)


def escaped(text: str) -> str:
    """`text` with every invisible character, tab and line break written as a visible escape."""
    if _FAST_SAFE.fullmatch(text):
        return text
    return "".join(escape_char(c) if _unsafe(c) else c for c in text)


def shown(value: object, limit: int | None = None) -> str:
    """A value as it may appear inside a printed line: escaped (one line), at most `limit` characters."""
    text = escaped(str(value))
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


_SECRET_SHAPES = re.compile(
    r"eyJ[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{6,}(?:\.[A-Za-z0-9_-]*)?"  # a JWT (TrueFoundry's tokens)
    r"|\b(?:gh[pousr]|github_pat|tfy)_[A-Za-z0-9_]{8,}"  # GitHub and TrueFoundry opaque tokens
)


def masked(text: object, secrets: tuple[str, ...] = (), limit: int = MAX_CHARS) -> str:
    """An error message fit to show anywhere: every known secret and anything shaped like a token replaced
    by `***`, then `shown` (one line, escaped), at most `limit` characters."""
    shown_text = str(text)
    for secret in sorted((s for s in secrets if len(s) >= 4), key=len, reverse=True):
        shown_text = shown_text.replace(secret, "***")
    return shown(_SECRET_SHAPES.sub("***", shown_text), limit)


def _line(line: str) -> str:
    if _FAST_SAFE.fullmatch(line):
        return line
    kept = _SGR.split(line)
    codes = _SGR.findall(line)
    parts = [escaped(piece).replace("\\t", "\t") for piece in kept]
    out = parts[0]
    for code, piece in zip(codes, parts[1:], strict=True):
        out += code + piece
    return out


def terminal(text: str) -> str:
    """A whole output as it may reach a terminal or a log: its own line breaks and tabs kept, colour codes
    kept, every other control, format or separator character escaped (a backstop behind `shown`)."""
    if _FAST_SAFE.fullmatch(text.replace("\n", "")):
        return text
    return "\n".join(_line(line) for line in text.split("\n"))


class SafeFormatter(logging.Formatter):
    """Debug logs reach the same terminal: each record passes `terminal` (and `masked` for token shapes)."""

    def format(self, record: logging.LogRecord) -> str:
        return terminal(_SECRET_SHAPES.sub("***", super().format(record)))
