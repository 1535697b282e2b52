"""Scoring-side rules of issue 14: 不适用 rescaling over the whole form or per section, missing items
filled with the other units' mean, raters' marks (mean, median, trimmed mean), sub-items summed before
scoring, and the scoring functions of published forms (stepwise, linear with floor and cap, rank
points, blocks of deductions).

Worked examples are computed by hand in the comments from the wording each test cites: a seed plan
(shared/seeds/000_33dd9ab2827690f3.txt, line) or the published wording issue 14 quotes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import perfsim
from perfsim import parts
from perfsim.errors import PerfsimError

from conftest import label, leaf, make_scheme, run


def two_sections(**fields):
    """产出 60 (a1 30, a2 30) and 效益 40 (b1 20, b2 20), marks out of 100, every item may be 不适用."""
    return make_scheme(
        [
            {"id": "A", "name": label("产出"), "points": 60, "children": [leaf("a1", 30), leaf("a2", 30)]},
            {"id": "B", "name": label("效益"), "points": 40, "children": [leaf("b1", 20), leaf("b2", 20)]},
        ],
        **fields,
    )


ROW = {"unit": "u", "a1": 100, "a2": "不适用", "b1": 50, "b2": 50}


# --------------------------------------------------------------------------- 不适用: total | section | mean


def test_rescale_total_sums_applicable_points_then_converts_to_100():
    """Issue 14 quotes a published form: "用适用指标得分汇总后按百分制折算" (sum the applicable items, then
    convert to a 100-point scale). a1 earns 30 of 30, b1 and b2 10 of 20 each: 50 earned of the 70
    applicable points → 50 / 70 × 100 = 71.43 (rounded to 2 decimals)."""
    scheme = two_sections(not_applicable={"indicators": "all", "rescale": "total"}, rounding={"total": 2})
    _, _, ev = run(scheme, [ROW])
    assert ev.total[0, 0] == pytest.approx(71.43)
    cc = ev.compiled.classes[0]
    # the section keeps the points it earned (30 of 60), it is not rescaled on its own
    assert ev.details[0].scores[cc.index("A")][0, 0] == pytest.approx(30.0)
    assert ev.grade_labels() == ["合格"]  # 71.43 ≥ 70; section rescaling would give 80, 良好


def test_rescale_section_is_the_default_and_keeps_each_sections_weight():
    """Default (today's behaviour): 产出 is rescaled to its applicable 30 points (30 / 30 → 60 of 60) and
    keeps its 60 % weight, as 篇四 l.150 keeps key work at 90 % and public appraisal at 10 % for every unit:
    total = 60 + 20 = 80."""
    default = two_sections(not_applicable={"indicators": "all"})
    assert default.not_applicable.rescale == "section"
    _, _, ev = run(default, [ROW])
    assert ev.total[0, 0] == pytest.approx(80.0)


@pytest.mark.parametrize("rescale", ["section", "total"])
def test_rescale_gives_the_same_total_with_and_without_detail(rescale):
    """A fused evaluation (many draws, no section scores kept) and a detailed one must agree: before this
    rule the fused path rescaled once over the form while the detailed one rescaled each section."""
    scheme = two_sections(not_applicable={"indicators": "all", "rescale": rescale})
    compiled = perfsim.compile_scheme(scheme)
    rows = [ROW, {"unit": "v", "a1": 40, "a2": 70, "b1": "不适用", "b2": 90}]
    data = perfsim.load_units(pd.DataFrame(rows), compiled)
    fused = perfsim.evaluate(compiled, data).total
    detailed = perfsim.evaluate(compiled, data, detail=True).total
    np.testing.assert_allclose(fused, detailed)


def test_rescale_mean_scores_the_other_units_mean():
    """Alternative to rescaling (issue 14: "a missing item filled with the mean of the other units"):
    a2 is 不适用 for u; v and w mark 60 and 80 → u scores their mean 70 % of a2's 30 points = 21.
    u's total = 30 + 21 + 10 + 10 = 71."""
    scheme = two_sections(not_applicable={"indicators": "all", "rescale": "mean"})
    rows = [ROW, {"unit": "v", "a1": 0, "a2": 60, "b1": 0, "b2": 0}, {"unit": "w", "a1": 0, "a2": 80, "b1": 0, "b2": 0}]
    _, _, ev = run(scheme, rows)
    assert ev.total[0].tolist() == pytest.approx([71.0, 18.0, 24.0])
    assert "70%" in str(perfsim.explain(ev, "u", lang="en"))


def test_missing_values_mean_fills_an_empty_cell_with_the_class_mean():
    """missing_values: mean (缺项按其他单位平均得分): u's b1 is empty; v and w score 40 and 100 → 70 % of 20 = 14."""
    scheme = two_sections(missing_values="mean")
    rows = [
        {"unit": "u", "a1": 100, "a2": 100, "b1": "", "b2": 100},
        {"unit": "v", "a1": 100, "a2": 100, "b1": 40, "b2": 100},
        {"unit": "w", "a1": 100, "a2": 100, "b1": 100, "b2": 100},
    ]
    _, _, ev = run(scheme, rows)
    assert ev.total[0, 0] == pytest.approx(60 + 14 + 20)
    trace = str(perfsim.explain(ev, "u", lang="zh"))
    assert "平均" in trace


@settings(max_examples=60, deadline=None)
@given(
    marks=st.lists(st.lists(st.integers(0, 100), min_size=4, max_size=4), min_size=1, max_size=6),
    na=st.lists(st.lists(st.booleans(), min_size=4, max_size=4), min_size=6, max_size=6),
)
def test_rescale_total_is_earned_over_applicable_points(marks, na):
    """Property: with rescale: total, the total is Σ earned ÷ Σ applicable points × 100 (none applicable → 0)."""
    scheme = two_sections(not_applicable={"indicators": "all", "rescale": "total"})
    names, pts = ["a1", "a2", "b1", "b2"], np.array([30.0, 30.0, 20.0, 20.0])
    rows = []
    for i, row in enumerate(marks):
        rows.append({"unit": f"u{i}", **{n: ("不适用" if na[i][j] else row[j]) for j, n in enumerate(names)}})
    _, _, ev = run(scheme, rows)
    for i, row in enumerate(marks):
        applies = ~np.array(na[i])
        earned = (np.array(row) / 100 * pts)[applies].sum()
        full = pts[applies].sum()
        assert ev.total[0, i] == pytest.approx(earned / full * 100 if full else 0.0)


# --------------------------------------------------------------------------- raters


def rated(aggregate: str, count: int = 7, **extra):
    return make_scheme(
        [leaf("appraisal", 100, raters={"count": count, "aggregate": aggregate, **extra})],
        grading={"basis": "percent", "bands": [{"grade": label("合格"), "min": 60}, {"grade": label("不合格")}]},
    )


MARKS = [80, 85, 90, 95, 70, 88, 92]


def rater_row(marks, unit="u"):
    return {"unit": unit, **{f"appraisal.r{k + 1}": m for k, m in enumerate(marks)}}


def test_trimmed_mean_drops_the_highest_and_lowest_mark():
    """篇十六 l.657: department heads are rated by the hospital's leaders and the front-line departments
    (测评); issue 14's published rule drops the highest and lowest mark when there are more than n raters
    (去掉最高分和最低分). Seven marks, 95 and 70 dropped: (80 + 85 + 90 + 88 + 92) / 5 = 87."""
    _, data, ev = run(rated("trimmed_mean", trim_when_more_than=4), [rater_row(MARKS)])
    assert ev.total[0, 0] == pytest.approx(87.0)
    assert data.values["appraisal"][0] == pytest.approx(87.0)
    trace = str(perfsim.explain(ev, "u", lang="zh"))
    assert "去掉" in trace and "87" in trace


def test_trimmed_mean_keeps_every_mark_when_too_few_raters():
    """Only four raters of seven marked (blank = no mark), not more than 4: the plain mean (80+85+90+95)/4 = 87.5."""
    _, _, ev = run(rated("trimmed_mean", trim_when_more_than=4), [rater_row([80, 85, 90, 95, "", "", ""])])
    assert ev.total[0, 0] == pytest.approx(87.5)


@pytest.mark.parametrize(("aggregate", "expected"), [("mean", 600 / 7), ("median", 88.0)])
def test_mean_and_median_of_the_raters(aggregate, expected):
    """Mean of the seven marks = 600 / 7; median of 70 80 85 88 90 92 95 = 88."""
    _, _, ev = run(rated(aggregate), [rater_row(MARKS)])
    assert ev.total[0, 0] == pytest.approx(expected)


def test_raters_marks_replaced_per_draw_are_combined_again():
    """A draw that replaces one rater's marks (rater noise) changes the combined value through the same rule."""
    compiled = perfsim.compile_scheme(rated("trimmed_mean", trim_when_more_than=4))
    data = perfsim.load_units(pd.DataFrame([rater_row(MARKS)]), compiled)
    # rater 4's 95 becomes 60 in draw 0 (now the lowest, dropped with 92) and stays 95 in draw 1
    ev = perfsim.evaluate(compiled, data, values={"appraisal.r4": np.array([[60.0], [95.0]])})
    assert ev.total[:, 0] == pytest.approx([(80 + 85 + 90 + 70 + 88) / 5, 87.0])


def test_rater_with_no_mark_at_all_is_missing():
    compiled = perfsim.compile_scheme(rated("mean", count=2))
    with pytest.raises(PerfsimError, match="no value in any"):
        perfsim.load_units(pd.DataFrame([{"unit": "u", "appraisal.r1": "", "appraisal.r2": ""}]), compiled)


def test_raters_refused_on_a_method_without_marks():
    with pytest.raises(PerfsimError, match="raters apply to"):
        make_scheme([leaf("x", 100, {"method": "veto_scoring"}, raters={"count": 3})])


def test_trim_must_leave_a_mark():
    with pytest.raises(PerfsimError, match="twice trim"):
        rated("trimmed_mean", trim=2, trim_when_more_than=3)


@settings(max_examples=200, deadline=None)
@given(
    marks=st.lists(st.floats(0, 100, allow_nan=False), min_size=1, max_size=12),
    trim=st.integers(1, 3),
    extra=st.integers(0, 4),
)
def test_trimmed_mean_equals_the_mean_of_the_middle_marks(marks, trim, extra):
    """Property (issue 14 acceptance): the trimmed mean is the mean of the marks left after sorting and
    dropping ``trim`` at each end, when more than ``more_than`` marks are given; else the plain mean."""
    more_than = 2 * trim + extra
    values = np.array(marks)[None, :]
    got = parts.trimmed_mean(values, np.ones_like(values, dtype=bool), trim, more_than)[0]
    ordered = sorted(marks)
    middle = ordered[trim : len(ordered) - trim] if len(marks) > more_than else ordered
    assert got == pytest.approx(sum(middle) / len(middle))


@settings(max_examples=200, deadline=None)
@given(marks=st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=12), data=st.data())
def test_median_matches_numpy_with_absent_raters(marks, data):
    """Property: the median of the given marks, whichever raters gave none."""
    given_mask = np.array(data.draw(st.lists(st.booleans(), min_size=len(marks), max_size=len(marks))))
    got = parts.median(np.array(marks)[None, :], given_mask[None, :])[0]
    if given_mask.any():
        assert got == pytest.approx(float(np.median(np.array(marks)[given_mask])))
    else:
        assert np.isnan(got)


