"""Evaluate a compiled scheme on unit data for S parameter draws at once.

Order of operations (a scheme's meaning depends on it; each step is tested):

1. **score**: raw values → fraction of each leaf's points, per period; missing cells
   (``missing_values: zero``) and 不适用 cells score 0; indicator-scope vetoes zero the leaf.
2. **aggregate**: leaves → sections → total, as weighted sums. Linear stretches of the tree
   are fused into one matrix product; a section is evaluated on its own only where it
   must be (a band conversion, a section veto, per-indicator rounding, a tie-break key, or
   ``detail``). With not-applicable indicators each section is rescaled to the points
   that apply (score ÷ applicable full points × full points).
3. **adjust**: bonus and deduction items, each capped, then capped in total.
4. **clamp** to ``clamp.min``/``clamp.max``; ``adjustments.apply: after_clamp`` clamps
   the weighted sum first and adds adjustments after.
5. **round** the total half-up (or truncated, ``rounding.mode``) to ``rounding.total`` decimals
   (else snap float noise).
6. **veto (total)**: a triggered total-scope veto sets the total to 0.
7. **bands** → grade; compound band conditions (``sections_min``, ``indicators_min``) lower a
   unit to the best band whose conditions it meets.
8. **veto (grade)**: grade forced to the lowest, or lowered by exactly one (``grade_down``,
   降一档); before quotas by default (``grading.veto_timing``), so a vetoed unit takes no quota place.
9. **quotas** per group, best grade first (overflow of a share or a count drops one grade), then
   minimum counts (the lowest ranked move down); or **rank tiers** (then 降一档).
10. **ranks** within groups, ties as the scheme states (vetoed units last with
    ``grading.vetoed_rank: last``), and **top lists** (every unit tied at place k on the list).
A scheme without bands or rank tiers stops at the ranks (all grades 0, no grade labels).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import grade_rules as gr
from . import scheme as s
from .compile import CompiledClass, CompiledScheme, ParameterDraws
from .data import UnitData
from .grading import Ranking, band_grades, limit_grade, rank_within_groups, slots
from .leaf_inputs import column_inputs, leaf_fraction
from .numeric import round_to, snap

Array = NDArray[np.float64]


@dataclass
class ClassDetail:
    """Scores of every node of one class (node index → (S or 1) × units of the class)."""

    units: NDArray[np.int64]
    scores: dict[int, Array]
    fractions: dict[int, Array]
    """Fraction of full points per node after conversion, rounding and section vetoes."""
    before_conversion: dict[int, Array] = field(default_factory=dict)
    """Fraction of full points of converted nodes before their band conversion."""
    applicable: dict[int, NDArray[np.bool_] | Array] = field(default_factory=dict)
    """With 不适用 items: per node, whether any of it applies (``rescale: section``) or the share of its
    points that apply (``rescale: total``, sections below the total)."""
    columns: list[Array] = field(default_factory=list)
    """Fraction of points earned per score column (leaf × period), before period shares."""


@dataclass
class Evaluation:
    """The result of one vectorised evaluation: S draws × U units.

    Arrays have shape (S, U) unless said otherwise; S is the number of parameter draws
    (1 for a plain evaluation).
    """

    compiled: CompiledScheme
    data: UnitData
    draws: ParameterDraws
    weighted: Array
    """Sum of the indicator tree (after N/A rescaling), before adjustments."""
    bonus: Array
    deduction: Array
    total: Array
    """Final total after adjustments, clamp, rounding and total vetoes."""
    band_grade: NDArray[np.int8]
    """Grade from the bands alone (before vetoes and quotas)."""
    grade: NDArray[np.int8]
    """Final grade index into ``compiled.grades`` (0 = best)."""
    quota_dropped: NDArray[np.bool_]
    clamped: NDArray[np.bool_]
    cutoffs: Array
    """Grade lower bounds in points, (S or 1) × bands."""
    groups: NDArray[np.int64]
    group_names: list[str]
    veto_flags: NDArray[np.bool_]
    """Veto flags used: (U, V), or (S, U, V) when given per draw."""
    ranking: Ranking | None
    details: list[ClassDetail | None]
    rules: gr.GradeRules = field(default_factory=gr.GradeRules)
    """What compound conditions, 降一档, count minima, vetoed ranks and top lists did (:mod:`.grade_rules`)."""

    @property
    def n_draws(self) -> int:
        return self.total.shape[0]

    @property
    def rank(self) -> NDArray[np.int64] | None:
        if self.ranking is None:
            return None
        ranks: NDArray[np.int64] | None = getattr(self.ranking, self.compiled.scheme.grading.ranking.ties)
        return ranks

    def grade_labels(self, draw: int = 0, lang: str = "zh") -> list[str]:
        grades = self.compiled.grades
        return [getattr(grades[g], lang) for g in self.grade[draw]]


def _as_units(values: ArrayLike, n_units: int, what: str) -> Array:
    arr = np.asarray(values, dtype=np.float64)
    if arr.shape[-1] != n_units or arr.ndim > 2:
        from .errors import ParameterError

        raise ParameterError(
            f"values for '{what}' must have shape (units,) or (draws, units)",
            field=what,
            hint=f"there are {n_units} units",
        )
    return arr


def _check_finite(values: Array, compiled: CompiledScheme, data: UnitData, what: str) -> None:
    """Refuse totals that overflowed to ±inf or NaN: graded as they are, they would get the top grade."""
    finite = np.isfinite(values)
    if finite.all():
        return
    from .errors import DataError

    bad = np.flatnonzero(~finite.all(axis=0)) if values.ndim == 2 else np.flatnonzero(~finite)
    shown = ", ".join(data.units[i] for i in bad[:5]) + (f" and {bad.size - 5:,} more" if bad.size > 5 else "")
    # error path only: name the data columns with the largest magnitudes among these units, adjustment
    # items at the points they add (events × the scheme's points per event), as they enter the sum
    size = {name: float(np.abs(np.where(np.isnan(col[bad]), 0.0, col[bad])).max()) for name, col in data.values.items()}
    text = {name: f"{name} (up to {size[name]:.3g})" for name in size}
    for j, item in enumerate(compiled.adjustment_items):
        count = float(np.abs(np.nan_to_num(data.adjustments[bad, j])).max())
        size[item.id] = count * (item.per_event or 1.0)
        per_event = f" events × {item.per_event:.3g} points each" if item.per_event else ""
        text[item.id] = f"{item.id} (up to {count:.3g}{per_event})"
    largest = sorted((n for n in size if size[n] > 0), key=lambda n: -size[n])[:3]
    columns = ", ".join(text[n] for n in largest) or "none"
    raise DataError(
        f"{what} is not a finite number for {bad.size:,} unit(s): {shown}; their values are too large for "
        f"the scheme's formulas (a score overflowed float64); largest values: {columns}",
        file=data.source,
        hint="check these units' values for a misplaced decimal point, a unit mistake or a corrupt cell; "
        "completion ratios and per-unit standards must be of ordinary size, and so must the scheme's "
        "points per event",
    )


def _check_marks(compiled: CompiledScheme, data: UnitData, replaced: Mapping[str, Array]) -> None:
    """Refuse replacement marks outside their scale, as :func:`perfsim.load_units` refuses them in a file.

    A ``score`` mark is value ÷ scale of the indicator's points: a mark above the scale would earn
    more than full points and one below zero less than none, which no scheme says.
    """
    for ci, cc in enumerate(compiled.classes):
        members = data.class_index == ci
        for col in cc.columns:
            node = cc.indicators[col.leaf]
            name = col.data_columns["value"]
            if name not in replaced or node is None or not isinstance(node.method, s.DirectScore):
                continue
            live = members & ~data.missing[name] & ~data.not_applicable[name]
            marks = replaced[name][..., live]
            bad = (marks > node.method.scale) | (marks < 0)
            if bad.any():
                from .errors import ParameterError

                first = tuple(np.argwhere(bad)[0])
                unit = np.asarray(data.units)[live][first[-1]]
                raise ParameterError(
                    f"mark {marks[first]:g} of unit {unit} is outside the scale of 0 to {node.method.scale:g}",
                    field=name,
                    hint=f"marks run from 0 to {node.method.scale:g}: cap or rescale the values",
                )


def _leaf_fractions(
    scheme: s.Scheme,
    cc: CompiledClass,
    data: UnitData,
    units: NDArray[np.int64],
    values: Mapping[str, Array],
    vetoes: NDArray[np.bool_],
) -> tuple[list[Array], list[NDArray[np.bool_]]]:
    """Fraction of points earned per score column (step 1), and applicability masks."""
    fractions, applicable = [], []
    leaf_vetoed = {leaf: vetoes[..., units, :][..., vs].any(axis=-1) for leaf, vs in cc.leaf_vetoes.items()}
    for col in cc.columns:
        frac = cc.scorers[col.leaf](column_inputs(col, data, units, values))
        frac, applies = leaf_fraction(scheme, col, data, units, frac, leaf_vetoed.get(col.leaf))
        fractions.append(frac)
        applicable.append(applies)
    return fractions, applicable


def _evaluate_class(
    compiled: CompiledScheme,
    cc: CompiledClass,
    data: UnitData,
    units: NDArray[np.int64],
    draws: ParameterDraws,
    values: Mapping[str, Array],
    boundaries: set[int],
    vetoes: NDArray[np.bool_],
) -> tuple[Array, ClassDetail]:
    """Steps 1-2 for the units of one class: returns (S or 1) × units weighted sums."""
    scheme = compiled.scheme
    fractions, applicable = _leaf_fractions(scheme, cc, data, units, values, vetoes)
    na = scheme.not_applicable
    with_na = na is not None and na.rescale != "mean"  # rescale: mean fills 不适用 cells instead
    rescale_once = na is not None and na.rescale == "total"
    n_nodes = len(cc.ids)
    varied = draws.matrix(cc.points_params[1:])
    points = np.concatenate([np.full((varied.shape[0], 1), scheme.total), varied], axis=1)
    share_names = [c.share_param for c in cc.columns if c.share_param]
    share_values = draws.matrix(share_names) if share_names else np.ones((1, 0))
    # period shares per score column: normalised per leaf (or /100 when read literally)
    col_share = np.ones((share_values.shape[0], len(cc.columns)))
    col_full_share = np.ones_like(col_share)
    by_leaf: dict[int, list[int]] = {}
    for k, col in enumerate(cc.columns):
        by_leaf.setdefault(col.leaf, []).append(k)
    for ks in by_leaf.values():
        if cc.columns[ks[0]].share_param is None:
            continue
        idx = [share_names.index(cc.columns[k].share_param) for k in ks]  # type: ignore[arg-type]
        raw = share_values[:, idx]
        total_share = raw.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            normalised = np.where(total_share > 0, raw / total_share, 0.0)
        col_full_share[:, ks] = normalised
        col_share[:, ks] = raw / 100.0 if cc.columns[ks[0]].literal else normalised
    # internal scale of each node = sum of its children's points
    scale = np.zeros_like(points)
    for n in range(n_nodes):
        if cc.children[n]:
            scale[:, n] = points[:, cc.children[n]].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(scale > 0, points / scale, 0.0)

    # which boundary each column and boundary feeds
    def owner(node: int) -> int:
        a = node
        while a not in boundaries:
            a = int(cc.parent[a])
        return a

    ordered = sorted(boundaries, key=lambda n: -int(cc.depth[n]))
    # with values per draw (simulations, noise) the columns are S × U: accumulate them one by one
    # instead of stacking an S × U × K array; otherwise one U × K matrix serves a matrix product
    per_draw = any(f.ndim == 2 for f in fractions)
    stacked = None if per_draw else (np.stack(fractions, axis=-1) if fractions else np.zeros((len(units), 0)))
    app_stacked = np.stack(applicable, axis=-1).astype(np.float64) if with_na else None
    g: dict[int, Array] = {}
    app_node: dict[int, NDArray[np.bool_] | Array] = {}
    scores: dict[int, Array] = {}
    before_conversion: dict[int, Array] = {}
    unit_vetoes = vetoes[..., units, :]
    for b in ordered:
        cols = [k for k, c in enumerate(cc.columns) if owner(c.leaf) == b]
        kids = [d for d in boundaries if d not in (0, b) and owner(int(cc.parent[d])) == b]

        def path_ratio(node: int, stop: int = b) -> Array:
            out = np.ones(ratio.shape[0])
            for a in cc.path(node, stop):
                out = out * ratio[:, a]
            return out

        coef = (
            np.stack([points[:, cc.columns[k].leaf] * path_ratio(cc.columns[k].leaf) for k in cols], axis=1)
            if cols
            else np.zeros((points.shape[0], 0))
        )
        col_coef = coef * col_share[:, cols]
        if stacked is not None:
            raw = col_coef @ stacked[:, cols].T
        else:
            raw = np.zeros((1, len(units)))
            for j, k in enumerate(cols):
                raw = raw + col_coef[:, j : j + 1] * fractions[k]
        kid_coef = {d: points[:, d] * path_ratio(d) for d in kids}
        for d in kids:
            raw = raw + kid_coef[d][:, None] * g[d]
        own_scale = (points[:, b] if not cc.children[b] else scale[:, b])[:, None]
        if with_na:
            assert app_stacked is not None
            cap = (coef * col_full_share[:, cols]) @ app_stacked[:, cols].T
            for d in kids:
                cap = cap + kid_coef[d][:, None] * app_node[d]
            if rescale_once and b != 0 and b not in cc.conversions:
                # rescaled once at the total: a section keeps its points earned and passes up the share of
                # its points that apply (a band conversion still reads the share of its own points that apply)
                with np.errstate(invalid="ignore", divide="ignore"):
                    app_node[b] = np.where(own_scale > 0, cap / own_scale, 0.0)
                denominator = own_scale
            else:
                app_node[b] = cap > 1e-12
                denominator = cap
        else:
            denominator = own_scale
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.where(denominator > 0, raw / denominator, 0.0)
        if b in cc.conversions:
            before_conversion[b] = frac
            frac = cc.conversions[b].points(snap(frac * 100.0))
        if not cc.children[b] and scheme.rounding.indicator is not None:
            leaf_points = points[:, b : b + 1]
            with np.errstate(invalid="ignore", divide="ignore"):
                frac = np.where(
                    leaf_points > 0,
                    round_to(leaf_points * frac, scheme.rounding.indicator, scheme.rounding.mode) / leaf_points,
                    0.0,
                )
        if b in cc.section_vetoes:
            frac = np.where(unit_vetoes[..., cc.section_vetoes[b]].any(axis=-1), 0.0, frac)
        g[b] = frac
        scores[b] = points[:, b : b + 1] * frac
    detail = ClassDetail(
        units=units,
        scores=scores,
        fractions=g,
        before_conversion=before_conversion,
        applicable=app_node,
        columns=fractions,
    )
    return scores[0], detail


def _boundaries(compiled: CompiledScheme, cc: CompiledClass, detail: bool) -> set[int]:
    if detail:
        return set(range(len(cc.ids)))
    out = {0, *cc.conversions, *cc.section_vetoes}
    if compiled.scheme.rounding.indicator is not None:
        out.update(cc.leaves)
    na = compiled.scheme.not_applicable
    if na is not None and na.rescale == "section":  # each section rescaled to its own points that apply
        for leaf in cc.leaves:
            node = cc.indicators[leaf]
            if node is not None and (na.indicators == "all" or node.id in na.indicators):
                out.update(cc.path(leaf, 0))
    for key in [
        *compiled.scheme.grading.ranking.break_by,
        *_flag_nodes(compiled),
        *gr.condition_nodes(compiled.scheme),
    ]:
        if key in cc.ids:
            out.add(cc.index(key))
    return out


def _grade_from_label(
    compiled: CompiledScheme, data: UnitData, replaced: Mapping[str, Array], leaf_id: str, band_grade: NDArray[np.int8]
) -> NDArray[np.int8]:
    """Grades read from a lookup indicator's labels (``grading.from_indicator``); bands where the cell is empty."""
    labels = [g.zh for g in compiled.grades]
    out = band_grade
    for ci, cc in enumerate(compiled.classes):
        if leaf_id not in cc.ids:
            continue
        node = cc.indicators[cc.index(leaf_id)]
        assert node is not None and isinstance(node.method, s.CategoryLookup)
        to_grade = np.array([labels.index(label) for label in node.method.map], dtype=np.int8)
        name = next(c.data_columns["value"] for c in cc.columns if c.leaf == cc.index(leaf_id))
        codes = replaced[name] if name in replaced else data.values[name]
        given = (data.class_index == ci) & ~data.missing[name] & ~data.not_applicable[name]
        read = to_grade[np.clip(np.nan_to_num(codes), 0, to_grade.size - 1).astype(np.int64)]
        out = np.where(given, read, out).astype(np.int8)
    return out


