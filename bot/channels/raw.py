"""Reading a platform's raw JSON strictly. A field of the wrong type or out of range raises
Unreadable (a ValueError) naming it, so that the update becomes a dead letter with that
reason instead of an event that carries a number where text belongs and fails later, far
from its cause."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

INT64 = 2**63  # the database's BIGINT: ids, sequence numbers
MAX_ID = 64  # characters of an id the database keeps (chat ids, update ids)
MAX_DEPTH = 32  # nesting of a JSON body; real updates have fewer than 10 levels


class Unreadable(ValueError):
    """A field is not what the platform documents."""


def obj(value: Any, what: str) -> Mapping[str, Any]:
    if isinstance(value, dict):
        return value
    raise Unreadable(f"{what}: expected an object, got {_kind(value)}")


def optional_obj(value: Any, what: str) -> Mapping[str, Any]:
    """An optional object (missing or null: empty)."""
    return {} if value is None else obj(value, what)


def items(value: Any, what: str) -> list[Any]:
    """An optional list (missing or null: empty)."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    raise Unreadable(f"{what}: expected a list, got {_kind(value)}")


def string(value: Any, what: str) -> str:
    if isinstance(value, str):
        return value
    raise Unreadable(f"{what}: expected text, got {_kind(value)}")


def optional_string(value: Any, what: str) -> str | None:
    return None if value is None else string(value, what)


def integer(value: Any, what: str, *, low: int = -INT64, high: int = INT64 - 1) -> int:
    """A whole number in [low, high]; JSON's numbers only (a bool is not one)."""
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
        return value
    raise Unreadable(f"{what}: expected a whole number in [{low}, {high}], got {_kind(value)}")


def digits(value: Any, what: str, *, high: int = INT64 - 1) -> int:
    """A whole number >= 0, written as one or as text of digits (Zalo sends both)."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        value = int(value)
    return integer(value, what, low=0, high=high)


def identifier(value: Any, what: str) -> str:
    """An id as we keep it: text of at most MAX_ID characters (a number becomes its
    digits), without the NUL character PostgreSQL's text cannot hold."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(integer(value, what))
    if isinstance(value, str) and 0 < len(value) <= MAX_ID and "\x00" not in value:
        return value
    raise Unreadable(f"{what}: expected an id, got {_kind(value)}")


def usable_id(value: Any) -> str | None:
    """The id as ``identifier`` reads it, or None when it is none."""
    try:
        return identifier(value, "id")
    except Unreadable:
        return None


def moment(seconds: float, what: str) -> datetime:
    """A Unix time as a datetime; refused beyond what a datetime holds."""
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, ValueError, OSError):
        raise Unreadable(f"{what}: not a time: {seconds!r}"[:200]) from None


def depth(value: Any) -> int:
    """How deeply a parsed JSON value nests (without recursion: the value may be deep)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            node = node.values()
        elif not isinstance(node, list):
            continue
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            break
        stack.extend((child, level + 1) for child in node)
    return deepest


def _kind(value: Any) -> str:
    shown = repr(value)
    return f"{type(value).__name__} {shown[:40]}{'…' if len(shown) > 40 else ''}"
