"""Unit data for the budget-lifecycle scenario (篇一/三/七/十): 45 water fund projects.

The projects belong to the seven fund families listed in 篇三 l.100 / 篇七 l.335, run by
districts (区县), bureau divisions (处室) or subordinate units (局属事业单位) as l.103 assigns
them, plus two projects that l.101 moves across the scope of water performance management.
Values are synthetic; the leaves are those of the national self-evaluation template (产出,
效益, 满意度, 预算执行率). A few projects are set up to meet the plans' rules:

- W20 (a new reservoir request) failed its ex-ante assessment (事前绩效评估不予支持);
- W15 is a major project that cannot show support for "补短板、强监管" (篇三 l.105);
- W09 spends far behind its target progress and W24 far ahead of it (严重不匹配 → 暂缓);
- W29 performs poorly (expected low performance, a 差 total → 停止);
- W33 altered its performance indicators without approval (擅自调整绩效指标, 篇三 l.115);
- W44 is a water fund integrated into non-water construction (out of scope, l.101) and W45 a
  non-water agricultural fund integrated into water construction (in scope, l.101);
- each project has 1 to 6 years left to run (篇三 l.114: projects longer than one year);
- urgent projects (急需项目, 篇三 l.110): disaster relief first, then flood safety.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SCENARIO = "budget-lifecycle"

# fund family (篇三 l.100 / 篇七 l.335) → its projects, in unit-id order
FUNDS: list[tuple[str, list[str]]] = [
    (
        "水利发展资金",
        [
            "中小河流治理",
            "小型水库除险加固",
            "山洪灾害防治",
            "农村饮水安全巩固提升",
            "水土保持综合治理",
            "灌区节水配套改造",
            "河湖管护",
            "中小河流治理",
            "农村饮水安全巩固提升",
            "水土保持综合治理",
            "小型水库除险加固",
            "水资源监测能力建设",
        ],
    ),
    (
        "中央基建投资(水利)",
        [
            "大中型水库建设",
            "大中型水库建设",
            "大中型灌区续建配套与节水改造",
            "大中型灌区续建配套与节水改造",
            "重点水源工程",
            "城乡供水一体化",
            "城乡供水一体化",
            "中型水库建设（新申请）",
        ],
    ),
    (
        "国家重大水利工程建设基金(三峡后续)",
        ["库区地质灾害防治", "库岸环境综合整治", "移民安稳致富", "消落区生态修复", "库区水污染防治"],
    ),
    (
        "大中型水库移民后期扶持资金(基金)",
        [
            "移民村基础设施建设",
            "移民村基础设施建设",
            "移民后期扶持直补",
            "美丽家园建设",
            "移民技能培训",
            "移民产业扶持",
        ],
    ),
    ("三峡水库库区基金", ["库区生态环境保护", "移民遗留问题处理", "库区公益设施维护"]),
    ("水利救灾资金", ["防汛抢险", "抗旱应急供水", "水毁工程修复", "水毁工程修复"]),
    (
        "可再生能源发展专项资金(农村小水电增效扩容)",
        [
            "农村小水电增效扩容改造",
            "农村小水电增效扩容改造",
            "农村小水电增效扩容改造",
            "小水电生态流量泄放改造",
            "小水电生态流量泄放改造",
        ],
    ),
]
DISTRICTS = [
    "万州区", "涪陵区", "黔江区", "江津区", "合川区", "永川区", "綦江区", "开州区", "梁平区", "武隆区",
    "城口县", "丰都县", "垫江县", "忠县", "云阳县", "奉节县", "巫山县", "巫溪县", "石柱县", "秀山县",
    "酉阳县", "彭水县",
]  # fmt: skip
MAJOR_FUNDS = {"中央基建投资(水利)", "国家重大水利工程建设基金(三峡后续)"}
SCOPE = [  # 篇三 l.101: funds integrated across the water / non-water line (W44, W45)
    ("水利发展资金(统筹整合用于非水利建设)", "农村人居环境整治", "非水利"),
    ("统筹整合涉农资金(用于水利建设)", "山坪塘整治", "水利"),
]
SCORE_LEAVES = ["on_time", "economic", "social", "ecological", "sustainable"]
URGENCY = {"W35": 6, "W36": 5, "W37": 4, "W38": 3, "W03": 2, "W02": 1}
"""急需项目 in order: 水利救灾资金 (防汛抢险, 抗旱应急供水, 水毁工程修复 ×2), then the flood-safety
projects of 水利发展资金 (山洪灾害防治, 小型水库除险加固)."""


def _clip(values: np.ndarray, low: float, high: float, decimals: int = 1) -> np.ndarray:
    return np.clip(np.round(values, decimals), low, high)


def generate(seed: int) -> pd.DataFrame:
    """45 projects of the water funds, one row each."""
    rng = np.random.default_rng(seed)
    funds = [fund for fund, projects in FUNDS for _ in projects] + [fund for fund, _, _ in SCOPE]
    projects = [project for _, projects in FUNDS for project in projects] + [project for _, project, _ in SCOPE]
    n = len(projects)
    units = [f"W{i:02d}" for i in range(1, n + 1)]
    index = {u: i for i, u in enumerate(units)}
    districts = rng.choice(DISTRICTS, n)
    owner = []
    for fund, district in zip(funds, districts):
        if fund == "水利救灾资金":
            owner.append("处室：水旱灾害防御处")
        elif fund == "国家重大水利工程建设基金(三峡后续)":
            owner.append("局属事业单位：三峡后续工作站")
        else:
            owner.append(f"区县：{district}")
    names = [f"{p}（{d}）" if o.startswith("区县") else p for p, d, o in zip(projects, districts, owner)]
    latent = rng.normal(82.0, 6.0, n)
    latent[index["W29"]] = 50.0  # expected low performance
    latent[index["W09"]] = 74.0
    frame = pd.DataFrame({"unit": units, "name": names})
    for leaf in SCORE_LEAVES:
        frame[leaf] = _clip(latent + rng.normal(0, 5.0, n), 0, 100)
    frame["execution"] = _clip(latent + 8 + rng.normal(0, 5.0, n), 0, 100)
    frame.loc[index["W09"], "execution"] = 61.5  # the stalled project spent little by year end
    frame["completion"] = _clip(latent + 12 + rng.normal(0, 6.0, n), 0, 130)
    frame["quality_rate"] = _clip(latent + 12 + rng.normal(0, 4.0, n), 0, 100)
    frame["cost_index"] = _clip(100 + np.maximum(0, 85 - latent) * 0.6 + rng.normal(0, 4.0, n), 60, 160)
    frame["satisfaction"] = _clip(latent + 2 + rng.normal(0, 6.0, n), 0, 100)
    budget = np.exp(rng.normal(np.log(6.0e6), 0.6, n))
    budget = np.where(np.array(funds) == "水利救灾资金", budget * 0.4, budget)
    budget = np.where(np.isin(funds, list(MAJOR_FUNDS)), budget * 2.5, budget)
    frame["budget"] = np.round(budget, -3)
    # dual monitoring at the mid-year date: target progress and budget execution progress
    progress = np.round(rng.uniform(0.45, 0.75, n), 2)
    spend = np.round(np.clip(progress + np.clip(rng.normal(0, 0.08, n), -0.25, 0.25), 0.05, 0.98), 2)
    progress[index["W09"]], spend[index["W09"]] = 0.62, 0.18  # spending far behind the works
    progress[index["W24"]], spend[index["W24"]] = 0.40, 0.88  # money spent, results lagging
    frame["spend"] = spend
    frame["progress"] = progress
    frame["ex_ante"] = 1
    frame.loc[index["W20"], "ex_ante"] = 0
    frame["major"] = np.isin(funds, list(MAJOR_FUNDS)).astype(int)
    frame["shortboard"] = 1  # non-major projects: the precondition does not apply
    frame.loc[index["W15"], "shortboard"] = 0
    frame["fund"] = funds
    frame["owner"] = owner
    frame["fund_use"] = ["水利"] * (n - len(SCOPE)) + [use for _, _, use in SCOPE]
    frame["falsified"] = 0
    frame.loc[index["W33"], "falsified"] = 1
    frame["years_left"] = rng.integers(1, 7, n)
    frame["urgent"] = [int(u in URGENCY) for u in units]
    frame["urgency"] = [URGENCY.get(u, 0) for u in units]
    return frame