# --------------------------------------------------------------------------- sub-items


def test_sub_items_are_summed_before_the_ratio():
    """Issue 14 (先汇总完成数，再计算得分): three road sub-projects planned 10, 5 and 8 km, built 9, 5 and 4.
    Summed first: 18 / 23 of 20 points = 15.652…; the mean of the three ratios would give
    (0.9 + 1 + 0.5) / 3 × 20 = 16."""
    scheme = make_scheme(
        [
            leaf("roads", 20, {"method": "completion_ratio", "standard": "per_unit"}, sub_items={"count": 3}),
            leaf("rest", 80),
        ]
    )
    row = {"unit": "u", "rest": 0, "roads.s1": 9, "roads.s2": 5, "roads.s3": 4}
    row |= {"roads.s1.standard": 10, "roads.s2.standard": 5, "roads.s3.standard": 8}
    row2 = {"unit": "v", "rest": 0, "roads.s1": 3, "roads.s1.standard": 4}  # one sub-project only
    _, data, ev = run(scheme, [row, row2])
    assert ev.total[0].tolist() == pytest.approx([18 / 23 * 20, 15.0])
    assert data.values["roads.standard"].tolist() == [23.0, 4.0]


# --------------------------------------------------------------------------- form methods


def one(method, points=10, **extra):
    return make_scheme([leaf("x", points, method, **extra), leaf("rest", 100 - points)])


