"""Unit data for the 篇十四 compulsory-school-pay scenario: staff of five schools, one pay year.

Units are staff members. Each school has teaching, teaching-support, administrative and worker
staff (about 82/6/7/5 %), graduates on probation (见习期) and apprentices or workers in their
proficiency period (学徒期/熟练期), a few retired (退休) and departed (退职) staff, and a principal
and a Party secretary, who form the city education bureau's own group (l.598).

Money follows the scheme's stated defaults: the monthly post allowance comes from the default table
by post grade (POST_ALLOWANCE); each in-service member's annual pool share is 12 × allowance ÷ 0.70
(the fixed 580/440 for probationers and apprentices), so that the base part is 70 % of each school's
pool (l.593); retired and departed staff add nothing to the pool. December basic salaries are drawn
by post grade so that teachers' average wage (basic salary + performance pay) stays above the local
civil servants' average (CIVIL_SERVANT_MONTHLY_WAGE), the rule of l.588.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SCENARIO = "compulsory-school-pay"

BASE_SHARE = 0.70
CIVIL_SERVANT_MONTHLY_WAGE = 2900.0
"""Stated default: local civil servants' average monthly wage (basic salary + standardised allowances)."""
BUREAU_GROUP = "市教育局考核（校长、书记）"
FIXED = {"见习期": 580.0, "学徒期": 440.0, "熟练期": 440.0}

# post grade → (monthly post allowance, mean December basic salary), stated defaults (l.593: 附表 absent)
POST_ALLOWANCE = {
    "专业技术高级": (1250.0, 2300.0),
    "专业技术中级": (1000.0, 1750.0),
    "专业技术初级": (800.0, 1300.0),
    "专业技术员级": (700.0, 1100.0),
    "管理五级": (1400.0, 2600.0),
    "管理六级": (1150.0, 2200.0),
    "管理七级": (1000.0, 1850.0),
    "管理八级": (850.0, 1550.0),
    "管理九级": (750.0, 1300.0),
    "工勤技师/高级工": (800.0, 1500.0),
    "工勤中级工": (700.0, 1250.0),
    "工勤初级工": (650.0, 1100.0),
    "工勤普通工": (600.0, 1000.0),
}
PROFESSIONAL = (["专业技术高级", "专业技术中级", "专业技术初级", "专业技术员级"], [0.25, 0.45, 0.25, 0.05])
MANAGEMENT = (["管理七级", "管理八级", "管理九级"], [0.3, 0.4, 0.3])
WORKER = (["工勤技师/高级工", "工勤中级工", "工勤初级工", "工勤普通工"], [0.2, 0.3, 0.25, 0.25])

# (school, short name, in-service staff other than the principal and secretary, retired, departed)
SCHOOLS = [
    ("市第一初级中学", "一中", 58, 3, 1),
    ("市第二初级中学", "二中", 46, 3, 0),
    ("市实验小学", "实小", 52, 2, 1),
    ("市第一小学", "一小", 40, 3, 0),
    ("市第二小学", "二小", 34, 2, 0),
]
CLASS_SHARES = {"teaching": 0.82, "support": 0.06, "admin": 0.07, "worker": 0.05}
ROLE = {"teaching": "教师", "support": "教辅", "admin": "行政", "worker": "工勤"}
TEACHING_COLUMNS = ["class_hours", "homeroom", "teaching_routine", "results", "attendance", "service"]
OTHER_COLUMNS = ["duty_workload", "duty_quality", "duty_results", "attendance", "service"]
ALL_COLUMNS = ["class_hours", "homeroom", "teaching_routine", "results", "duty_workload", "duty_quality"]
ALL_COLUMNS += ["duty_results", "attendance", "service"]


def _mark(rng: np.random.Generator, latent: float, shift: float = 0.0, sd: float = 4.0) -> float:
    return float(np.clip(np.round(latent + shift + rng.normal(0, sd), 1), 0, 100))


