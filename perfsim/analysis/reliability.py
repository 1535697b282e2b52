"""Measurement-noise reliability: how often a unit gets the grade its true performance deserves."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..compile import CompiledScheme
from ..data import UnitData
from ..engine import evaluate
from ..errors import ParameterError
from ..scoring import LABEL_METHODS
from .metrics import require_grading


def noise_reliability(
    compiled: CompiledScheme,
    data: UnitData,
    noise: Mapping[str, float],
    draws: int = 1000,
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Treat the data as true performance, add rater noise, and count grades kept and lost.

    Parameters
    ----------
    noise
        Standard deviation of the noise, in each column's own units, by rater (an indicator's
        ``rater``, e.g. ``public``) or by data column; e.g. ``{"public": 5}`` for public
        appraisal marks ± 5 points.
    draws
        Noisy replications, all evaluated at once.

    Returns
    -------
    (per_unit, confusion)
        ``per_unit``: ``unit, true grade, P(true grade)`` and the most frequent observed grade;
        ``confusion``: expected number of units per true grade (rows) and observed grade (columns).
    """
    require_grading(compiled, "noise reliability")
    rng = np.random.default_rng(seed)
    noisy: dict[str, np.ndarray] = {}
    matched: set[str] = set()
    for cc in compiled.classes:
        for col in cc.columns:
            node = cc.indicators[col.leaf]
            assert node is not None and node.method is not None
            name = col.data_columns["value"]
            key = name if name in noise else (node.rater if node.rater in noise else None)
            if key is None or node.method.method in LABEL_METHODS or name in noisy:
                continue
            matched.add(key)
            base = data.values[name]
            noisy[name] = np.maximum(base + rng.normal(0.0, noise[key], (draws, len(data))), 0.0)
            if node.method.method == "score":
                noisy[name] = np.minimum(noisy[name], node.method.scale)  # type: ignore[union-attr]
    unknown = sorted(set(noise) - matched)
    if unknown:
        raise ParameterError(
            f"no indicator has rater or column '{unknown[0]}'",
            field=unknown[0],
            hint="name a rater (as in the scheme's rater fields) or a data column",
        )
    truth = evaluate(compiled, data).grade[0]
    observed = evaluate(compiled, data, values=noisy).grade
    grades = [g.zh for g in compiled.grades]
    counts = np.stack([(observed == g).sum(axis=0) for g in range(len(grades))], axis=1)
    per_unit = pd.DataFrame(
        {
            "unit": data.units,
            "true grade": [grades[g] for g in truth],
            "P(true grade)": (observed == truth[None, :]).mean(axis=0),
            "most frequent grade": [grades[g] for g in counts.argmax(axis=1)],
        }
    )
    confusion = np.zeros((len(grades), len(grades)))
    for t in range(len(grades)):
        members = truth == t
        if members.any():
            confusion[t] = counts[members].sum(axis=0) / draws
    frame = pd.DataFrame(
        confusion, index=pd.Index(grades, name="true grade"), columns=pd.Index(grades, name="observed grade")
    )
    return per_unit, frame
