"""Grading-side rules of issue 14: compound conditions, 降一档, count limits, literal top band, vetoed ranks,
top lists, truncation, declared templates and schemes without grading.

Each rule is checked on a worked example whose source is cited in the test, plus hypothesis properties
for the invariants (a one-grade downgrade never raises a grade; count limits never exceeded).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import perfsim
from perfsim.errors import SchemeError
from perfsim.lint import lint

from conftest import BANDS_90_80_70, SCENARIOS, label, leaf, make_scheme, run


def section(id: str, points: float, children: list[dict]) -> dict:
    return {"id": id, "name": label(id), "points": points, "children": children}


def grades_of(ev: perfsim.Evaluation) -> list[str]:
    return ev.grade_labels()


# --- compound grade conditions -------------------------------------------------------------------

# 水利部《水利安全生产标准化评审管理暂行办法》 grade table (as reproduced in 二级建造师《水利水电》 notes,
# m.hqwx.com/ejjzs-kaoshi/news/16167309122967.html): 一级 评审得分 ≥ 90 且各一级评审项目得分不低于应得分的
# 70 %; 二级 ≥ 80 且 ≥ 70 %; 三级 ≥ 70 且 ≥ 60 %; 不达标: below 70, or any first-level item below 60 %.
WATER_SAFETY_BANDS = [
    {"grade": label("一级", "level 1"), "min": 90, "sections_min": 0.7},
    {"grade": label("二级", "level 2"), "min": 80, "sections_min": 0.7},
    {"grade": label("三级", "level 3"), "min": 70, "sections_min": 0.6},
    {"grade": label("不达标", "not met")},
]


def water_safety(**grading):
    return make_scheme(
        [
            section("目标", 40, [leaf("a", 40)]),
            section("制度", 30, [leaf("b", 30)]),
            section("现场", 30, [leaf("c", 30)]),
        ],
        grading={"bands": WATER_SAFETY_BANDS, **grading},
    )


def test_water_safety_grade_needs_total_and_every_first_level_share():
    rows = [
        {"unit": "all_full", "a": 100, "b": 100, "c": 100},  # 100, every item 100 %
        {"unit": "even", "a": 100, "b": 90, "c": 80},  # 91, shares 100/90/80 % → 一级
        {"unit": "weak_site", "a": 100, "b": 100, "c": 200 / 3},  # 90 but 现场 66.7 % → 三级
        {"unit": "very_weak_site", "a": 100, "b": 100, "c": 50},  # 85 but 现场 50 % (< 60 %) → 不达标
        {"unit": "low_total", "a": 70, "b": 70, "c": 70},  # 70, every item 70 % → 三级 by the total
    ]
    _, _, ev = run(water_safety(), rows)
    assert ev.total[0].round(6).tolist() == [100, 91, 90, 85, 70]
    assert grades_of(ev) == ["一级", "一级", "三级", "不达标", "三级"]
    assert ev.rules.total_band is not None
    assert [ev.compiled.grades[g].zh for g in ev.rules.total_band[0]] == ["一级", "一级", "一级", "二级", "三级"]


def test_water_safety_trace_names_the_condition_and_the_share_missed():
    _, _, ev = run(water_safety(), [{"unit": "u", "a": 100, "b": 100, "c": 200 / 3}])
    zh = str(perfsim.explain(ev, "u", lang="zh"))
    assert "一级还须各一级指标得分率不低于 70%；未达到：现场 66.6667% → 二级" in zh
    assert "二级还须各一级指标得分率不低于 70%；未达到：现场 66.6667% → 三级" in zh
    en = str(perfsim.explain(ev, "u", lang="en"))
    assert "every first-level section at least 70% of its points; missed: 现场 66.6667% → level 3" in en


def test_named_indicator_minimum_lowers_the_grade():
    # issue 14 (a grade needs "a named indicator minimum"); cut-offs 篇四 l.192 (90 / 80 / 70 % of the total)
    bands = [dict(b) for b in BANDS_90_80_70]
    bands[0]["indicators_min"] = {"satisfaction": 8}
    scheme = make_scheme([leaf("work", 90), leaf("satisfaction", 10)], grading={"bands": bands})
    rows = [{"unit": "u1", "work": 100, "satisfaction": 70}, {"unit": "u2", "work": 95, "satisfaction": 90}]
    _, _, ev = run(scheme, rows)
    assert ev.total[0].round(6).tolist() == [97, 94.5]
    assert grades_of(ev) == ["良好", "优秀"]
    assert "satisfaction 7 分（须 ≥ 8 分）" in str(perfsim.explain(ev, "u1", lang="zh"))


def test_conditions_on_the_lowest_band_or_unknown_indicator_are_refused():
    bands = [dict(b) for b in WATER_SAFETY_BANDS]
    bands[-1] = {"grade": label("不达标"), "sections_min": 0.6}
    with pytest.raises(SchemeError, match="lowest grade"):
        water_safety(bands=bands)
    bands = [dict(b) for b in BANDS_90_80_70]
    bands[0]["indicators_min"] = {"satisfactoin": 8}
    with pytest.raises(SchemeError, match="unknown indicator 'satisfactoin'"):
        make_scheme([leaf("work", 90), leaf("satisfaction", 10)], grading={"bands": bands})


# --- 降一档 ------------------------------------------------------------------------------------------

# 国资委《中央企业安全生产考核实施细则》(2014): a production-safety liability accident lowers the annual
# performance grade (降级) whatever the score; bands of 篇四 l.192 (优秀 ≥ 90 %, 良好 80-89 %, ...).
DOWN = [{"id": "accident", "name": label("安全责任事故", "safety accident"), "scope": "grade_down"}]


def test_downgrade_lowers_exactly_one_grade_whatever_the_score():
    scheme = make_scheme([leaf("x", 100)], vetoes=DOWN)
    rows = [
        {"unit": "top", "x": 99, "accident": 1},
        {"unit": "good", "x": 85, "accident": 1},
        {"unit": "fail", "x": 50, "accident": 1},
        {"unit": "clean", "x": 99, "accident": 0},
    ]
    _, _, ev = run(scheme, rows)
    assert grades_of(ev) == ["良好", "合格", "不合格", "优秀"]
    zh = str(perfsim.explain(ev, "top", lang="zh"))
    assert "安全责任事故：等次降一档（在比例控制之前）" in zh
    assert "等次：良好" in zh


def test_downgraded_unit_takes_no_quota_place_before_the_quota():
    # veto_timing before_quota (the default): the downgraded unit leaves the 优秀 place to the next unit
    scheme = make_scheme(
        [leaf("x", 100)], vetoes=DOWN, grading={"bands": BANDS_90_80_70, "quotas": [{"grade": "优秀", "max_count": 1}]}
    )
    rows = [{"unit": "a", "x": 98, "accident": 1}, {"unit": "b", "x": 95, "accident": 0}, {"unit": "c", "x": 92}]
    _, _, ev = run(scheme, [{**r, "accident": r.get("accident", 0)} for r in rows])
    assert grades_of(ev) == ["良好", "优秀", "良好"]


def _random_scheme(down: bool, quotas: list[dict] | None = None) -> perfsim.Scheme:
    grading = {"bands": BANDS_90_80_70, "quotas": quotas or []}
    return make_scheme([leaf("x", 100)], vetoes=DOWN if down else [], grading=grading)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    totals=st.lists(st.integers(0, 100), min_size=1, max_size=12),
    flags=st.lists(st.booleans(), min_size=12, max_size=12),
    with_quota=st.booleans(),
)
def test_property_downgrade_never_raises_a_grade(totals, flags, with_quota):
    quotas = [{"grade": "优秀", "max_count": 2}, {"grade": "良好", "max_share": 0.5}] if with_quota else None
    rows = [{"unit": f"u{i}", "x": t, "accident": int(flags[i])} for i, t in enumerate(totals)]
    _, _, ev = run(_random_scheme(True, quotas), rows)
    band = np.minimum(ev.band_grade[0] + np.array(flags[: len(totals)]), 3)
    flagged = np.array(flags[: len(totals)])
    # a flagged unit ends at least one grade below its band (or at the lowest), never above
    assert (ev.grade[0][flagged] >= band[flagged]).all()
    if not with_quota:
        _, _, plain = run(_random_scheme(False), [{"unit": r["unit"], "x": r["x"]} for r in rows])
        assert (ev.grade[0] == np.minimum(plain.grade[0] + flagged, 3)).all()


# --- absolute-count limits -----------------------------------------------------------------------

# 测评选票 (www.wjx.cn/vm/QFzlnwC.aspx): A优秀 [90-100], B称职 [70-90), C基本称职 [60-70), D不称职 [0-60);
# "大于等于90分的最多不超过3人，小于70分的不少于2人".
BALLOT_BANDS = [
    {"grade": label("优秀", "excellent"), "min": 90, "max": 100},
    {"grade": label("称职", "competent"), "min": 70},
    {"grade": label("基本称职", "basically competent"), "min": 60},
    {"grade": label("不称职", "incompetent")},
]
BALLOT_QUOTAS = [{"grade": "优秀", "max_count": 3}, {"grade": "基本称职", "min_count": 2}]


def ballot(quotas=BALLOT_QUOTAS, **grading):
    return make_scheme([leaf("mark", 100)], grading={"bands": BALLOT_BANDS, "quotas": quotas, **grading})


def test_ballot_at_most_three_excellent_at_least_two_below_seventy():
    marks = [98, 95, 93, 91, 85, 75]
    _, _, ev = run(ballot(), [{"unit": f"p{i}", "mark": m} for i, m in enumerate(marks)])
    assert grades_of(ev) == ["优秀", "优秀", "优秀", "称职", "基本称职", "基本称职"]
    assert ev.quota_dropped[0].tolist() == [False, False, False, True, False, False]
    assert ev.rules.pushed_down is not None and ev.rules.pushed_down[0].tolist() == [False] * 4 + [True] * 2
    zh = str(perfsim.explain(ev, "p4", lang="zh"))
    assert "基本称职及以下不少于 2 个：按名次靠后降为基本称职" in zh
    assert "优秀不超过 3 个" in str(perfsim.explain(ev, "p3", lang="zh"))


@pytest.mark.parametrize(("ties", "excellent"), [("exclude_all", 2), ("include_all", 4)])
def test_count_limit_ties_follow_the_quota_tie_rule(ties, excellent):
    quotas = [{"grade": "优秀", "max_count": 3, "ties": ties}]
    _, _, ev = run(ballot(quotas), [{"unit": f"p{i}", "mark": m} for i, m in enumerate([98, 95, 93, 93, 80])])
    assert grades_of(ev).count("优秀") == excellent


def test_min_count_ties_follow_the_quota_tie_rule():
    marks = [98, 85, 80, 80]  # need 2 at 基本称职 or below; the two 80s tie at the cut
    for ties, moved in (("include_all", 2), ("exclude_all", 0)):
        quotas = [{"grade": "基本称职", "min_count": 1, "ties": ties}]
        _, _, ev = run(ballot(quotas), [{"unit": f"p{i}", "mark": m} for i, m in enumerate(marks)])
        assert grades_of(ev).count("基本称职") == moved


def test_share_and_count_together_take_the_smaller():
    quotas = [{"grade": "优秀", "max_share": 0.5, "max_count": 1}]
    _, _, ev = run(ballot(quotas), [{"unit": f"p{i}", "mark": m} for i, m in enumerate([99, 97, 95, 60])])
    assert grades_of(ev).count("优秀") == 1


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    marks=st.lists(st.lists(st.integers(50, 100), min_size=6, max_size=6), min_size=1, max_size=5),
    top=st.integers(0, 4),
    bottom=st.integers(1, 6),
    ties=st.sampled_from(["include_all", "exclude_all"]),
)
def test_property_count_limits_never_exceeded(marks, top, bottom, ties):
    """Random marks per draw (S × 6, with ties): at most ``top`` 优秀 under exclude_all; at least ``bottom`` at
    基本称职 or below under include_all (every unit can be moved)."""
    quotas = [
        {"grade": "优秀", "max_count": top, "ties": ties},
        {"grade": "基本称职", "min_count": bottom, "ties": ties},
    ]
    compiled = perfsim.compile_scheme(ballot(quotas))
    data = perfsim.load_units(pd.DataFrame({"unit": [f"p{i}" for i in range(6)], "mark": marks[0]}), compiled)
    ev = perfsim.evaluate(compiled, data, values={"mark": np.array(marks, dtype=float)})
    excellent = (ev.grade == 0).sum(axis=1)
    low = (ev.grade >= 2).sum(axis=1)
    if ties == "exclude_all":
        assert (excellent <= top).all()
    else:
        assert (low >= bottom).all()
        distinct = np.array([len(set(row)) == 6 for row in marks])
        assert (excellent[distinct] <= top).all()


def test_quota_needs_some_limit_and_lowest_takes_no_maximum():
    with pytest.raises(SchemeError, match="max_share, max_count or min_count"):
        ballot([{"grade": "优秀"}])
    with pytest.raises(SchemeError, match="lowest grade cannot have a maximum"):
        ballot([{"grade": "不称职", "max_count": 1}])
    ballot([{"grade": "不称职", "min_count": 1}])  # at least one in the bottom grade is a legal rule


# --- literal top band, vetoed rank -----------------------------------------------------------------

# 财政部《项目支出绩效评价管理办法》(财预〔2020〕10号): "90（含）-100分为优、80（含）-90分为良、60（含）-80分为中、
# 60分以下为差".
PROJECT_BANDS = [
    {"grade": label("优", "excellent"), "min": 90, "max": 100},
    {"grade": label("良", "good"), "min": 80, "max": 90, "max_inclusive": False},
    {"grade": label("中", "fair"), "min": 60, "max": 80, "max_inclusive": False},
    {"grade": label("差", "poor")},
]


def test_literal_top_band_90_to_100_loads_and_grades():
    scheme = make_scheme([leaf("x", 100)], grading={"bands": PROJECT_BANDS})
    _, _, ev = run(scheme, [{"unit": f"u{i}", "x": x} for i, x in enumerate([100, 90, 89.99, 60, 59.99])])
    assert grades_of(ev) == ["优", "优", "良", "中", "差"]


def test_top_band_max_below_full_points_or_unclamped_is_refused():
    bands = [dict(b) for b in PROJECT_BANDS]
    bands[0]["max"] = 95
    with pytest.raises(SchemeError, match="top grade's max 95"):
        make_scheme([leaf("x", 100)], grading={"bands": bands})
    with pytest.raises(SchemeError, match="not clamped"):
        make_scheme([leaf("x", 100)], grading={"bands": PROJECT_BANDS}, clamp={"min": 0, "max": None})


# 篇四 l.215: veto items (计划生育, 社会治安综合治理, 重大安全责任事故 …) whose effect the text leaves open;
# catalog-1-plans-01-05.md l.374: "forced lowest grade, or disqualification" — disqualification ranks last.
VETO = [{"id": "veto", "name": label("一票否决", "veto"), "scope": "grade_lowest"}]


@pytest.mark.parametrize(("rule", "ranks"), [("keep", [1, 2, 3]), ("last", [3, 1, 2])])
def test_vetoed_rank_keep_or_last(rule, ranks):
    scheme = make_scheme([leaf("x", 100)], vetoes=VETO, grading={"bands": BANDS_90_80_70, "vetoed_rank": rule})
    rows = [{"unit": "a", "x": 95, "veto": 1}, {"unit": "b", "x": 90, "veto": 0}, {"unit": "c", "x": 80, "veto": 0}]
    _, _, ev = run(scheme, rows)
    assert ev.rank[0].tolist() == ranks
    assert grades_of(ev)[0] == "不合格"
    assert ("排在未被否决的单位之后" in str(perfsim.explain(ev, "a", lang="zh"))) == (rule == "last")


# --- top-k lists -----------------------------------------------------------------------------------

# 篇十六 l.682: "对总得分进行排名,第一名进行奖励,末尾一名进行处罚"; 株洲市荷塘区金山街道三级考评
# (zz.voc.com.cn, 2014-09-09): each month the first, second and third of six communities are named.
LISTS = [
    {"id": "first", "name": label("第一名", "first place"), "k": 1},
    {"id": "last", "name": label("末尾一名", "last place"), "k": 1, "end": "bottom"},
    {"id": "top3", "name": label("前三名", "top three"), "k": 3, "ties": "unordered"},
]


def test_top_lists_include_every_unit_tied_at_place_k():
    scheme = make_scheme([leaf("x", 100)], grading={"top_lists": LISTS})  # a monthly notice: no grades
    marks = [96, 96, 90, 88, 88, 70]
    _, _, ev = run(scheme, [{"unit": f"c{i}", "x": m} for i, m in enumerate(marks)])
    assert ev.rules.top_lists["first"][0].tolist() == [True, True, False, False, False, False]
    assert ev.rules.top_lists["last"][0].tolist() == [False] * 5 + [True]
    assert ev.rules.top_lists["top3"][0].tolist() == [True, True, True, False, False, False]
    frame = perfsim.results_frame(ev)
    assert frame["list:first"].tolist() == [True, True, False, False, False, False]
    assert "grade" not in frame
    zh = str(perfsim.explain(ev, "c1", lang="zh"))
    assert "列入「第一名」（第 1 名，同分并列）" in zh
    assert "列入「前三名」（排名不分先后）" in zh


@settings(max_examples=40, deadline=None)
@given(marks=st.lists(st.integers(0, 10), min_size=1, max_size=10), k=st.integers(1, 5))
def test_property_top_list_is_every_unit_at_least_the_kth_best(marks, k):
    scheme = make_scheme(
        [leaf("x", 100, {"method": "score", "scale": 10})], grading={"top_lists": [LISTS[0] | {"k": k}]}
    )
    _, _, ev = run(scheme, [{"unit": f"c{i}", "x": m} for i, m in enumerate(marks)])
    kth = sorted(marks, reverse=True)[min(k, len(marks)) - 1]
    assert ev.rules.top_lists["first"][0].tolist() == [m >= kth for m in marks]


# --- truncation and equal splits -------------------------------------------------------------------


def test_truncation_drops_digits_where_half_up_would_cross_a_cut_off():
    # issue 14: "some publications truncate rather than round half up"; bands of 篇四 l.192
    rows = [{"unit": "u", "x": 89.996}]
    _, _, half_up = run(make_scheme([leaf("x", 100)], rounding={"total": 2}), rows)
    _, _, cut = run(make_scheme([leaf("x", 100)], rounding={"total": 2, "mode": "truncate"}), rows)
    assert half_up.total[0, 0] == 90.0 and grades_of(half_up) == ["优秀"]
    assert cut.total[0, 0] == 89.99 and grades_of(cut) == ["良好"]
    assert "总分保留 2 位小数，其后舍去（不四舍五入）" in str(perfsim.explain(cut, "u", lang="zh"))


def test_truncation_reads_floats_as_the_decimals_they_show():
    from perfsim.numeric import truncate

    assert truncate(np.array([0.29, 1.005, 89.996, -1.239, 12.3]), 2).tolist() == [0.29, 1.0, 89.99, -1.23, 12.3]


def test_lint_flags_a_block_whose_equal_split_rounds_away_from_it():
    # 10 points over three items (3.33 each) as a printed table shows them: 9.99, not 10
    third = 100 / 3
    kids = [leaf(f"i{j}", 0) | {"points": None, "weight": third} for j in range(3)]
    for kid in kids:
        del kid["points"]
    scheme = make_scheme([section("block", 10, kids), leaf("rest", 90)], rounding={"indicator": 2})
    found = [f for f in lint(scheme) if "splits 10 points equally over 3 items" in f.message]
    assert len(found) == 1 and found[0].field == "indicators[0].children"
    assert "9.99" in found[0].message
    _, _, ev = run(scheme, [{"unit": "u", "i0": 100, "i1": 100, "i2": 100, "rest": 100}])
    assert ev.total[0, 0] == pytest.approx(99.99)  # what the warning says: full marks reach 9.99 of 10
    even = make_scheme([section("block", 10, [leaf("a", 5), leaf("b", 5)]), leaf("rest", 90)])
    assert not [f for f in lint(even) if "equally" in f.message]


# --- declared templates and floors ---------------------------------------------------------------

# 财预〔2020〕10号: self-evaluation weights 产出 50 %, 效益 30 %, 满意度 10 %, 预算执行率 10 %; evaluation
# indicators "原则上产出、效益指标权重不低于60%".
TEMPLATE = {
    "source": "财预〔2020〕10号",
    "weights": {"产出指标": 50, "效益指标": 30, "满意度指标": 10, "预算执行率": 10},
    "floors": [{"indicators": ["output", "benefit"], "min_percent": 60, "severity": "error"}],
}


def self_evaluation(points: list[float]):
    names = [
        ("output", "产出指标"),
        ("benefit", "效益指标"),
        ("satisfaction", "满意度指标"),
        ("execution", "预算执行率"),
    ]
    indicators = [{**leaf(i, p), "name": label(zh, i)} for (i, zh), p in zip(names, points)]
    return make_scheme(indicators, template=TEMPLATE)


def test_template_met_gives_no_finding():
    assert [f for f in lint(self_evaluation([50, 30, 10, 10])) if f.field.startswith("template")] == []


def test_template_departures_reported_at_the_declared_severity():
    found = {f.field: f for f in lint(self_evaluation([40, 15, 35, 10])) if f.field.startswith("template")}
    assert found["template.weights.产出指标"].level == "warning"
    assert "has 40% of the total; the template prescribes 50%" in found["template.weights.产出指标"].message
    assert found["template.floors[0]"].level == "error"
    floor = found["template.floors[0]"].message
    assert "output+benefit together have 55% of the total, below the floor of 60%" in floor


def test_bundled_self_evaluation_scenario_meets_the_national_template():
    scheme = perfsim.load_scheme(SCENARIOS / "schemes" / "budget-lifecycle.yaml")
    tops = [n.name.zh for n in scheme.classes[0].indicators]
    data = yaml.safe_load((SCENARIOS / "schemes" / "budget-lifecycle.yaml").read_text(encoding="utf-8"))
    data["template"] = {"weights": dict(zip(tops, [50, 30, 10, 10]))}
    assert not [f for f in lint(perfsim.scheme_from_data(data)) if f.field.startswith("template")]


# --- grading optional: totals and ranks only -----------------------------------------------------

SELF_EVALUATION_YAML = """\
perfsim_scheme: 1
id: selfeval
version: "1"
name: {zh: 项目支出绩效自评表, en: project self-evaluation}
total: 100
indicators:
  - {id: output, name: {zh: 产出指标, en: output}, points: 50, method: {method: score}}
  - {id: benefit, name: {zh: 效益指标, en: benefit}, points: 30, method: {method: score}}
  - {id: satisfaction, name: {zh: 满意度指标, en: satisfaction}, points: 10, method: {method: score}}
  - {id: execution, name: {zh: 预算执行率, en: budget execution}, points: 10, method: {method: score}}
