"""Worked examples from the seed plans (shared/seeds catalogs), as the issue lists them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import perfsim

from conftest import BANDS_90_80_70, QITAI_DATA, QITAI_SCHEME, label, leaf, make_scheme, run


def four_level(**fields):
    """篇四 l.150: score = key × 90% + public × 10% − (visit ≤ 2 + complaint ≤ 2)."""
    return make_scheme(
        [leaf("key", 90), leaf("public", 10)],
        adjustments={
            "items": [
                {"id": "visit", "name": label("查访核验扣分"), "kind": "deduction", "cap": 2},
                {"id": "complaint", "name": label("投诉查处扣分"), "kind": "deduction", "cap": 2},
            ]
        },
        rounding={"total": 2},
        **fields,
    )


def test_pian4_four_level_formula_caps_complaint_and_reaches_excellent():
    _, _, ev = run(four_level(), [{"unit": "a", "key": 95, "public": 80, "visit": 1.5, "complaint": 3}])
    assert ev.total[0, 0] == pytest.approx(90.0)
    assert ev.deduction[0, 0] == pytest.approx(3.5)  # 1.5 + min(3, 2)
    assert ev.grade_labels() == ["优秀"]  # ≥ 90 % inclusive (含90)


@pytest.mark.parametrize(
    ("score", "grade"),
    [(69.99, "不合格"), (70.0, "合格"), (79.99, "合格"), (80.0, "良好"), (89.99, "良好"), (90.0, "优秀")],
)
def test_pian4_band_boundaries(score, grade):
    _, _, ev = run(four_level(), [{"unit": "a", "key": score, "public": score}])
    assert ev.total[0, 0] == pytest.approx(score)
    assert ev.grade_labels() == [grade]


def special_track(pick: str):
    """篇四 l.175/189: tracking 80 % + public 10 % + audit 10 %, rolled up 10 / 8-9 / 5-6 / 0 (l.196)."""
    return make_scheme(
        [
            {
                "id": "special",
                "name": label("专项"),
                "points": 10,
                "scale": 100,
                "convert": {
                    "pick": pick,
                    "bands": [
                        {"min": 90, "points": 10, "grade": label("先进")},
                        {"min": 80, "points": [8, 9], "grade": label("良好")},
                        {"min": 70, "points": [5, 6], "grade": label("一般")},
                        {"points": 0, "grade": label("差")},
                    ],
                },
                "children": [leaf("tracking", 80), leaf("special_public", 10), leaf("audit", 10)],
            },
            leaf("rest", 90),
        ]
    )


@pytest.mark.parametrize(("pick", "credited"), [("low", 8.0), ("mid", 8.5), ("high", 9.0), ("interpolate", 8.5)])
def test_pian4_special_track_85_is_good_and_credited_in_range(pick, credited):
    _, _, ev = run(special_track(pick), [{"unit": "a", "tracking": 90, "special_public": 70, "audit": 60, "rest": 0}])
    detail = ev.details[0]
    cc = ev.compiled.classes[0]
    node = cc.index("special")
    assert detail.before_conversion[node][0, 0] * 100 == pytest.approx(85.0)  # 72 + 7 + 6
    assert detail.scores[node][0, 0] == pytest.approx(credited)
    assert "良好" in str(perfsim.explain(ev, "a"))


def test_pian4_special_track_interpolates_within_band():
    _, _, ev = run(
        special_track("interpolate"), [{"unit": "a", "tracking": 88, "special_public": 88, "audit": 88, "rest": 0}]
    )
    assert ev.total[0, 0] == pytest.approx(8.8)


def test_pian4_scenario_special_track_reads_as_in_the_scheme_file():
    compiled = perfsim.compile_scheme(perfsim.load_scheme(QITAI_SCHEME))
    frame = pd.read_csv(QITAI_DATA)
    frame.loc[0, ["tracking", "special_public", "audit"]] = [90, 70, 60]
    ev = perfsim.evaluate(compiled, perfsim.load_units(frame, compiled), detail=True)
    assert perfsim.results_frame(ev).loc[0, "score:special"] == pytest.approx(8.5)


@pytest.mark.parametrize(("actual", "points"), [(100, 90), (150, 90), (50, 45), (0, 0)])
def test_pian11c_completion_ratio(actual, points):
    scheme = make_scheme([leaf("indicators", 90, {"method": "completion_ratio", "standard": 100}), leaf("leader", 10)])
    _, _, ev = run(scheme, [{"unit": "township", "indicators": actual, "leader": 0}])
    assert ev.total[0, 0] == pytest.approx(points)


@pytest.mark.parametrize(
    ("level", "count", "item"),
    [
        (2, 1, 2),
        (2, 2, 2),
        (2, 3, 2),
        (2, 4, 1),
        (2, 5, 0),
        (2, 6, 0),  # 2-point band: flaws
        (1, 1, 1),
        (1, 2, 0),
        (1, 3, 0),  # 1-point band: errors
        (5, 0, 5),
        (4, 0, 4),
        (3, 0, 3),  # rated levels score themselves
    ],
)
def test_pian13_mistake_counts(level, count, item):
    scheme = make_scheme([leaf("daily", 100, {"method": "rubric_5pt"})])
    _, _, ev = run(scheme, [{"unit": "employee", "daily": level, "daily.count": count}])
    assert ev.total[0, 0] == pytest.approx(item / 5 * 100)


@pytest.mark.parametrize(("tier", "total"), [(1, 1000), (2, 900), (3, 800), (4, 400)])
def test_pian6_tier_points_on_top_of_comprehensive_evaluation(tier, total):
    scheme = make_scheme(
        [
            leaf("comprehensive", 400, {"method": "score", "scale": 400}),
            leaf("county_tier", 600, {"method": "tier_points", "tiers": {1: 600, 2: 500, 3: 400}}),
        ],
        total=1000,
    )
    _, _, ev = run(scheme, [{"unit": "county_bureau", "comprehensive": 400, "county_tier": tier}])
    assert ev.total[0, 0] == pytest.approx(total)


def hospital(whole_veto: bool):
    """篇十六 l.679-680: a veto item zeroes its section; planned: a veto of the whole assessment."""
    vetoes = [{"id": "safety_veto", "name": label("医疗安全单项否决"), "scope": "section", "target": "safety"}]
    if whole_veto:
        vetoes.append({"id": "whole_veto", "name": label("全部考核一票否决"), "scope": "total"})
    return make_scheme(
        [
            {"id": "admin", "name": label("行政管理"), "points": 30, "children": [leaf("attendance", 30)]},
            {
                "id": "quality",
                "name": label("医疗质量"),
                "points": 40,
                "children": [leaf("occupancy", 20), leaf("rescue", 20)],
            },
            {"id": "safety", "name": label("医疗安全"), "points": 30, "children": [leaf("complaints", 30)]},
        ],
        vetoes=vetoes,
    )


def test_pian16_section_veto_zeroes_that_section_only():
    row = {"unit": "ward", "attendance": 90, "occupancy": 80, "rescue": 70, "complaints": 100, "safety_veto": 1}
    _, _, ev = run(hospital(False), [row])
    frame = perfsim.results_frame(ev)
    assert frame.loc[0, "score:safety"] == 0
    assert frame.loc[0, "score:admin"] == pytest.approx(27)
    assert frame.loc[0, "score:quality"] == pytest.approx(16 + 14)
    assert ev.total[0, 0] == pytest.approx(57)
    _, _, ev = run(hospital(False), [{**row, "safety_veto": 0}])
    assert ev.total[0, 0] == pytest.approx(87)


def test_pian16_whole_assessment_veto_sets_total_to_zero():
    row = {
        "unit": "ward",
        "attendance": 90,
        "occupancy": 80,
        "rescue": 70,
        "complaints": 100,
        "safety_veto": 0,
        "whole_veto": 1,
    }
    _, _, ev = run(hospital(True), [row])
    assert ev.total[0, 0] == 0
    assert ev.grade_labels() == ["不合格"]


QUOTA_TOTALS = [98, 95, 95, 93, 92, 91, 90, 85, 84, 80, 75, 60]  # 12 units, tie at places 2-3


def quota_scheme(rounding: str, ties: str, break_by: list[str] | None = None):
    return make_scheme(
        [leaf("work", 90), leaf("leader", 10)],
        grading={
            "basis": "percent",
            "bands": BANDS_90_80_70,
            "quotas": [{"grade": "优秀", "max_share": 0.2, "rounding": rounding, "ties": ties}],
            "ranking": {"break_by": break_by or []},
        },
    )


def quota_rows(leader_scores=None):
    leader_scores = leader_scores or [100] * 12
    return [
        {"unit": f"u{i:02d}", "work": (t - lead / 10) / 0.9, "leader": lead}
        for i, (t, lead) in enumerate(zip(QUOTA_TOTALS, leader_scores))
    ]


@pytest.mark.parametrize(
    ("rounding", "ties", "excellent"),
    [
        ("floor", "exclude_all", ["u00"]),  # 2.4 → 2 places; 95/95 tie spans places 2-3 → both out
        ("floor", "include_all", ["u00", "u01", "u02"]),  # tied units all kept: 3 > 2, quota exceeded
        ("half_up", "exclude_all", ["u00"]),  # 2.4 rounds half-up to 2
        ("ceil", "exclude_all", ["u00", "u01", "u02"]),  # 2.4 → 3 places: the tie block fits
    ],
)
def test_quota_20_percent_of_12_with_ties(rounding, ties, excellent):
    _, data, ev = run(quota_scheme(rounding, ties), quota_rows())
    frame = perfsim.results_frame(ev)
    assert list(frame.loc[frame.grade == "优秀", "unit"]) == excellent
    # units that qualified by score but lost the place drop exactly one grade
    dropped = frame[frame.quota_dropped]
    assert set(dropped.band_grade) <= {"优秀"} and set(dropped.grade) <= {"良好"}
    assert len(dropped) == int((frame.band_grade == "优秀").sum()) - len(excellent)


def test_quota_tie_broken_by_stated_indicator():
    leaders = [100, 90, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100]  # u02 wins the 95/95 tie on leader
    _, _, ev = run(quota_scheme("floor", "exclude_all", ["leader"]), quota_rows(leaders))
    frame = perfsim.results_frame(ev)
    assert list(frame.loc[frame.grade == "优秀", "unit"]) == ["u00", "u02"]


def test_bands_on_points_and_exclusive_bounds():
    scheme = make_scheme(
        [leaf("a", 100)],
        grading={
            "basis": "points",
            "bands": [{"grade": label("优"), "min": 90, "min_inclusive": False}, {"grade": label("差")}],
        },
    )
    _, _, ev = run(scheme, [{"unit": "x", "a": 90}, {"unit": "y", "a": 90.01}])
    assert ev.grade_labels() == ["差", "优"]


def test_national_project_bands_mof():
    """The Ministry of Finance project bands used where a plan leaves them blank (篇二 l.91)."""
    bands = [
        {"grade": label("优"), "min": 90},
        {"grade": label("良"), "min": 80},
        {"grade": label("中"), "min": 60},
        {"grade": label("差")},
    ]
    scheme = make_scheme([leaf("a", 100)], grading={"bands": bands})
    _, _, ev = run(scheme, [{"unit": str(v), "a": v} for v in (100, 90, 89.99, 80, 60, 59.99, 0)])
    assert ev.grade_labels() == ["优", "优", "良", "良", "中", "差", "差"]
    assert np.array_equal(ev.rank[0], [1, 2, 3, 4, 5, 6, 7])
