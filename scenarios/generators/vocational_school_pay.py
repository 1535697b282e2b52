"""Unit data for the 篇十七 vocational-school-pay scenario: staff of 成都市工业职业技术学校, one pay year.

150 staff: 112 professional and technical (teachers and practical-training instructors), 24
management (school leaders, middle cadres, clerks) and 14 workers; six of them are off post awaiting
retirement (离岗待退, l.705), whose assessment cells are 不适用. Post coefficients follow the
scheme's stated default table; the monthly base amount is BASE_AMOUNT for everyone; each person's
annual pool share is 12 × base amount × coefficient ÷ 0.70 (the base part is 70 % of the pool).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SCENARIO = "vocational-school-pay"

BASE_AMOUNT = 1500.0
BASE_SHARE = 0.70
COEFFICIENTS = {  # stated defaults (the school's 现行奖金系数标准 is not in the text)
    "专业技术正高级": 1.8,
    "专业技术副高级": 1.5,
    "专业技术中级": 1.25,
    "专业技术初级": 1.0,
    "专业技术员级": 0.9,
    "管理五级": 1.8,
    "管理六级": 1.6,
    "管理七级": 1.45,
    "管理八级": 1.3,
    "管理九级": 1.1,
    "管理十级": 1.0,
    "工勤技师": 1.0,
    "工勤高级工": 0.95,
    "工勤中级工": 0.9,
    "工勤初级工": 0.85,
    "工勤普通工": 0.8,
}
# class → (count, off-post count, posts, post probabilities, staff label)
CLASSES = {
    "professional": (
        112,
        4,
        ["专业技术正高级", "专业技术副高级", "专业技术中级", "专业技术初级", "专业技术员级"],
        [0.03, 0.27, 0.42, 0.24, 0.04],
        "教师",
    ),
    "management": (
        24,
        1,
        ["管理七级", "管理八级", "管理九级", "管理十级"],
        [0.25, 0.3, 0.3, 0.15],
        "管理",
    ),
    "worker": (
        14,
        1,
        ["工勤技师", "工勤高级工", "工勤中级工", "工勤初级工", "工勤普通工"],
        [0.1, 0.2, 0.3, 0.2, 0.2],
        "工勤",
    ),
}
LEADERS = [
    ("校长", "管理五级"),
    ("党委书记", "管理五级"),
    ("副校长1", "管理六级"),
    ("副校长2", "管理六级"),
    ("副校长3", "管理六级"),
]
GRADES = np.array(["优秀", "合格", "基本合格", "不合格"])
EXTRA_HOURS = {"professional": 90.0, "management": 40.0, "worker": 60.0}
COLUMNS = ["basic_workload", "duty_quality", "extra_workload", "annual_assessment", "research", "homeroom"]
OWN = {
    "professional": COLUMNS,
    "management": COLUMNS[:5],
    "worker": COLUMNS[:4],
}


def _person(rng: np.random.Generator, cls: str, off_post: bool) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(COLUMNS, "")
    if off_post:
        row.update(dict.fromkeys(OWN[cls], "不适用"))
        return row
    latent = rng.normal(0.0, 1.0)
    row["basic_workload"] = float(np.clip(np.round(rng.normal(103 + 3 * latent, 6), 1), 60, 140))
    row["duty_quality"] = float(np.clip(np.round(rng.normal(84 + 5 * latent, 4), 1), 0, 100))
    row["extra_workload"] = float(np.round(rng.gamma(2.0, EXTRA_HOURS[cls] / 2) * np.exp(0.2 * latent)))
    z = latent + rng.normal(0, 0.5)
    row["annual_assessment"] = str(np.select([z >= 1.1, z >= -1.9, z >= -2.4], GRADES[:3], GRADES[3]))
    if cls != "worker":
        rate = 0.45 if cls == "professional" else 0.2
        row["research"] = int(rng.poisson(rate * np.exp(0.4 * latent)))
    if cls == "professional":
        homeroom = rng.random() < 0.3
        row["homeroom"] = float(np.clip(np.round(rng.normal(85 + 4 * latent, 5), 1), 0, 100)) if homeroom else 0.0
    return row


def generate(seed: int) -> pd.DataFrame:
    """150 staff of the school with their posts, coefficients, pool shares and assessment data."""
    rng = np.random.default_rng(seed)
    records: list[dict[str, object]] = []
    for cls, (count, off_post, posts, p, label) in CLASSES.items():
        for k in range(1, count + 1):
            off = k > count - off_post
            if cls == "management" and k <= len(LEADERS):
                name, post = LEADERS[k - 1]
            else:
                name, post = f"{label}{k:03d}", str(rng.choice(posts, p=p))
            coefficient = COEFFICIENTS[post]
            records.append(
                {
                    "name": name + ("（离岗待退）" if off else ""),
                    "class": cls,
                    **_person(rng, cls, off),
                    "outstanding_contribution": 0.0 if off or rng.random() > 0.06 else float(rng.integers(3, 13)),
                    "status": "离岗待退" if off else "在岗",
                    "post": post,
                    "base_amount": BASE_AMOUNT,
                    "post_coefficient": coefficient,
                    "pool_share": round(12 * BASE_AMOUNT * coefficient / BASE_SHARE, 2),
                }
            )
    frame = pd.DataFrame(records)
    frame.insert(0, "unit", [f"T{i:03d}" for i in range(1, len(frame) + 1)])
    return frame
