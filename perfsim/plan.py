"""What :func:`perfsim.evaluate` would otherwise redo on every call, worked out once per scheme and data.

A slider, a sweep, Monte Carlo chunks and simulated years call ``evaluate`` thousands of times on one
compiled scheme and one set of unit data. What depends on those two alone is kept here: the units
of each class, the indicator tree as index arrays (paths from each score column up to the section
it feeds), the tree's coefficients at nominal points, the leaf scores of the data's own values,
the adjustment amounts, the grading groups and the data's own veto masks. A plan is keyed by the
identity of the compiled scheme and the data, and dropped with either.

Compiled schemes and unit data are not changed after they are made (nothing in perfsim writes into
them), and a score column's scores depend on the data columns it reads alone (``ScoreColumn.reads``):
values given for a call are scored again only in the columns that read them. The arrays kept here
are made read-only, so a caller writing into one (a detail's column scores, say) fails loudly
instead of changing later results.

Every number is computed by the same numpy operations, in the same order, as the engine computed
it before plans existed, so results are identical to the bit.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from .leaf_inputs import column_inputs, leaf_fraction

if TYPE_CHECKING:
    from .compile import CompiledClass, CompiledScheme, ParameterDraws
    from .unit_data import UnitData

Array = NDArray[np.float64]
Index = NDArray[np.int64]


def frozen(arr: NDArray) -> NDArray:  # type: ignore[type-arg]
    """``arr`` made read-only (a cached array must not be written into by a caller)."""
    arr.flags.writeable = False
    return arr


@dataclass
class Boundary:
    """A node evaluated on its own (the total, a converted or vetoed section, …) and what feeds it."""

    node: int
    cols: list[int]
    """Score columns whose nearest boundary above is this one."""
    kids: list[int]
    """Boundaries whose nearest boundary above is this one."""
    leaf: bool


@dataclass
class Coefficients:
    """The tree's numbers for one set of points and period shares, (S or 1) rows."""

    points: Array
    scale: Array
    col_share: Array
    col_full_share: Array
    coef: dict[int, Array]
    """Boundary → (S or 1) × its columns: points of each column's leaf times the ratios up to the boundary."""
    col_coef: dict[int, Array]
    kid_coef: dict[int, dict[int, Array]]


