"""Unit data for the county-housing-projects scenario (篇二): 30 projects of a county 住建局.

Each project belongs to the section (股室) that set its targets (l.42: 谁申请资金,谁设定目标).
Values are synthetic. Set-up cases for the plan's rules:

- H07 农村危房改造 performs poorly (差: next year's control number is cut; its unspent money is
  withheld in-year, 调整执行);
- H12 spends far behind its target progress (重大偏离, gap 0.45: reported, no money moves);
- H20 lags moderately (较大偏离, gap 0.28: corrected by its section, no money moves);
- H25 海绵城市建设 is weak (中, and 差 if the 中 cut-off is raised to 70).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SCENARIO = "county-housing-projects"

# (section, project, typical budget in yuan)
PROJECTS: list[tuple[str, str, float]] = [
    ("城建股", "市政道路维修养护", 3.2e6),
    ("城建股", "城区排水管网改造", 5.5e6),
    ("城建股", "城市路灯维护", 0.9e6),
    ("城建股", "老旧小区改造", 8.0e6),
    ("城建股", "污水处理厂运营补助", 2.4e6),
    ("城建股", "城市园林绿化养护", 1.8e6),
    ("村镇建设股", "农村危房改造", 4.2e6),
    ("村镇建设股", "农村生活垃圾治理", 2.1e6),
    ("村镇建设股", "传统村落保护", 1.2e6),
    ("村镇建设股", "乡镇污水处理设施运维", 1.6e6),
    ("住房保障股", "公租房运营管理", 1.4e6),
    ("住房保障股", "城镇住房保障家庭租赁补贴", 2.6e6),
    ("住房保障股", "棚户区改造配套基础设施", 6.5e6),
    ("建筑管理股", "建筑市场监管", 0.5e6),
    ("建筑管理股", "建设工程质量安全监督", 0.8e6),
    ("建筑管理股", "施工扬尘治理", 0.6e6),
    ("建筑管理股", "建筑节能与绿色建筑推广", 0.7e6),
    ("房地产管理股", "物业管理指导", 0.3e6),
    ("房地产管理股", "房屋安全鉴定", 0.5e6),
    ("房地产管理股", "房产档案数字化", 0.9e6),
    ("规划股", "县城总体规划修编", 1.5e6),
    ("规划股", "城市设计编制", 0.8e6),
    ("城建股", "城市供水管网改造", 4.8e6),
    ("城建股", "燃气管道安全专项整治", 2.2e6),
    ("城建股", "海绵城市建设", 6.0e6),
    ("村镇建设股", "美丽乡村建设规划编制", 0.7e6),
    ("住房保障股", "保障性住房维修", 1.1e6),
    ("建筑管理股", "消防设计审查验收", 0.4e6),
    ("办公室", "住建信息化平台运维", 0.6e6),
    ("办公室", "预算绩效第三方评价", 0.2e6),
]
SCORE_LEAVES = [
    "target_content",
    "decision_basis",
    "decision_procedure",
    "allocation_method",
    "allocation_result",
    "arrival_time",
    "organisation",
    "rules",
    "rules_applied",
    "timeliness",
    "economic",
    "social",
    "ecological",
    "sustainable",
    "satisfaction",
]


def _clip(values: np.ndarray, low: float, high: float) -> np.ndarray:
    return np.clip(np.round(values, 1), low, high)


def generate(seed: int) -> pd.DataFrame:
    """30 project expenditures of the bureau, one row each."""
    rng = np.random.default_rng(seed)
    n = len(PROJECTS)
    units = [f"H{i:02d}" for i in range(1, n + 1)]
    index = {u: i for i, u in enumerate(units)}
    latent = rng.normal(80.0, 7.0, n)
    latent[index["H07"]] = 52.0
    latent[index["H25"]] = 60.0  # a new works project running late: 中, close to 差
    frame = pd.DataFrame({"unit": units, "name": [p for _, p, _ in PROJECTS]})
    for leaf in SCORE_LEAVES:
        frame[leaf] = _clip(latent + rng.normal(0, 5.0, n), 0, 100)
    frame["arrival"] = _clip(100 - np.abs(rng.normal(0, 3.0, n)) - np.maximum(0, 75 - latent) * 0.6, 0, 100)
    frame["fund_use"] = rng.poisson(0.25, n)
    frame.loc[index["H07"], "fund_use"] = 2
    frame["completion"] = _clip(latent + 12 + rng.normal(0, 6.0, n), 0, 130)
    frame["quality"] = _clip(latent + 13 + rng.normal(0, 4.0, n), 0, 100)
    frame["cost"] = _clip(100 + np.maximum(0, 85 - latent) * 0.6 + rng.normal(0, 4.0, n), 60, 160)
    frame["budget"] = np.round(np.array([b for _, _, b in PROJECTS]) * rng.lognormal(0, 0.15, n), -3)
    progress = np.round(rng.uniform(0.45, 0.75, n), 2)
    spend = np.round(np.clip(progress + np.clip(rng.normal(0, 0.07, n), -0.18, 0.18), 0.05, 0.98), 2)
    progress[index["H07"]], spend[index["H07"]] = 0.35, 0.50
    progress[index["H12"]], spend[index["H12"]] = 0.65, 0.20
    progress[index["H20"]], spend[index["H20"]] = 0.58, 0.30
    frame["spend"] = spend
    frame["progress"] = progress
    frame["section"] = [s for s, _, _ in PROJECTS]
    return frame
