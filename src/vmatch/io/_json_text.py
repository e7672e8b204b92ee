"""Parsing JSON text strictly: size limit first, then no NaN, no duplicate keys, no lone surrogates.

Examples
--------
>>> parse_json('{"a": [1, 2.5]}', "problem", 100)
{'a': [1, 2.5]}
>>> parse_json('{"a": NaN}', "problem", 100)
Traceback (most recent call last):
...
vmatch.errors.FormatError: problem: malformed JSON: NaN is not allowed (numbers must be finite)
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, NoReturn

from vmatch.errors import FormatError

__all__ = ["parse_json"]


def _refuse_constant(token: str) -> NoReturn:
    raise _BadJSONError(f"{token} is not allowed (numbers must be finite)")


def _checked_float(token: str) -> float:
    x = float(token)
    if not math.isfinite(x):
        raise _BadJSONError(f"number {token[:20]} is out of range (numbers must be finite)")
    return x


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for k, _ in pairs:
            if k in seen:
                raise _BadJSONError(f"key {k[:60]!r} appears twice in one object")
            seen.add(k)
    return out


class _BadJSONError(ValueError):
    pass


def parse_json(text: str | bytes, what: str, max_bytes: int) -> Any:
    """Parse a JSON document of at most ``max_bytes`` bytes, refusing NaN, duplicate keys, deep nesting."""
    size = len(text)
    if isinstance(text, str) and size <= max_bytes < 4 * size:  # only then can the UTF-8 size matter
        size = len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise FormatError(f"{what}: input is larger than the limit of {max_bytes} bytes (refused unread)")
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise FormatError(f"{what}: input is not valid UTF-8 (byte {e.start})") from None
    text = text.removeprefix("\ufeff")
    try:
        doc = json.loads(
            text,
            parse_constant=_refuse_constant,
            parse_float=_checked_float,
            object_pairs_hook=_no_duplicates,
        )
    except json.JSONDecodeError as e:
        raise FormatError(f"{what}: malformed JSON at line {e.lineno}, column {e.colno}: {e.msg}") from None
    except RecursionError:
        raise FormatError(f"{what}: malformed JSON: nesting is too deep") from None
    except ValueError as e:  # _BadJSONError, or an integer with too many digits
        raise FormatError(f"{what}: malformed JSON: {e}") from None
    if _SURROGATE_RE.search(text) and not _valid_unicode(doc):
        raise FormatError(f"{what}: malformed JSON: a string holds an unpaired UTF-16 surrogate")
    return doc


_SURROGATE_RE = re.compile(r"[\ud800-\udfff]|\\u[dD][89a-fA-F]")


def _valid_unicode(doc: Any) -> bool:
    """True when every string (and key) in ``doc`` encodes as UTF-8 (no lone surrogates)."""
    stack = [doc]
    while stack:
        x = stack.pop()
        if isinstance(x, str):
            try:
                x.encode("utf-8")
            except UnicodeEncodeError:
                return False
        elif isinstance(x, dict):
            stack.extend(x)
            stack.extend(x.values())
        elif isinstance(x, list):
            stack.extend(x)
    return True