class ClassStructure:
    """One class's tree for a set of boundaries: which columns and sections feed which, as index arrays."""

    def __init__(self, cc: CompiledClass, boundaries: set[int]) -> None:
        self.cc = cc
        self.n_nodes = len(cc.ids)
        self.points_names = list(cc.points_params[1:])
        self.points_index = {name: j for j, name in enumerate(self.points_names, 1)}
        self.share_names = [c.share_param for c in cc.columns if c.share_param]
        by_leaf: dict[int, list[int]] = {}
        for k, col in enumerate(cc.columns):
            by_leaf.setdefault(col.leaf, []).append(k)
        self.share_blocks = [
            (ks, [self.share_names.index(cc.columns[k].share_param) for k in ks], cc.columns[ks[0]].literal)  # type: ignore[arg-type]
            for ks in by_leaf.values()
            if cc.columns[ks[0]].share_param is not None
        ]
        self.internal = [(n, list(cc.children[n])) for n in range(self.n_nodes) if cc.children[n]]
        self.internal_nodes = np.array([n for n, _ in self.internal], dtype=np.int64)
        widest = max((len(kids) for _, kids in self.internal), default=0)
        # numpy adds fewer than 8 numbers one after another but 8 or more pairwise: padding a short list
        # to 8 or more would change the order of its sum, so only narrow trees take the one-gather sum
        self.child_index = (
            np.array([kids + [self.n_nodes] * (widest - len(kids)) for _, kids in self.internal], dtype=np.int64)
            if 0 < widest < 8
            else None
        )

        def owner(node: int) -> int:
            a = node
            while a not in boundaries:
                a = int(cc.parent[a])
            return a

        ones = self.n_nodes  # ratio gets a column of ones at this index, for padding
        self.boundaries: list[Boundary] = []
        # every boundary's columns then kids, one after another: their coefficients come from one gather
        term_nodes: list[int] = []
        term_paths: list[list[int]] = []
        self.term_slices: list[tuple[int, int, int]] = []
        for b in sorted(boundaries, key=lambda n: -int(cc.depth[n])):
            cols = [k for k, c in enumerate(cc.columns) if owner(c.leaf) == b]
            kids = [d for d in boundaries if d not in (0, b) and owner(int(cc.parent[d])) == b]
            leaves = [cc.columns[k].leaf for k in cols]
            self.term_slices.append(
                (len(term_nodes), len(term_nodes) + len(cols), len(term_nodes) + len(cols) + len(kids))
            )
            term_nodes += leaves + kids
            term_paths += [cc.path(n, b) for n in leaves + kids]
            self.boundaries.append(Boundary(node=b, cols=cols, kids=kids, leaf=not cc.children[b]))
        depth = max((len(p) for p in term_paths), default=0)
        self.term_nodes = np.array(term_nodes, dtype=np.int64)
        self.term_paths = np.array([p + [ones] * (depth - len(p)) for p in term_paths], dtype=np.int64).reshape(
            len(term_nodes), depth
        )
        self._nominal: Coefficients | None = None
        self._nominal_points: Array | None = None
        self._nominal_shares: tuple[Array, Array] | None = None

    def coefficients(self, draws: ParameterDraws) -> Coefficients:
        """The tree's coefficients for these draws (kept when no points or period share is varied)."""
        varied = draws.is_varied(self.points_names) or draws.is_varied(self.share_names)
        if not varied and self._nominal is not None:
            return self._nominal
        out = self._coefficients(draws)
        if not varied:
            for arr in (out.points, out.scale):
                frozen(arr)
            for by_boundary in (out.coef, out.col_coef):
                for arr in by_boundary.values():
                    frozen(arr)
            for kids in out.kid_coef.values():
                for arr in kids.values():
                    frozen(arr)
            self._nominal = out
        return out

    def _points(self, draws: ParameterDraws) -> Array:
        """(S or 1) × (nodes + 1): the root's full mark, every node's points, and a 0 (for padding)."""
        if self._nominal_points is None:
            nominal = draws.space.draws().matrix(self.points_names)
            self._nominal_points = frozen(
                np.concatenate([np.full((nominal.shape[0], 1), self.cc.full_mark), nominal, [[0.0]]], axis=1)
            )
        if not draws.is_varied(self.points_names):
            return self._nominal_points
        points = np.empty((draws.draws, self.n_nodes + 1))
        points[:] = self._nominal_points
        for name, given in draws.overrides.items():
            j = self.points_index.get(name)
            if j is not None:
                points[:, j] = given
        return points

    def _shares(self, draws: ParameterDraws) -> tuple[Array, Array]:
        """(S or 1) × columns: each score column's period share, as used and as a share of full points."""
        varied = draws.is_varied(self.share_names)
        if not varied and self._nominal_shares is not None:
            return self._nominal_shares
        cc = self.cc
        share_values = draws.matrix(self.share_names) if self.share_names else np.ones((1, 0))
        # period shares per score column: normalised per leaf (or /100 when read literally)
        col_share = np.ones((share_values.shape[0], len(cc.columns)))
        col_full_share = np.ones_like(col_share)
        for ks, idx, literal in self.share_blocks:
            raw = share_values[:, idx]
            total_share = raw.sum(axis=1, keepdims=True)
            normalised = np.where(total_share > 0, raw / total_share, 0.0)
            col_full_share[:, ks] = normalised
            col_share[:, ks] = raw / 100.0 if literal else normalised
        if not varied:
            self._nominal_shares = (frozen(col_share), frozen(col_full_share))
        return col_share, col_full_share

    def _coefficients(self, draws: ParameterDraws) -> Coefficients:
        with np.errstate(invalid="ignore", divide="ignore"):
            padded = self._points(draws)
            points = padded[:, :-1]
            col_share, col_full_share = self._shares(draws)
            # internal scale of each node = sum of its children's points
            scale = np.zeros_like(points)
            if self.child_index is not None:  # one gather; padding adds 0.0, fewer than 8 terms add in order
                scale[:, self.internal_nodes] = padded[:, self.child_index].sum(axis=-1)
            else:
                for n, children in self.internal:
                    scale[:, n] = points[:, children].sum(axis=1)
            ratio = np.ones((points.shape[0], self.n_nodes + 1))
            ratio[:, :-1] = np.where(scale > 0, points / scale, 0.0)
        # each term's points times the ratios up its path, multiplied in order up the path (padding: × 1)
        terms = points[:, self.term_nodes] * ratio[:, self.term_paths].prod(axis=-1)
        coef, col_coef, kid_coef = {}, {}, {}
        for b, (start, mid, _) in zip(self.boundaries, self.term_slices):
            coef[b.node] = terms[:, start:mid]
            col_coef[b.node] = coef[b.node] * col_share[:, b.cols]
            kid_coef[b.node] = {kid: terms[:, mid + j] for j, kid in enumerate(b.kids)}
        return Coefficients(points, scale, col_share, col_full_share, coef, col_coef, kid_coef)


