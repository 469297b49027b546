"""Pure: make any string from a manifest or the server inert in GitHub-flavoured Markdown.

Rendering hostile values naively lets them forge headings or "approved" banners, close a `<details>`, add
table cells, hide content, link, embed images or @-mention people (reference/security-and-reliability.md §4).
Every value is shown literally instead:
- `md_text` (Markdown context: paragraphs, lists, table cells): one line, with tabs, line breaks and every
  invisible character written as visible escapes by the one output sanitizer (`safe.shown`), HTML is escaped,
  Markdown punctuation is backslash-escaped (`|` included, so table cells keep their shape, and `$`, GitHub's
  math delimiter), and a zero-width space breaks what GitHub links or replaces *after* Markdown, in the
  text itself (docs.github.com, "Autolinked references and URLs", "Basic writing and formatting syntax"):
  `@user` and `@org/team` mentions, `#123`, `owner/repo#123` and `GH-123` references (and the upper-case
  `PREFIX-123` a repository's custom autolinks define by convention), commit SHAs (7 to 40 hex digits, and
  `owner/repo@sha`), `:emoji:` shortcodes, `scheme://` and `www.` autolinks; long values are truncated;
- `html_text` (inside raw HTML such as `<summary>`, where Markdown is not parsed): the same without
  backslashes, which would show literally there.
"""

from __future__ import annotations

import html
import re

from markupsafe import Markup

from reconciler.render.safe import MAX_CHARS, shown

ZWSP = "\u200b"
_MD_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>$])")
_REFERENCE = re.compile(r"#(?=\d)")
_WWW = re.compile(r"(?i)\b(www)(?=\\?\.)")
# GH-123 (any case), and the upper-case prefixes custom autolinks use by convention (JIRA-123, TICKET-9);
# lower-case `name-123` is left whole, so that account names copy cleanly
_PREFIXED_REFERENCE = re.compile(r"(?<![A-Za-z0-9])((?i:gh)|[A-Z][A-Z0-9]*)(\\?-)(?=\d)")
_SHORTCODE = re.compile(r":(?=(?:\\?[A-Za-z0-9_+\-])+:)")  # :rocket:, :+1:, :-1: (escaped or not)
_HEX_RUN = re.compile(r"(?<![0-9A-Za-z])[0-9A-Fa-f]{7,}(?![0-9A-Za-z])")  # could name a commit
_HEX_PIECE = 6  # GitHub links a commit from 7 hex digits: no piece between two breaks is that long


def flatten(value: object, limit: int = MAX_CHARS) -> str:
    """One line, every invisible character, tab and line break a visible escape (`safe.shown`), at most
    `limit` characters."""
    return shown(value, limit)


def _break_hex(match: re.Match[str]) -> str:
    run = match.group(0)
    return ZWSP.join(run[i : i + _HEX_PIECE] for i in range(0, len(run), _HEX_PIECE))


def _defuse(text: str) -> str:
    """Break what GitHub would turn into a mention, a reference, a commit link, an emoji or an autolink."""
    text = text.replace("@", "@" + ZWSP)
    text = _REFERENCE.sub("#" + ZWSP, text)
    text = _PREFIXED_REFERENCE.sub(r"\1\2" + ZWSP, text)
    text = _HEX_RUN.sub(_break_hex, text)
    text = text.replace("://", ":" + ZWSP + "//")
    text = _SHORTCODE.sub(":" + ZWSP, text)
    return _WWW.sub(r"\1" + ZWSP, text)


def md_text(value: object, limit: int = MAX_CHARS) -> Markup:
    escaped = html.escape(flatten(value, limit), quote=False)
    escaped = _MD_PUNCTUATION.sub(r"\\\1", escaped)
    return Markup(_defuse(escaped))


def html_text(value: object, limit: int = MAX_CHARS) -> Markup:
    """For raw HTML (`<summary>`): HTML-escaped, `$` as an entity (no math), GitHub's references broken."""
    return Markup(_defuse(html.escape(flatten(value, limit), quote=False)).replace("$", "&#36;"))


def utf16_length(text: str) -> int:
    """GitHub's body limit counts characters; UTF-16 code units are the safe (larger) measure."""
    return len(text.encode("utf-16-le")) // 2