"""


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "perfsim.cli", *args], cwd=cwd, capture_output=True, text=True, encoding="utf-8"
    )


def test_self_evaluation_without_grading_totals_and_ranks_end_to_end(tmp_path):
    # 财预〔2020〕10号 self-evaluation form (50/30/10/10): a form that only totals
    (tmp_path / "s.yaml").write_text(SELF_EVALUATION_YAML, encoding="utf-8")
    (tmp_path / "d.csv").write_text(
        "unit,name,output,benefit,satisfaction,execution\nP1,项目一,90,80,95,100\nP2,项目二,70,60,90,85\n",
        encoding="utf-8",
    )
    done = _cli("evaluate", "s.yaml", "d.csv", "-o", "r.csv", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(tmp_path / "r.csv")
    assert table["total"].tolist() == [88.5, 70.5]  # 45 + 24 + 9.5 + 10; 35 + 18 + 9 + 8.5
    assert table["rank"].tolist() == [1, 2]
    assert "grade" not in table and "no grading" in done.stdout
    done = _cli("explain", "s.yaml", "d.csv", "P2", "--lang", "zh", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "本方案不评定等次（只计总分和排名）；在全体单位中排名第 2" in done.stdout


def test_grade_settings_without_grading_are_refused(tmp_path):
    data = yaml.safe_load(SELF_EVALUATION_YAML)
    data["vetoes"] = [{"id": "v", "name": label("否决"), "scope": "grade_lowest"}]
    data["grading"] = {"quotas": [{"grade": "优秀", "max_share": 0.2}]}
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    done = _cli("lint", "bad.yaml", cwd=tmp_path)
    assert done.returncode == 2
    assert "quotas need grades, and this scheme has no grading" in done.stderr
    assert "acts on the grade, and this scheme has no grading" in done.stderr
    assert "Traceback" not in done.stderr


def test_brief_says_the_scheme_has_no_grading(tmp_path):
    (tmp_path / "schemes").mkdir()
    (tmp_path / "schemes" / "s.yaml").write_text(SELF_EVALUATION_YAML, encoding="utf-8")
    (tmp_path / "d.csv").write_text("unit,name,output,benefit,satisfaction,execution\nP1,一,90,80,95,100\n")
    (tmp_path / "sc.yaml").write_text(
        "perfsim_scenario: 1\nid: sc\nname: {zh: 自评, en: self-evaluation}\n"
        "description: {zh: 自评, en: self-evaluation}\nsource: {zh: 财预〔2020〕10号, en: Cai Yu 2020 No. 10}\n"
        "scheme: schemes/s.yaml\ndata: d.csv\n",
        encoding="utf-8",
    )
    done = _cli("brief", "sc.yaml", "-o", "out", cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "this scheme has no grading" in done.stderr
    assert "Traceback" not in done.stderr


def _self_evaluation(tmp_path: Path) -> tuple[perfsim.CompiledScheme, perfsim.UnitData]:
    (tmp_path / "s.yaml").write_text(SELF_EVALUATION_YAML, encoding="utf-8")
    (tmp_path / "d.csv").write_text(
        "unit,name,output,benefit,satisfaction,execution\nP1,项目一,90,80,95,100\nP2,项目二,70,60,90,85\n",
        encoding="utf-8",
    )
    compiled = perfsim.compile_scheme(perfsim.load_scheme(tmp_path / "s.yaml"))
    return compiled, perfsim.load_units(tmp_path / "d.csv", compiled)


def test_self_evaluation_results_workbook_has_no_grade_columns(tmp_path):
    # review finding 1: the workbook writer read frame["grade"], which a form without grading has not
    _self_evaluation(tmp_path)
    done = _cli("evaluate", "s.yaml", "d.csv", "-o", "r.xlsx", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    import openpyxl

    book = openpyxl.load_workbook(tmp_path / "r.xlsx")
    assert book.sheetnames == ["项目支出绩效自评表"]  # no 等次汇总 sheet
    headings = [c.value for c in book.worksheets[0][1]]
    assert "总分" in headings and "名次" in headings and "等次" not in headings
    assert [row[headings.index("总分")] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)] == [
        88.5,
        70.5,
    ]  # 45 + 24 + 9.5 + 10; 35 + 18 + 9 + 8.5, as in the test above


def test_analyses_of_grades_refuse_a_scheme_without_grading(tmp_path):
    # review finding 1: each of these crashed (stack of nothing, grades[lowest]) on a form without grading
    from perfsim import analysis
    from perfsim.analysis.reach_defaults import suggestions

    compiled, data = _self_evaluation(tmp_path)
    ev = perfsim.evaluate(compiled, data, ranks=True)
    calls = {
        "a weight Monte Carlo": lambda: analysis.weight_monte_carlo(compiled, data, n=8),
        "global sensitivity": lambda: analysis.morris(compiled, data, analysis.weight_factors(compiled), 4),
        "Sobol": lambda: analysis.sobol(compiled, data, analysis.weight_factors(compiled), n=64),
        "a comparison": lambda: analysis.compare(ev, ev),
        "reach": lambda: suggestions(compiled, data),
        "the grade-margin table": lambda: analysis.grade_margins(ev),
        "noise reliability": lambda: analysis.noise_reliability(compiled, data, {"output": 1.0}, draws=8),
        "a tornado": lambda: analysis.tornado(compiled, data, [("weight:output", 0.4, 0.6)]),
        "the gaming check": lambda: analysis.gaming_check(compiled, data),
    }
    for what, call in calls.items():
        with pytest.raises(SchemeError, match="needs grades, and this scheme has no grading") as caught:
            call()
        assert caught.value.field == "grading" and "grading.bands or grading.rank_tiers" in str(caught.value)
        assert what.split()[-1] in caught.value.message or what == "Sobol", what


def test_reach_on_a_scheme_without_grading_exits_2(tmp_path):
    _self_evaluation(tmp_path)
    done = _cli("reach", "s.yaml", "d.csv", "--target", "优秀<=20%", "--lever", "weights:*", cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "this scheme has no grading: only instability<=N" in done.stderr and "Traceback" not in done.stderr
    # ranks still move with the weights: a self-evaluation form can be designed for rank stability
    done = _cli("reach", "s.yaml", "d.csv", "--target", "instability<=1", "--lever", "weights:*", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