@pytest.mark.parametrize(
    ("partial", "value", "points"),
    [
        ("ignore", 100, 10),
        ("ignore", 96, 10),
        ("ignore", 95, 9),
        ("ignore", 88, 8),
        ("count", 88, 7),
        ("ignore", 10, 0),
    ],
)
def test_stepwise_one_point_off_per_5_percent(partial, value, points):
    """Issue 14 (每降5%扣1分), a 10-point rate indicator with target 100 %: 88 % is 12 short, two whole
    steps (8 points), or three when a part step counts (不足5%按5%计, 7 points); never below 0 (扣完为止)."""
    scheme = one({"method": "stepwise", "target": 100, "step": 5, "per_step": 1, "partial": partial})
    _, _, ev = run(scheme, [{"unit": "u", "x": value, "rest": 0}])
    assert ev.total[0, 0] == pytest.approx(points)
    assert "5" in str(perfsim.explain(ev, "u", lang="en"))


def test_stepwise_lower_is_better():
    """每超出1个百分点扣2分: an error rate of 3.5 % against 1 % target is 2 whole steps over → 10 − 4 = 6."""
    scheme = one({"method": "stepwise", "target": 1, "step": 1, "per_step": 2}, direction="lower")
    _, _, ev = run(scheme, [{"unit": "u", "x": 3.5, "rest": 0}])
    assert ev.total[0, 0] == pytest.approx(6.0)


