"""Gaming check: units shift effort toward cheap, high-weight indicators; score and true performance part.

The behaviour model (stated, switchable): each unit's quality on each score column (the share
of points it earns, from the data) is its true performance there. Gaming with intensity λ moves
effort from low-weight to high-weight indicators: the quality on column k changes by
``λ × shift × (w_k / w̄ − 1) / cost_k`` (``w_k``: the column's effective points, ``w̄`` their
mean, ``cost_k``: relative cost of improving it, default 1), and effort moved is partly lost:
every point moved costs ``inefficiency`` points of true performance spread over all columns.
True performance is the mean quality weighted by ``true_importance`` (default: equal), which a
scheme's weights only approximate.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from ..compile import CompiledScheme
from ..data import UnitData
from ..engine import evaluate
from ..population import Population, value_from_quality
from .metrics import require_grading


def gaming_check(
    compiled: CompiledScheme,
    data: UnitData,
    intensities: ArrayLike = (0.0, 0.25, 0.5, 0.75, 1.0),
    *,
    shift: float = 10.0,
    inefficiency: float = 0.3,
    cost: Mapping[str, float] | None = None,
    true_importance: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Score, true performance and grades as gaming intensity rises (all intensities in one evaluation).

    Returns
    -------
    pandas.DataFrame
        One row per intensity: ``mean score``, ``mean true performance`` (0-100), ``share <top grade>``,
        ``grade changes`` against no gaming, and ``score–truth rank correlation``.
    """
    require_grading(compiled, "the gaming check")
    lam = np.atleast_1d(np.asarray(intensities, dtype=np.float64))
    pop = Population.from_data(compiled, data)
    cost = cost or {}
    true_importance = true_importance or {}
    values: dict[str, np.ndarray] = {}
    truth = np.zeros((lam.size, len(data)))
    weight_sum = np.zeros(len(data))
    for ci, cc in enumerate(compiled.classes):
        members = data.class_index == ci
        if not members.any():
            continue
        cols = cc.columns
        points = np.array([cc.nominal_points[c.leaf] for c in cols], dtype=np.float64)
        relative = points / points.mean() - 1.0
        moves = (
            lam[:, None, None]
            * shift
            * relative[None, :, None]
            / np.array([cost.get(c.data_columns["value"], 1.0) for c in cols])[None, :, None]
        )
        loss = inefficiency * np.abs(moves).sum(axis=1, keepdims=True) / len(cols)
        for k, col in enumerate(cols):
            name = col.data_columns["value"]
            node = cc.indicators[col.leaf]
            assert node is not None
            q_true = pop.quality[name]
            q_game = q_true[None, :] + moves[:, k, :] - loss[:, 0, :]
            q_real = q_true[None, :] - loss[:, 0, :]
            standard = data.values.get(col.data_columns.get("standard", ""))
            generated = value_from_quality(node, float(points[k]), q_game, np.full(q_game.shape, 0.5), standard)
            for inp, data_name in col.data_columns.items():
                current = values.get(data_name, np.broadcast_to(data.values[data_name], q_game.shape).copy())
                current[:, members] = generated[inp][:, members]
                values[data_name] = current
            importance = true_importance.get(name, 1.0)
            truth[:, members] += importance * np.clip(q_real[:, members], 0, 100)
            weight_sum[members] += importance
    truth /= np.maximum(weight_sum, 1e-12)
    ev = evaluate(compiled, data, values=values)
    from scipy.stats import spearmanr

    correlation = [float(spearmanr(ev.total[i], truth[i]).statistic) for i in range(lam.size)]
    return pd.DataFrame(
        {
            "intensity": lam,
            "mean score": ev.total.mean(axis=1),
            "mean true performance": truth.mean(axis=1),
            f"share {compiled.grades[0].zh}": (ev.grade == 0).mean(axis=1),
            "grade changes": (ev.grade != ev.grade[0]).sum(axis=1),
            "score–truth rank correlation": correlation,
        }
    )