@dataclass
class LeafScores:
    """Fractions of points per score column for one class, and where each column applies."""

    fractions: list[Array]
    applicable: list[NDArray[np.bool_]]
    stacked: Array | None
    """Units × columns when every column is one row (the usual case: no values given per draw)."""
    by_boundary: dict[tuple[int, ...], Array]
    """``stacked[:, cols]`` per boundary's columns (kept with the data's own scores)."""
    applicable_stacked: Array | None


class Plan:
    """Per (compiled scheme, unit data): see the module docstring. Get one with :func:`plan_for`."""

    def __init__(self, compiled: CompiledScheme, data: UnitData) -> None:
        self.compiled_ref = weakref.ref(compiled)
        self.data_ref = weakref.ref(data)
        self.class_units = [frozen(np.flatnonzero(data.class_index == ci)) for ci in range(len(compiled.classes))]
        self.structures: dict[tuple[int, bool], ClassStructure] = {}
        self.own_scores: dict[int, LeafScores] = {}
        self.leaf_vetoed: dict[int, dict[int, NDArray[np.bool_]]] = {}
        self.column_reads = [
            [frozenset([*col.reads(), *col.data_columns.values()]) for col in cc.columns] for cc in compiled.classes
        ]
        self.extra: dict[object, object] = {}
        """Other per-plan values the engine keeps (grading groups, masks), by name."""

    def structure(self, ci: int, detail: bool, boundaries: Callable[[], set[int]]) -> ClassStructure:
        """Class ``ci``'s structure for the boundaries an evaluation with or without ``detail`` needs."""
        key = (ci, detail)
        found = self.structures.get(key)
        if found is None:
            compiled = self.compiled_ref()
            assert compiled is not None
            found = self.structures[key] = ClassStructure(compiled.classes[ci], boundaries())
        return found

    def leaf_scores(
        self,
        compiled: CompiledScheme,
        data: UnitData,
        ci: int,
        values: Mapping[str, Array],
        vetoes: NDArray[np.bool_] | None,
    ) -> LeafScores:
        """Step 1 for class ``ci``: the data's own scores, kept, except for columns ``values`` replace and
        leaves whose indicator vetoes read ``vetoes`` given for this call (None: the data's)."""
        cc = compiled.classes[ci]
        units = self.class_units[ci]
        own = self.own_scores.get(ci)
        if own is None:
            own = self.own_scores[ci] = self._own_scores(compiled, data, ci)
        if not values and vetoes is None:
            return own
        redo = [
            k
            for k, col in enumerate(cc.columns)
            if (values and not self.column_reads[ci][k].isdisjoint(values))
            or (vetoes is not None and col.leaf in cc.leaf_vetoes)
        ]
        if not redo:
            return own
        leaf_vetoed = self._leaf_vetoed(ci, data.vetoes) if vetoes is None else _leaf_vetoed(cc, units, vetoes)
        fractions = list(own.fractions)
        for k in redo:
            col = cc.columns[k]
            frac = cc.scorers[col.leaf](column_inputs(col, data, units, values))
            fractions[k], _ = leaf_fraction(compiled.scheme, col, data, units, frac, leaf_vetoed.get(col.leaf))
        per_draw = any(f.ndim == 2 for f in fractions)
        stacked = None if per_draw else (np.stack(fractions, axis=-1) if fractions else np.zeros((len(units), 0)))
        return LeafScores(fractions, own.applicable, stacked, {}, own.applicable_stacked)

    def _leaf_vetoed(self, ci: int, vetoes: NDArray[np.bool_]) -> dict[int, NDArray[np.bool_]]:
        found = self.leaf_vetoed.get(ci)
        if found is None:
            compiled = self.compiled_ref()
            assert compiled is not None
            found = {
                leaf: frozen(mask)
                for leaf, mask in _leaf_vetoed(compiled.classes[ci], self.class_units[ci], vetoes).items()
            }
            self.leaf_vetoed[ci] = found
        return found

    def _own_scores(self, compiled: CompiledScheme, data: UnitData, ci: int) -> LeafScores:
        """Step 1 on the data's own values and vetoes, every array read-only."""
        cc = compiled.classes[ci]
        units = self.class_units[ci]
        leaf_vetoed = self._leaf_vetoed(ci, data.vetoes)
        fractions, applicable = [], []
        for col in cc.columns:
            frac = cc.scorers[col.leaf](column_inputs(col, data, units, {}))
            frac, applies = leaf_fraction(compiled.scheme, col, data, units, frac, leaf_vetoed.get(col.leaf))
            fractions.append(frac)
            applicable.append(applies)
        per_draw = any(f.ndim == 2 for f in fractions)
        stacked = None if per_draw else (np.stack(fractions, axis=-1) if fractions else np.zeros((len(units), 0)))
        app = np.stack(applicable, axis=-1).astype(np.float64) if applicable else None
        for arr in [*fractions, *applicable, *(a for a in (stacked, app) if a is not None)]:
            frozen(arr)
        return LeafScores(fractions, applicable, stacked, {}, app)