@pytest.mark.parametrize(("value", "points"), [(50, 2.0), (60, 2.0), (80, 5.0), (100, 10.0), (130, 10.0)])
def test_linear_with_floor_and_cap(value, points):
    """篇十一c l.501 scores by completion ratio, full points at the standard and no more (计满分); the
    published variant with a threshold (60 % or less: no points, 60-100 % in proportion) and a floor of
    2 points: 80 % → (80 − 60) / 40 × 10 = 5; 50 % → the floor 2; 130 % → capped at 10."""
    scheme = one({"method": "linear", "zero_at": 60, "full_at": 100, "floor": 2})
    _, _, ev = run(scheme, [{"unit": "u", "x": value, "rest": 0}])
    assert ev.total[0, 0] == pytest.approx(points)


def test_linear_falling_line_and_over_completion_cap():
    """full_at below zero_at: a cost of 80 on a line from 120 (none) to 100 (full) scores full points
    and more: (120 − 80) / 20 = 2 × 10, capped at cap 1.2 → 12 of a 10-point indicator."""
    scheme = one({"method": "linear", "zero_at": 120, "full_at": 100, "cap": 1.2})
    _, _, ev = run(
        scheme,
        [{"unit": "u", "x": 80, "rest": 0}],
    )
    assert ev.total[0, 0] == pytest.approx(12.0)


