"""The scheme file reference (docs/scheme-reference.md), generated from the models themselves.

Every field of every model a scheme file can hold is listed with what it takes, its default and
its meaning (the docstring written under the field). The data-column conventions come from the
constants the data reader uses, and the example scheme is loaded and compiled to list the columns
it reads, so the page cannot drift from the code: ``tests/test_scheme_reference.py`` regenerates
it and fails when the committed page differs or a field has no description.

Regenerate with ``python -m perfsim.scheme_reference`` (writes docs/scheme-reference.md).
"""

from __future__ import annotations

import argparse
import re
import types
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import annotated_types
import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from . import data as data_module
from .compile import compile_scheme
from .models import Label
from .outputs import write_text
from .parts import RATER_TAG, SUB_ITEM_TAG
from .scheme import Scheme, scheme_from_data
from .scheme.validation import file_keys
from .scoring import INPUTS

EXAMPLE = """\
perfsim_scheme: 1
id: township-annual
version: "2024"
name: {zh: 乡镇年度综合考核, en: township annual assessment}
total: 100
periods:
  - {id: MID, name: 年中}
  - {id: END, name: 年底}
indicators:
  - id: economy
    name: 经济发展
    points: 40
    children:
      - {id: revenue, name: 财政收入完成率, points: 25, method: {method: completion_ratio, standard: per_unit}}
      - id: investment
        name: 固定资产投资
        points: 15
        periods: {MID: 40, END: 60}
        method: {method: completion_ratio, standard: 1000}
  - id: services
    name: 公共服务
    points: 60
    children:
      - {id: satisfaction, name: 群众满意度, points: 30, method: {method: score}}
      - {id: files, name: 档案管理, points: 30, method: {method: rubric_5pt}}
adjustments:
  items:
    - {id: commendation, name: 上级表彰, kind: bonus, cap: 3}
vetoes:
  - {id: safety, name: 重大安全事故, scope: grade_lowest}
grading:
  bands:
    - {grade: 优秀, min: 90}
    - {grade: 良好, min: 80}
    - {grade: 合格, min: 60}
    - {grade: 不合格}
  quotas:
    - {grade: 优秀, max_share: 0.2}
"""
"""A small scheme touching the common parts: names as plain text, sections, a per-unit standard, period
shares, a rubric with a count, a bonus item, a veto, bands with a quota."""

_SIMPLE = {float: "number", int: "whole number", str: "text", bool: "true or false", type(None): "nothing"}


