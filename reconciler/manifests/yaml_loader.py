"""Strict YAML: bytes -> documents whose every value keeps its line and column.

Why not `yaml.safe_load`: it expands aliases lazily (alias bombs), keeps the last of duplicate keys, applies
YAML 1.1 implicit typing (`no` is False, `2027-01-01` is a date), recurses on deep nesting and forgets
positions. Instead we read libyaml's *event* stream (C speed) and build plain JSON values ourselves, with an
explicit stack, rejecting every hazard with a positioned message and carrying on where that is safe, so one
run reports every problem.

Only this module imports pyyaml.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import yaml

from reconciler.domain.values import JsonPath, LineCol, Position, Problem, first_invisible

MAX_FILE_BYTES = 256 * 1024
MAX_DEPTH = 32

_Loader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Parsing only needs events: libyaml's parser alone, without the loader's constructor and resolver set-up
# (about 1.5 µs of a small file's 25). Without libyaml, the pure-Python loader parses.
_EventParser: type[Any] = yaml._yaml.CParser if yaml.__with_libyaml__ else _Loader

# YAML 1.2 core-schema style resolution of plain scalars, narrowed: only these become non-strings.
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_BOOLS = {"true": True, "false": False}
_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
MAX_SAFE_INTEGER = 2**53 - 1  # I-JSON's (and JavaScript's) largest exactly represented integer
_STR_TAG = "tag:yaml.org,2002:str"
# How a YAML 1.1 reader (PyYAML's safe_load, as `tfy apply` uses) types plain scalars: {first char: [(tag, regex)]}.
_YAML11_RESOLVERS: dict[str | None, list[tuple[str, re.Pattern[str]]]] = yaml.resolver.Resolver.yaml_implicit_resolvers

# Invisible characters (`values.is_invisible`: Unicode categories Cc but tab/LF/CR, Cf, Zl, Zp) are refused
# anywhere in the text, comments included, and again in every decoded key and value, where a double-quoted
# escape ("\u200b") would otherwise bring them past the first check.
# Unicode's Bidi_Control property (PropList.txt): the "Trojan Source" characters, named as such in messages.
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_BOMS_OF_OTHER_ENCODINGS = (
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\xfe\xff", "UTF-16"),
    (b"\xff\xfe", "UTF-16"),
)


class Positions:
    """Where each value and key of one document stands: `values` and `keys` map a JSON path to (line, column),
    from 1 (tuples, because a Position per value is measurably slow at 10,000 files).

    Recorded during the parse only when it found problems; otherwise computed on first use by parsing the
    document's text again (`load_documents` explains why). Until then it holds only that text: about 0.7 KB
    for a typical manifest, against about 4 KB for its two maps (tracemalloc, 10,000 generated manifests)."""

    __slots__ = ("_text", "_file", "_index", "_maps")

    def __init__(self, text: str, file: str, index: int, maps: tuple[dict[JsonPath, LineCol], ...] = ()) -> None:
        self._text: str | None = None if maps else text
        self._file, self._index, self._maps = file, index, maps

    def _recorded(self) -> tuple[dict[JsonPath, LineCol], ...]:
        if not self._maps:
            assert self._text is not None
            document = _parse(self._text, self._file, positions=True).documents[self._index]
            self._maps, self._text = document.positions._recorded(), None
        return self._maps

    def release(self) -> None:
        """Stop being able to parse again: positions not computed yet are forgotten, and `values` and `keys`
        answer empty (so `position_of` answers with the document's start). For plan and apply once the
        repository's checks ran: nothing asks for a value's position after that, and the text was about 0.7 KB
        of each of 100,000 accounts."""
        if not self._maps:
            self._maps, self._text = ({}, {}), None

    @property
    def values(self) -> dict[JsonPath, LineCol]:
        return self._recorded()[0]

    @property
    def keys(self) -> dict[JsonPath, LineCol]:
        return self._recorded()[1]


class ValuePositions(Mapping[JsonPath, LineCol]):
    """`Positions.values` as a read-only mapping that parses only when first read (for DesiredResource)."""

    __slots__ = ("_positions",)

    def __init__(self, positions: Positions) -> None:
        self._positions = positions

    def release(self) -> None:
        self._positions.release()

    def __getitem__(self, path: JsonPath) -> LineCol:
        return self._positions.values[path]

    def __iter__(self) -> Iterator[JsonPath]:
        return iter(self._positions.values)

    def __len__(self) -> int:
        return len(self._positions.values)


@dataclass(frozen=True)
class Retyped:
    """A plain scalar we read as a string that a YAML 1.1 reader (PyYAML's `safe_load`, so `tfy apply`) reads as
    something else: `2028-06-30` a date, `yes`/`no`/`on`/`off` booleans, `0755` an octal number, `1:30` the
    number 90 (base 60), `1.10` the number 1.1. `read_as` says what, in words ("a date", "the boolean true")."""

    position: LineCol
    path: JsonPath
    text: str
    read_as: str
    breaks_json: bool  # a date or timestamp: `tfy apply` fails ("Object of type date is not JSON serializable")


def yaml11_reading(text: str) -> tuple[str, bool] | None:
    """(what a YAML 1.1 reader makes of the plain scalar `text`, in words; whether JSON cannot carry it), or
    None when it reads a string too."""
    tag = next((tag for tag, pattern in _YAML11_RESOLVERS.get(text[:1], ()) if pattern.match(text)), None)
    if tag is None:
        return None
    kind = tag.rsplit(":", 1)[-1]
    if kind == "timestamp":
        return ("a date" if "-" in text and len(text) <= 10 else "a timestamp"), True
    if kind in ("bool", "int", "float", "null"):
        value = yaml.load(text, Loader=_Loader)  # noqa: S506 - one plain scalar, already known to resolve
        shown = json.dumps(value) if not isinstance(value, datetime) else str(value)
        return (
            f"the boolean {shown}" if kind == "bool" else "null" if kind == "null" else f"the number {shown}"
        ), False
    return f"the YAML 1.1 {kind} indicator", True  # `<<`, `=`, `!`: no string at all


@dataclass(frozen=True)
class LoadedDocument:
    """One YAML document: its value, where it starts, and where each value and key stands (`positions`)."""

    file: str
    index: int
    value: Any
    start: LineCol
    positions: Positions
    clean: bool  # False when the loader dropped or replaced something: do not trust the value for validation
    retyped: tuple[Retyped, ...] = ()  # plain scalars a YAML 1.1 reader types differently (keys included)

    @property
    def values(self) -> dict[JsonPath, LineCol]:
        return self.positions.values

    @property
    def keys(self) -> dict[JsonPath, LineCol]:
        return self.positions.keys

    @property
    def start_position(self) -> Position:
        return Position(self.file, *self.start)

    def position_of(self, path: JsonPath) -> Position:
        """The nearest recorded position for `path`, walking up to the document root."""
        while path:
            found = self.values.get(path)
            if found is not None:
                return Position(self.file, *found)
            path = path[:-1]
        return Position(self.file, *self.values.get((), self.start))

    def key_position_of(self, path: JsonPath) -> Position:
        """Where the key of `path` stands (for unknown or duplicate keys), else the value's position."""
        found = self.keys.get(path)
        return Position(self.file, *found) if found is not None else self.position_of(path)


@dataclass(frozen=True)
class LoadResult:
    documents: list[LoadedDocument]
    problems: list[Problem]


def load_documents(raw: bytes, file: str) -> LoadResult:
    """Parse every document in `raw`. Never raises for bad input: problems come back positioned.

    A first parse records no positions (most files have no problem, and positions were about half of the
    loader's memory and a fifth of its time). When it finds a problem, the text is parsed again with
    positions, so every message says where; otherwise each document's `positions` parse again on first use."""
    text_or_problem = _decode(raw, file)
    if isinstance(text_or_problem, Problem):
        return LoadResult([], [text_or_problem])
    text = text_or_problem
    cut = _deep_flow_opener(text)
    if cut is not None:
        # libyaml scans up to 1,024 characters ahead inside flow collections and, from libyaml 0.2.6 on, stops
        # at 1,000 flow levels on its own. Parsing only up to the opener of flow level 33 lets our own depth
        # check speak first, with our message and position, whichever libyaml is installed.
        early = _parse(text[: cut + 1], file, positions=True)
        if any(p.message == _TOO_DEEP for p in early.problems):
            return early
    quick = _parse(text, file, positions=False)
    if quick.problems:
        return _parse(text, file, positions=True)
    return quick


def _parse(text: str, file: str, positions: bool) -> LoadResult:
    builder: _Builder | _QuickBuilder = _Builder(file, text) if positions else _QuickBuilder(file, text)
    loader = _EventParser(text)
    try:
        builder.consume(iter(loader.get_event, None))
    except yaml.MarkedYAMLError as exc:
        builder.problems.append(_syntax_problem(exc, file))
    except _TooDeep as exc:
        builder.problems.append(exc.problem)
    finally:
        loader.dispose()
    return LoadResult(builder.documents, builder.problems)


_FLOW_TOKENS = re.compile(r"[\[\]{}'\"#\n]")


def _deep_flow_opener(text: str) -> int | None:
    """The offset of the first `[` or `{` that opens flow level MAX_DEPTH + 1, skipping quoted scalars and
    comments, or None. Approximate on purpose (a bracket in a plain or block scalar counts too): it only
    decides where a first parse may stop; the parse itself decides whether the nesting is too deep."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return None  # the common case: too few openers to nest that deep
    depth = 0
    quote = ""
    position = 0
    for match in _FLOW_TOKENS.finditer(text):
        start = match.start()
        if start < position:
            continue
        char = match.group()
        if quote:
            if char == quote and (quote == "'" or not _escaped(text, start)):
                quote = ""
            continue
        if char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return start
        elif char in "]}":
            depth = max(0, depth - 1)
        elif char in "'\"" and _starts_token(text, start):
            quote = char
        elif char == "#" and _starts_token(text, start):
            newline = text.find("\n", start)
            position = len(text) if newline < 0 else newline
    return None


def _starts_token(text: str, offset: int) -> bool:
    return offset == 0 or text[offset - 1] in " \t\n[{,:"


def _escaped(text: str, offset: int) -> bool:
    """Whether the character at `offset` is escaped by an odd run of backslashes before it."""
    run = 0
    while offset - run > 0 and text[offset - run - 1] == "\\":
        run += 1
    return run % 2 == 1


def _decode(raw: bytes, file: str) -> str | Problem:
    if len(raw) > MAX_FILE_BYTES:
        return Problem(
            Position(file, 1, 1),
            f"file is {len(raw)} bytes, larger than the {MAX_FILE_BYTES // 1024} KiB limit; "
            "split it into smaller files",
        )
    for bom, encoding in _BOMS_OF_OTHER_ENCODINGS:
        if raw.startswith(bom):
            return Problem(Position(file, 1, 1), f"file is {encoding}; save it as UTF-8")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _line_col(raw[: exc.start].decode("utf-8", "replace"), len(raw[: exc.start]))
        return Problem(
            Position(file, line, col),
            f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02X}); save it as UTF-8",
        )
    text = text.removeprefix("\ufeff")  # a byte-order mark is allowed at the start of the file only
    bad = first_invisible(text)
    if bad is not None:
        line, col = _line_col(text, bad)
        return Problem(Position(file, line, col), f"{_forbidden(text[bad])}; remove it")
    return text


def _forbidden(char: str) -> str:
    return f"forbidden character U+{ord(char):04X} ({_char_kind(char)})"


def _char_kind(char: str) -> str:
    code = ord(char)
    if code == 0:
        return "NUL"
    if code in (0x2028, 0x2029):
        return "Unicode line separator"
    if code == 0xFEFF:
        return "byte-order mark after the start of the file, as when files saved with one are joined"
    if unicodedata.category(char) == "Cc":
        return "control character"
    if char in _BIDI_CONTROLS:
        return "invisible bidirectional-text control"
    return f"invisible format character {unicodedata.name(char, 'without a name').lower()}"


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _syntax_problem(exc: yaml.MarkedYAMLError, file: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    reason = exc.problem or exc.context or "invalid YAML"
    opened = exc.context_mark
    if opened is not None and exc.context and "end of stream" in reason:
        # an unclosed quote or bracket: libyaml notices at the end of the file; the place to fix is where the
        # construct opened ("while scanning a quoted scalar" at line 2), so that is the position reported
        mark, reason = opened, f"{reason} {exc.context} that starts here (never closed)"
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    if "maximum nesting depth" in reason:  # libyaml >= 0.2.6 stopped first: still our words
        return Problem(Position(file, line, col), _TOO_DEEP)
    return Problem(Position(file, line, col), f"invalid YAML: {reason}")


_TOO_DEEP = f"nesting deeper than {MAX_DEPTH} levels is not allowed"


class _TooDeep(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem


# Scalars that repeat across manifests (roles, teams, clusters, channels) share one string object: without it,
# each of 100,000 manifests held its own copy of each. Bounded, so unique values (names, paths) stop being
# added once it is full; 64 characters covers the repeating ones.
_SHARED_MAX_ENTRIES = 20_000
_SHARED_MAX_LENGTH = 64
_shared: dict[str, str] = {}


def _share(value: str) -> str:
    found = _shared.get(value)
    if found is not None:
        return found
    if len(_shared) < _SHARED_MAX_ENTRIES and len(value) <= _SHARED_MAX_LENGTH:
        _shared[value] = value
    return value


_UNUSUAL = object()  # a plain scalar `_QuickBuilder` cannot take: `_Builder` reports it
# Each plain scalar's text -> what `_QuickBuilder` makes of it: the value (text shared and interned) or
# _UNUSUAL. Keys and many values repeat in every manifest: one look-up instead of resolving them each time.
# Bounded like `_shared`.
_plain_seen: dict[str, Any] = {}


def _quick_plain(text: str) -> Any:
    """`_plain(text)` as `_QuickBuilder` keeps it, or _UNUSUAL for a whole number out of range, a merge key or
    text `tfy apply` reads as another type (`_Builder` reports those where they stand)."""
    value = _plain(text)
    if type(value) is str:
        if value[:1] in _YAML11_RESOLVERS and (_INT.fullmatch(value) or yaml11_reading(value) is not None):
            value = _UNUSUAL  # most text starts where no YAML 1.1 type can: the first character says
        else:
            value = sys.intern(_share(value))
    if len(_plain_seen) < _SHARED_MAX_ENTRIES and len(text) <= _SHARED_MAX_LENGTH:
        _plain_seen[text] = value
    return value


_NO_KEY = object()  # the next scalar in this mapping is a key
_DROP = object()  # the key was rejected: drop the value that follows


class _Frame:
    __slots__ = ("container", "path", "key", "key_position")

    def __init__(self, container: dict[str, Any] | list[Any], path: JsonPath) -> None:
        self.container = container
        self.path = path
        self.key: Any = _NO_KEY
        self.key_position: LineCol | None = None


@dataclass
class _Builder:
    """Builds JSON values from libyaml events, recording where every value and key stands, and reports every
    problem with its position. (`_QuickBuilder` is the same without positions, for files without problems.)"""

    file: str
    text: str
    documents: list[LoadedDocument] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def consume(self, events: Iterator[yaml.Event]) -> None:
        handlers: dict[type, Any] = {
            yaml.ScalarEvent: self._scalar,
            yaml.MappingStartEvent: self._open,
            yaml.SequenceStartEvent: self._open,
            yaml.MappingEndEvent: self._close,
            yaml.SequenceEndEvent: self._close,
            yaml.DocumentStartEvent: self._start_document,
            yaml.DocumentEndEvent: self._end_document,
            yaml.AliasEvent: self._alias,
        }
        for event in events:
            handler = handlers.get(type(event))
            if handler is not None:
                handler(event)

    def _close(self, _event: yaml.Event) -> None:
        self._stack.pop()

    def _alias(self, event: yaml.Event) -> None:
        self._reject(event, "YAML aliases (*name) are not allowed; write the value out")
        self._add(None, event)

    def _start_document(self, event: yaml.Event) -> None:
        self._stack: list[_Frame] = []
        self._root: Any = None
        self._start = self._line_col(event)
        self._values: dict[JsonPath, LineCol] = {}
        self._keys: dict[JsonPath, LineCol] = {}
        self._retyped: list[Retyped] = []
        self._problems_before = len(self.problems)

    def _end_document(self, _event: yaml.Event) -> None:
        index = len(self.documents)
        maps = (self._values, self._keys)
        self.documents.append(
            LoadedDocument(
                file=self.file,
                index=index,
                value=self._root,
                start=self._start,
                positions=Positions(self.text, self.file, index, maps),
                clean=len(self.problems) == self._problems_before,
                retyped=tuple(self._retyped),
            )
        )

    @staticmethod
    def _line_col(event: yaml.Event) -> LineCol:
        mark = event.start_mark
        assert mark is not None  # libyaml marks every event
        return mark.line + 1, mark.column + 1

    def _reject(self, event: yaml.Event, message: str) -> None:
        self.problems.append(Problem(Position(self.file, *self._line_col(event)), message))

    def _check_node(self, event: yaml.NodeEvent) -> None:
        tag = getattr(event, "tag", None)
        if event.anchor is None and tag is None:
            return
        if event.anchor is not None:
            self._reject(event, f"YAML anchors (&{event.anchor}) are not allowed; write the value out")
        if tag not in (None, "!", _STR_TAG):
            shown = tag.replace("tag:yaml.org,2002:", "!!")
            self._reject(event, f"YAML tag {shown} is not allowed; remove it")

    def _scalar(self, event: yaml.ScalarEvent) -> None:
        self._check_node(event)
        value: Any = event.value
        bad = first_invisible(value)
        if bad is not None:  # only an escape can bring one here: the raw text had none
            where = "key" if self._expects_key() else "value"
            self._reject(event, f"{_forbidden(value[bad])} in this {where}, written as an escape; remove it")
        plain = event.implicit[0] and event.tag is None
        if plain:
            value = _plain(value)
            if isinstance(value, str) and _INT.fullmatch(value):  # a whole number `_plain` left as text
                self._out_of_range(value, event)
            elif value == "<<" and self._expects_key():
                self._reject(event, "YAML merge keys (<<) are not allowed; write the keys out")
                self._add(_DROP, event)
                return
        key_path = (*self._stack[-1].path, value) if self._expects_key() and isinstance(value, str) else None
        path = self._add(value, event)
        if plain and isinstance(value, str) and not _INT.fullmatch(value):  # an integer kept as text is an error
            self._note_retyped(value, key_path or path, event)

    def _out_of_range(self, text: str, event: yaml.ScalarEvent) -> None:
        """A positioned error for a plain decimal integer outside what a JSON API carries exactly (I-JSON, RFC
        7493 §2.2: the integers of an IEEE 754 double, |n| <= 2**53 - 1; the control plane's JSON and every tool
        between cannot carry more), or too long to read at all. The text stays a string."""
        digits = len(text.lstrip("+-"))
        self._reject(
            event,
            f"whole number out of range ({digits} digits): numbers in a manifest must lie between "
            f"-{MAX_SAFE_INTEGER} and {MAX_SAFE_INTEGER}, the integers JSON carries exactly",
        )

    def _note_retyped(self, text: str, path: JsonPath | None, event: yaml.Event) -> None:
        reading = yaml11_reading(text)
        if reading is not None and path is not None:
            self._retyped.append(Retyped(self._line_col(event), path, text, *reading))

    def _open(self, event: yaml.MappingStartEvent | yaml.SequenceStartEvent) -> None:
        self._check_node(event)
        if len(self._stack) >= MAX_DEPTH:
            where = Position(self.file, *self._line_col(event))
            raise _TooDeep(Problem(where, _TOO_DEEP))
        container: dict[str, Any] | list[Any] = {} if isinstance(event, yaml.MappingStartEvent) else []
        path = self._add(container, event)
        self._stack.append(_Frame(container, path if path is not None else ("<dropped>",)))

    def _expects_key(self) -> bool:
        return bool(self._stack) and isinstance(self._stack[-1].container, dict) and (self._stack[-1].key is _NO_KEY)

    def _add(self, value: Any, event: yaml.Event) -> JsonPath | None:
        """Place `value` in the current container; returns its path, or None when it was dropped."""
        position = self._line_col(event)
        if not self._stack:
            self._root = value
            self._values[()] = position
            return ()
        frame = self._stack[-1]
        if isinstance(frame.container, list):
            path = (*frame.path, len(frame.container))
            frame.container.append(value)
            self._values[path] = position
            return path
        if frame.key is _NO_KEY:
            self._add_key(frame, value, position)
            return None
        key, frame.key = frame.key, _NO_KEY
        if key is _DROP:
            return None
        path = (*frame.path, key)
        frame.container[key] = value
        self._values[path] = position
        if frame.key_position is not None:
            self._keys[path] = frame.key_position
        return path

    def _add_key(self, frame: _Frame, key: Any, line_col: LineCol) -> None:
        assert isinstance(frame.container, dict)
        frame.key, frame.key_position = _DROP, line_col
        if key is _DROP:
            return
        if not isinstance(key, str):
            shown = "a mapping" if isinstance(key, dict) else "a list" if isinstance(key, list) else (repr(key))
            self.problems.append(
                Problem(
                    Position(self.file, *line_col),
                    f"mapping keys must be strings, not {shown}; quote the key",
                )
            )
            return
        if key in frame.container or (*frame.path, key) in self._keys:
            first = self._keys.get((*frame.path, key))
            where = f" (first defined at line {first[0]})" if first is not None else ""
            self.problems.append(Problem(Position(self.file, *line_col), f"duplicate key '{key}'{where}; keep one"))
            return
        frame.key = key


class _QuickBuilder:
    """`_Builder` for the common case, in one loop and without positions: a file's first parse. Anything it
    would have to report (an alias, an anchor, a tag, a merge key, a duplicate or non-string key, nesting too
    deep, an invisible character written as an escape) is only noted as a problem and stops it:
    `load_documents` then parses again with `_Builder`, which says what and where. Mapping keys are interned
    and repeated scalars shared (`_share`). About 25-30% faster than `_Builder` on generated manifests (71 µs
    against 98 µs a file), and the parse is most of a 100,000-account plan."""

    def __init__(self, file: str, text: str) -> None:
        self.file, self.text = file, text
        self.documents: list[LoadedDocument] = []
        self.problems: list[Problem] = []

    def consume(self, events: Iterator[Any]) -> None:
        # Event classes, helpers and constants are bound to locals: this loop runs for every event of every
        # file, and a global or attribute look-up per comparison was about a fifth of its time.
        scalar, mapping_start, sequence_start = yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent
        mapping_end, sequence_end, alias = yaml.MappingEndEvent, yaml.SequenceEndEvent, yaml.AliasEvent
        document_start, document_end = yaml.DocumentStartEvent, yaml.DocumentEndEvent
        seen, quick_plain, share, intern, invisible = _plain_seen, _quick_plain, _share, sys.intern, first_invisible
        no_key, plain_tags, untagged, unusual = _NO_KEY, (None, "!", _STR_TAG), (None, "!"), _UNUSUAL
        containers: list[Any] = []
        keys: list[Any] = []  # per open container: the pending key of a mapping, no_key before one
        root: Any = None
        start: LineCol = (1, 1)
        for event in events:
            kind = type(event)
            if kind is scalar:
                if event.anchor is not None or event.tag not in plain_tags:
                    return self._unusual()
                value = event.value
                if event.implicit[0] and event.tag is None:
                    value = seen.get(value) or quick_plain(value)  # a falsy value (0, false, null) resolves again
                    if value is unusual:
                        return self._unusual()
                elif event.style == '"' and invisible(value) is not None:
                    return self._unusual()  # an invisible character written as an escape: only quoted text has them
                else:
                    value = share(value)
            elif kind is mapping_end or kind is sequence_end:
                containers.pop()
                keys.pop()
                continue
            elif kind is mapping_start or kind is sequence_start:
                if event.anchor is not None or event.tag not in untagged or len(containers) >= MAX_DEPTH:
                    return self._unusual()
                value = {} if kind is mapping_start else []
            elif kind is document_start:
                mark = event.start_mark
                start = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
                root = None
                continue
            elif kind is document_end:
                index = len(self.documents)
                positions = Positions(self.text, self.file, index)
                self.documents.append(LoadedDocument(self.file, index, root, start, positions, clean=True))
                continue
            elif kind is alias:
                return self._unusual()
            else:
                continue
            if not containers:
                root = value
            else:
                container = containers[-1]
                if type(container) is list:
                    container.append(value)
                elif keys[-1] is not no_key:
                    container[keys[-1]] = value
                    keys[-1] = no_key
                elif type(value) is str and value not in container:
                    keys[-1] = intern(value)
                    continue
                else:
                    return self._unusual()  # a key that is not text (a number, a mapping, a list), or a repeat
            if type(value) is dict or type(value) is list:
                containers.append(value)
                keys.append(no_key)

    def _unusual(self) -> None:
        self.problems.append(Problem(Position(self.file, 1, 1), "parse again with positions"))


def _plain(value: str) -> Any:
    """A plain scalar, resolved with the narrowed YAML 1.2 core schema (null, true/false, decimal integers
    within what JSON carries exactly)."""
    if value in _NULLS:
        return None
    if value in _BOOLS:
        return _BOOLS[value]
    if value[:1] in _INT_START and _INT.fullmatch(value):
        number = _safe_integer(value)
        if number is not None:
            return number
    return value  # a whole number out of range stays text: `_Builder._out_of_range` reports it


def _safe_integer(text: str) -> int | None:
    """The decimal integer `text`, or None outside -MAX_SAFE_INTEGER..MAX_SAFE_INTEGER (checked on its length
    first: `int()` of thousands of digits is slow, and refused past 4,300)."""
    if len(text.lstrip("+-")) <= len(str(MAX_SAFE_INTEGER)) and abs(number := int(text)) <= MAX_SAFE_INTEGER:
        return number
    return None


_INT_START = frozenset("+-0123456789")


def load_trusted(text: str) -> Any:
    """Plain safe loading for files shipped with this project (the schema source), never for user input."""
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - CSafeLoader/SafeLoader only
