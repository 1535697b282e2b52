"""Unit data for the wuxiang-cadres scenario: level 4 of Wuxiang's four-level system, 15 cadres of 县财政局.

Values are synthetic marks around a latent performance per person (post targets as % of the
person's own targets); names are for realism only. C04 falls well short (不称职).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SCENARIO = "wuxiang-cadres"
CADRES = 15


def _marks(rng: np.random.Generator, centre: np.ndarray, sd: float) -> np.ndarray:
    return np.clip(np.round(centre + rng.normal(0, sd, centre.shape), 1), 0, 100)


def generate(seed: int) -> pd.DataFrame:
    """15 cadres and staff of the county finance bureau, one row each."""
    rng = np.random.default_rng(seed)
    q = rng.normal(80, 8, CADRES)
    frame = pd.DataFrame(
        {
            "unit": [f"C{i:02d}" for i in range(1, CADRES + 1)],
            "name": [f"县财政局干部{i:02d}" for i in range(1, CADRES + 1)],
            "comprehensive": _marks(rng, q + 2, 4),
            "post_targets": np.clip(np.round(q + 8 + rng.normal(0, 8, CADRES), 1), 30, 130),
            "work_style": _marks(rng, q + 3, 4),
            "public": _marks(rng, q - 1, 5),
        }
    )
    frame.loc[3, ["comprehensive", "post_targets", "work_style", "public"]] = [55.0, 62.0, 58.0, 52.0]
    return frame
