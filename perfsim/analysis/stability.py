"""Rank stability: Spearman and Kendall correlation with the baseline ranking, shifts, top/bottom persistence."""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray


def _kendall(baseline: NDArray[np.float64], ranks: NDArray[np.float64], chunk: int = 32) -> NDArray[np.float64]:
    """Kendall's tau-b of each row of ``ranks`` against ``baseline``, pairwise in chunks of draws."""
    n = baseline.size
    iu = np.triu_indices(n, 1)
    base_sign = np.sign(baseline[iu[0]] - baseline[iu[1]])
    out = np.empty(ranks.shape[0])
    for start in range(0, ranks.shape[0], chunk):  # chunks bound memory at chunk × n² / 2
        block = ranks[start : start + chunk]
        sign = np.sign(block[:, iu[0]] - block[:, iu[1]])
        concordant = (sign * base_sign).sum(axis=1)
        ties_a = (base_sign != 0).sum()
        ties_b = (sign != 0).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[start : start + chunk] = concordant / np.sqrt(ties_a * ties_b)
    return out


def rank_stability(baseline: NDArray, ranks: NDArray, k: int = 5) -> pd.DataFrame:
    """Compare perturbed rankings (draws × units) with a baseline ranking (units).

    Parameters
    ----------
    baseline
        The baseline ranks, one per unit.
    ranks
        Perturbed ranks, draws × units (``Evaluation.rank``).
    k
        How many top and bottom units to follow.

    Returns
    -------
    pandas.DataFrame
        One row per draw: ``spearman``, ``kendall`` (tau-b), ``mean abs shift`` (places),
        ``top-k kept`` and ``bottom-k kept`` (share of the baseline's top and bottom ``k`` units
        still there). Rank 1 is best.
    """
    base = np.asarray(baseline, dtype=np.float64)
    ranks = np.atleast_2d(np.asarray(ranks, dtype=np.float64))
    # Spearman: Pearson correlation of the (average-tie) ranks
    from scipy.stats import rankdata

    rb = rankdata(base)
    rr = rankdata(ranks, axis=1)
    rb_c = rb - rb.mean()
    rr_c = rr - rr.mean(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        spearman = (rr_c @ rb_c) / np.sqrt((rr_c**2).sum(axis=1) * (rb_c**2).sum())
    k = max(1, min(k, base.size))
    top = base <= np.sort(base)[k - 1]
    bottom = base >= np.sort(base)[-k]
    top_now = ranks <= np.sort(ranks, axis=1)[:, k - 1 : k]
    bottom_now = ranks >= np.sort(ranks, axis=1)[:, -k:][:, :1]
    return pd.DataFrame(
        {
            "spearman": spearman,
            "kendall": _kendall(base, ranks),
            "mean abs shift": np.abs(ranks - base[None, :]).mean(axis=1),
            f"top-{k} kept": (top_now & top[None, :]).sum(axis=1) / top.sum(),
            f"bottom-{k} kept": (bottom_now & bottom[None, :]).sum(axis=1) / bottom.sum(),
        }
    )
