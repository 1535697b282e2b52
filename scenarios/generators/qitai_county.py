"""Unit data for the 篇四 Qitai county scenario: 15 townships and 60 county departments."""

from __future__ import annotations

import numpy as np
import pandas as pd

SCENARIO = "qitai-county"


def _marks(rng: np.random.Generator, latent: np.ndarray, noise: float) -> np.ndarray:
    return np.clip(np.round(latent + rng.normal(0, noise, latent.shape), 1), 0, 100)


def generate(seed: int) -> pd.DataFrame:
    """篇四 Qitai county: 15 townships and 60 county departments (level-2 units)."""
    rng = np.random.default_rng(seed)
    townships = [f"乡镇{i:02d}" for i in range(1, 16)]
    departments = [f"部门{i:02d}" for i in range(1, 61)]
    units = townships + departments
    classes = ["township"] * len(townships) + ["department"] * len(departments)
    n = len(units)
    latent = rng.normal(84, 6, n)
    frame = pd.DataFrame({"unit": [f"U{i:03d}" for i in range(1, n + 1)], "name": units, "class": classes})
    is_township = np.array(classes) == "township"
    dept_only = ["annual_targets"]
    town_only = ["economy", "society", "public_service"]
    for ind in ["key_tasks", *dept_only, "conduct", *town_only]:
        for period, noise in (("H1", 5.0), ("Y", 4.0)):
            marks = _marks(rng, latent, noise)
            if ind in dept_only:
                frame[f"{ind}@{period}"] = np.where(is_township, np.nan, marks)
            elif ind in town_only:
                frame[f"{ind}@{period}"] = np.where(is_township, marks, np.nan)
            else:
                frame[f"{ind}@{period}"] = marks
    frame["tracking"] = _marks(rng, latent + 2, 5.0)
    frame["special_public"] = _marks(rng, latent - 3, 7.0)
    frame["audit"] = _marks(rng, latent, 6.0)
    frame["public"] = _marks(rng, latent - 2, 6.0)
    frame["verification"] = np.round(rng.choice([0, 0, 0, 0.5, 1, 1.5, 2.5], n), 1)
    frame["complaints"] = np.round(rng.choice([0, 0, 0, 0, 0.5, 1, 3], n), 1)
    frame["veto_family_planning"] = 0
    frame["veto_public_security"] = 0
    frame["veto_safety_accident"] = (rng.random(n) < 0.02).astype(int)
    frame["veto_construction_accident"] = 0
    frame["staff"] = rng.integers(8, 60, n)
    frame["salary"] = np.round(rng.normal(4200, 500, n), -1)
    frame["satisfaction"] = np.clip(np.round(latent - 8 + rng.normal(0, 8, n), 1), 0, 100)
    return frame
