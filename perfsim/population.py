"""Population and behaviour model: where each year's indicator values come from.

Each unit has a *quality* per score column (leaf × period) on a 0-100 scale: the share of
the indicator's points its performance would earn. Real data give it (the fraction the
unit earned at nominal parameters); synthetic units draw it around a latent performance.
Each simulated year adds, on the quality scale:

- a year shock per unit (``year_sd``, the same for all its indicators),
- measurement noise per rater (``rater_noise``: one draw per unit, year and rater, shared by
  that rater's indicators; ``default_noise`` for raters not listed),
- a self-assessment bias for indicators whose rater is ``self`` (``self_bias``),
- a capacity effect of budget (``capacity_elasticity``): quality × (budget / first-year
  budget) ** elasticity. Default 0.1: halving a unit's budget costs it about 7 % of its
  quality. Set 0 to make years independent of budgets.

Veto events (``veto_events``) are drawn afresh each year by default: each veto item triggers for
each unit with the share of units it hits in the data; ``fixed`` keeps the data's flags every
year. Bonus and deduction items keep the data's values (a unit's usual level).

Quality is then turned into the raw value each scoring method reads (a mark, an actual
against a standard, a count of violations, a rubric level, ...) by the inverse of that
method's own scorer (:mod:`perfsim.inverse`), so simulation and scoring never disagree: with
noise, shocks and the budget link off, every simulated year scores as the data do. With
``ratchet`` on, completion-ratio standards follow last year's actual.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from . import scheme as s
from .compile import CompiledClass, CompiledScheme, ScoreColumn
from .data import UnitData
from .engine import evaluate
from .errors import PerfsimError
from .inverse import build_inverse

Array = NDArray[np.float64]


MAX_SD = 100.0
"""Largest standard deviation of a shock or of rater noise: the whole 0-100 quality scale."""

MAX_ELASTICITY = 5.0
"""Largest capacity elasticity: at 5 a 10 % budget cut already costs 41 % of quality."""


def _bad_field(name: str, value: object, wanted: str, example: str) -> PerfsimError:
    option = f" (--{name.replace('_', '-')} on the command line)" if name == "capacity_elasticity" else ""
    return PerfsimError(
        f"BehaviourModel.{name}{option} must be {wanted}, not {value!r}",
        field=name,
        hint=f"give {name} {example}",
    )


def _check_range(name: str, value: object, low: float, high: float, example: str) -> None:
    # bool is an int: a True elasticity is a mistake, not 1.0
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise _bad_field(name, value, f"a number from {low:g} to {high:g}", example)
    if not (math.isfinite(value) and low <= value <= high):  # NaN fails here too
        raise _bad_field(name, value, f"a finite number from {low:g} to {high:g}", example)


@dataclass(frozen=True)
class BehaviourModel:
    """Stated, switchable assumptions of a simulation (all on the 0-100 quality scale).

    Every field is checked when the model is made; a value out of range raises
    :class:`~perfsim.errors.PerfsimError` naming the field.

    Parameters
    ----------
    year_sd
        Standard deviation of each unit's yearly shock, 0 to 100 (default 3).
    rater_noise
        Rater id → standard deviation of that rater's measurement noise, each 0 to 100.
    default_noise
        Noise standard deviation of raters not in ``rater_noise``, 0 to 100 (default 3).
    self_bias
        Added to indicators rated by ``self``, −100 to 100 (default 0).
    capacity_elasticity
        Quality × (budget / first-year budget) ** elasticity, 0 (off) to 5 (default 0.1).
    ratchet
        Completion-ratio standards follow last year's actual.
    veto_events
        ``resample`` (drawn each year at the data's rate) or ``fixed`` (the data's flags).
    """

    year_sd: float = 3.0
    rater_noise: dict[str, float] = field(default_factory=lambda: {"public": 6.0, "self": 2.0})
    default_noise: float = 3.0
    self_bias: float = 0.0
    capacity_elasticity: float = 0.1
    ratchet: bool = False
    veto_events: str = "resample"

    def __post_init__(self) -> None:
        _check_range("year_sd", self.year_sd, 0.0, MAX_SD, "a standard deviation such as 3.0 (0 turns shocks off)")
        _check_range("default_noise", self.default_noise, 0.0, MAX_SD, "a standard deviation such as 3.0")
        _check_range("self_bias", self.self_bias, -100.0, 100.0, "quality points such as 5.0 (0 for none)")
        _check_range(
            "capacity_elasticity",
            self.capacity_elasticity,
            0.0,
            MAX_ELASTICITY,
            "a value such as 0.1 (0 turns the budget → performance link off)",
        )
        if not isinstance(self.rater_noise, dict):
            raise _bad_field("rater_noise", self.rater_noise, "a mapping of rater id to noise", '{"public": 6.0}')
        for rater, sd in self.rater_noise.items():
            _check_range(f"rater_noise['{rater}']", sd, 0.0, MAX_SD, "a standard deviation such as 6.0")
        if not isinstance(self.ratchet, (bool, np.bool_)):
            raise _bad_field("ratchet", self.ratchet, "True or False", "True or False")
        if self.veto_events not in ("resample", "fixed"):
            raise _bad_field("veto_events", self.veto_events, "'resample' or 'fixed'", "'resample' or 'fixed'")


def value_from_quality(
    node: s.Indicator,
    points: float,
    q: NDArray[np.floating],
    u: NDArray[np.floating] | None,
    standard: NDArray[np.floating] | None = None,
) -> dict[str, Array]:
    """The raw inputs of a leaf that earn ``q`` % of its points, from its scorer's inverse.

    ``u`` is a uniform(0, 1) array of the same shape: across a jump between two results (a count,
    a label, a rubric level, pass/fail) the upper one is taken with the probability that keeps the
    expected score at ``q`` (None: the nearer one). ``standard`` gives per-unit standards where the
    method reads them (default 100). See :mod:`perfsim.inverse`.
    """
    return build_inverse(node, points)(np.asarray(q, dtype=np.float64) / 100.0, u, standard)


@dataclass
class Population:
    """Units to simulate: their data (attributes, adjustments, vetoes) and base quality per column."""

    compiled: CompiledScheme
    data: UnitData
    quality: dict[str, Array]
    """Data column of each score column's main input → base quality per unit (U,)."""

    @classmethod
    def from_data(cls, compiled: CompiledScheme, data: UnitData) -> Population:
        """Base quality from real data: the share of points each unit earned on each column."""
        ev = evaluate(compiled, data, detail=True)
        quality: dict[str, Array] = {}
        for cc, detail in zip(compiled.classes, ev.details):
            if detail is None:
                continue
            for k, col in enumerate(cc.columns):
                frac = np.atleast_2d(detail.columns[k])[0]
                name = col.data_columns["value"]
                quality.setdefault(name, np.zeros(len(data)))[detail.units] = frac * 100.0
        return cls(compiled, data, quality)

    def columns(self) -> list[tuple[CompiledClass, ScoreColumn]]:
        return [(cc, col) for cc in self.compiled.classes for col in cc.columns]


