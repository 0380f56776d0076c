"""The run filter language: parsed into a small tree, compiled to SQL, never evaluated.

Grammar (keywords are case-insensitive)::

    expr      := and_expr ("or" and_expr)*
    and_expr  := not_expr ("and" not_expr)*
    not_expr  := "not" not_expr | "(" expr ")" | predicate
    predicate := field op value
               | field ["not"] "in" "(" value ("," value)* ")"
               | field ["not"] ("like" | "ilike") string
               | field "is" ["not"] "null"
    field     := metrics.KEY | params.KEY | tags.KEY | ATTRIBUTE     (KEY may be `back quoted`)
    op        := = | == | != | <> | < | <= | > | >=
    value     := number | 'string' | "string" | true | false | null

Numbers compare as numbers (params keep a numeric column), strings as strings. Errors name the
position and what was expected there.

``like`` is case-sensitive and ``ilike`` case-insensitive on every back end; in a pattern ``%``
matches any run of characters, ``_`` one character, and ``\\%``, ``\\_`` and ``\\\\`` match a literal
``%``, ``_`` and backslash. Limits keep a filter cheap to parse and compile: at most
``MAX_FILTER_LENGTH`` characters, ``MAX_DEPTH`` levels of parentheses and ``not``, and
``MAX_TERMS`` predicates and ``in`` values; numbers must fit in 64 bits (integers) or be finite.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

ATTRIBUTES = {
    "run_id",
    "name",
    "status",
    "kind",
    "experiment",
    "start_time",
    "end_time",
    "duration_s",
    "user",
    "parent_run_id",
    "attempt",
    "notebook_path",
    "cell_id",
}
NAMESPACES = {
    "metrics": "metrics",
    "metric": "metrics",
    "params": "params",
    "param": "params",
    "tags": "tags",
    "tag": "tags",
}
COMPARISONS = {
    "=": "=",
    "==": "=",
    "!=": "!=",
    "<>": "!=",
    "<": "<",
    "<=": "<=",
    ">": ">",
    ">=": ">=",
}
KEYWORDS = {"and", "or", "not", "in", "like", "ilike", "is", "null", "true", "false"}
MAX_FILTER_LENGTH = 100_000
MAX_DEPTH = 32
MAX_TERMS = 200
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class FilterError(ValueError):
    """A malformed filter or order-by; the message says where and what was expected."""

    def __init__(self, message: str, source: str = "", position: int | None = None) -> None:
        self.source = source
        self.position = position
        if position is not None:
            caret = " " * (position + 2) + "^"
            message = f"malformed filter at position {position}: {message}\n  {source}\n{caret}"
        super().__init__(message)


# -- tokens ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Token:
    kind: str  # name | number | string | op | lparen | rparen | comma | keyword | end
    text: str
    value: Any
    position: int


_TOKEN_RE = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![A-Za-z_]))
  | (?P<string>'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*")
  | (?P<op><=|>=|==|!=|<>|=|<|>)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<comma>,)
  | (?P<name>(?:[A-Za-z_][A-Za-z0-9_\-]*|`[^`]+`)(?:\.(?:[A-Za-z0-9_][A-Za-z0-9_\-/:]*|`[^`]+`))*)
    """,
    re.VERBOSE,
)


def _unquote(literal: str) -> str:
    quote = literal[0]
    body = literal[1:-1].replace(quote * 2, quote)
    return re.sub(r"\\(.)", r"\1", body)


def _number(text: str, source: str, position: int) -> int | float:
    if any(c in text for c in ".eE"):
        number = float(text)
        if not math.isfinite(number):
            raise FilterError(
                f"the number {text} is too large (not a finite float)", source, position
            )
        return number
    if len(text) > 25 or not INT64_MIN <= int(text) <= INT64_MAX:
        raise FilterError(
            f"the integer {text[:30]} does not fit in 64 bits (-2**63 .. 2**63-1)", source, position
        )
    return int(text)


def like_pattern(literal: str) -> str:
    """A quoted pattern as written -> a LIKE pattern whose escape character is a backslash.

    ``\\%``, ``\\_`` and ``\\\\`` stay escaped (literal), any other ``\\c`` is just ``c``, and a
    trailing lone backslash is a literal backslash.
    """
    quote = literal[0]
    body = literal[1:-1].replace(quote * 2, quote)
    out: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\":
            following = body[index + 1 : index + 2]
            if following in ("%", "_", "\\"):
                out.append("\\" + following)
            elif following:
                out.append(following)
            else:
                out.append("\\\\")
            index += 2
            continue
        out.append(char)
        index += 1
    return "".join(out)


