"""Tidy results: one row per unit with every score, adjustment, grade, rank and flag of one draw.

How a unit's row came about is its trace, :func:`perfsim.trace.explain` (importable from here too).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .engine import Evaluation
from .errors import PerfsimError
from .trace import Trace as Trace
from .trace import explain as explain
from .trace import veto_flags

NODE_PREFIX = "score:"


def results_frame(evaluation: Evaluation, draw: int = 0) -> pd.DataFrame:
    """One row per unit: section and indicator scores, adjustments, total, grade, rank, flags.

    Parameters
    ----------
    evaluation
        From :func:`perfsim.evaluate`; section scores appear when it ran with ``detail=True``.
    draw
        Which parameter draw to tabulate.

    Returns
    -------
    pandas.DataFrame
        Columns ``unit, name, class, group``, ``score:<indicator>`` per indicator and section
        (in tree order), ``weighted, bonus, deduction, total, percent, grade, grade_en,
        band_grade, rank, vetoes, quota_dropped, clamped``, then ``list:<id>`` per top list; a scheme
        without grading has no ``grade, grade_en, band_grade, quota_dropped``.
    """
    ev, data, compiled = evaluation, evaluation.data, evaluation.compiled
    if not 0 <= draw < ev.n_draws:
        raise PerfsimError(
            f"draw {draw} does not exist; the evaluation has {ev.n_draws}",
            hint=f"use a draw from 0 to {ev.n_draws - 1}",
        )
    n = len(data)
    out: dict[str, object] = {
        "unit": data.units,
        "name": data.names,
        "class": [compiled.classes[c].id for c in data.class_index],
        "group": [ev.group_names[g] for g in ev.groups],
    }
    node_cols: dict[str, np.ndarray] = {}
    for cc, detail in zip(compiled.classes, ev.details):
        if detail is None:
            continue
        for node in range(1, len(cc.ids)):
            if node not in detail.scores:
                continue
            col = node_cols.setdefault(NODE_PREFIX + cc.ids[node], np.full(n, np.nan))
            row = min(draw, detail.scores[node].shape[0] - 1)
            col[detail.units] = detail.scores[node][row]
    out.update(node_cols)

    def pick(arr: np.ndarray) -> np.ndarray:
        return np.asarray(arr)[min(draw, arr.shape[0] - 1)]

    grades = compiled.grades
    total = pick(ev.total)
    flags = veto_flags(ev, draw)
    out.update(
        {
            "weighted": pick(ev.weighted),
            "bonus": pick(np.broadcast_to(ev.bonus, (ev.bonus.shape[0], n))),
            "deduction": pick(np.broadcast_to(ev.deduction, (ev.deduction.shape[0], n))),
            "total": total,
            "percent": np.round(total * 100.0 / (ev.full if ev.full is not None else compiled.scheme.total), 9),
            "grade": [grades[g].zh for g in pick(ev.grade)] if grades else None,
            "grade_en": [grades[g].english() for g in pick(ev.grade)] if grades else None,
            "band_grade": [grades[g].zh for g in pick(ev.band_grade)] if grades else None,
            "rank": pick(ev.rank) if ev.rank is not None else np.full(n, -1),
            "vetoes": [";".join(v.id for j, v in enumerate(compiled.vetoes) if flags[u, j]) for u in range(n)],
            "quota_dropped": pick(ev.quota_dropped),
            "clamped": pick(ev.clamped),
        }
    )
    for list_id, members in ev.rules.top_lists.items():
        out[f"list:{list_id}"] = pick(members)
    if not compiled.scheme.grading.graded:  # a form that only totals and ranks
        for key in ("grade", "grade_en", "band_grade", "quota_dropped"):
            del out[key]
    return pd.DataFrame(out)
