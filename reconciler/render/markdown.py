"""Pure: make any string from a manifest or the server inert in GitHub-flavoured Markdown.

Rendering hostile values naively lets them forge headings or "approved" banners, close a `<details>`, add
table cells, hide content, link, embed images or @-mention people (reference/security-and-reliability.md §4).
Every value is shown literally instead:
- `md_text` (Markdown context: paragraphs, lists, table cells): CR/LF/tab become spaces, other control
  characters U+FFFD, other invisible characters (format characters, separators) a `\u200b` escape, HTML is
  escaped,
  Markdown punctuation is backslash-escaped (`|` included, so table cells keep their shape), and a zero-width
  space breaks `@mentions`, `#123` references, `scheme://` and `www.` autolinks; long values are truncated;
- `html_text` (inside raw HTML such as `<summary>`, where Markdown is not parsed): the same without
  backslashes, which would show literally there.
"""

from __future__ import annotations

import html
import re

from markupsafe import Markup

from reconciler.domain.values import escape_invisible

ZWSP = "\u200b"
MAX_CHARS = 300
_MD_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")
_REFERENCE = re.compile(r"#(?=\d)")
_WWW = re.compile(r"(?i)\b(www)(?=\\?\.)")


_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def flatten(value: object, limit: int = MAX_CHARS) -> str:
    """One line, no control characters (shown as U+FFFD), at most `limit` characters."""
    text = str(value).replace("\r\n", " ").replace("\r", " ").replace("\n", " ").replace("\t", " ")
    text = escape_invisible(_CONTROL.sub("\ufffd", text))  # format characters and separators: \u200b
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _defuse(text: str) -> str:
    """Break what GitHub would turn into a mention, a cross-reference or an autolink."""
    text = text.replace("@", "@" + ZWSP)
    text = _REFERENCE.sub("#" + ZWSP, text)
    text = text.replace("://", ":" + ZWSP + "//")
    return _WWW.sub(r"\1" + ZWSP, text)


def md_text(value: object, limit: int = MAX_CHARS) -> Markup:
    escaped = html.escape(flatten(value, limit), quote=False)
    escaped = _MD_PUNCTUATION.sub(r"\\\1", escaped)
    return Markup(_defuse(escaped))


def html_text(value: object, limit: int = MAX_CHARS) -> Markup:
    return Markup(_defuse(html.escape(flatten(value, limit), quote=False)))


def utf16_length(text: str) -> int:
    """GitHub's body limit counts characters; UTF-16 code units are the safe (larger) measure."""
    return len(text.encode("utf-16-le")) // 2
