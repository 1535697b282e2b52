"""A variant of a scheme: parameter values written back into the fields they come from.

The engine takes parameter overrides per draw; a note computed "under the variant's own
parameters" (weight uncertainty around the variant's weights, say) and a scenario saved from
the explorer need the variant as a scheme in its own right.
"""

from __future__ import annotations

import copy

import numpy as np

from .compile import CompiledScheme, compile_scheme
from .scheme import Scheme, effective_points, scheme_from_data


def parameter_decimals(compiled: CompiledScheme, name: str) -> int:
    """The scheme's precision for a parameter: the decimals a saved variant writes it with.

    Points, cut-offs and caps take the decimals the scheme rounds totals to (``rounding.total``,
    else 2); period shares and budget rates are percentages to one decimal; quotas are shares to a
    tenth of a percent.
    """
    kind = compiled.parameters[name].kind
    if kind in ("share", "rate"):
        return 1
    if kind == "quota":
        return 3
    total = compiled.scheme.rounding.total
    return 2 if total is None else total


def scheme_with(scheme: Scheme, values: dict[str, float]) -> Scheme:
    """A copy of ``scheme`` with parameter values written into the fields they come from."""
    data = copy.deepcopy(scheme.model_dump(mode="json", exclude_unset=True))
    compiled = compile_scheme(scheme)
    points = effective_points(scheme)
    classes = data["unit_classes"] if "unit_classes" in data else [{"id": "all", "indicators": data["indicators"]}]
    for unit_class in classes:  # explicit points everywhere, so one node can move without its siblings
        for node in _walk(unit_class["indicators"]):
            node.pop("weight", None)
            node["points"] = points[(unit_class["id"], node["id"])]
    for name, value in values.items():
        kind, _, key = name.partition(":")
        if name not in compiled.parameters:
            compiled.parameters.resolve({name: value})
        if kind == "points":
            node = _node(classes, *key.rpartition("/")[::2])
            node.pop("weight", None)
            node["points"] = float(value)
        elif kind == "cutoff":
            for band in data["grading"]["bands"]:
                if band["grade"]["zh"] == key:
                    band["min"] = float(value)
        elif kind == "cap":
            adj = data["adjustments"]
            if key in ("bonus_cap", "deduction_cap"):
                adj[key] = float(value)
            for item in adj["items"]:
                if item["id"] == key:
                    item["cap"] = float(value)
        elif kind == "quota":
            for quota in data["grading"].get("quotas", []):
                if quota["grade"] == key:
                    quota["max_share"] = float(value)
            for tier in data["grading"].get("rank_tiers") or []:
                if tier["grade"]["zh"] == key:
                    tier["share"] = float(value)
        elif kind == "rate":
            data["consequences"]["budget"]["by_grade"][key]["percent"] = float(value)
        elif kind == "share":
            owner, _, period = key.rpartition("@")
            node = _node(classes, *owner.rpartition("/")[::2])
            node["periods"][period] = float(value)
            node["period_shares"] = "normalise"
    for unit_class in classes:  # a section whose points moved keeps its children as its own scale
        for node in _walk(unit_class["indicators"]):
            kids = node.get("children")
            if kids and "convert" not in node:
                total = sum(k["points"] for k in kids)
                if not np.isclose(total, node["points"]):
                    node["scale"] = total
                elif "scale" in node and np.isclose(node["scale"], node["points"]):
                    node.pop("scale")
    return scheme_from_data(data)


def _node(classes: list[dict], class_id: str, node_id: str) -> dict:
    """The indicator ``node_id`` of class ``class_id`` (any class's, for a single-class scheme)."""
    tree = next(c["indicators"] for c in classes if c["id"] == class_id or len(classes) == 1)
    return next(n for n in _walk(tree) if n["id"] == node_id)


def _walk(nodes: list[dict]):  # type: ignore[no-untyped-def]
    for node in nodes:
        yield node
        yield from _walk(node.get("children", []))