def test_rank_points_top_five_full_marks_then_steps():
    """Issue 14 (monthly notices: top 5 full marks, 6-10 minus 0.5, …): 2 points for places 1-5, 1.5 for
    6-10, 1 after. Twelve towns with values 12 … 1, except that towns 5 and 6 tie at 8 (并列第5):
    both take place 5 and 2 points; the next town is 7th (1.5); 11th and 12th get 1."""
    scheme = one({"method": "rank_points", "ranks": {5: 2, 10: 1.5}, "other": 1}, points=2)
    values = [12, 11, 10, 9, 8, 8, 6, 5, 4, 3, 2, 1]
    rows = [{"unit": f"t{i + 1:02d}", "x": v, "rest": 0} for i, v in enumerate(values)]
    _, _, ev = run(scheme, rows)
    assert ev.total[0].tolist() == pytest.approx([2, 2, 2, 2, 2, 2, 1.5, 1.5, 1.5, 1.5, 1, 1])


def test_rank_points_skip_units_without_a_value_and_vary_per_draw():
    """A unit whose cell is 不适用 takes no place (the others move up); values replaced per draw re-rank."""
    scheme = one(
        {"method": "rank_points", "ranks": {1: 2}, "other": 0},
        points=2,
    )
    scheme = scheme.model_copy(
        update={"not_applicable": perfsim.scheme.NotApplicable(indicators=["x"], rescale="mean")}
    )
    compiled = perfsim.compile_scheme(scheme)
    rows = [{"unit": "a", "x": "不适用", "rest": 0}, {"unit": "b", "x": 5, "rest": 0}, {"unit": "c", "x": 7, "rest": 0}]
    data = perfsim.load_units(pd.DataFrame(rows), compiled)
    ev = perfsim.evaluate(compiled, data, values={"x": np.array([[0.0, 5, 7], [0.0, 9, 7]])})
    # a scores the mean of b and c (one of them first: 2 and 0 → 1)
    np.testing.assert_allclose(ev.total, [[1, 0, 2], [1, 2, 0]])


def test_deduction_blocks_floor_at_zero():
    """篇十六 l.658 counts each month's violations by kind, each kind with its points per event, taken from
    the item's points until none are left (扣完为止): administrative lapses 1 point each, medical-insurance
    lapses 2 each (at most 4), complaints 5 each. u: 3 + min(3 × 2, 4) = 7 off 10 → 3; v: 2 complaints = 10 → 0."""
    method = {
        "method": "deduction_blocks",
        "blocks": [
            {"id": "admin", "per_event": 1},
            {"id": "insurance", "per_event": 2, "cap": 4},
            {"id": "complaint", "per_event": 5},
        ],
    }
    scheme = one(method)
    rows = [
        {"unit": "u", "rest": 0, "x.admin": 3, "x.insurance": 3, "x.complaint": ""},
        {"unit": "v", "rest": 0, "x.admin": "", "x.insurance": "", "x.complaint": 2},
    ]
    _, data, ev = run(scheme, rows)
    assert ev.total[0].tolist() == pytest.approx([3.0, 0.0])
    assert data.values["x"].tolist() == [7.0, 10.0]  # points taken off


@pytest.mark.parametrize(
    ("method", "message"),
    [
        ({"method": "stepwise", "target": 100, "step": 5, "per_step": 1, "floor": 12}, "floor 12 is above"),
        ({"method": "linear", "zero_at": 50, "full_at": 50}, "no length"),
        ({"method": "rank_points", "ranks": {0: 2, 5: 1}}, "1 or more"),
        ({"method": "rank_points", "ranks": {5: 20}}, "up to 20 points"),
        ({"method": "deduction_blocks", "blocks": [{"id": "a", "per_event": 1}, {"id": "a", "per_event": 2}]}, "twice"),
    ],
)
def test_form_methods_are_checked(method, message):
    with pytest.raises(PerfsimError, match=message):
        one(method)


