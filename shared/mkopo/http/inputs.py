"""What every request's input must look like before a handler sees it: path ids of our one id shape,
only the query parameters a route declares, and JSON bodies of bounded nesting with exact numbers."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from mkopo.domain import ids

MAX_JSON_DEPTH = 32
# A JSON string (escapes included); removed before counting brackets so that "[" inside text is not nesting.
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)


class JsonInputError(ValueError):
    """A body that is not JSON we accept (malformed, or nested deeper than MAX_JSON_DEPTH)."""


def is_id_parameter(name: str) -> bool:
    """Path parameters named ``*_id`` carry one of our ids; others (ledger accounts, tokens) do not."""
    return name == "id" or name.endswith("_id")


def bad_path_ids(params: Mapping[str, str]) -> list[str]:
    """The id parameters whose value cannot be one of our ids."""
    return [name for name, value in params.items() if is_id_parameter(name) and not ids.is_id(value)]


def query_names(model: type[BaseModel] | None) -> frozenset[str]:
    """The query parameters a route declares (its query model's fields and aliases)."""
    if model is None:
        return frozenset()
    names = set()
    for name, info in model.model_fields.items():
        names.add(info.alias or name)
    return frozenset(names)


def json_depth(raw: bytes) -> int:
    """How deeply arrays and objects nest in ``raw`` (strings skipped); linear, no recursion."""
    depth = deepest = 0
    for byte in _JSON_STRING.sub(b'""', raw):
        if byte in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        elif byte in b"]}":
            depth -= 1
    return deepest


def parse_json(raw: bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse a JSON document: numbers with a fraction or exponent as exact Decimals, never floats."""
    if json_depth(raw) > max_depth:
        raise JsonInputError(f"JSON may nest at most {max_depth} levels deep")
    try:
        return json.loads(raw or b"null", parse_float=Decimal, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise JsonInputError("the body is not valid JSON") from exc


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
