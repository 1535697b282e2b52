"""Unit data for the 篇八 Yanghe township scenario: the township's twelve offices and centres.

The plan names the units only as 各室(中心) (l.373). The list below is the usual set of
internal offices and service centres of a Sichuan township after the 2010s reforms. The
quantified areas are % of the targets of the office's annual work plan (l.371), the social
areas survey marks out of 100; one office (the planning and construction office, with a
delayed resettlement project) is made weak so that every grade can occur.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SCENARIO = "yanghe-township"

OFFICES = [
    "党政综合办公室",
    "经济发展办公室",
    "社会事务办公室",
    "社会治安综合治理办公室",
    "规划建设环保办公室",
    "安全生产监督管理办公室",
    "财政所",
    "便民服务中心",
    "农业服务中心",
    "社会保障服务中心",
    "文化服务中心",
    "计划生育服务中心",
]
QUANTIFIED = ["economy", "harmony", "urban_rural", "self_building_q"]
SOCIAL = ["decisions", "interests", "disputes", "self_building_s"]


def generate(seed: int) -> pd.DataFrame:
    """Twelve offices and centres, one annual row each."""
    rng = np.random.default_rng(seed)
    n = len(OFFICES)
    latent = rng.normal(83, 6, n)
    latent[OFFICES.index("规划建设环保办公室")] = 50.0
    frame = pd.DataFrame({"unit": [f"YH{i:02d}" for i in range(1, n + 1)], "name": OFFICES})
    for name in QUANTIFIED:  # % of the annual plan's targets; over-completion happens
        frame[name] = np.clip(np.round(latent + 4 + rng.normal(0, 7, n), 1), 20, 130)
    for name in SOCIAL:  # survey marks
        frame[name] = np.clip(np.round(latent + rng.normal(0, 5, n), 1), 0, 100)
    return frame