@settings(max_examples=100, deadline=None)
@given(
    values=st.lists(st.floats(0, 200, allow_nan=False), min_size=2, max_size=20),
    step=st.sampled_from([1.0, 2.5, 5.0]),
    per_step=st.sampled_from([0.5, 1.0, 2.0]),
)
def test_stepwise_never_rewards_a_lower_value(values, step, per_step):
    """Property: more shortfall never earns more points; points stay within [floor, full]."""
    scorer = perfsim.scoring.make_scorer(
        perfsim.scheme.Indicator.model_validate(
            {
                "id": "x",
                "name": label("x"),
                "points": 10,
                "method": {"method": "stepwise", "target": 100, "step": step, "per_step": per_step},
            }
        ),
        10.0,
    )
    v = np.sort(np.array(values))
    got = scorer({"value": v})
    assert np.all(np.diff(got) >= -1e-12)
    assert np.all((got >= 0) & (got <= 1))


# --------------------------------------------------------------------------- units made of units


def villages(**roll):
    """Villages scored on one 100-point mark, totals rounded to 1 decimal, rolled up into towns."""
    return make_scheme(
        [leaf("work", 100)],
        rounding={"total": 1},
        attributes=[
            {"id": "town", "name": label("乡镇"), "kind": "text"},
            {"id": "kind", "name": label("类别"), "kind": "text"},
            {"id": "share", "name": label("权重")},
        ],
        roll_up={"name": label("乡镇", "township"), "attribute": "town", "rounding": 1, **roll},
    )


VILLAGES = [
    {"unit": "A1", "work": 90.25, "town": "甲镇", "kind": "镇", "share": 0.4},
    {"unit": "A2", "work": 85.35, "town": "甲镇", "kind": "镇", "share": 0.6},
    {"unit": "B1", "work": 88.04, "town": "乙镇", "kind": "镇", "share": 0.5},
    {"unit": "B2", "work": 87.66, "town": "乙镇", "kind": "镇", "share": 0.5},
    {"unit": "C1", "work": 70.0, "town": "丙街道", "kind": "街道", "share": 1.0},
]


def test_town_is_the_mean_of_its_villages_rounded_at_each_level():
    """Issue 14 (monthly scoring notices of streets, towns and villages: a town scored as the mean of its
    villages, rounded at each level, ranked at both levels). Villages round first: 90.25 → 90.3,
    85.35 → 85.4; 甲镇 = (90.3 + 85.4) / 2 = 87.85 → 87.9 (rounding the villages' raw marks only once would
    give 87.8). 乙镇 = (88.0 + 87.7) / 2 = 87.85 → 87.9: tied with 甲镇 (并列第1); 丙街道 = 70.0, third."""
    from perfsim.units_of_units import roll_up

    _, _, ev = run(villages(), VILLAGES)
    result = roll_up(ev)
    table = result.frame().set_index("parent")
    assert table.loc["甲镇", "score"] == pytest.approx(87.9)
    assert table.loc["乙镇", "score"] == pytest.approx(87.9)
    assert table["rank"].to_dict() == {"丙街道": 3, "乙镇": 1, "甲镇": 1}
    assert ev.rank[0].tolist() == [1, 4, 2, 3, 5]  # villages keep their ranks: 90.3 88.0 87.7 85.4 70.0
    trace = str(perfsim.explain(ev, "A2", lang="zh"))
    assert "甲镇" in trace and "87.9" in trace and "排名第 1" in trace