def _flag_nodes(compiled: CompiledScheme) -> list[str]:
    """Tree nodes whose score a consequence flag reads (kept like a tie-break key)."""
    rules = compiled.scheme.consequences
    return [f.when.indicator for f in rules.flags if f.when.indicator] if rules is not None else []


def _adjustments(compiled: CompiledScheme, data: UnitData, draws: ParameterDraws) -> tuple[Array, Array]:
    scheme = compiled.scheme
    n = len(data)
    if scheme.adjustments is None:
        return np.zeros((1, n)), np.zeros((1, n))
    sums = {"bonus": np.zeros((1, n)), "deduction": np.zeros((1, n))}
    for j, item in enumerate(compiled.adjustment_items):
        amount = data.adjustments[None, :, j] * (item.per_event or 1.0)
        if item.cap is not None:
            amount = np.minimum(amount, draws.column(f"cap:{item.id}"))
        sums[item.kind] = sums[item.kind] + amount
    for kind in ("bonus", "deduction"):
        if getattr(scheme.adjustments, f"{kind}_cap") is not None:
            sums[kind] = np.minimum(sums[kind], draws.column(f"cap:{kind}_cap"))
    return sums["bonus"], sums["deduction"]


def _group_index(compiled: CompiledScheme, data: UnitData) -> tuple[NDArray[np.int64], list[str]]:
    by = compiled.scheme.grading.group_by
    if by is None:
        return np.zeros(len(data), dtype=np.int64), ["(all)"]
    if by == "class":
        return data.class_index.copy(), [c.id for c in compiled.classes]
    codes, names = np.unique(np.asarray(data.attributes[by]).astype(str), return_inverse=True)
    return names.astype(np.int64), [str(c) for c in codes]