def tokenize(source: str) -> list[Token]:
    if len(source) > MAX_FILTER_LENGTH:
        raise FilterError(
            f"filter too long: {len(source)} characters (the limit is {MAX_FILTER_LENGTH})"
        )
    if "\x00" in source:
        raise FilterError("NUL character not allowed", source, source.index("\x00"))
    try:
        source.encode("utf-8")
    except UnicodeEncodeError as error:
        raise FilterError(
            f"{source[error.start]!r} is not valid Unicode (a lone surrogate)", source, error.start
        ) from None
    tokens: list[Token] = []
    position = 0
    while position < len(source):
        match = _TOKEN_RE.match(source, position)
        if match is None:
            raise FilterError(f"unexpected character {source[position]!r}", source, position)
        kind = match.lastgroup or ""
        text = match.group()
        if kind == "number":
            value: Any = _number(text, source, position)
            tokens.append(Token("number", text, value, position))
        elif kind == "string":
            tokens.append(Token("string", text, _unquote(text), position))
        elif kind == "name":
            lowered = text.lower()
            if lowered in KEYWORDS:
                tokens.append(Token("keyword", text, lowered, position))
            else:
                tokens.append(Token("name", text, text, position))
        elif kind != "space":
            tokens.append(Token(kind, text, text, position))
        position = match.end()
    tokens.append(Token("end", "", None, len(source)))
    return tokens


# -- tree -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Field:
    namespace: str  # metrics | params | tags | attribute
    key: str

    def __str__(self) -> str:
        return self.key if self.namespace == "attribute" else f"{self.namespace}.{self.key}"


@dataclass(frozen=True)
class Compare:
    field: Field
    op: str
    value: Any


@dataclass(frozen=True)
class InList:
    field: Field
    values: tuple[Any, ...]
    negated: bool


@dataclass(frozen=True)
class Like:
    field: Field
    pattern: str
    negated: bool
    case_insensitive: bool


@dataclass(frozen=True)
class IsNull:
    field: Field
    negated: bool


@dataclass(frozen=True)
class BoolOp:
    op: str  # and | or
    items: tuple[Any, ...]


@dataclass(frozen=True)
class Not:
    item: Any


