"""Validation errors in the user's words: pydantic's errors become :class:`Problem` s, and problems one error.

Pydantic reports every type and shape error of a file at once, with locations that hold its own
bookkeeping (union members such as ``constrained-float``, discriminator tags, validator names)
and messages in its own wording. Here each error's location is walked against the data as
written, so only keys and list positions of the file remain; errors that several members of one
union report for the same place become one message (``expected a number above 0 or 'per_unit'``);
and each message is written afresh from the error's kind, so no library wording reaches a user.
"""

from __future__ import annotations

import math
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from ..errors import SchemeError, near
from ..yamlsafe import YamlDocument
from .base import Loc, Problem, format_loc

MAX_PROBLEMS = 20
"""Problems listed in one message; a file with more says how many more there are."""

_KINDS = {
    "string_type": "text",
    "string_sub_type": "text",
    "float_type": "a number",
    "float_parsing": "a number",
    "finite_number": "a finite number",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_parsing_size": "a whole number of sensible size",
    "int_from_float": "a whole number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "tuple_type": "a list of two numbers [low, high]",
    "set_type": "a list",
    "dict_type": "a mapping of keys to values",
    "model_type": "a mapping of keys to values",
    "model_attributes_type": "a mapping of keys to values",
    "none_required": "nothing",
}
"""What a value of the wrong type should have been, by pydantic's error type."""


def _number(value: object) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else math.nan


def _num(value: object) -> str:
    x = _number(value)
    return f"{x:g}" if math.isfinite(x) else str(value)


def _shown(value: object) -> str:
    """A value as the user wrote it, short."""
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return f"{value:g}" if isinstance(value, float) else (str(value) if abs(value) < 10**15 else "a huge number")
    if isinstance(value, str):
        return f"'{value[:40]}…'" if len(value) > 40 else f"'{value}'"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "a value of another kind"


def _expected(err: ErrorDetails) -> str | None:
    """What the value should have been, in words (None for errors that are not about one value)."""
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind in _KINDS:
        return _KINDS[kind]
    if kind == "literal_error":
        options = str(ctx.get("expected", ""))
        return f"one of {options}" if " or " in options else options
    bounds = {
        "greater_than": ("a number above", "gt"),
        "greater_than_equal": ("a number of at least", "ge"),
        "less_than": ("a number below", "lt"),
        "less_than_equal": ("a number of at most", "le"),
    }
    if kind in bounds:
        words, key = bounds[kind]
        return f"{words} {_num(ctx.get(key))}"
    if kind == "string_too_long":
        return f"text of at most {ctx.get('max_length')} characters"
    if kind == "string_too_short":
        return (
            "text that is not empty" if ctx.get("min_length") == 1 else f"at least {ctx.get('min_length')} characters"
        )
    if kind == "too_short":
        return f"at least {ctx.get('min_length')} entr{'y' if ctx.get('min_length') == 1 else 'ies'}"
    if kind == "too_long":
        return f"at most {ctx.get('max_length')} entries"
    if kind == "string_pattern_mismatch":
        return "an id: letters, digits, '_' and '-' (or Chinese characters), no spaces or slashes"
    return None


# --------------------------------------------------------------------------- where an error is


