"""Compile a validated scheme into arrays and a table of named, sweepable parameters.

The compiled form is what the engine evaluates: per unit class, the indicator tree as
index arrays (parents, children, nominal points), one *score column* per
(leaf indicator, period) pair with its vectorised scorer, and a
:class:`ParameterSpace` naming every number a what-if analysis may move (points,
period shares, cut-offs, caps, quotas) with its nominal value and legal range.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import scheme as s
from .errors import ParameterError, near
from .parts import Parts, parts_of
from .scoring import BandArrays, Scorer, input_names, make_scorer
from .unit_data import UnitData


@dataclass(frozen=True)
class Parameter:
    """A number of the scheme that a draw may change.

    ``kind`` is one of ``points``, ``share`` (a period share), ``cutoff`` (a grade's lower
    bound, in the grading basis), ``cap`` (an adjustment cap), ``quota`` (a grade's
    maximum share) or ``rate`` (a grade's budget change in percent, a consequence rule).
    """

    name: str
    kind: str
    nominal: float
    lower: float
    upper: float
    label: str


class ParameterSpace:
    """The named parameters of a compiled scheme, in a stable order."""

    def __init__(self, params: list[Parameter]) -> None:
        self.params = {p.name: p for p in params}

    def __contains__(self, name: object) -> bool:
        return name in self.params

    def __getitem__(self, name: str) -> Parameter:
        return self.params[name]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.params.values())

    def names(self, kind: str | None = None) -> list[str]:
        return [p.name for p in self.params.values() if kind is None or p.kind == kind]

    def resolve(self, overrides: Mapping[str, ArrayLike] | None) -> ParameterDraws:
        """Check overrides and broadcast them to a common number of draws.

        Raises
        ------
        ParameterError
            For an unknown name, a badly shaped array, a non-finite value or one outside the
            parameter's legal range.
        """
        if not overrides:
            return ParameterDraws(self, {}, 1)
        fast = self._resolve_checked(overrides)
        if fast is not None:
            return fast
        values: dict[str, NDArray[np.float64]] = {}
        draws = 1
        for name, raw in overrides.items():
            if name not in self.params:
                raise ParameterError(f"unknown parameter '{name}'", field=name, hint=near(name, list(self.params)))
            arr = np.asarray(raw, dtype=np.float64)
            if arr.ndim > 1:
                raise ParameterError(
                    f"parameter '{name}' must be a number or a 1-D array of draws",
                    field=name,
                    hint="pass one value per draw",
                )
            arr = arr.reshape(-1)
            if arr.size == 0 or not np.all(np.isfinite(arr)):
                raise ParameterError(
                    f"parameter '{name}' has empty, NaN or infinite values", field=name, hint="give finite numbers"
                )
            p = self.params[name]
            if arr.min() < p.lower - 1e-12 or arr.max() > p.upper + 1e-12:
                got = f"not {arr[0]:g}" if arr.size == 1 else f"got {arr.min():g} to {arr.max():g}"
                raise ParameterError(
                    f"parameter '{name}' must lie in [{p.lower:g}, {p.upper:g}], {got}",
                    field=name,
                    hint="give a value in that range" if arr.size == 1 else "narrow the range",
                )
            if arr.size > 1:
                if draws not in (1, arr.size):
                    raise ParameterError(
                        f"parameter '{name}' has {arr.size} draws but another has {draws}",
                        field=name,
                        hint="give every varied parameter the same number of draws",
                    )
                draws = arr.size
            values[name] = arr
        return ParameterDraws(self, values, draws)

    def draws(self) -> ParameterDraws:
        """One draw of every parameter at its nominal value."""
        return ParameterDraws(self, {}, 1)

    def _resolve_checked(self, overrides: Mapping[str, ArrayLike]) -> ParameterDraws | None:
        """The draws when every override is valid, checked in one pass over all of them; None when any is
        not, for :meth:`resolve` to name the first one that is wrong."""
        values: dict[str, NDArray[np.float64]] = {}
        for name, raw in overrides.items():
            if name not in self.params:
                return None
            arr = np.asarray(raw, dtype=np.float64)
            if arr.ndim > 1:
                return None
            values[name] = arr.reshape(-1)
        sizes = [arr.size for arr in values.values()]
        draws = max(sizes)
        if min(sizes) == 0 or any(n not in (1, draws) for n in sizes):
            return None
        flat = np.concatenate(list(values.values()))
        lower = np.array([self.params[n].lower - 1e-12 for n in values])
        upper = np.array([self.params[n].upper + 1e-12 for n in values])
        if draws > 1:
            lower, upper = np.repeat(lower, sizes), np.repeat(upper, sizes)
        if not (np.isfinite(flat).all() and (flat >= lower).all() and (flat <= upper).all()):
            return None
        return ParameterDraws(self, values, draws)


@dataclass
class ParameterDraws:
    """Parameter values for S draws: nominal where not overridden."""

    space: ParameterSpace
    overrides: dict[str, NDArray[np.float64]]
    draws: int

    def column(self, name: str) -> NDArray[np.float64]:
        """Values of one parameter as shape (S, 1) or (1, 1), ready to broadcast over units."""
        if name in self.overrides:
            return self.overrides[name].reshape(-1, 1)
        return np.array([[self.space[name].nominal]])

    def matrix(self, names: list[str]) -> NDArray[np.float64]:
        """Values of several parameters as shape (S', len(names)), S' = 1 when none is overridden."""
        varied = any(n in self.overrides for n in names)
        rows = self.draws if varied else 1
        out = np.empty((rows, len(names)))
        for j, n in enumerate(names):
            out[:, j] = self.overrides[n] if n in self.overrides else self.space[n].nominal
        return out

    def is_varied(self, names: list[str]) -> bool:
        return bool(self.overrides) and any(n in self.overrides for n in names)

    def rows(self, start: int, stop: int) -> ParameterDraws:
        """Draws ``start … stop − 1`` (a value given once stays as it is)."""
        if self.draws == 1:
            return self
        overrides = {k: v[start:stop] if v.size > 1 else v for k, v in self.overrides.items()}
        return ParameterDraws(self.space, overrides, stop - start)


@dataclass(frozen=True)
class ScoreColumn:
    """One (leaf indicator, period) pair: the data columns it reads and its period share."""

    leaf: int
    period: str | None
    share_param: str | None
    literal: bool
    data_columns: dict[str, str]
    parts: dict[str, Parts] = field(default_factory=dict)
    """Inputs made of several data columns (raters, sub-items, deduction blocks): input name → parts."""

    def reads(self) -> list[str]:
        """The file columns the column reads: each input's own column, or its parts' columns."""
        return [
            c
            for inp, name in self.data_columns.items()
            for c in (self.parts[inp].columns if inp in self.parts else (name,))
        ]


@dataclass
class CompiledClass:
    """The indicator tree of one unit class as arrays. Node 0 is a virtual root (the total)."""

    id: str
    label: s.Label
    ids: list[str]
    labels: list[s.Label]
    parent: NDArray[np.int64]
    children: list[list[int]]
    depth: NDArray[np.int64]
    nominal_points: NDArray[np.float64]
    points_params: list[str]
    indicators: list[s.Indicator | None]
    columns: list[ScoreColumn]
    scorers: dict[int, Scorer]
    conversions: dict[int, BandArrays] = field(default_factory=dict)
    section_vetoes: dict[int, list[int]] = field(default_factory=dict)
    leaf_vetoes: dict[int, list[int]] = field(default_factory=dict)

    @property
    def leaves(self) -> list[int]:
        return [n for n in range(len(self.ids)) if not self.children[n] and n != 0]

    @property
    def full_mark(self) -> float:
        """The class's full mark (满分): its own ``total``, else the scheme's; the root's nominal points."""
        return float(self.nominal_points[0])

    def method_of(self, leaf: int) -> str:
        """The scoring method name of a leaf."""
        node = self.indicators[leaf]
        assert node is not None and node.method is not None
        return node.method.method

    def index(self, node_id: str) -> int:
        return self.ids.index(node_id)

    def path(self, node: int, stop: int) -> list[int]:
        """Ancestors of ``node`` strictly between it and ``stop``."""
        out: list[int] = []
        if node == stop:
            return out
        a = int(self.parent[node])
        while a != stop:
            out.append(a)
            a = int(self.parent[a])
        return out


@dataclass
class CompiledScheme:
    """A scheme ready for vectorised evaluation."""

    scheme: s.Scheme
    classes: list[CompiledClass]
    parameters: ParameterSpace
    grades: list[s.Label]
    """Grade labels, best first; with ``grading.not_assessed``, its label comes last."""
    lowest: int
    """Index of the lowest real grade (where vetoes send a unit)."""
    adjustment_items: list[s.AdjustmentItem]
    vetoes: list[s.Veto]
    data_columns: dict[str, str]
    """Every data column the scheme reads → its kind (``indicator``, ``adjustment``, ``veto``, ``attribute``)."""

    def class_index(self, class_id: str) -> int:
        return [c.id for c in self.classes].index(class_id)

    @property
    def multi_class(self) -> bool:
        return self.scheme.unit_classes is not None

    def not_assessed(self, data: UnitData) -> NDArray[np.bool_]:
        """Units the scheme scores but does not grade (all False without ``grading.not_assessed``)."""
        rule = self.scheme.grading.not_assessed
        if rule is None:
            return np.zeros(len(data), dtype=bool)
        return np.isin(np.asarray(data.attributes[rule.attribute]).astype(str), rule.values)


def points_param(scheme: s.Scheme, class_id: str, node_id: str) -> str:
    return f"points:{class_id}/{node_id}" if scheme.unit_classes is not None else f"points:{node_id}"


def _compile_class(scheme: s.Scheme, unit_class: s.UnitClass, params: list[Parameter]) -> CompiledClass:
    pts = s.effective_points(scheme)
    full = scheme.full_mark(unit_class.id)  # the class's own full mark (满分), the root's points
    ids, labels, parent, depth, nominal, pparams = ["(total)"], [scheme.name], [-1], [0], [full], [""]
    inds: list[s.Indicator | None] = [None]
    children: list[list[int]] = [[]]

    def add(node: s.Indicator, parent_index: int, level: int, inherited: tuple[dict[str, float] | None, str]) -> None:
        index = len(ids)
        ids.append(node.id)
        labels.append(node.name)
        parent.append(parent_index)
        depth.append(level)
        nominal.append(pts[(unit_class.id, node.id)])
        inds.append(node)
        children.append([])
        children[parent_index].append(index)
        name = points_param(scheme, unit_class.id, node.id)
        pparams.append(name)
        params.append(Parameter(name, "points", nominal[-1], 0.0, np.inf, f"{node.name.both()}"))
        periods = (node.periods, node.period_shares) if node.periods is not None else inherited
        for child in node.children or []:
            add(child, index, level + 1, periods)

    for top in unit_class.indicators:
        add(top, 0, 1, (None, "exact"))

    cc = CompiledClass(
        id=unit_class.id,
        label=unit_class.name,
        ids=ids,
        labels=labels,
        parent=np.array(parent),
        children=children,
        depth=np.array(depth),
        nominal_points=np.array(nominal, dtype=np.float64),
        points_params=pparams,
        indicators=inds,
        columns=[],
        scorers={},
    )
    # score columns, with period shares inherited from the nearest ancestor that states them
    for n in cc.leaves:
        node = inds[n]
        assert node is not None and node.method is not None
        shares, rule = None, "exact"
        a = n
        while a != 0:
            ind = inds[a]
            assert ind is not None
            if ind.periods is not None:
                shares, rule = ind.periods, ind.period_shares
                break
            a = int(cc.parent[a])
        cc.scorers[n] = make_scorer(node, float(cc.nominal_points[n]))
        names = input_names(node.method)

        def cols(prefix: str, names: tuple[str, ...] = names) -> dict[str, str]:
            return {inp: prefix if inp == "value" else f"{prefix}.{inp}" for inp in names}

        if shares is None:
            cc.columns.append(ScoreColumn(n, None, None, False, cols(node.id), parts_of(node, cols(node.id))))
            continue
        for period, share in shares.items():
            owner = ids[a]
            pname = (
                f"share:{unit_class.id}/{owner}@{period}"
                if scheme.unit_classes is not None
                else f"share:{owner}@{period}"
            )
            if pname not in {p.name for p in params}:
                params.append(Parameter(pname, "share", share, 0.0, 100.0, f"{owner} {period}"))
            named = cols(f"{node.id}@{period}")
            cc.columns.append(ScoreColumn(n, period, pname, rule == "literal", named, parts_of(node, named)))
    for n in range(1, len(ids)):
        node = inds[n]
        assert node is not None
        if node.convert is not None:
            cc.conversions[n] = BandArrays(node.convert, float(cc.nominal_points[n]))
    for v, veto in enumerate(scheme.vetoes):
        if veto.target in ids:
            target = ids.index(veto.target)
            bucket = cc.leaf_vetoes if veto.scope == "indicator" else cc.section_vetoes
            bucket.setdefault(target, []).append(v)
    return cc


def _points_basis_max(scheme: s.Scheme) -> float:
    """The highest cut-off in a points basis: the highest clamped total of any class, in the basis."""
    tops = [(scheme.class_clamp_max(c), c) for c in scheme.full_marks]
    if any(top is None for top, _ in tops):
        return float(np.inf)
    return max(float(top) * s.basis_factor(scheme, c) for top, c in tops if top is not None)


def compile_scheme(scheme: s.Scheme) -> CompiledScheme:
    """Compile a validated scheme for the engine.

    Parameters
    ----------
    scheme
        A scheme from :func:`perfsim.load_scheme`.

    Returns
    -------
    CompiledScheme
        Arrays per unit class and the named parameter space.
    """
    params: list[Parameter] = []
    classes = [_compile_class(scheme, c, params) for c in scheme.classes]
    g = scheme.grading
    basis_max = 100.0 if g.basis == "percent" else _points_basis_max(scheme)
    for band in g.bands or []:
        if band.min is not None:
            params.append(
                Parameter(
                    f"cutoff:{band.grade.zh}",
                    "cutoff",
                    band.min,
                    0.0,
                    basis_max,
                    f"{band.grade.both()} lower bound",
                )
            )
    for quota in g.quotas:
        if quota.max_share is not None:  # a count limit is no share to sweep
            params.append(
                Parameter(f"quota:{quota.grade}", "quota", quota.max_share, 0.0, 1.0, f"{quota.grade} maximum share")
            )
    for tier in g.rank_tiers or []:
        if tier.share is not None:
            label = f"{tier.grade.zh} share of each group (rank tier)"
            params.append(Parameter(f"quota:{tier.grade.zh}", "quota", tier.share, 0.0, 1.0, label))
    items = scheme.adjustments.items if scheme.adjustments else []
    for item in items:
        if item.cap is not None:
            params.append(Parameter(f"cap:{item.id}", "cap", item.cap, 0.0, np.inf, f"{item.name.zh} cap"))
    if scheme.adjustments is not None:
        for which in ("bonus_cap", "deduction_cap"):
            value = getattr(scheme.adjustments, which)
            if value is not None:
                params.append(Parameter(f"cap:{which}", "cap", value, 0.0, np.inf, which.replace("_", " ")))
    rules = scheme.consequences
    if rules is not None and rules.budget is not None:
        for grade, change in rules.budget.by_grade.items():
            if change.percent is not None:
                params.append(
                    Parameter(
                        f"rate:{grade}",
                        "rate",
                        change.percent,
                        -100.0,
                        1000.0,
                        f"{grade} next year's budget change (%)",
                    )
                )
    columns: dict[str, str] = {}
    for cc in classes:
        for col in cc.columns:
            for read in col.reads():
                columns[read] = "indicator"
    for item in items:
        columns[item.id] = "adjustment"
    for veto in scheme.vetoes:
        columns[veto.id] = "veto"
    for attr in scheme.attributes:
        columns[attr.id] = "attribute"
    return CompiledScheme(
        scheme=scheme,
        classes=classes,
        parameters=ParameterSpace(params),
        grades=g.grades + ([g.not_assessed.label] if g.not_assessed is not None else []),
        lowest=len(g.grades) - 1,
        adjustment_items=list(items),
        vetoes=list(scheme.vetoes),
        data_columns=columns,
    )