def _person(rng: np.random.Generator, cls: str, status: str) -> dict[str, object]:
    """Indicator values of one person (empty cells for other classes, 不适用 for staff not assessed)."""
    row: dict[str, object] = dict.fromkeys(ALL_COLUMNS, "")
    columns = TEACHING_COLUMNS if cls == "teaching" else OTHER_COLUMNS
    if status in ("退休", "退职"):
        row.update(dict.fromkeys(columns, "不适用"))
        return row
    latent = rng.normal(82, 6) - (4 if status in FIXED else 0)
    row["attendance"] = int(rng.poisson(0.4))
    row["service"] = _mark(rng, latent, 2)
    if cls == "teaching":
        row["class_hours"] = float(np.clip(np.round(rng.normal(14.5, 2.0)), 8, 20))
        row["homeroom"] = _mark(rng, latent, 4) if rng.random() < 0.4 and status == "在职" else "不适用"
        row["teaching_routine"] = _mark(rng, latent)
        row["results"] = _mark(rng, latent, -2, 6)
    else:
        row["duty_workload"] = _mark(rng, latent, 1)
        row["duty_quality"] = _mark(rng, latent)
        row["duty_results"] = _mark(rng, latent, -2, 5)
    return row


def _post(rng: np.random.Generator, cls: str) -> str:
    names, p = {"teaching": PROFESSIONAL, "support": PROFESSIONAL, "admin": MANAGEMENT, "worker": WORKER}[cls]
    return str(rng.choice(names, p=p))


def generate(seed: int) -> pd.DataFrame:
    """About 240 staff of five schools, with the principals' and secretaries' bureau group."""
    rng = np.random.default_rng(seed)
    records: list[dict[str, object]] = []
    for school, short, staff, retired, departed in SCHOOLS:
        counts = {c: int(round(staff * s)) for c, s in CLASS_SHARES.items()}
        counts["teaching"] += staff - sum(counts.values())
        people: list[tuple[str, str, str, str]] = []  # (class, name, status, post)
        people.append(("admin", f"{short}校长", "在职", "管理五级"))
        # dual post: the secretary's basic salary is set by the senior professional post (l.607)
        people.append(("admin", f"{short}书记", "在职", "专业技术高级"))
        for cls, n in counts.items():
            for k in range(1, n + 1):
                status = "在职"
                post = _post(rng, cls)
                if cls == "teaching" and k % 12 == 0:
                    status, post = "见习期", "专业技术初级"
                if cls == "worker" and k == n:
                    status, post = ("学徒期" if short in ("一中", "实小") else "熟练期"), "工勤普通工"
                people.append((cls, f"{short}{ROLE[cls]}{k:02d}", status, post))
        for k in range(1, retired + 1):
            people.append(("teaching", f"{short}退休{k:02d}", "退休", _post(rng, "teaching")))
        for k in range(1, departed + 1):
            people.append(("worker", f"{short}退职{k:02d}", "退职", _post(rng, "worker")))
        for cls, name, status, post in people:
            allowance, salary = POST_ALLOWANCE[post]
            monthly = FIXED.get(status, allowance)
            in_service = status not in ("退休", "退职")
            leader = name.endswith(("校长", "书记"))
            basic = np.round(salary * rng.uniform(0.9, 1.1) * (0.7 if status in FIXED else 1.0), 0)
            records.append(
                {
                    "name": name,
                    "class": cls,
                    **_person(rng, cls, status),
                    "school": BUREAU_GROUP if leader else school,
                    "home_school": school,
                    "post": post,
                    "status": status,
                    "post_allowance": allowance,
                    "pool_share": round(12 * monthly / BASE_SHARE, 2) if in_service else 0.0,
                    "basic_salary": basic if in_service else 0.0,
                }
            )
    frame = pd.DataFrame(records)
    frame.insert(0, "unit", [f"S{i:03d}" for i in range(1, len(frame) + 1)])
    return frame
