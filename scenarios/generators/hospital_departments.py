"""Unit data for the 篇十六 hospital-departments scenario: one month of a county hospital's departments.

Ten functional departments, ten clinical departments (手术室 and 急诊科 on the clinical sheet with the
rate items that do not apply to them marked 不适用, l.677) and five medical-technology departments.
药剂科 and 收费室 are assessed by their supervising departments (l.678) and are left out.

Each department has a latent management quality; marks lie around it, event counts (lapses,
complaints) are Poisson with rates falling with it, rates scatter around their stated default
targets, and finance items are month-on-month changes in per cent. One clinical department (外一科)
had a major medical dispute this month, which triggers the medical-safety single-item veto (l.680).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SCENARIO = "hospital-departments"

FUNCTIONAL = ["院办公室", "医务科", "护理部", "质控科", "控感科", "财务科", "总务科", "设备科", "信息科", "人事科"]
CLINICAL = ["内一科", "内二科", "外一科", "外二科", "妇产科", "儿科", "中医科", "五官科", "手术室", "急诊科"]
MEDTECH = ["检验科", "放射科", "超声科", "心电图室", "病理科"]
SURGICAL = {"外一科", "外二科", "妇产科", "五官科", "手术室"}
NOT_APPLICABLE = {  # l.677: revised items for the operating room and the emergency department
    "手术室": ["pathway", "bed_occupancy", "rescue_rate"],
    "急诊科": ["pathway", "typeb_surgery"],
}
VETO_SAFETY = "外一科"
DISPUTES = np.array(["无", "一般纠纷", "重大纠纷"])


def _mark(rng: np.random.Generator, latent: float, shift: float = 0.0, sd: float = 4.0) -> float:
    return float(np.clip(np.round(latent + shift + rng.normal(0, sd), 1), 0, 100))


def _rate(rng: np.random.Generator, centre: float, sd: float, top: float = 100.0) -> float:
    return float(np.clip(np.round(rng.normal(centre, sd), 1), 0, top))


def _count(rng: np.random.Generator, rate: float) -> int:
    return int(rng.poisson(max(rate, 0.05)))


def _safety(rng: np.random.Generator, name: str, good: float) -> dict[str, object]:
    dispute = "重大纠纷" if name == VETO_SAFETY else str(rng.choice(DISPUTES, p=[0.86, 0.12, 0.02]))
    compensation = {"无": 0.0, "一般纠纷": rng.uniform(0.2, 1.5), "重大纠纷": rng.uniform(2.0, 8.0)}[dispute]
    return {
        "complaints": _count(rng, 0.9 - 0.5 * good),
        "dispute_type": dispute,
        "compensation": round(float(compensation), 2),
        "veto_safety": int(name == VETO_SAFETY),
    }


def generate(seed: int) -> pd.DataFrame:
    """25 departments (10 functional, 10 clinical, 5 medical-technology), one month's assessment data."""
    rng = np.random.default_rng(seed)
    rows: list[dict[str, object]] = []
    for name in FUNCTIONAL:
        latent = rng.normal(86, 5)
        good = (latent - 86) / 5
        rows.append(
            {
                "name": name,
                "class": "functional",
                "attendance_events": _count(rng, 1.0 - 0.5 * good),
                "directive_tasks": _mark(rng, latent),
                "general_duty": _mark(rng, latent, 2),
                "daily_work": _mark(rng, latent, 1),
                "monthly_work": _mark(rng, latent),
                "leader_directives": _mark(rng, latent, 1),
                "inspections": _mark(rng, latent, -1, 5),
                "complaints_frontline": _count(rng, 0.6 - 0.3 * good),
                "leader_rating": _mark(rng, latent, 2, 3),
                "frontline_rating": _mark(rng, latent, -3, 6),
            }
        )
    for name in CLINICAL:
        latent = rng.normal(85, 5)
        good = (latent - 85) / 5
        surgical = name in SURGICAL
        row: dict[str, object] = {
            "name": name,
            "class": "clinical",
            "admin_violations": _count(rng, 2.0 - 0.8 * good),
            "praise": _count(rng, 1.0 + 0.4 * good),
            "insurance": _count(rng, 0.6 - 0.3 * good),
            # slowest emergency consultation arrival (minutes) and ordinary consultation completion (hours)
            "emergency_consult": float(np.round(rng.gamma(6.0, 1.2) - good, 1).clip(2, None)),
            "ordinary_consult": float(np.round(rng.gamma(8.0, 2.2) - 2 * good, 1).clip(2, None)),
            "quality_meeting": int(rng.random() < 0.08),
            "core_records": _count(rng, 1.5 - 0.6 * good),
            "drug_ratio": _rate(rng, 42 - 2 * good, 5),
            "antimicrobial": _rate(rng, 55 - 3 * good, 9),
            "pathway": _rate(rng, 28 + 3 * good, 7),
            "bed_occupancy": _rate(rng, 88 + 3 * good, 9, 130),
            "rescue_rate": _rate(rng, 87 + 2 * good, 5),
            "typeb_surgery": _rate(rng, 21 + 2 * good, 5) if surgical else "不适用",
            "sanji_pass": _rate(rng, 95 + good, 3),
            "infection": _mark(rng, latent, 2),
            **_safety(rng, name, good),
            "net_income_change": float(np.round(rng.normal(1 + good, 6), 1)),
        }
        for item in NOT_APPLICABLE.get(name, []):
            row[item] = "不适用"
        rows.append(row)
    for name in MEDTECH:
        latent = rng.normal(86, 5)
        good = (latent - 86) / 5
        rows.append(
            {
                "name": name,
                "class": "medtech",
                "admin_violations": _count(rng, 1.5 - 0.6 * good),
                "praise": _count(rng, 0.5 + 0.3 * good),
                "report_system": _count(rng, 1.5 - 0.6 * good),
                "emergency_plan": _mark(rng, latent),
                "report_quality": _mark(rng, latent, 1),
                "result_review": _count(rng, 0.8 - 0.4 * good),
                "sanji_pass": _rate(rng, 95 + good, 3),
                "visits_change": float(np.round(rng.normal(1 + good, 5), 1)),
                "net_income_change": float(np.round(rng.normal(1 + good, 6), 1)),
                **_safety(rng, name, good),
            }
        )
    frame = pd.DataFrame(rows)
    frame.insert(0, "unit", [f"D{i:02d}" for i in range(1, len(frame) + 1)])
    frame["veto_quality"] = 0
    frame["veto_safety"] = frame["veto_safety"].fillna(0).astype(int)
    frame["veto_whole"] = 0
    return frame
