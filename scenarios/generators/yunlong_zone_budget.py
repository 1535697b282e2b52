"""Unit data for the yunlong-zone-budget scenario (篇五): 36 projects and 12 budget units.

Projects come from the spending areas the zone finance department evaluates first (l.292:
重大产业类专项, 农林水利, 环境保护, 社会保障, 教育科技, 医疗卫生; six each). Budget units are
departments of the zone; 区财政金融部, 纪检监察局 and 审计局 are named in the text (l.280, l.301),
the others are plausible. Values are synthetic. Set-up cases for the plan's rules:

- P05 scores 低 (key monitoring; reduced if it stays 低);
- P22 has no performance to speak of (a total below 40: no budget arranged);
- P11 has spent 12 % against 70 % target progress (严重: stopped at the mid-term review);
- P17 (gap 0.35) and P30, D07 (gaps just under 0.2) are adjusted by severity.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SCENARIO = "yunlong-zone-budget"

PROJECTS: dict[str, list[str]] = {
    "重大产业类专项": [
        "产业发展专项资金",
        "招商引资奖励",
        "科技型企业培育",
        "现代服务业发展扶持",
        "总部经济奖补",
        "园区基础设施配套",
    ],
    "农林水利": [
        "农田水利设施维修",
        "山塘清淤扩容",
        "林业生态保护修复",
        "高标准农田建设",
        "农村安全饮水巩固",
        "防汛抗旱物资储备",
    ],
    "环境保护": ["黑臭水体整治", "大气污染防治", "生活垃圾分类", "河道综合治理", "土壤污染防治", "生态环境监测"],
    "社会保障": ["城乡低保", "就业创业补贴", "养老服务补贴", "困难群众临时救助", "残疾人两项补贴", "退役军人优抚"],
    "教育科技": ["学校校舍改造", "学前教育普惠补助", "义务教育学生资助", "科技创新券", "教师培训", "智慧校园建设"],
    "医疗卫生": [
        "基层医疗机构能力建设",
        "基本公共卫生服务",
        "家庭医生签约服务",
        "疾病预防控制",
        "妇幼健康服务",
        "卫生应急物资储备",
    ],
}
DEPARTMENTS = [
    "党政综合办公室",
    "区财政金融部",
    "纪检监察局",
    "审计局",
    "经济发展局",
    "规划建设局",
    "社会事业局",
    "城市管理和综合执法局",
    "自然资源分局",
    "生态环境分局",
    "教育局",
    "卫生健康局",
]
PROJECT_MARKS = ["budgeting", "timeliness", "social", "economic", "sustainable"]
DEPARTMENT_MARKS = ["assets", "duty"]


def _clip(values: np.ndarray, low: float, high: float) -> np.ndarray:
    return np.clip(np.round(values, 1), low, high)


def generate(seed: int) -> pd.DataFrame:
    """36 projects (P01-P36) and 12 budget units (D01-D12), one row each."""
    rng = np.random.default_rng(seed)
    names = [p for projects in PROJECTS.values() for p in projects]
    categories = [c for c, projects in PROJECTS.items() for _ in projects]
    n_p, n_d = len(names), len(DEPARTMENTS)
    n = n_p + n_d
    units = [f"P{i:02d}" for i in range(1, n_p + 1)] + [f"D{i:02d}" for i in range(1, n_d + 1)]
    index = {u: i for i, u in enumerate(units)}
    is_project = np.arange(n) < n_p
    latent = rng.normal(81.0, 7.0, n)
    latent[index["P05"]] = 47.0
    latent[index["P22"]] = 25.0
    frame = pd.DataFrame(
        {
            "unit": units,
            "name": names + DEPARTMENTS,
            "class": np.where(is_project, "project", "department"),
        }
    )

    def project_only(values: np.ndarray) -> np.ndarray:
        return np.where(is_project, values, np.nan)

    def department_only(values: np.ndarray) -> np.ndarray:
        return np.where(is_project, np.nan, values)

    for leaf in PROJECT_MARKS:
        frame[leaf] = project_only(_clip(latent + rng.normal(0, 5.0, n), 0, 100))
    frame["cost"] = project_only(_clip(100 + np.maximum(0, 85 - latent) * 0.7 + rng.normal(0, 4.0, n), 60, 200))
    frame["compliance"] = project_only(rng.poisson(0.3, n).astype(float))
    frame.loc[index["P22"], "compliance"] = 4
    frame["completion"] = project_only(_clip(latent + 12 + rng.normal(0, 6.0, n), 0, 130))
    for leaf in DEPARTMENT_MARKS:
        frame[leaf] = department_only(_clip(latent + rng.normal(0, 5.0, n), 0, 100))
    frame["budget_adjust"] = department_only(_clip(rng.gamma(2.0, 2.0, n), 0.1, 30))
    frame["general_costs"] = department_only(_clip(rng.normal(92, 6, n), 60, 130))
    frame["key_tasks"] = department_only(_clip(latent + 14 + rng.normal(0, 5.0, n), 0, 120))
    frame["execution"] = _clip(latent + 10 + rng.normal(0, 5.0, n), 0, 100)
    frame["satisfaction"] = _clip(latent + rng.normal(0, 6.0, n), 0, 100)
    budget = np.where(
        is_project,
        np.exp(rng.normal(np.log(4.0e6), 0.7, n)),
        np.exp(rng.normal(np.log(2.0e7), 0.5, n)),
    )
    frame["budget"] = np.round(budget, -3)
    progress = np.round(rng.uniform(0.40, 0.70, n), 2)
    spend = np.round(np.clip(progress + np.clip(rng.normal(0, 0.06, n), -0.12, 0.12), 0.05, 0.98), 2)
    for unit, target, spent in (("P11", 0.70, 0.12), ("P17", 0.60, 0.25), ("P30", 0.55, 0.37), ("D07", 0.50, 0.32)):
        progress[index[unit]], spend[index[unit]] = target, spent
    frame["spend"] = spend
    frame["progress"] = progress
    frame["category"] = categories + ["部门整体支出"] * n_d
    return frame