def _leaf_vetoed(cc: CompiledClass, units: Index, vetoes: NDArray[np.bool_]) -> dict[int, NDArray[np.bool_]]:
    """Per leaf with indicator-scope vetoes: whether any of them is triggered, (S or 1 ×) class units."""
    return {leaf: np.asarray(vetoes[..., units, :][..., vs].any(axis=-1)) for leaf, vs in cc.leaf_vetoes.items()}


def columns_of(scores: LeafScores, cols: list[int]) -> Array:
    """``scores.stacked[:, cols]``, kept for the data's own scores."""
    assert scores.stacked is not None
    key = tuple(cols)
    found = scores.by_boundary.get(key)
    if found is None:
        found = scores.stacked[:, cols]
        if not scores.stacked.flags.writeable:  # the data's own scores: keep the slice too
            scores.by_boundary[key] = frozen(found)
    return found


_PLANS: dict[tuple[int, int], Plan] = {}


def plan_for(compiled: CompiledScheme, data: UnitData) -> Plan:
    """The plan of this compiled scheme and this data, made on first use and dropped with either."""
    key = (id(compiled), id(data))
    plan = _PLANS.get(key)
    if plan is not None and plan.compiled_ref() is compiled and plan.data_ref() is data:
        return plan
    plan = Plan(compiled, data)
    _PLANS[key] = plan
    weakref.finalize(compiled, _PLANS.pop, key, None)
    weakref.finalize(data, _PLANS.pop, key, None)
    return plan