def _type_words(annotation: Any, links: dict[type[BaseModel], str]) -> str:
    """An annotation in words (``number > 0``, ``list of Indicator``, ``'higher' or 'lower'``)."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if annotation in _SIMPLE:
        return _SIMPLE[annotation]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        link = f"[{annotation.__name__}](#{links.get(annotation, annotation.__name__.lower())})"
        return f"text or {link}" if annotation is Label else link
    if origin is typing.Annotated:
        inner = _type_words(args[0], links)
        limits = [_limit(m) for m in args[1:]]
        for meta in args[1:]:
            if isinstance(meta, FieldInfo):
                limits += [_limit(m) for m in meta.metadata]
        shown = ", ".join(x for x in limits if x)
        return f"{inner} ({shown})" if shown else inner
    if origin is typing.Literal:
        return " or ".join(f"`{a}`" for a in args)
    if origin in (typing.Union, types.UnionType):
        parts = [_type_words(a, links) for a in args if a is not type(None)]
        return " or ".join(dict.fromkeys(parts))
    if origin in (list, Sequence):
        return f"list of {_type_words(args[0], links)}"
    if origin is tuple:
        return "pair [" + ", ".join(_type_words(a, links) for a in args) + "]"
    if origin is dict:
        return f"mapping {_type_words(args[0], links)} → {_type_words(args[1], links)}"
    return str(annotation).replace("typing.", "")


def _limit(meta: Any) -> str:
    names = {
        annotated_types.Gt: ("gt", ">"),
        annotated_types.Ge: ("ge", "≥"),
        annotated_types.Lt: ("lt", "<"),
        annotated_types.Le: ("le", "≤"),
    }
    for kind, (attr, sign) in names.items():
        if isinstance(meta, kind):
            return f"{sign} {getattr(meta, attr):g}"
    if isinstance(meta, annotated_types.MinLen):
        return f"at least {meta.min_length}"
    if isinstance(meta, annotated_types.MaxLen):
        return f"at most {meta.max_length}"
    pattern = getattr(meta, "pattern", None)
    return "an id: letters, digits, _ and - or Chinese" if pattern else ""


def _field_words(info: FieldInfo, links: dict[type[BaseModel], str]) -> str:
    words = _type_words(info.annotation, links)
    limits = [x for x in (_limit(m) for m in info.metadata) if x]
    return f"{words} ({', '.join(limits)})" if limits else words


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "**required**"
    if info.default_factory is not None:
        return "(empty)" if info.default_factory in (list, dict) else "(see meaning)"
    value = info.default
    if value is None or value is PydanticUndefined:
        return "—"
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    return f"`{value:g}`" if isinstance(value, float) else f"`{value}`"


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def scheme_models(root: type[BaseModel] = Scheme) -> dict[type[BaseModel], list[str]]:
    """Every model a scheme file can hold, in the order met from the top, with the places it is written.

    Parameters
    ----------
    root
        The model of the whole file.

    Returns
    -------
    dict
        Model → field paths such as ``indicators[].method`` (``[]`` stands for any list position
        or mapping key).
    """
    places: dict[type[BaseModel], list[str]] = {root: ["(the file)"]}
    todo: list[tuple[type[BaseModel], str]] = [(root, "")]
    while todo:
        model, path = todo.pop(0)
        for key, info in file_keys(model).items():
            container = typing.get_origin(info.annotation)
            for inner in _models_in(info.annotation):
                many = _is_many(info.annotation, inner)
                place = f"{path}.{key}".lstrip(".") + ("[]" if many or container is dict else "")
                known = places.setdefault(inner, [])
                if place not in known and len(known) < 6:
                    known.append(place)
                    todo.append((inner, place))
    return places


def _is_many(annotation: Any, model: type[BaseModel]) -> bool:
    """Whether ``model`` sits in a list or mapping within ``annotation``."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (list, dict) and any(model in _models_in(a) for a in args):
        return True
    return any(_is_many(a, model) for a in args if typing.get_origin(a) is not None)


def undocumented(root: type[BaseModel] = Scheme) -> list[str]:
    """Fields without a description in the models under ``root``; the reference test requires none.

    Parameters
    ----------
    root
        The model of the whole file.

    Returns
    -------
    list of str
        ``Model.field`` for each field that has no docstring or description.
    """
    return [
        f"{model.__name__}.{key}"
        for model in scheme_models(root)
        for key, info in file_keys(model).items()
        if not (info.description or "").strip()
    ]


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip()).replace("|", "\\|")