def test_town_as_a_weighted_sum_and_groups_ranked_separately():
    """Weighted sum with shares 0.4 / 0.6: 甲镇 = 0.4 × 90.3 + 0.6 × 85.4 = 87.36 → 87.4; 乙镇 = 87.85 → 87.9.
    Ranked within their kind (镇 and 街道 separately): 乙镇 1st and 甲镇 2nd of the towns, 丙街道 1st of the streets."""
    from perfsim.units_of_units import roll_up

    _, _, ev = run(villages(combine="weighted_sum", weight="share", group_by="kind"), VILLAGES)
    table = roll_up(ev).frame().set_index("parent")
    assert table["score"].to_dict() == pytest.approx({"丙街道": 70.0, "乙镇": 87.9, "甲镇": 87.4})
    assert table["rank"].to_dict() == {"丙街道": 1, "乙镇": 1, "甲镇": 2}
    assert "ranked 2 of 2 (group 镇)" in str(perfsim.explain(ev, "A1", lang="en"))


def test_roll_up_checks_its_attributes():
    with pytest.raises(PerfsimError, match="weighted_sum needs a weight"):
        villages(combine="weighted_sum")
    with pytest.raises(PerfsimError, match="unknown attribute 'county'"):
        villages(attribute="county")
    with pytest.raises(PerfsimError, match="must be of kind text"):
        villages(group_by="share")


@settings(max_examples=50, deadline=None)
@given(
    marks=st.lists(st.integers(0, 1000), min_size=1, max_size=12),
    towns=st.lists(st.integers(0, 3), min_size=12, max_size=12),
)
def test_a_towns_mean_lies_between_its_villages(marks, towns):
    """Property: a town's score (mean, before its own rounding) is within its villages' lowest and highest totals."""
    from perfsim.units_of_units import roll_up

    rows = [
        {"unit": f"v{i}", "work": m / 10, "town": f"t{towns[i]}", "kind": "镇", "share": 1} for i, m in enumerate(marks)
    ]
    _, _, ev = run(villages(rounding=6), rows)
    result = roll_up(ev)
    for p, name in enumerate(result.parents):
        mine = ev.total[0, result.parent_of == p]
        assert mine.min() - 1e-9 <= result.score[0, p] <= mine.max() + 1e-9
        assert name in {r["town"] for r in rows}


def test_cli_explains_a_trimmed_mean_and_a_stepwise_item(tmp_path, capsys):
    """End to end: a scheme file with raters (trimmed mean) and a stepwise item, evaluated and explained."""
    from perfsim.cli import main

    scheme = tmp_path / "scheme.yaml"
    scheme.write_text(
        """perfsim_scheme: 1
id: e2e
version: "1"
name: {zh: 测评, en: appraisal}
total: 100
indicators:
  - id: appraisal
    name: {zh: 民主测评, en: appraisal}
    points: 60
    method: {method: score}
    raters: {count: 5, aggregate: trimmed_mean, trim_when_more_than: 4}
  - id: rate
    name: {zh: 完成率, en: completion rate}
    points: 40
    method: {method: stepwise, target: 100, step: 5, per_step: 4}
grading:
  bands:
    - {grade: {zh: 合格, en: pass}, min: 60}
    - {grade: {zh: 不合格, en: fail}}
""",
        encoding="utf-8",
    )
    data = tmp_path / "units.csv"
    data.write_text(
        "unit,appraisal.r1,appraisal.r2,appraisal.r3,appraisal.r4,appraisal.r5,rate\nu,60,90,80,70,100,91\n",
        encoding="utf-8",
    )
    # trimmed: (90 + 80 + 70) / 3 = 80 → 48 of 60; rate 9 short → 1 whole step → 40 − 4 = 36; total 84
    assert main(["explain", str(scheme), str(data), "u", "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert "总分 84 分" in out and "去掉 1 个最高分" in out and "阶梯扣分法" in out
    assert main(["evaluate", str(scheme), str(data), "-o", str(tmp_path / "r.csv")]) == 0
