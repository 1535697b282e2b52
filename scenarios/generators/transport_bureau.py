"""Unit data for the 篇六 city transport bureau scenario: 12 directly affiliated units, 11 county bureaus.

The plan names no city. The county-level units are those of a prefecture-level city with eight
counties, two county-level cities and one district (衡水市 before 2016), for realism only: ten
county transport bureaus and the district's economic-and-trade (information) bureau, which
carries the transport portfolio there (篇六 l.310). Values are synthetic around a latent
performance per unit; every indicator column matches the scheme's method (percent of the
unit's own target, counts of unfinished items, violations, milestones, a growth rate, rater
marks, the county-ranking tier 1/2/3).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SCENARIO = "transport-bureau"

AFFILIATED = [
    "市公路管理局",
    "市道路运输管理处",
    "市交通运输综合执法支队",
    "市交通工程质量监督站",
    "市公路路政管理支队",
    "市农村公路管理处",
    "市交通规划设计院",
    "市交通运输信息中心",
    "市客运出租汽车管理处",
    "市地方海事处",
    "市交通技工学校",
    "市交通局机关服务中心",
]
COUNTY = [
    "冀州市交通局",
    "深州市交通局",
    "枣强县交通局",
    "武邑县交通局",
    "武强县交通局",
    "饶阳县交通局",
    "安平县交通局",
    "故城县交通局",
    "景县交通局",
    "阜城县交通局",
    "桃城区经贸(信)局",
]
AFFILIATED_COLUMNS = [
    "prov_tasks",
    "safety",
    "city_tasks",
    "upward_funds",
    "key_projects",
    "business_growth",
    "on_time",
    "satisfaction",
    "law",
    "party_building",
    "integrity",
    "leader",
    "temporary",
    "public",
]
COUNTY_COLUMNS = ["highway", "transport_mgmt", "county_tier"]


def _marks(
    rng: np.random.Generator, centre: np.ndarray, sd: float, low: float = 0.0, high: float = 100.0
) -> np.ndarray:
    return np.clip(np.round(centre + rng.normal(0, sd, centre.shape), 1), low, high)


def generate(seed: int) -> pd.DataFrame:
    """12 directly affiliated units and 11 county/district bureaus, one annual row each."""
    rng = np.random.default_rng(seed)
    n_a, n_c = len(AFFILIATED), len(COUNTY)
    units = [f"U{i:02d}" for i in range(1, n_a + n_c + 1)]
    frame = pd.DataFrame({"unit": units, "name": AFFILIATED + COUNTY, "class": ["affiliated"] * n_a + ["county"] * n_c})

    # directly affiliated units: one latent performance (0-100) per unit
    q = rng.normal(84, 6, n_a)
    cols: dict[str, np.ndarray] = {}
    cols["prov_tasks"] = _marks(rng, q + 12, 7, 40, 130)  # % of the assigned provincial target
    cols["safety"] = (rng.random(n_a) < 0.08).astype(float)  # major liability accidents
    cols["city_tasks"] = rng.poisson(np.clip((92 - q) / 6, 0.05, None)).astype(float)  # items unfinished
    cols["upward_funds"] = _marks(rng, q + 14, 16, 30, 180)  # % of the 万元 target
    cols["key_projects"] = np.clip(np.round((q - 58) / 6 + rng.normal(0, 1, n_a)), 0, 8)  # milestones
    cols["business_growth"] = np.round(rng.normal(6 + (q - 84) / 3, 2.0, n_a), 1)  # % growth
    cols["on_time"] = _marks(rng, q + 13, 3, 70, 100)
    cols["satisfaction"] = _marks(rng, q + 2, 5, 40, 100)
    cols["law"] = rng.poisson(np.clip((90 - q) / 12, 0.05, None)).astype(float)
    cols["party_building"] = _marks(rng, q + 6, 4)
    cols["integrity"] = (rng.random(n_a) < 0.07).astype(float)
    cols["leader"] = _marks(rng, q + 4, 4)
    cols["temporary"] = _marks(rng, q + 2, 6)
    cols["public"] = _marks(rng, q, 6)

    # county bureaus: two departments' marks and the tier from the county's own ranking
    qc = rng.normal(84, 6, n_c)
    county: dict[str, np.ndarray] = {
        "highway": _marks(rng, qc + 3, 4),
        "transport_mgmt": _marks(rng, qc + 2, 5),
    }
    standing = qc + rng.normal(0, 3, n_c)
    county["county_tier"] = np.where(standing >= 88, 1.0, np.where(standing >= 80, 2.0, 3.0))

    nan_c, nan_a = np.full(n_c, np.nan), np.full(n_a, np.nan)
    for name in AFFILIATED_COLUMNS:
        frame[name] = np.concatenate([cols[name], nan_c])
    for name in COUNTY_COLUMNS:
        frame[name] = np.concatenate([nan_a, county[name]])
    n = n_a + n_c
    frame["contribution"] = rng.choice([0, 0, 0, 0, 1, 1, 2, 3], n)  # commendations (10 points each)
    frame["bad_influence"] = rng.choice([0] * 10 + [1, 1, 2], n)  # incidents (20 points each)
    return frame
