"""Unit data for the department-budget-rules scenario (篇九): 24 projects of a civil-affairs bureau.

Each project belongs to a business section (业务科室, l.380) and is funded from the bureau's own
budget or by a transfer from above (l.381). Values are synthetic. Set-up cases:

- M15 未成年人保护工作站 failed the office's review and was not re-filed (l.404);
- M23 民政信息化建设 is graded 较差 (rectification, then the ladder of l.426);
- M02 falls well short of its targets (目标完成程度 below its pass line: 达不到预期目标, l.427)
  without being graded 较差.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SCENARIO = "department-budget-rules"

# (section, project, fund source, typical budget in yuan)
PROJECTS: list[tuple[str, str, str, float]] = [
    ("社会救助科", "城乡最低生活保障", "上级转移支付", 2.8e7),
    ("社会救助科", "特困人员救助供养", "上级转移支付", 9.5e6),
    ("社会救助科", "临时救助", "局本级", 2.2e6),
    ("社会救助科", "低收入人口动态监测", "局本级", 0.4e6),
    ("养老服务科", "高龄津贴", "局本级", 3.6e6),
    ("养老服务科", "经济困难老年人养老服务补贴", "上级转移支付", 2.4e6),
    ("养老服务科", "居家社区养老服务中心建设", "上级转移支付", 4.5e6),
    ("养老服务科", "敬老院运营补助", "局本级", 1.8e6),
    ("社会事务科", "困难残疾人生活补贴和重度残疾人护理补贴", "上级转移支付", 5.2e6),
    ("社会事务科", "殡葬改革惠民", "局本级", 1.1e6),
    ("社会事务科", "婚姻登记规范化建设", "局本级", 0.3e6),
    ("社会事务科", "流浪乞讨人员救助", "局本级", 0.6e6),
    ("儿童福利科", "孤儿基本生活保障", "上级转移支付", 1.3e6),
    ("儿童福利科", "事实无人抚养儿童保障", "上级转移支付", 0.9e6),
    ("儿童福利科", "未成年人保护工作站", "局本级", 0.5e6),
    ("基层政权和社区建设科", "城乡社区综合服务站建设", "上级转移支付", 3.0e6),
    ("基层政权和社区建设科", "村（居）民委员会换届指导", "局本级", 0.3e6),
    ("基层政权和社区建设科", "社区工作者培训", "局本级", 0.4e6),
    ("社会组织管理科", "社会组织培育孵化", "局本级", 0.8e6),
    ("社会组织管理科", "社会组织等级评估", "局本级", 0.2e6),
    ("区划地名科", "地名普查成果转化", "局本级", 0.5e6),
    ("区划地名科", "行政区域界线联检", "上级转移支付", 0.3e6),
    ("办公室", "民政信息化建设", "局本级", 1.5e6),
    ("办公室", "福利彩票公益金项目管理", "上级转移支付", 2.0e6),
]
SCORE_LEAVES = [
    "target_basis",
    "target_feasible",
    "timeliness",
    "plan_quality",
    "management_rules",
    "social",
    "economic",
    "environmental",
    "sustainable",
    "satisfaction",
    "arrival_time",
    "spending_match",
    "finance_rules",
    "asset_allocation",
    "asset_use",
]


def _clip(values: np.ndarray, low: float, high: float) -> np.ndarray:
    return np.clip(np.round(values, 1), low, high)


def generate(seed: int) -> pd.DataFrame:
    """24 projects of the bureau, one row each."""
    rng = np.random.default_rng(seed)
    n = len(PROJECTS)
    units = [f"M{i:02d}" for i in range(1, n + 1)]
    index = {u: i for i, u in enumerate(units)}
    latent = rng.normal(78.0, 7.0, n)
    latent[index["M23"]] = 50.0
    frame = pd.DataFrame({"unit": units, "name": [p for _, p, _, _ in PROJECTS]})
    for leaf in SCORE_LEAVES:
        frame[leaf] = _clip(latent + rng.normal(0, 5.0, n), 0, 100)
    frame["quantity"] = _clip(latent + 24 + rng.normal(0, 4.0, n), 0, 130)
    frame["quality"] = _clip(latent + 13 + rng.normal(0, 4.0, n), 0, 100)
    frame["cost"] = _clip(100 + np.maximum(0, 85 - latent) * 0.6 + rng.normal(0, 4.0, n), 60, 160)
    frame.loc[index["M02"], ["quantity", "quality", "timeliness"]] = [42.0, 48.0, 45.0]  # targets missed
    frame["arrival"] = _clip(100 - np.abs(rng.normal(0, 3.0, n)) - np.maximum(0, 75 - latent) * 0.6, 0, 100)
    frame["execution"] = _clip(latent + 10 + rng.normal(0, 5.0, n), 0, 100)
    frame["fund_compliance"] = rng.poisson(0.3, n)
    frame.loc[index["M23"], "fund_compliance"] = 2
    frame["budget"] = np.round(np.array([b for _, _, _, b in PROJECTS]) * rng.lognormal(0, 0.12, n), -3)
    frame["refiled"] = 1
    frame.loc[index["M15"], "refiled"] = 0
    frame["section"] = [s for s, _, _, _ in PROJECTS]
    frame["fund_source"] = [f for _, _, f, _ in PROJECTS]
    return frame