def parse_field(text: str, source: str = "", position: int = 0) -> Field:
    parts = re.findall(r"`[^`]+`|[^.`]+", text)
    parts = [part.strip("`") for part in parts]
    head = parts[0].lower()
    if head in NAMESPACES and len(parts) > 1:
        return Field(NAMESPACES[head], ".".join(parts[1:]))
    if len(parts) == 1 and head in ATTRIBUTES:
        return Field("attribute", head)
    raise FilterError(
        f"unknown field {text!r}: expected metrics.KEY, params.KEY, tags.KEY or one of "
        + ", ".join(sorted(ATTRIBUTES)),
        source,
        position,
    )


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = tokenize(source)
        self.index = 0
        self.depth = 0
        self.terms = 0

    def count_term(self) -> None:
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise FilterError(
                f"filter too large: more than {MAX_TERMS} comparisons and 'in' values; "
                "narrow it, or split the search",
                self.source,
                self.current.position,
            )

    def nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FilterError(
                f"filter nested too deeply: more than {MAX_DEPTH} levels of parentheses and 'not'",
                self.source,
                self.current.position,
            )

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def _describe(self, token: Token) -> str:
        return "end of filter" if token.kind == "end" else repr(token.text)

    def fail(self, expected: str) -> FilterError:
        token = self.current
        return FilterError(
            f"expected {expected}, found {self._describe(token)}", self.source, token.position
        )

    def take_keyword(self, *words: str) -> str | None:
        token = self.current
        if token.kind == "keyword" and token.value in words:
            self.index += 1
            return str(token.value)
        return None

    def expect(self, kind: str, expected: str) -> Token:
        token = self.current
        if token.kind != kind:
            raise self.fail(expected)
        self.index += 1
        return token

    def parse(self) -> Any:
        if self.current.kind == "end":
            return None
        tree = self.parse_or()
        if self.current.kind != "end":
            raise self.fail("'and', 'or' or the end of the filter")
        return tree

    def parse_or(self) -> Any:
        items = [self.parse_and()]
        while self.take_keyword("or"):
            items.append(self.parse_and())
        return items[0] if len(items) == 1 else BoolOp("or", tuple(items))

    def parse_and(self) -> Any:
        items = [self.parse_not()]
        while self.take_keyword("and"):
            items.append(self.parse_not())
        return items[0] if len(items) == 1 else BoolOp("and", tuple(items))

    def parse_not(self) -> Any:
        if self.take_keyword("not"):
            self.nest()
            inner = Not(self.parse_not())
            self.depth -= 1
            return inner
        if self.current.kind == "lparen":
            self.nest()
            self.index += 1
            inner = self.parse_or()
            self.expect("rparen", "')'")
            self.depth -= 1
            return inner
        self.count_term()
        return self.parse_predicate()

    def parse_value(self) -> Any:
        token = self.current
        if token.kind in ("number", "string"):
            self.index += 1
            return token.value
        if token.kind == "keyword" and token.value in ("true", "false", "null"):
            self.index += 1
            return {"true": True, "false": False, "null": None}[token.value]
        raise self.fail("a value (a number, a 'quoted string', true, false or null)")

    def parse_predicate(self) -> Any:
        token = self.current
        if token.kind != "name":
            raise self.fail("a field such as metrics.acc, params.model, tags.team or status")
        self.index += 1
        field = parse_field(token.text, self.source, token.position)
        if self.current.kind == "op":
            op = COMPARISONS[self.current.text]
            self.index += 1
            value = self.parse_value()
            if value is None:
                return IsNull(field, negated=op == "!=")
            return Compare(field, op, value)
        if self.take_keyword("is"):
            negated = bool(self.take_keyword("not"))
            if not self.take_keyword("null"):
                raise self.fail("'null' after 'is'")
            return IsNull(field, negated)
        negated = bool(self.take_keyword("not"))
        if self.take_keyword("in"):
            self.expect("lparen", "'(' after 'in'")
            values = [self.parse_value()]
            while self.current.kind == "comma":
                self.index += 1
                self.count_term()
                values.append(self.parse_value())
            self.expect("rparen", "',' or ')' in the 'in' list")
            return InList(field, tuple(values), negated)
        like = self.take_keyword("like", "ilike")
        if like:
            pattern = self.expect("string", "a 'quoted pattern' after like")
            return Like(field, like_pattern(pattern.text), negated, like == "ilike")
        raise self.fail(f"a comparison (=, !=, <, <=, >, >=, in, like, is) after {field}")


def parse_filter(source: str | None) -> Any:
    """Parse a filter string into a tree (None for an empty filter)."""
    if source is None or not source.strip():
        return None
    return _Parser(source).parse()


# -- trees built in code (structured searches: no filter text to quote) ----------------------
def attribute_equals(name: str, value: Any) -> Compare:
    """``name = value`` on a run attribute (``kind``, ``run_id``, ...)."""
    return Compare(Field("attribute", name), "=", value)


def attribute_in(name: str, values: Iterable[Any]) -> InList:
    """``name in (values...)`` on a run attribute."""
    return InList(Field("attribute", name), tuple(values), False)


def all_of(*trees: Any) -> Any:
    """The trees ANDed (``None`` items are skipped; ``None`` when nothing is left)."""
    items = tuple(tree for tree in trees if tree is not None)
    if not items:
        return None
    return items[0] if len(items) == 1 else BoolOp("and", items)


@dataclass(frozen=True)
class OrderKey:
    field: Field
    descending: bool


def parse_order_by(order_by: str | list[str] | tuple[str, ...] | None) -> list[OrderKey]:
    """'metrics.acc desc, start_time' or a list of such items."""
    if not order_by:
        return []
    items = order_by.split(",") if isinstance(order_by, str) else list(order_by)
    keys = []
    for item in items:
        words = item.strip().split()
        if not words or len(words) > 2:
            raise FilterError(
                f"malformed order_by item {item.strip()!r}: expected 'FIELD [asc|desc]'"
            )
        direction = words[1].lower() if len(words) == 2 else "asc"
        if direction not in ("asc", "desc"):
            raise FilterError(
                f"malformed order_by item {item.strip()!r}: expected asc or desc, found {words[1]!r}"
            )
        keys.append(OrderKey(parse_field(words[0], item, 0), direction == "desc"))
    return keys


def parse_time(value: Any) -> float:
    """A time literal: epoch seconds, or an ISO-8601 date/time string (UTC unless it says)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        raise FilterError(
            f"cannot read {value!r} as a time: use epoch seconds or ISO like '2026-11-26T10:00'"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


def is_number(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and not (isinstance(value, float) and math.isnan(value))
    )