def _file_loc(raw: tuple[Any, ...], data: Any, keep_last: bool) -> tuple[Loc, bool]:
    """The error's location in the file: the keys and list positions that the data really has.

    Pydantic inserts union members, discriminator tags and validator names into a location; they
    are not keys of the data, so walking the data drops them. ``keep_last`` keeps a last key the
    data lacks (a missing field). The flag says the error is about a mapping key, not a value.
    """
    out: list[str | int] = []
    node = data
    about_key = False
    for i, part in enumerate(raw):
        if part == "[key]":
            about_key = True
            continue
        if isinstance(part, (str, int)) and _has(node, part):
            out.append(part)
            node = node[part]
        elif keep_last and i == len(raw) - 1 and isinstance(node, dict) and isinstance(part, str):
            out.append(part)
    return tuple(out), about_key


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation holds (through unions, lists, dicts and Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def file_keys(model: type[BaseModel]) -> dict[str, Any]:
    """A model's fields by the key a file writes for them: the alias where there is one (``list`` for ``list_``).

    Parameters
    ----------
    model
        A file model.

    Returns
    -------
    dict
        File key → pydantic field info, in the model's order.
    """
    return {info.alias or name: info for name, info in model.model_fields.items()}


def _fits(model: type[BaseModel], value: Any) -> bool:
    """Whether ``value`` (a mapping from the file) could be this member of a union: its tags agree."""
    if not isinstance(value, dict):
        return True
    for key, info in file_keys(model).items():
        literal = typing.get_origin(info.annotation) is typing.Literal
        if literal and key in value and value[key] not in typing.get_args(info.annotation):
            return False
    return True


def models_at(model: type[BaseModel], loc: Loc, data: Any) -> list[type[BaseModel]]:
    """The models that may describe the mapping at ``loc``: one, or the members of a union its tags allow.

    Parameters
    ----------
    model
        The model of the whole file.
    loc
        A location in the file (keys and list positions).
    data
        The file's data, to pick the member of a union (``method: bands`` picks the band table).

    Returns
    -------
    list of pydantic model classes
        Empty when ``loc`` is not inside a mapping the models describe.
    """
    candidates = [model]
    node = data
    for part in loc:
        node = node[part] if _has(node, part) else None
        if not isinstance(part, str):
            continue  # a list position or a mapping key the file chooses: same models
        inner = [m for c in candidates if part in file_keys(c) for m in _models_in(file_keys(c)[part].annotation)]
        if not inner:
            if any(part in file_keys(c) for c in candidates):
                return []  # a field that holds no model (a number, a list of ids)
            continue  # a key the file chooses (a grade name, a period id)
        fitting = [m for m in inner if _fits(m, node)] if isinstance(node, dict) else inner
        candidates = fitting or inner
    return candidates


def _has(node: Any, part: str | int) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


def keys_at(model: type[BaseModel], loc: Loc, data: Any) -> list[str]:
    """The keys a file may write in the mapping at ``loc``.

    Parameters
    ----------
    model, loc, data
        As for :func:`models_at`.

    Returns
    -------
    list of str
        Sorted; empty where no model describes that place.
    """
    return sorted({key for c in models_at(model, loc, data) for key in file_keys(c)})


def _description(model: type[BaseModel], loc: Loc, data: Any) -> str | None:
    """The documented meaning of the field at ``loc`` (its last key), if any."""
    if not loc or not isinstance(loc[-1], str):
        return None
    for c in models_at(model, loc[:-1], data):
        info = file_keys(c).get(loc[-1])
        if info is not None and info.description:
            return str(info.description).split("\n\n")[0].replace("\n", " ")
    return None


# --------------------------------------------------------------------------- errors → problems


def problems_from_validation(exc: ValidationError, data: Any, model: type[BaseModel]) -> list[Problem]:
    """Every error of a failed validation as a :class:`Problem` in the file's terms.

    Parameters
    ----------
    exc
        Pydantic's error.
    data
        The data that failed, as read from the file.
    model
        The model of the whole file.

    Returns
    -------
    list of Problem
        One per place in the file, in pydantic's order; errors several members of a union report
        for one place are merged.
    """
    by_place: dict[tuple[Loc, bool], list[ErrorDetails]] = {}
    for err in exc.errors():
        loc, about_key = _file_loc(err["loc"], data, keep_last=err["type"] in ("missing", "extra_forbidden"))
        by_place.setdefault((loc, about_key), []).append(err)
    return [_problem(loc, about_key, errs, data, model) for (loc, about_key), errs in by_place.items()]


def _problem(loc: Loc, about_key: bool, errs: list[ErrorDetails], data: Any, model: type[BaseModel]) -> Problem:
    kinds = [e["type"] for e in errs]
    first = errs[0]
    if "extra_forbidden" in kinds:
        key = str(loc[-1]) if loc else "?"
        keys = keys_at(model, loc[:-1], data)
        close = near(key, keys, otherwise="")
        return Problem(
            loc,
            f"unknown key '{key}'" + (f" ({close})" if close else ""),
            f"the keys valid here: {', '.join(keys)}" if keys else "remove it",
        )
    if "union_tag_invalid" in kinds or "union_tag_not_found" in kinds:
        err = errs[kinds.index("union_tag_invalid")] if "union_tag_invalid" in kinds else first
        ctx = err.get("ctx") or {}
        field = str(ctx.get("discriminator", "'method'")).strip("'")
        expected = [t.strip(" '") for t in str(ctx.get("expected_tags", "")).split(",") if t.strip(" '")]
        if not expected:
            expected = _tags(model, loc, data, field)
        if err["type"] == "union_tag_not_found":
            return Problem(loc, f"'{field}' is missing", f"add {field}: one of {', '.join(expected)}")
        tag = str(ctx.get("tag", "?"))
        what = "scoring method" if field == "method" else field
        return Problem(
            (*loc, field), f"unknown {what} '{tag}' ({near(tag, expected)})", f"use one of: {', '.join(expected)}"
        )
    if "missing" in kinds:
        key = str(loc[-1]) if loc else "?"
        meaning = _description(model, loc, data)
        return Problem(loc, f"'{key}' is missing", f"add {key}" + (f" ({meaning})" if meaning else ""))
    if kinds == ["value_error"] or kinds == ["assertion_error"]:
        error = (first.get("ctx") or {}).get("error")
        text = str(error) if error is not None else "this entry is not valid"
        return Problem(loc, text, "change the entry as the message says")
    share = _number(first.get("input"))
    if kinds == ["less_than_equal"] and loc and loc[-1] in ("share", "max_share") and share > 1:
        return Problem(
            loc,
            f"share {share:g} is above 1: shares are fractions of a group (did you mean {share / 100:g}?)",
            f"write {share / 100:g} for {share:g} %",
        )
    if kinds == ["string_pattern_mismatch"]:
        return Problem(
            loc,
            f"{_shown(first.get('input'))} is not a valid id: use letters, digits, '_' and '-' "
            "(or Chinese characters), no spaces or slashes",
            "rename it, e.g. 'public_service' or '公共服务'",
        )
    wanted = [w for w in (_expected(e) for e in errs) if w]
    wanted = list(dict.fromkeys(wanted))
    got = _shown(first.get("input"))
    phrase = " or ".join(wanted) if wanted else "a value of another kind"
    if about_key:
        return Problem(loc, f"the key {got} should be {phrase}", f"write the key as {phrase}")
    return Problem(loc, f"expected {phrase}, got {got}", f"write {phrase} here")


def _tags(model: type[BaseModel], loc: Loc, data: Any, field: str) -> list[str]:
    """The tags a union at ``loc`` accepts (the ``method`` names), read from its members."""
    tags: list[str] = []
    parent = models_at(model, loc[:-1], data) if loc else [model]
    for c in parent:
        info = file_keys(c).get(str(loc[-1])) if loc else None
        for m in _models_in(info.annotation) if info is not None else []:
            ann = file_keys(m).get(field)
            if ann is not None and typing.get_origin(ann.annotation) is typing.Literal:
                tags += [str(a) for a in typing.get_args(ann.annotation)]
    return list(dict.fromkeys(tags))


# --------------------------------------------------------------------------- problems → one error


def problems_error(problems: list[Problem], doc: YamlDocument | None, file: Path | None, what: str) -> SchemeError:
    """One error that lists every problem (up to :data:`MAX_PROBLEMS`), each with its field, line and fix.

    Parameters
    ----------
    problems
        At least one problem.
    doc
        The parsed file, to find each field's line (None for data not read from a file).
    file
        The file, for the message.
    what
        What the file is (``scheme``, ``scenario file``), for the heading.

    Returns
    -------
    SchemeError
        A single problem reads as ``file: field (line n): message`` with its ``fix:``; several
        are listed in file order under ``n problems in this scheme:``.
    """

    def line_of(p: Problem) -> int | None:
        return doc.line_of(p.loc) if doc is not None else None

    def where(p: Problem) -> str:
        line = line_of(p)
        return format_loc(p.loc) + (f" (line {line})" if line else "")

    ordered = sorted(problems, key=lambda p: line_of(p) or 0)
    if len(ordered) == 1:
        p = ordered[0]
        return SchemeError(p.message, file=file, field=where(p), hint=p.hint)
    shown = ordered[:MAX_PROBLEMS]
    lines = [f"{len(problems)} problems in this {what}:"]
    for i, p in enumerate(shown, 1):
        lines.append(f"  {i}. {where(p)}: {p.message}")
        if p.hint:
            lines.append(f"     fix: {p.hint}")
    if len(ordered) > len(shown):
        lines.append(f"  … and {len(ordered) - len(shown)} more; fix these and run again to see the rest")
    return SchemeError("\n".join(lines), file=file)