def synthetic_units(
    compiled: CompiledScheme,
    counts: dict[str, int],
    seed: int,
    *,
    latent_mean: float = 82.0,
    latent_sd: float = 7.0,
    indicator_sd: float = 5.0,
    attributes: dict[str, Array] | None = None,
) -> pd.DataFrame:
    """Wide unit data for a scheme: plausible values drawn around a latent performance per unit.

    Parameters
    ----------
    compiled
        The scheme.
    counts
        Units per class id (``{"all": n}`` for a single-class scheme).
    seed
        Same seed, same data.
    attributes
        Extra columns (attribute id → values over all units, in class order).
    """
    rng = np.random.default_rng(seed)
    frames = []
    start = 1
    for cc in compiled.classes:
        n = counts.get(cc.id, 0)
        if n == 0:
            continue
        latent = rng.normal(latent_mean, latent_sd, n)
        frame = pd.DataFrame({"unit": [f"U{i:04d}" for i in range(start, start + n)]})
        if compiled.multi_class:
            frame["class"] = cc.id
        for col in cc.columns:
            node = cc.indicators[col.leaf]
            assert node is not None
            q = latent + rng.normal(0, indicator_sd, n)
            inputs = value_from_quality(node, float(cc.nominal_points[col.leaf]), q, rng.random(n))
            for inp, name in col.data_columns.items():
                value = inputs[inp]
                if isinstance(node.method, s.CategoryLookup):
                    labels = np.array(list(node.method.map))
                    frame[name] = labels[value.astype(int)]
                else:
                    frame[name] = np.round(value, 1)
        frames.append(frame)
        start += n
    out = pd.concat(frames, ignore_index=True)
    for item in compiled.adjustment_items:
        out[item.id] = (
            rng.choice([0, 0, 0, 0.5, 1.0, 2.0], len(out)) if item.per_event is None else rng.poisson(0.5, len(out))
        )
    for veto in compiled.vetoes:
        out[veto.id] = (rng.random(len(out)) < 0.02).astype(int)
    for name, values in (attributes or {}).items():
        out[name] = values
    return out