def render() -> str:
    """The reference page.

    Returns
    -------
    str
        Markdown: the example, the data-column conventions, then one section per model with a table
        of its keys (what each takes, its default, its meaning).
    """
    models = scheme_models()
    links = {m: m.__name__.lower() for m in models}
    out = [
        "# Scheme file reference",
        "",
        "<!-- Generated by `python -m perfsim.scheme_reference` from the models in perfsim/scheme and",
        "perfsim/rules.py; do not edit by hand. tests/test_scheme_reference.py keeps it current. -->",
        "",
        "A scheme file (考核方案) is YAML. Names may be written as plain text (`name: 重点工作`, the Chinese",
        "name) or as `{zh: 重点工作, en: key tasks}`; English outputs use the id where no English name is given.",
        "Every problem in a file is reported in one run, with its line, field and a fix (`perfsim lint FILE`).",
        "",
        "## Example",
        "",
        "```yaml",
        EXAMPLE.rstrip(),
        "```",
        "",
        *_columns_section(),
        "## Fields",
        "",
        "Each section is one kind of entry; *Written at* gives where it appears (`[]`: any list position or key).",
        "",
    ]
    for model, places in models.items():
        out += [f"### {model.__name__}", "", "Written at: " + ", ".join(f"`{p}`" for p in places), ""]
        if model.__doc__:
            out += [_one_line(model.__doc__), ""]
        out += ["| key | takes | default | meaning |", "|---|---|---|---|"]
        for key, info in file_keys(model).items():
            meaning = _one_line(info.description or "")
            out.append(f"| `{key}` | {_field_words(info, links)} | {_default(info)} | {meaning} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _columns_section() -> list[str]:
    compiled = compile_scheme(scheme_from_data(yaml.safe_load(EXAMPLE)))
    reads = ["unit", "name"]
    for cc in compiled.classes:
        for col in cc.columns:
            reads += [c for c in col.reads() if c not in reads]
    reads += [i.id for i in compiled.adjustment_items] + [v.id for v in compiled.vetoes]
    methods = ", ".join(f"`{m}` reads {' and '.join(f'`{i}`' for i in inputs)}" for m, inputs in INPUTS.items())
    tokens = ", ".join(f"`{t}`" for t in sorted(data_module.NOT_APPLICABLE_TOKENS))
    true = ", ".join(f"`{t}`" for t in sorted(data_module.TRUE_TOKENS))
    false = ", ".join(f"`{t}`" for t in sorted(data_module.FALSE_TOKENS) if t)
    return [
        "## Data columns",
        "",
        "Unit data (CSV, XLSX or Parquet) have one row per unit, with these columns:",
        "",
        "| column | holds |",
        "|---|---|",
        "| `unit` | the unit's id (required) |",
        "| `name` | its display name (optional) |",
        "| `class` | its unit class id, when the scheme has `unit_classes` |",
        "| `x` | the value of leaf indicator `x` (a mark, a count, a rate, a label for `lookup`) |",
        "| `x@P` | the value of `x` in period `P`, for an indicator with `periods` |",
        "| `x.standard` | the unit's own standard (标准值) for `completion_ratio` with `standard: per_unit` |",
        "| `x@P.standard` | the unit's own standard of `x` in period `P` |",
        "| `x.count` | the count of flaws or errors for `rubric_5pt` (the level is in `x`) |",
        f"| `x.{RATER_TAG}1` … `x.{RATER_TAG}n` | one rater's mark each, for an indicator with `raters` "
        "(n = their count) |",
        f"| `x.{SUB_ITEM_TAG}1` … `x.{SUB_ITEM_TAG}n` | one sub-item each, summed before scoring, for `sub_items` "
        f"(`x.{SUB_ITEM_TAG}1.standard` … for per-unit standards) |",
        "| `x.<block id>` | the count of events of one block of a `deduction_blocks` indicator |",
        "| adjustment id | the points of a bonus or deduction item, or its count of events with `per_event` |",
        f"| veto id | whether the veto is triggered: yes is {true}; no is {false} or an empty cell; "
        "anything else is refused |",
        "| attribute id | a declared attribute (a budget, a head count, a group) |",
        "",
        f"Methods reading more than the value: {methods}. A cell marked {tokens} is 不适用 (not applicable),",
        "allowed for the indicators listed under `not_applicable`. Long data have one row per value instead:",
        f"{', '.join(f'`{k}`' for k in data_module.LONG_KEYS)} (and `period`), pivoted to the columns above.",
        "",
        "The example above reads: " + ", ".join(f"`{c}`" for c in reads) + ".",
        "",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Write the reference page (default docs/scheme-reference.md).

    Parameters
    ----------
    argv
        Command-line arguments (``-o PATH``); default ``sys.argv``.

    Returns
    -------
    int
        0.
    """
    parser = argparse.ArgumentParser(description="Write the scheme file reference.")
    parser.add_argument("-o", "--output", type=Path, default=Path("docs") / "scheme-reference.md")
    args = parser.parse_args(argv)
    write_text(args.output, render())
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