def evaluate(
    compiled: CompiledScheme,
    data: UnitData,
    params: Mapping[str, ArrayLike] | None = None,
    *,
    values: Mapping[str, ArrayLike] | None = None,
    detail: bool = False,
    ranks: bool | None = None,
    vetoes: ArrayLike | None = None,
    present: ArrayLike | None = None,
    check_marks: bool = True,
) -> Evaluation:
    """Evaluate a scheme for S parameter draws × U units in one vectorised pass.

    Parameters
    ----------
    compiled
        From :func:`perfsim.compile_scheme`.
    data
        From :func:`perfsim.load_units`.
    params
        Parameter name → value or 1-D array of S draws (see ``compiled.parameters``);
        unnamed parameters keep their nominal values.
    values
        Data column → replacement values, shape (U,) or (S, U), e.g. noisy ratings. A ``score``
        mark outside 0 to its scale is refused (ParameterError), as in a data file.
    detail
        Keep every section's score (for tables and traces); slower for many draws.
    ranks
        Compute ranks; by default when ``detail`` is set or grading needs them.
    vetoes
        Veto flags replacing the data's, shape (U, V) or (S, U, V) (e.g. events drawn each
        simulated year).
    present
        Units in a simulated year's portfolio, shape (U,) or (S, U); the others (projects that
        ended or have not started) are scored but take no grade, rank or quota place.
    check_marks
        Refuse ``values`` marks outside their scale (default). Callers whose marks come from a
        scorer's inverse (the simulation), inside the scale by construction, skip the check.

    Returns
    -------
    Evaluation
    """
    scheme = compiled.scheme
    draws = compiled.parameters.resolve(params)
    n_units = len(data)
    replaced = {name: _as_units(v, n_units, name) for name, v in (values or {}).items()}
    for name in replaced:
        if name not in data.values:
            from .errors import ParameterError

            raise ParameterError(
                f"'{name}' is not an indicator data column of this scheme",
                field=name,
                hint="name a column such as those in the data file",
            )
    if replaced and check_marks:
        _check_marks(compiled, data, replaced)
    veto_flags = data.vetoes if vetoes is None else np.asarray(vetoes, dtype=bool)
    if veto_flags.shape[-2:] != data.vetoes.shape or veto_flags.ndim > 3:
        from .errors import ParameterError

        raise ParameterError(
            "vetoes must have shape (units, veto items) or (draws, units, veto items)",
            field="vetoes",
            hint=f"the data have {data.vetoes.shape} units × veto items",
        )
    # a score that overflows to ±inf (or inf − inf = NaN) is refused below by _check_finite, naming the
    # units and columns; numpy's RuntimeWarning printed ahead of that message would only be noise
    with np.errstate(over="ignore", invalid="ignore"):
        weighted = np.zeros((1, n_units))
        details: list[ClassDetail | None] = []
        for ci, cc in enumerate(compiled.classes):
            units = np.flatnonzero(data.class_index == ci)
            if units.size == 0:
                details.append(None)
                continue
            part, class_detail = _evaluate_class(
                compiled, cc, data, units, draws, replaced, _boundaries(compiled, cc, detail), veto_flags
            )
            if part.shape[0] > weighted.shape[0]:
                weighted = np.broadcast_to(weighted, (part.shape[0], n_units)).copy()
            weighted[:, units] = part
            keep = detail or scheme.grading.ranking.break_by or _flag_nodes(compiled) or gr.has_conditions(scheme)
            details.append(class_detail if keep else None)

        bonus, deduction = _adjustments(compiled, data, draws)
        lo, hi = scheme.clamp.min, scheme.clamp_max
        lo_v = -np.inf if lo is None else lo
        hi_v = np.inf if hi is None else hi
        before = weighted + bonus - deduction
        # checked before the clamp, which would turn an overflowed +inf into the top score
        _check_finite(before, compiled, data, "the weighted sum of the indicators plus adjustments")
        if scheme.adjustments is not None and scheme.adjustments.apply == "after_clamp":
            clamped_part = np.clip(weighted, lo_v, hi_v)
            clamped = clamped_part != weighted
            total = clamped_part + bonus - deduction
        else:
            total = np.clip(before, lo_v, hi_v)
            clamped = total != before
        if scheme.rounding.total is not None:
            total = round_to(total, scheme.rounding.total, scheme.rounding.mode)
        else:
            total = snap(total)
        if lo is None or hi is None:  # rounding scales by 10**decimals, so an unclamped ~1e300 overflows there
            _check_finite(total, compiled, data, "the rounded total")
    n_draws = max(draws.draws, total.shape[0], veto_flags.shape[0] if veto_flags.ndim == 3 else 1)
    total = np.broadcast_to(total, (n_draws, n_units))
    total_veto = [v for v, veto in enumerate(compiled.vetoes) if veto.scope == "total"]
    if total_veto:
        total = np.where(veto_flags[..., total_veto].any(axis=-1), 0.0, total)

    g = scheme.grading
    groups, group_names = _group_index(compiled, data)
    excluded = compiled.not_assessed(data)
    if present is not None:
        excluded = excluded | ~np.asarray(present, dtype=bool)
    group_sizes = (groups == np.arange(len(group_names))[:, None]).astype(np.int64) @ (~excluded).T
    group_sizes = group_sizes.T if excluded.ndim == 2 else group_sizes
    lowest = compiled.lowest
    grade_veto_mask = np.broadcast_to(
        veto_flags[..., [v for v, veto in enumerate(compiled.vetoes) if veto.scope == "grade_lowest"]].any(axis=-1),
        (n_draws, n_units),
    )
    needs_rank = bool(g.quotas) or g.rank_tiers is not None
    rules = gr.GradeRules()
    down_mask = gr.veto_mask(compiled, veto_flags, ("grade_down",), (n_draws, n_units))
    rules.downgraded = down_mask
    rank_keys = [total]
    for key in g.ranking.break_by:
        col = np.full(total.shape, -np.inf)
        for cc, d in zip(compiled.classes, details):
            if d is not None and key in cc.ids:
                col = np.broadcast_to(col, np.broadcast_shapes(col.shape, d.scores[cc.index(key)].shape)).copy()
                col[:, d.units] = d.scores[cc.index(key)]
        rank_keys.append(col)

    if g.bands is not None:
        cut_names = [f"cutoff:{b.grade.zh}" for b in g.bands if b.min is not None]
        cutoffs = draws.matrix(cut_names)
        if g.basis == "percent":
            cutoffs = cutoffs * scheme.total / 100.0
        cutoffs = snap(cutoffs)
        band_grade = band_grades(total, cutoffs, [b.min_inclusive for b in g.bands if b.min is not None])
        if gr.has_conditions(scheme):
            rules.total_band = band_grade
            band_grade = gr.compound_grades(compiled, details, band_grade, (n_draws, n_units))
        if g.from_indicator is not None:
            band_grade = _grade_from_label(compiled, data, replaced, g.from_indicator, band_grade)
    else:
        cutoffs = np.zeros((1, 0))
        band_grade = np.zeros(total.shape, dtype=np.int8)
    grade = np.broadcast_to(band_grade, (n_draws, n_units)).copy()
    if g.veto_timing == "before_quota":
        if down_mask is not None and g.bands is not None:
            gr.downgrade(grade, down_mask, lowest)
        grade[grade_veto_mask] = lowest
    quota_dropped = np.zeros(grade.shape, dtype=bool)
    # vetoed units rank below everyone else when competing for places
    # (and units not assessed take no place at all)
    out_of_contest = excluded | (grade_veto_mask if g.veto_timing == "before_quota" else False)
    compete_keys = [np.where(out_of_contest, -np.inf, k) for k in rank_keys]
    if g.bands is not None:
        labels = [b.grade.zh for b in g.bands]
        for quota in sorted(g.quotas, key=lambda q: labels.index(q.grade)):
            gi = labels.index(quota.grade)
            if quota.max_share is None and quota.max_count is None:
                continue
            if quota.max_share is not None:
                allowed = slots(draws.column(f"quota:{quota.grade}"), group_sizes, quota.rounding)
                if quota.max_count is not None:
                    allowed = np.minimum(allowed, quota.max_count)
            else:
                allowed = np.full((1, len(group_names)), quota.max_count, dtype=np.int64)
            quota_dropped |= limit_grade(grade, gi, compete_keys, groups, allowed, quota.ties)
        if any(q.min_count is not None for q in g.quotas):
            contest = np.broadcast_to(~out_of_contest, grade.shape)
            rules.pushed_down = gr.apply_min_counts(
                grade, g.quotas, labels, compete_keys, groups, len(group_names), contest
            )
    else:
        tiers = g.rank_tiers or []
        grade[:] = 0
        if g.veto_timing == "before_quota":
            grade[grade_veto_mask] = lowest
        share_above: Array = np.zeros((1, 1))
        places_above = np.zeros((1, group_sizes.shape[-1]), dtype=np.int64)
        for gi, tier in enumerate(tiers[:-1]):
            if tier.count is not None:
                allowed = np.full((1, group_sizes.shape[-1]), tier.count, dtype=np.int64)
            elif tier.rounding == "cumulative":  # round where the tier ends, so leftovers do not pile up below
                share_above = share_above + draws.column(f"quota:{tier.grade.zh}")
                allowed = np.maximum(slots(share_above, group_sizes, "half_up") - places_above, 0)
            else:
                allowed = slots(draws.column(f"quota:{tier.grade.zh}"), group_sizes, tier.rounding)
                share_above = share_above + draws.column(f"quota:{tier.grade.zh}")
            places_above = places_above + allowed
            limit_grade(grade, gi, compete_keys, groups, allowed, "include_all")
        if down_mask is not None:  # a rank tier is a place: the unit takes it, then drops one grade
            gr.downgrade(grade, down_mask, lowest)
    if g.veto_timing == "after_quota":
        if down_mask is not None and g.bands is not None:
            gr.downgrade(grade, down_mask, lowest)
        grade[grade_veto_mask] = lowest
    if excluded.any():
        grade[np.broadcast_to(excluded, grade.shape)] = len(compiled.grades) - 1  # the not-assessed label

    want_ranks = ranks if ranks is not None else (detail or needs_rank)
    ranking = None
    # an S × U pass per key: only where ranks, vetoed ranks or top lists need it
    final_keys = [np.where(excluded, -np.inf, k) for k in rank_keys] if want_ranks or g.top_lists else []
    if g.vetoed_rank == "last" and final_keys:
        vetoed = gr.veto_mask(compiled, veto_flags, ("total", "grade_lowest"), (n_draws, n_units))
        if vetoed is not None:
            rules.vetoed_last = vetoed & ~np.broadcast_to(excluded, vetoed.shape)
            final_keys = gr.vetoed_last_keys(final_keys, vetoed)
    if g.top_lists:
        ranked = ~np.broadcast_to(excluded, (n_draws, n_units))
        rules.top_lists = gr.top_list_members(g.top_lists, final_keys, groups, ranked)
    if want_ranks:
        ranking = rank_within_groups(final_keys, groups, (g.ranking.ties,))  # only the stated tie method
        for ranks_of_kind in (ranking.competition, ranking.dense, ranking.ordinal):
            if ranks_of_kind is not None:
                ranks_of_kind[np.broadcast_to(excluded, ranks_of_kind.shape)] = 0  # not ranked
    shape = (n_draws, n_units)
    return Evaluation(
        compiled=compiled,
        data=data,
        draws=draws,
        weighted=weighted,
        bonus=bonus,
        deduction=deduction,
        total=np.broadcast_to(total, shape),
        band_grade=band_grade,
        grade=grade,
        quota_dropped=quota_dropped,
        clamped=np.broadcast_to(clamped, shape),
        cutoffs=cutoffs,
        groups=groups,
        group_names=group_names,
        veto_flags=veto_flags,
        ranking=ranking,
        details=details,
        rules=rules,
    )
