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
4. **clamp** to ``clamp.min``/``clamp.max`` (``max: total``: each unit's class's full mark);
   ``adjustments.apply: after_clamp`` clamps the weighted sum first and adds adjustments after.
5. **round** the total half-up (or truncated, ``rounding.mode``) to ``rounding.total`` decimals
   (else snap float noise).
6. **veto (total)**: a triggered total-scope veto sets the total to 0.
7. **bands** → grade (percent cut-offs of each unit's own class's full mark); compound band
   conditions (``sections_min``, ``indicators_min``) lower a unit to the best band whose conditions
   it meets.
8. **veto (grade)**: grade forced to the lowest, or lowered by exactly one (``grade_down``,
   降一档); before quotas by default (``grading.veto_timing``), so a vetoed unit takes no quota place.
9. **quotas** per group, best grade first (overflow of a share or a count drops one grade), then
   minimum counts (the lowest ranked move down); or **rank tiers** (then 降一档).
10. **ranks** within groups, ties as the scheme states (vetoed units last with
    ``grading.vetoed_rank: last``), and **top lists** (every unit tied at place k on the list).
A scheme without bands or rank tiers stops at the ranks (all grades 0, no grade labels).

What depends on the scheme and the data alone (the tree as index arrays, the data's own leaf scores,
groups, veto masks) is worked out on the first call and kept (:mod:`perfsim.plan`); steps 1-6 of
many draws run in chunks of :data:`STAGE_CELLS` draws × units, with BLAS on one thread
(:mod:`perfsim.blas`). Neither changes a number: every draw's numbers are its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import grade_rules as gr
from . import scheme as s
from .allocator import retain_freed_memory
from .blas import BLAS_CELLS, one_blas_thread
from .compile import CompiledClass, CompiledScheme, ParameterDraws
from .data import UnitData
from .errors import PerfsimError
from .grading import Ranking, band_grades, limit_grade, rank_within_groups, slots
from .numeric import round_to, snap
from .plan import ClassStructure, LeafScores, Plan, columns_of, frozen, plan_for

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
    full: Array | None = None
    """Each unit's full mark (满分: its class's ``total``, else the scheme's), shape (U,)."""
    unit_cutoffs: Array | None = None
    """With classes of different full marks: each unit's grade lower bounds in its own points, (S or 1) × U ×
    bands (``cutoffs`` then holds them in the scheme total's points, or as written for ``points_of``)."""

    def cutoff_table(self, draw: int = 0) -> Array:
        """Every unit's grade lower bounds in its own points, U × bands, for one draw."""
        if self.unit_cutoffs is not None:
            return self.unit_cutoffs[min(draw, self.unit_cutoffs.shape[0] - 1)]
        row = self.cutoffs[min(draw, self.cutoffs.shape[0] - 1)]
        return np.broadcast_to(row, (len(self.data), row.shape[0]))

    def cutoffs_of(self, u: int, draw: int = 0) -> Array:
        """Unit ``u``'s grade lower bounds in its own points (its class's full mark), one per band with a min."""
        if self.unit_cutoffs is not None:
            return self.unit_cutoffs[min(draw, self.unit_cutoffs.shape[0] - 1), u]
        return self.cutoffs[min(draw, self.cutoffs.shape[0] - 1)]

    def percent(self) -> Array:
        """Totals as % of each unit's own full mark (S × U)."""
        full = self.full if self.full is not None else self.compiled.scheme.total
        return np.asarray(self.total * 100.0 / full)

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


