"""Unit data for the 篇十三 employee-rubric scenario: 40 employees in five departments, one year.

Each employee has a latent performance. Quarterly task marks, the special-objective mark and the
conduct mark lie around it; each month's two daily items are rated on the 5-point scale from the
latent plus a monthly disturbance: 5, 4 or 3 as rated, or the 2-point band (flaws, with a count
of 1-6 this month) or the 1-point band (errors, with a count of 1-3). Counts are 0 for rated levels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SCENARIO = "employee-rubric"

DEPARTMENTS = ["综合办公室", "财务部", "人力资源部", "生产技术部", "市场营销部"]
STAFF_PER_DEPARTMENT = 8
MONTHS = [f"M{m:02d}" for m in range(1, 13)]
QUARTERS = ["Q1", "Q2", "Q3", "Q4"]
DAILY_ITEMS = ["daily_quantitative", "daily_qualitative"]
FLAW_COUNTS = (np.arange(1, 7), np.array([0.30, 0.25, 0.20, 0.12, 0.08, 0.05]))  # 2-point band, l.579
ERROR_COUNTS = (np.arange(1, 4), np.array([0.6, 0.3, 0.1]))  # 1-point band, l.581


def _marks(rng: np.random.Generator, centre: np.ndarray, sd: float) -> np.ndarray:
    return np.clip(np.round(centre + rng.normal(0, sd, centre.shape), 1), 0, 100)


def generate(seed: int) -> pd.DataFrame:
    """40 employees (8 in each of 5 departments) with a year of objective marks and monthly daily items."""
    rng = np.random.default_rng(seed)
    departments = np.repeat(DEPARTMENTS, STAFF_PER_DEPARTMENT)
    n = len(departments)
    latent = rng.normal(0.0, 1.0, n)
    numbers = np.tile(np.arange(1, STAFF_PER_DEPARTMENT + 1), len(DEPARTMENTS))
    frame = pd.DataFrame(
        {
            "unit": [f"E{i:03d}" for i in range(1, n + 1)],
            "name": [f"{d}{k:02d}号员工" for d, k in zip(departments, numbers)],
        }
    )
    for quarter in QUARTERS:
        frame[f"annual_tasks@{quarter}"] = _marks(rng, 82 + 7 * latent, 4.0)
    frame["special_objectives"] = _marks(rng, 80 + 8 * latent, 6.0)
    for item in DAILY_ITEMS:
        for month in MONTHS:
            z = latent + rng.normal(0.0, 0.7, n)
            level = np.select([z > 1.9, z > 0.8, z > -1.1, z > -2.0], [5, 4, 3, 2], 1)
            flaws = rng.choice(FLAW_COUNTS[0], n, p=FLAW_COUNTS[1])
            errors = rng.choice(ERROR_COUNTS[0], n, p=ERROR_COUNTS[1])
            frame[f"{item}@{month}"] = level
            frame[f"{item}@{month}.count"] = np.where(level == 2, flaws, np.where(level == 1, errors, 0))
    frame["conduct"] = _marks(rng, 86 + 5 * latent, 4.0)
    frame["upgrade_to_5"] = rng.poisson(np.clip(0.15 + 0.15 * latent, 0.02, None))
    frame["upgrade_to_4"] = rng.poisson(np.clip(0.4 + 0.3 * latent, 0.05, None))
    frame["department"] = departments
    return frame
