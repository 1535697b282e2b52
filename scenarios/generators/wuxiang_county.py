"""Unit data for the 篇十一(a) Wuxiang county scenario: levels 2-3 of the four-level system (units).

Level 2: Wuxiang's 14 townships (5 towns, 9 townships), 26 county departments and directly
affiliated institutions (among them the 八路军太行纪念馆, a county institution in Wuxiang), and 8
vertically managed units (条管单位). Level 3: six sections or stations each of two level-2
units (县财政局, 县交通运输局). Level 4 (cadres, graded as individuals) is the wuxiang-cadres
scenario. Names are for realism only; the plan lists none.

Each unit lists 1-3 key-work items and 1-6 annual target items (篇十一(b) l.477, 479); the
slots it does not use hold 不适用. Items are % of the unit's own target, other columns marks
out of 100, drawn around a latent performance per unit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SCENARIO = "wuxiang-county"

TOWNSHIPS = [
    "丰州镇",
    "洪水镇",
    "蟠龙镇",
    "监漳镇",
    "故城镇",
    "韩北乡",
    "墨镫乡",
    "贾豁乡",
    "石北乡",
    "上司乡",
    "大有乡",
    "分水岭乡",
    "故县乡",
    "涌泉乡",
]
DEPARTMENTS = [
    "县政府办公室",
    "县发展和改革局",
    "县经济和信息化局",
    "县教育局",
    "县科技局",
    "县公安局",
    "县民政局",
    "县司法局",
    "县财政局",
    "县人力资源和社会保障局",
    "县住房和城乡建设局",
    "县交通运输局",
    "县水利局",
    "县农业委员会",
    "县林业局",
    "县商务局",
    "县文物旅游局",
    "县卫生和计划生育局",
    "县审计局",
    "县统计局",
    "县安全生产监督管理局",
    "县环境保护局",
    "县食品药品监督管理局",
    "县扶贫开发服务中心",
    "县八路军太行纪念馆",
    "县广播电视台",
]
VERTICAL = [
    "县国家税务局",
    "县地方税务局",
    "县工商行政管理局",
    "县质量技术监督局",
    "县国土资源局",
    "县气象局",
    "县烟草专卖局",
    "国网武乡县供电公司",
]
SECTIONS = {
    "县财政局": ["办公室", "预算股", "国库集中支付中心", "农业股", "综合股", "非税收入管理局"],
    "县交通运输局": ["办公室", "公路管理段", "道路运输管理所", "农村公路管理站", "路政大队", "交通工程质量监督站"],
}
NA = "不适用"


def _marks(rng: np.random.Generator, centre: np.ndarray, sd: float, high: float = 100.0) -> np.ndarray:
    return np.clip(np.round(centre + rng.normal(0, sd, centre.shape), 1), 0, high)


def _items(rng: np.random.Generator, q: np.ndarray, prefix: str, slots: int, counts: np.ndarray) -> dict[str, list]:
    """Item columns: % of target for the listed items, 不适用 for the slots not used."""
    out: dict[str, list] = {}
    for k in range(1, slots + 1):
        values = np.clip(np.round(q + 4 + rng.normal(0, 10, q.shape), 1), 20, 130)
        out[f"{prefix}_{k}"] = [float(v) if k <= c else NA for v, c in zip(values, counts)]
    return out


def _level2_or_3(rng: np.random.Generator, n: int, *, township: bool, with_targets: bool) -> pd.DataFrame:
    q = rng.normal(80, 8, n)
    cols: dict[str, object] = {}
    key_counts = rng.choice([1, 2, 3], n, p=[0.15, 0.35, 0.5])
    cols.update(_items(rng, q, "key", 3, key_counts))
    if with_targets:
        target_counts = rng.choice([1, 2, 3, 4, 5, 6], n, p=[0.05, 0.1, 0.15, 0.25, 0.2, 0.25])
        cols.update(_items(rng, q, "target", 6, target_counts))
    if township:
        for name in ("economy", "society", "public_service"):
            cols[name] = _marks(rng, q, 5)
        conduct = ("rule_of_law", "efficiency", "integrity", "team")
    else:
        conduct = ("rule_of_law", "service", "efficiency", "integrity", "team")
    for name in conduct:
        cols[name] = _marks(rng, q + 3, 4)
    cols["public"] = _marks(rng, q - 2, 6)
    return pd.DataFrame(cols).assign(_q=q)


def generate(seed: int) -> pd.DataFrame:
    """14 townships, 26 departments, 8 vertically managed units, 12 sections."""
    rng = np.random.default_rng(seed)
    frames = []

    town = _level2_or_3(rng, len(TOWNSHIPS), township=True, with_targets=False)
    town["special"] = _marks(rng, town["_q"].to_numpy(), 6)
    frames.append(town.assign(name=TOWNSHIPS, **{"class": "township", "assessed_by": "县考核办(乡镇)", "level": 2}))

    dept = _level2_or_3(rng, len(DEPARTMENTS), township=False, with_targets=True)
    dept["special"] = _marks(rng, dept["_q"].to_numpy(), 6)
    frames.append(dept.assign(name=DEPARTMENTS, **{"class": "department", "assessed_by": "县考核办(部门)", "level": 2}))

    vert = _level2_or_3(rng, len(VERTICAL), township=False, with_targets=True)
    vert["special"] = _marks(rng, vert["_q"].to_numpy(), 6)
    frames.append(vert.assign(name=VERTICAL, **{"class": "vertical", "assessed_by": "县考核办(条管单位)", "level": 2}))

    for parent, names in SECTIONS.items():
        sec = _level2_or_3(rng, len(names), township=False, with_targets=True).drop(columns=["service"])
        sec["fair_enforcement"] = _marks(rng, sec["_q"].to_numpy() + 3, 4)
        frames.append(
            sec.assign(
                name=[parent + s for s in names],
                **{"class": "section", "assessed_by": f"{parent}(科室站所)", "level": 3},
            )
        )

    out = pd.concat(frames, ignore_index=True).drop(columns=["_q"])
    out.insert(0, "unit", [f"W{i:03d}" for i in range(1, len(out) + 1)])
    first = ["unit", "name", "class", "assessed_by", "level"]
    return out[first + [c for c in out.columns if c not in first]]
