"""Unit data for the 篇十一(c)/篇十二 Zhengding county scenario: the 48 units the plan names.

7 townships (l.489) and 32 county departments and institutions (l.490) doing daily work, and
9 old-town restoration units (l.492), with the names as the plan lists them. Values are
synthetic around a latent performance per unit: amounts as % of the unit's own target (over
100 happens and is capped by the scheme), rates against the county-wide standards, leader
marks out of 100, quarterly satisfaction rates and twelve monthly evaluations for the
old-town units.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SCENARIO = "zhengding-county"

TOWNSHIPS = ["南牛乡", "新城铺镇", "西平乐乡", "新安镇", "南楼乡", "曲阳桥乡", "北早现乡"]
DEPARTMENTS = [
    "县政府办",
    "招商局",
    "工信局",
    "水务局",
    "农牧局",
    "畜牧水产中心",
    "农机管理中心",
    "林业局",
    "商务局(粮食局)",
    "农开办",
    "市场办",
    "供销总社",
    "教育局",
    "科技局",
    "民政局(宗教局)",
    "人社局",
    "财政局",
    "社保局",
    "医保中心",
    "就业局",
    "矿管办",
    "文广新局",
    "卫生局",
    "计生局",
    "统计局",
    "公安局",
    "司法局",
    "环保局",
    "审计局",
    "食药监局",
    "安监局",
    "县行政服务中心",
]
OLD_TOWN = ["规划分局", "国土分局", "住建局", "发改局", "文管局", "城管局", "交通局", "正定镇", "城区街道办事处"]
HALVES = ("mid", "year_end")
QUARTERS = ("Q1", "Q2", "Q3", "Q4")
MONTHS = tuple(f"m{i:02d}" for i in range(1, 13))


def _values(rng: np.random.Generator, centre: np.ndarray, sd: float, low: float, high: float) -> np.ndarray:
    return np.clip(np.round(centre + rng.normal(0, sd, centre.shape), 1), low, high)


def _townships(rng: np.random.Generator) -> dict[str, np.ndarray]:
    q = rng.normal(80, 7, len(TOWNSHIPS))
    out: dict[str, np.ndarray] = {}
    for half, lift in zip(HALVES, (0.0, 3.0)):
        for name, sd in (("fiscal_revenue", 8), ("fixed_investment", 12), ("investment_attraction", 15)):
            out[f"{name}@{half}"] = _values(rng, q + 6 + lift, sd, 30, 160)  # % of the township's target
        out[f"farmer_income@{half}"] = _values(rng, 12 * (q + 6 + lift) / 100, 1.0, 4, 18)  # % growth
        out[f"ncms@{half}"] = _values(rng, 93 + (q - 80) / 2 + lift, 2.0, 70, 100)
        out[f"family_planning@{half}"] = _values(rng, 90 + (q - 80) / 2 + lift, 2.5, 70, 100)
        out[f"petitions@{half}"] = _values(rng, q + 10 + lift, 4, 50, 100)
        out[f"village_environment@{half}"] = _values(rng, q + 8 + lift, 10, 30, 130)
        out[f"leader@{half}"] = _values(rng, q + 4, 4, 0, 100)
    return out


def _departments(rng: np.random.Generator) -> dict[str, np.ndarray]:
    q = rng.normal(80, 7, len(DEPARTMENTS))
    out: dict[str, np.ndarray] = {}
    for half, lift in zip(HALVES, (0.0, 3.0)):
        out[f"upward_funds@{half}"] = _values(rng, q + 2 + lift, 20, 0, 200)
        out[f"investment_attraction@{half}"] = _values(rng, q + 0 + lift, 18, 0, 180)
        out[f"core_targets@{half}"] = _values(rng, q + 6 + lift, 6, 40, 130)
        out[f"assessed_targets@{half}"] = _values(rng, q + 5 + lift, 7, 40, 130)
        out[f"on_time@{half}"] = _values(rng, q + 9 + lift, 3, 60, 100)
        out[f"complaints_closed@{half}"] = _values(rng, q + 6 + lift, 4, 50, 100)
        out[f"leader@{half}"] = _values(rng, q + 4, 4, 0, 100)
    trend = rng.normal(0.8, 0.8, len(DEPARTMENTS))  # satisfaction drifts over the year
    for k, quarter in enumerate(QUARTERS):
        out[f"public@{quarter}"] = _values(rng, q + k * trend, 4, 40, 100)  # % satisfied
    return out


def _old_town(rng: np.random.Generator) -> dict[str, np.ndarray]:
    q = rng.normal(80, 7, len(OLD_TOWN))
    out: dict[str, np.ndarray] = {}
    for k, month in enumerate(MONTHS):
        ramp = 4 * np.sin(np.pi * k / 11)  # the summer construction season goes better
        out[f"projects@{month}"] = _values(rng, q + 8 + ramp, 12, 0, 150)
        out[f"relocation@{month}"] = _values(rng, q + 4 + ramp, 18, 0, 150)
        out[f"funding@{month}"] = _values(rng, q + 6, 15, 0, 150)
        out[f"style_control@{month}"] = _values(rng, q + 10, 8, 0, 130)
        out[f"leader@{month}"] = _values(rng, q + 4, 4, 0, 100)
    return out


def generate(seed: int) -> pd.DataFrame:
    """48 units: 7 townships, 32 departments and institutions, 9 old-town restoration units."""
    rng = np.random.default_rng(seed)
    parts = [
        ("township", "T", TOWNSHIPS, _townships(rng)),
        ("department", "D", DEPARTMENTS, _departments(rng)),
        ("old_town", "G", OLD_TOWN, _old_town(rng)),
    ]
    frames = []
    for cls, prefix, names, cols in parts:
        frame = pd.DataFrame({"unit": [f"{prefix}{i:02d}" for i in range(1, len(names) + 1)], "name": names})
        frame["class"] = cls
        frames.append(pd.concat([frame, pd.DataFrame(cols)], axis=1))
    return pd.concat(frames, ignore_index=True)