def _evaluate_class(
    compiled: CompiledScheme,
    cc: CompiledClass,
    units: NDArray[np.int64],
    draws: ParameterDraws,
    leaves: LeafScores,
    structure: ClassStructure,
    vetoes: NDArray[np.bool_],
    keep: bool,
) -> tuple[Array, ClassDetail | None]:
    """Steps 1-2 for the units of one class: (S or 1) × units weighted sums, and the class's scores when
    ``keep`` (every boundary's; otherwise only the total's are computed)."""
    scheme = compiled.scheme
    fractions = leaves.fractions
    na = scheme.not_applicable
    with_na = na is not None and na.rescale != "mean"  # rescale: mean fills 不适用 cells instead
    rescale_once = na is not None and na.rescale == "total"
    tree = structure.coefficients(draws)
    points, scale = tree.points, tree.scale
    # with values per draw (simulations, noise) the columns are S × U: accumulate them one by one
    # instead of stacking an S × U × K array; otherwise one U × K matrix serves a matrix product
    stacked = leaves.stacked
    app_stacked = leaves.applicable_stacked if with_na else None
    g: dict[int, Array] = {}
    app_node: dict[int, NDArray[np.bool_] | Array] = {}
    scores: dict[int, Array] = {}
    before_conversion: dict[int, Array] = {}
    for boundary in structure.boundaries:
        b, cols, kids = boundary.node, boundary.cols, boundary.kids
        coef, col_coef, kid_coef = tree.coef[b], tree.col_coef[b], tree.kid_coef[b]
        if stacked is not None:
            raw = col_coef @ columns_of(leaves, cols).T
        else:
            raw = np.zeros((1, len(units)))
            for j, k in enumerate(cols):
                raw = raw + col_coef[:, j : j + 1] * fractions[k]
        for d in kids:
            raw = raw + kid_coef[d][:, None] * g[d]
        own_scale = (scale[:, b] if not boundary.leaf else points[:, b])[:, None]
        if with_na:
            assert app_stacked is not None
            cap = (coef * tree.col_full_share[:, cols]) @ app_stacked[:, cols].T
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
            if denominator.shape[0] <= raw.shape[0] and denominator.shape[1] in (1, raw.shape[1]):
                raw /= denominator  # raw is this boundary's own array: divided in place
            else:
                raw = raw / denominator
        positive = denominator > 0
        frac = raw if positive.all() else np.where(positive, raw, 0.0)
        if b in cc.conversions:
            if keep:
                before_conversion[b] = frac
            frac = cc.conversions[b].points(snap(frac * 100.0))
        if boundary.leaf and scheme.rounding.indicator is not None:
            leaf_points = points[:, b : b + 1]
            with np.errstate(invalid="ignore", divide="ignore"):
                frac = np.where(
                    leaf_points > 0,
                    round_to(leaf_points * frac, scheme.rounding.indicator, scheme.rounding.mode) / leaf_points,
                    0.0,
                )
        if b in cc.section_vetoes:
            frac = np.where(vetoes[..., units, :][..., cc.section_vetoes[b]].any(axis=-1), 0.0, frac)
        g[b] = frac
        if keep or b == 0:
            scores[b] = points[:, b : b + 1] * frac
    if not keep:
        return scores[0], None
    detail = ClassDetail(
        units=units,
        scores=scores,
        fractions=g,
        before_conversion=before_conversion,
        applicable=app_node,
        columns=list(fractions),
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


def group_index(compiled: CompiledScheme, data: UnitData) -> tuple[NDArray[np.int64], list[str]]:
    """Each unit's ranking group (``grading.group_by``) as a code, and the groups' names in code order."""
    by = compiled.scheme.grading.group_by
    if by is None:
        return np.zeros(len(data), dtype=np.int64), ["(all)"]
    if by == "class":
        return data.class_index.copy(), [c.id for c in compiled.classes]
    codes, names = np.unique(np.asarray(data.attributes[by]).astype(str), return_inverse=True)
    return names.astype(np.int64), [str(c) for c in codes]


def _clamp_high(compiled: CompiledScheme, full: Array) -> float | Array | None:
    """The clamp's upper bound: ``max: total`` is each unit's own class's full mark (an array when they differ)."""
    scheme = compiled.scheme
    if scheme.clamp.max != "total":
        return scheme.clamp.max
    marks = {cc.full_mark for cc in compiled.classes}
    return marks.pop() if len(marks) == 1 else full[None, :]


def _cutoff_points(compiled: CompiledScheme, data: UnitData, cutoffs: Array) -> tuple[Array, Array | None]:
    """Cut-offs (in the grading basis, (S or 1) × B) in points: (S or 1) × B when every class reads them
    alike, else also each unit's own, (S or 1) × U × B (a percent of its own full mark; ``points_of``: the
    same share of its full mark as of the named class's)."""
    scheme = compiled.scheme
    g = scheme.grading
    if g.basis == "percent":
        own, ref = np.array([cc.full_mark for cc in compiled.classes]), 100.0
    elif g.points_of is not None:
        own, ref = np.array([cc.full_mark for cc in compiled.classes]), scheme.full_mark(g.points_of)
    else:
        return snap(cutoffs), None
    if np.all(own == own[0]):
        return snap(cutoffs * own[0] / ref), None
    per_unit = snap(cutoffs[:, None, :] * own[data.class_index][None, :, None] / ref)
    shown = snap(cutoffs * scheme.total / 100.0) if g.basis == "percent" else snap(cutoffs)
    return shown, per_unit


def _check_groups_one_full_mark(
    compiled: CompiledScheme, data: UnitData, groups: NDArray[np.int64], names: list[str], full: Array
) -> None:
    """Refuse a group (``group_by`` attribute) that mixes classes of different full marks: ranking them
    together compares totals out of different full marks."""
    low = np.full(len(names), np.inf)
    high = np.full(len(names), -np.inf)
    np.minimum.at(low, groups, full)
    np.maximum.at(high, groups, full)
    mixed = np.flatnonzero(low != high)
    if mixed.size == 0:
        return
    from .errors import DataError

    gi = int(mixed[0])
    members = np.flatnonzero(groups == gi)
    classes = sorted({compiled.classes[c].id for c in data.class_index[members]})
    marks = ", ".join(f"{c} {compiled.scheme.full_mark(c):g}" for c in classes)
    by = compiled.scheme.grading.group_by
    raise DataError(
        f"group '{names[gi]}' ({by}) mixes classes scored out of different full marks ({marks}); they would be "
        "ranked together",
        file=data.source,
        field=str(by),
        hint="give these units groups that each hold one class, or state grading.group_by: class",
    )


@dataclass
class _Stage:
    """Steps 1-6 (scores to rounded totals) for some draws."""

    weighted: Array
    bonus: Array
    deduction: Array
    total: Array
    clamped: NDArray[np.bool_]
    details: list[ClassDetail | None]


def _keeps_details(compiled: CompiledScheme, plan: Plan, detail: bool) -> bool:
    """Whether the class scores are kept: asked for, or read by tie-breaks, flags or band conditions."""
    scheme = compiled.scheme
    key = f"keep details:{detail}"
    if key not in plan.extra:
        plan.extra[key] = bool(
            detail or scheme.grading.ranking.break_by or _flag_nodes(compiled) or gr.has_conditions(scheme)
        )
    return bool(plan.extra[key])


def _score_stage(
    compiled: CompiledScheme,
    plan: Plan,
    data: UnitData,
    draws: ParameterDraws,
    replaced: Mapping[str, Array],
    veto_flags: NDArray[np.bool_],
    vetoes_given: bool,
    detail: bool,
    keep: bool,
) -> _Stage:
    """Steps 1-6: class scores, adjustments, clamp, rounding."""
    scheme = compiled.scheme
    n_units = len(data)
    # a score that overflows to ±inf (or inf − inf = NaN) is refused below by _check_finite, naming the
    # units and columns; numpy's RuntimeWarning printed ahead of that message would only be noise
    with np.errstate(over="ignore", invalid="ignore"):
        weighted = np.zeros((1, n_units))
        details: list[ClassDetail | None] = []
        for ci, cc in enumerate(compiled.classes):
            units = plan.class_units[ci]
            if units.size == 0:
                details.append(None)
                continue
            leaves = plan.leaf_scores(compiled, data, ci, replaced, veto_flags if vetoes_given else None)
            structure = plan.structure(ci, detail, lambda cc=cc: _boundaries(compiled, cc, detail))  # type: ignore[misc]
            part, class_detail = _evaluate_class(compiled, cc, units, draws, leaves, structure, veto_flags, keep)
            if units.size == n_units:  # one class holds every unit, in order: its sums are the weighted sums
                weighted = part
            else:
                if part.shape[0] > weighted.shape[0]:
                    weighted = np.broadcast_to(weighted, (part.shape[0], n_units)).copy()
                weighted[:, units] = part
            details.append(class_detail)

        bonus, deduction = _adjustments_of(compiled, plan, data, draws)
        lo, hi = scheme.clamp.min, _facts(compiled, plan, data).clamp_high
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
    return _Stage(weighted, bonus, deduction, total, clamped, details)


STAGE_CELLS = 1 << 17
"""Draws × units of steps 1-6 evaluated at once in a large evaluation (1 MiB per temporary array): the
temporaries of a chunk are freed before the next, so memory holds the results and one chunk's work, and
the next chunk reuses the same memory while it is still in the processor's cache. (Measured on 10,000
draws × 1,000 units: chunks of 2**17 cells ran in 0.12-0.13 s, 2**20 in 0.15 s, one pass in 0.55 s
with 900 MB of peak memory against 330 MB.)"""


def _score_stage_chunked(
    compiled: CompiledScheme,
    plan: Plan,
    data: UnitData,
    draws: ParameterDraws,
    replaced: Mapping[str, Array],
    veto_flags: NDArray[np.bool_],
    vetoes_given: bool,
    detail: bool,
    keep: bool,
) -> _Stage:
    """Steps 1-6, in chunks of draws when there are many (every draw's numbers are its own, so the result
    is the same as in one pass)."""
    n_units = len(data)
    rows = max(
        [draws.draws, *(v.shape[0] for v in replaced.values() if v.ndim == 2)]
        + [veto_flags.shape[0] if veto_flags.ndim == 3 else 1]
    )
    if rows * n_units < BLAS_CELLS:
        return _score_stage(compiled, plan, data, draws, replaced, veto_flags, vetoes_given, detail, keep)
    with one_blas_thread():
        return _score_chunks(compiled, plan, data, draws, replaced, veto_flags, vetoes_given, detail, keep, rows)


def _score_chunks(
    compiled: CompiledScheme,
    plan: Plan,
    data: UnitData,
    draws: ParameterDraws,
    replaced: Mapping[str, Array],
    veto_flags: NDArray[np.bool_],
    vetoes_given: bool,
    detail: bool,
    keep: bool,
    rows: int,
) -> _Stage:
    n_units = len(data)
    size = max(2, STAGE_CELLS // max(n_units, 1))
    if keep or rows < 2 * size:
        return _score_stage(compiled, plan, data, draws, replaced, veto_flags, vetoes_given, detail, keep)
    retain_freed_memory()  # each chunk's temporaries reuse the last one's memory instead of fresh pages
    n_chunks = -(-rows // size)
    bounds = [rows * i // n_chunks for i in range(n_chunks + 1)]  # even chunks, none of a single draw
    out: _Stage | None = None
    fields = ("weighted", "bonus", "deduction", "total", "clamped")
    for start, stop in zip(bounds[:-1], bounds[1:]):
        try:
            part = _score_stage(
                compiled,
                plan,
                data,
                draws.rows(start, stop),
                {k: v[start:stop] if v.ndim == 2 and v.shape[0] > 1 else v for k, v in replaced.items()},
                veto_flags[start:stop] if veto_flags.ndim == 3 and veto_flags.shape[0] > 1 else veto_flags,
                vetoes_given,
                detail,
                keep,
            )
        except PerfsimError:  # refused: refuse as the whole evaluation does, naming every unit concerned
            return _score_stage(compiled, plan, data, draws, replaced, veto_flags, vetoes_given, detail, keep)
        if out is None:
            if all(getattr(part, f).shape[0] == 1 for f in fields):
                return part  # nothing in steps 1-6 varies by draw: one chunk stands for all
            arrays = {
                f: np.empty((rows, n_units), dtype=getattr(part, f).dtype)
                if getattr(part, f).shape[0] > 1
                else getattr(part, f)
                for f in fields
            }
            out = _Stage(**arrays, details=part.details)
        for f in fields:
            whole, piece = getattr(out, f), getattr(part, f)
            if whole.shape[0] > 1:
                whole[start:stop] = piece
            else:  # the same for every draw in every chunk (what varies by draw does so in each chunk)
                assert piece.shape[0] == 1
        del part
    assert out is not None
    return out


@dataclass(frozen=True)
class _Facts:
    """What evaluate reads from the scheme and data on every call, worked out once per plan."""

    cut_names: list[str]
    """The cut-off parameters, best grade first."""
    inclusive: list[bool]
    conditions: bool
    """Whether bands state compound conditions."""
    needs_rank: bool
    """Whether quotas or rank tiers rank units to grade them."""
    limits: bool
    """Whether a quota limits a grade's share or count."""
    full_marks_differ: bool
    clamp_high: float | Array | None


def _facts(compiled: CompiledScheme, plan: Plan, data: UnitData) -> _Facts:
    found = plan.extra.get("facts")
    if found is None:
        scheme = compiled.scheme
        g = scheme.grading
        bands = [b for b in g.bands or [] if b.min is not None]
        found = plan.extra["facts"] = _Facts(
            cut_names=[f"cutoff:{b.grade.zh}" for b in bands],
            inclusive=[b.min_inclusive for b in bands],
            conditions=gr.has_conditions(scheme),
            needs_rank=bool(g.quotas) or g.rank_tiers is not None,
            limits=g.bands is not None and any(q.max_share is not None or q.max_count is not None for q in g.quotas),
            full_marks_differ=scheme.full_marks_differ,
            clamp_high=_clamp_high(compiled, _full_marks(compiled, plan, data)),
        )
    assert isinstance(found, _Facts)
    return found


def _full_marks(compiled: CompiledScheme, plan: Plan, data: UnitData) -> Array:
    """Each unit's full mark (its class's), shape (U,)."""
    if "full" not in plan.extra:
        plan.extra["full"] = frozen(np.array([cc.full_mark for cc in compiled.classes])[data.class_index])
    found: Array = plan.extra["full"]  # type: ignore[assignment]
    return found


def _adjustments_of(compiled: CompiledScheme, plan: Plan, data: UnitData, draws: ParameterDraws) -> tuple[Array, Array]:
    """:func:`_adjustments`, kept when no cap is varied."""
    names = plan.extra.get("cap names")
    if names is None:
        names = plan.extra["cap names"] = compiled.parameters.names("cap")
    if draws.is_varied(names):  # type: ignore[arg-type]
        return _adjustments(compiled, data, draws)
    if "adjustments" not in plan.extra:
        plan.extra["adjustments"] = tuple(frozen(a) for a in _adjustments(compiled, data, draws))
    found: tuple[Array, Array] = plan.extra["adjustments"]  # type: ignore[assignment]
    return found


def _groups_of(
    compiled: CompiledScheme, plan: Plan, data: UnitData
) -> tuple[NDArray[np.int64], list[str], NDArray[np.bool_], NDArray[np.int64]]:
    """Grading groups, their names, the units not assessed and the units assessed per group."""
    if "groups" not in plan.extra:
        groups, names = group_index(compiled, data)
        excluded = compiled.not_assessed(data)
        sizes = (groups == np.arange(len(names))[:, None]).astype(np.int64) @ (~excluded).T
        plan.extra["groups"] = (frozen(groups), names, frozen(excluded), frozen(sizes))
    found: tuple[NDArray[np.int64], list[str], NDArray[np.bool_], NDArray[np.int64]] = plan.extra["groups"]  # type: ignore[assignment]
    return found


def _vetoed(
    compiled: CompiledScheme,
    plan: Plan,
    data: UnitData,
    veto_flags: NDArray[np.bool_],
    given: bool,
    scopes: tuple[str, ...],
) -> NDArray[np.bool_] | None:
    """Units with a triggered veto of one of ``scopes``, (U,) or (S, U); None when the scheme has none.
    Kept for the data's own veto flags (``given`` False)."""
    key = ("vetoed", scopes)
    which: list[int] | None = plan.extra.get(("veto items", scopes))  # type: ignore[assignment]
    if which is None:
        which = plan.extra[("veto items", scopes)] = [
            v for v, veto in enumerate(compiled.vetoes) if veto.scope in scopes
        ]
    if not which:
        return None
    if given:
        return np.asarray(veto_flags[..., which].any(axis=-1))
    if key not in plan.extra:
        plan.extra[key] = frozen(np.asarray(data.vetoes[..., which].any(axis=-1)))
    found: NDArray[np.bool_] = plan.extra[key]  # type: ignore[assignment]
    return found


def _broadcast(arr: NDArray, shape: tuple[int, int]) -> NDArray:  # type: ignore[type-arg]
    """``np.broadcast_to``, skipped when the shape is already right (a slider calls this often)."""
    return arr if arr.shape == shape else np.broadcast_to(arr, shape)


def _cutoffs_of(
    compiled: CompiledScheme, plan: Plan, data: UnitData, draws: ParameterDraws, names: list[str]
) -> tuple[Array, Array | None]:
    """:func:`_cutoff_points` of the draws' cut-offs, kept when none is varied."""
    if draws.is_varied(names):
        return _cutoff_points(compiled, data, draws.matrix(names))
    if "cutoffs" not in plan.extra:
        cutoffs, unit_cutoffs = _cutoff_points(compiled, data, draws.matrix(names))
        plan.extra["cutoffs"] = (frozen(cutoffs), None if unit_cutoffs is None else frozen(unit_cutoffs))
    found: tuple[Array, Array | None] = plan.extra["cutoffs"]  # type: ignore[assignment]
    return found


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
    plan = plan_for(compiled, data)
    keep = _keeps_details(compiled, plan, detail)
    stage = _score_stage_chunked(compiled, plan, data, draws, replaced, veto_flags, vetoes is not None, detail, keep)
    weighted, bonus, deduction, total, clamped, details = (
        stage.weighted,
        stage.bonus,
        stage.deduction,
        stage.total,
        stage.clamped,
        stage.details,
    )
    full = _full_marks(compiled, plan, data)
    n_draws = max(draws.draws, total.shape[0], veto_flags.shape[0] if veto_flags.ndim == 3 else 1)
    total = _broadcast(total, (n_draws, n_units))
    given = vetoes is not None
    total_vetoed = _vetoed(compiled, plan, data, veto_flags, given, ("total",))
    if total_vetoed is not None:
        total = np.where(total_vetoed, 0.0, total)

    g = scheme.grading
    groups, group_names, excluded, group_sizes = _groups_of(compiled, plan, data)
    facts = _facts(compiled, plan, data)
    if facts.full_marks_differ and "full marks checked" not in plan.extra:
        _check_groups_one_full_mark(compiled, data, groups, group_names, full)
        plan.extra["full marks checked"] = True
    if present is not None:
        excluded = excluded | ~np.asarray(present, dtype=bool)
        group_sizes = (groups == np.arange(len(group_names))[:, None]).astype(np.int64) @ (~excluded).T
        group_sizes = group_sizes.T if excluded.ndim == 2 else group_sizes
    lowest = compiled.lowest
    lowest_vetoed = _vetoed(compiled, plan, data, veto_flags, given, ("grade_lowest",))
    grade_veto_mask = _broadcast(
        np.zeros(n_units, dtype=bool) if lowest_vetoed is None else lowest_vetoed, (n_draws, n_units)
    )
    any_lowest_vetoed = lowest_vetoed is not None and bool(lowest_vetoed.any())
    needs_rank = facts.needs_rank
    rules = gr.GradeRules()
    down_vetoed = _vetoed(compiled, plan, data, veto_flags, given, ("grade_down",))
    down_mask = None if down_vetoed is None else _broadcast(down_vetoed, (n_draws, n_units))
    rank_keys = [total]
    for key in g.ranking.break_by:
        col = np.full(total.shape, -np.inf)
        for cc, d in zip(compiled.classes, details):
            if d is not None and key in cc.ids:
                col = np.broadcast_to(col, np.broadcast_shapes(col.shape, d.scores[cc.index(key)].shape)).copy()
                col[:, d.units] = d.scores[cc.index(key)]
        rank_keys.append(col)

    if g.bands is not None:
        cutoffs, unit_cutoffs = _cutoffs_of(compiled, plan, data, draws, facts.cut_names)
        band_grade = band_grades(total, cutoffs if unit_cutoffs is None else unit_cutoffs, facts.inclusive)
        if facts.conditions:
            rules.total_band = band_grade
            band_grade = gr.compound_grades(compiled, details, band_grade, (n_draws, n_units))
        if g.from_indicator is not None:
            band_grade = _grade_from_label(compiled, data, replaced, g.from_indicator, band_grade)
    else:
        cutoffs, unit_cutoffs = np.zeros((1, 0)), None
        band_grade = np.zeros(total.shape, dtype=np.int8)
    grade = _broadcast(band_grade, (n_draws, n_units)).copy()
    if g.veto_timing == "before_quota":
        if down_mask is not None and g.bands is not None:
            gr.downgrade(grade, down_mask, lowest)
        if any_lowest_vetoed:
            grade[grade_veto_mask] = lowest
    limits = facts.limits
    # without quota limits no unit is dropped: a read-only view of False, not a draws × units array
    quota_dropped = (
        np.zeros(grade.shape, dtype=bool) if limits else np.broadcast_to(np.zeros((1, 1), dtype=bool), grade.shape)
    )
    # vetoed units rank below everyone else when competing for places
    # (and units not assessed take no place at all)
    out_of_contest = (
        (excluded | (grade_veto_mask if g.veto_timing == "before_quota" else False)) if needs_rank else excluded
    )
    compete_keys = [np.where(out_of_contest, -np.inf, k) for k in rank_keys] if needs_rank else []
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
        if any_lowest_vetoed:
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
            if ranks_of_kind is not None and excluded.any():
                ranks_of_kind[np.broadcast_to(excluded, ranks_of_kind.shape)] = 0  # not ranked
    shape = (n_draws, n_units)
    return Evaluation(
        compiled=compiled,
        data=data,
        draws=draws,
        weighted=weighted,
        bonus=bonus,
        deduction=deduction,
        total=_broadcast(total, shape),
        band_grade=band_grade,
        grade=grade,
        quota_dropped=quota_dropped,
        clamped=_broadcast(clamped, shape),
        cutoffs=cutoffs,
        groups=groups,
        group_names=group_names,
        veto_flags=veto_flags,
        ranking=ranking,
        details=details,
        rules=rules,
        full=full,
        unit_cutoffs=unit_cutoffs,
    )
