"""Each step of the documented order of operations (perfsim.engine), tested on its own."""

from __future__ import annotations

import numpy as np
import pytest

import perfsim

from conftest import BANDS_90_80_70, label, leaf, make_scheme, run

# -- step 1: scoring methods ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "direction", "value", "fraction"),
    [
        ({"method": "score", "scale": 5}, "higher", 4, 0.8),
        ({"method": "completion_ratio", "standard": 80, "cap": 1.2}, "higher", 120, 1.2),
        ({"method": "completion_ratio", "standard": 80}, "lower", 100, 0.8),
        ({"method": "completion_ratio", "standard": 80}, "lower", 60, 1.0),
        ({"method": "quantity_decrement", "target": 10, "decrement": 2}, "higher", 7, 0.4),  # 10 − 2×3 of 10
        ({"method": "quantity_decrement", "target": 10, "decrement": 2}, "higher", 2, 0.0),  # floor at 0
        ({"method": "quantity_decrement", "target": 3, "decrement": 1}, "lower", 5, 0.8),
        ({"method": "veto_scoring"}, "higher", 0, 1.0),
        ({"method": "veto_scoring"}, "higher", 2, 0.0),
        (
            {"method": "base_add_subtract", "target": 100, "base": 8, "add_per_unit": 0.1, "subtract_per_unit": 0.2},
            "higher",
            110,
            0.9,
        ),
        (
            {"method": "base_add_subtract", "target": 100, "base": 8, "add_per_unit": 0.1, "subtract_per_unit": 0.2},
            "higher",
            90,
            0.6,
        ),
        ({"method": "base_add_subtract", "target": 100, "base": 8, "add_per_unit": 0.1}, "higher", 200, 1.0),
        ({"method": "cumulative", "per_event": 3}, "higher", 2, 0.6),
        ({"method": "cumulative", "per_event": 3}, "higher", 5, 1.0),
        ({"method": "direct_deduction", "per_violation": 4}, "higher", 2, 0.2),
        ({"method": "direct_deduction", "per_violation": 4, "floor": 1}, "higher", 9, 0.1),
        (
            {
                "method": "bands",
                "bands": [{"min": 95, "points": 10}, {"min": 85, "points": 8}, {"min": 60, "points": 5}],
            },
            "higher",
            85,
            0.8,
        ),
        ({"method": "bands", "bands": [{"min": 95, "points": 10}, {"min": 85, "points": 8}]}, "higher", 50, 0.0),
        ({"method": "time_limit", "limit": 10}, "higher", 10, 1.0),  # 篇十六: emergency consult within 10 min
        ({"method": "time_limit", "limit": 10}, "higher", 11, 0.0),
    ],
)
def test_scoring_methods(method, direction, value, fraction):
    ind = leaf("x", 10, method)
    if direction != "higher":
        ind["direction"] = direction
    scheme = make_scheme([ind, leaf("rest", 90)])
    _, _, ev = run(scheme, [{"unit": "u", "x": value, "rest": 0}])
    assert ev.total[0, 0] == pytest.approx(10 * fraction)


def test_lookup_method_reads_labels():
    scheme = make_scheme(
        [
            leaf("sub", 10, {"method": "lookup", "map": {"先进": 10, "良好": 8.5, "一般": 5.5, "差": 0}}),
            leaf("rest", 90),
        ]
    )
    _, _, ev = run(scheme, [{"unit": "a", "sub": "良好", "rest": 0}, {"unit": "b", "sub": "差", "rest": 0}])
    assert list(ev.total[0]) == [8.5, 0]


# -- step 2: aggregation ----------------------------------------------------------------------


def test_weights_resolve_against_parent_points():
    scheme = make_scheme(
        [
            {
                "id": "s",
                "name": label("s"),
                "points": 60,
                "children": [
                    {"id": "a", "name": label("a"), "weight": 25, "method": {"method": "score"}},
                    {"id": "b", "name": label("b"), "weight": 75, "method": {"method": "score"}},
                ],
            },
            leaf("c", 40),
        ]
    )
    _, _, ev = run(scheme, [{"unit": "u", "a": 100, "b": 0, "c": 50}])
    assert ev.total[0, 0] == pytest.approx(15 + 20)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [("normalise", 90 * (30 * 60 + 60 * 90) / 90 / 100), ("literal", 90 * (0.3 * 0.6 + 0.6 * 0.9))],
)
def test_period_shares_normalised_or_literal(rule, expected):
    """篇四 l.160: half-year 30 % and year-end 60 % of the centralised score."""
    scheme = make_scheme(
        [{**leaf("key", 90), "periods": {"H1": 30, "Y": 60}, "period_shares": rule}, leaf("public", 10)],
        periods=[{"id": "H1", "name": label("半年")}, {"id": "Y", "name": label("年底")}],
    )
    _, _, ev = run(scheme, [{"unit": "u", "key@H1": 60, "key@Y": 90, "public": 0}])
    assert ev.total[0, 0] == pytest.approx(expected)


def test_quarterly_periods_inherited_by_children():
    """篇十一(c): public evaluation each quarter, 4 × 25 %."""
    quarters = [{"id": f"Q{i}", "name": label(f"第{i}季度")} for i in range(1, 5)]
    scheme = make_scheme(
        [
            leaf("indicators", 60),
            leaf("leader", 10),
            {
                "id": "public",
                "name": label("公众评估"),
                "points": 30,
                "periods": {"Q1": 25, "Q2": 25, "Q3": 25, "Q4": 25},
                "children": [leaf("survey", 30)],
            },
        ],
        periods=quarters,
    )
    row = {
        "unit": "dept",
        "indicators": 100,
        "leader": 100,
        **{f"survey@Q{i}": v for i, v in zip(range(1, 5), (100, 80, 60, 40))},
    }
    _, _, ev = run(scheme, [row])
    assert ev.total[0, 0] == pytest.approx(70 + 30 * 0.7)


def test_not_applicable_rescales_total_to_applicable_points():
    scheme = make_scheme([leaf("a", 50), leaf("b", 30), leaf("c", 20)], not_applicable={"indicators": ["c"]})
    _, _, ev = run(scheme, [{"unit": "u", "a": 80, "b": 60, "c": "不适用"}, {"unit": "v", "a": 80, "b": 60, "c": 50}])
    assert ev.total[0, 0] == pytest.approx((40 + 18) / 80 * 100)
    assert ev.total[0, 1] == pytest.approx(40 + 18 + 10)


def test_missing_values_zero_policy_scores_zero():
    scheme = make_scheme([leaf("a", 50), leaf("b", 50)], missing_values="zero")
    _, _, ev = run(scheme, [{"unit": "u", "a": 80, "b": None}])
    assert ev.total[0, 0] == pytest.approx(40)


def test_indicator_veto_zeroes_only_that_indicator():
    scheme = make_scheme(
        [leaf("a", 50), leaf("b", 50)], vetoes=[{"id": "v", "name": label("否决"), "scope": "indicator", "target": "a"}]
    )
    _, _, ev = run(scheme, [{"unit": "u", "a": 80, "b": 80, "v": 1}])
    assert ev.total[0, 0] == pytest.approx(40)


def test_per_indicator_rounding_half_up():
    scheme = make_scheme([leaf("a", 10), leaf("b", 90)], rounding={"indicator": 2})
    _, _, ev = run(scheme, [{"unit": "u", "a": 12.25, "b": 0.05}])  # 1.225 → 1.23 and 0.045 → 0.05 half-up
    assert ev.total[0, 0] == pytest.approx(1.28)


# -- steps 3-5: adjustments, clamp, rounding ----------------------------------------------------


def adjusted(apply: str = "before_clamp", **caps):
    return make_scheme(
        [leaf("a", 100)],
        adjustments={
            "apply": apply,
            **caps,
            "items": [
                {"id": "award", "name": label("加分"), "kind": "bonus", "per_event": 1.5, "cap": 3},
                {"id": "extra", "name": label("加分2"), "kind": "bonus"},
                {"id": "fault", "name": label("扣分"), "kind": "deduction", "cap": 2},
            ],
        },
    )


def test_item_caps_total_caps_and_per_event_amounts():
    _, _, ev = run(adjusted(bonus_cap=4), [{"unit": "u", "a": 50, "award": 3, "extra": 2, "fault": 5}])
    assert ev.bonus[0, 0] == pytest.approx(4)  # min(4.5, 3) + 2 = 5 → total cap 4
    assert ev.deduction[0, 0] == pytest.approx(2)
    assert ev.total[0, 0] == pytest.approx(52)


def test_clamp_before_and_after_adjustments():
    row = [{"unit": "u", "a": 99, "award": 2, "extra": 0, "fault": 0}]
    _, _, ev = run(adjusted("before_clamp"), row)
    assert ev.total[0, 0] == 100 and bool(ev.clamped[0, 0])
    _, _, ev = run(adjusted("after_clamp"), row)
    assert ev.total[0, 0] == pytest.approx(102)


def test_total_rounding_is_half_up():
    scheme = make_scheme([leaf("a", 100)], rounding={"total": 1})
    _, _, ev = run(scheme, [{"unit": "u", "a": 89.95}, {"unit": "v", "a": 0.25}])
    assert list(ev.total[0]) == [90.0, 0.3]
    assert ev.grade_labels() == ["优秀", "不合格"]


# -- steps 6-9: vetoes, bands, quotas, tiers ----------------------------------------------------


@pytest.mark.parametrize(("timing", "excellent"), [("before_quota", ["b"]), ("after_quota", [])])
def test_grade_veto_before_or_after_quota(timing, excellent):
    """Before the quota a vetoed unit takes no place; after it, its place is lost to everyone."""
    scheme = make_scheme(
        [leaf("a", 100)],
        vetoes=[{"id": "accident", "name": label("安全事故"), "scope": "grade_lowest"}],
        grading={"bands": BANDS_90_80_70, "veto_timing": timing, "quotas": [{"grade": "优秀", "max_share": 0.25}]},
    )
    rows = [
        {"unit": "a", "a": 99, "accident": 1},
        {"unit": "b", "a": 95, "accident": 0},
        {"unit": "c", "a": 60, "accident": 0},
        {"unit": "d", "a": 60, "accident": 0},
    ]
    _, _, ev = run(scheme, rows)
    labels = ev.grade_labels()
    assert labels[0] == "不合格"
    assert [u for u, g in zip("abcd", labels) if g == "优秀"] == excellent


def test_quota_per_group_by_attribute():
    scheme = make_scheme(
        [leaf("a", 100)],
        attributes=[{"id": "county", "name": label("县"), "kind": "text"}],
        grading={"bands": BANDS_90_80_70, "group_by": "county", "quotas": [{"grade": "优秀", "max_share": 0.5}]},
    )
    rows = [{"unit": f"{c}{i}", "county": c, "a": 95 - i} for c in "xy" for i in range(4)]
    _, _, ev = run(scheme, rows)
    assert ev.grade_labels() == ["优秀", "优秀", "良好", "良好"] * 2
    frame = perfsim.results_frame(ev)
    assert list(frame["rank"]) == [1, 2, 3, 4] * 2


def test_rank_tiers_four_classes():
    """篇六 l.325: 综合优胜 / 优胜 / 达标 / 不达标 by ranking (counts stated by the scheme)."""
    tiers = [
        {"grade": label("综合优胜"), "count": 1},
        {"grade": label("优胜"), "share": 0.25},
        {"grade": label("达标"), "share": 0.5},
        {"grade": label("不达标")},
    ]
    scheme = make_scheme([leaf("a", 100)], grading={"rank_tiers": tiers})
    rows = [{"unit": f"u{i}", "a": 100 - 5 * i} for i in range(8)]
    _, _, ev = run(scheme, rows)
    assert ev.grade_labels() == ["综合优胜", "优胜", "优胜", "达标", "达标", "达标", "达标", "不达标"]
    compiled = ev.compiled
    swept = perfsim.evaluate(compiled, ev.data, {"quota:优胜": [0.125, 0.25, 0.5]})  # tier shares are levers
    assert [int((swept.grade[s] == 1).sum()) for s in range(3)] == [1, 2, 4]


@pytest.mark.parametrize(
    ("ties", "ranks"), [("competition", [1, 1, 3, 4]), ("dense", [1, 1, 2, 3]), ("ordinal", [1, 2, 3, 4])]
)
def test_rank_tie_methods(ties, ranks):
    scheme = make_scheme([leaf("a", 100)], grading={"bands": BANDS_90_80_70, "ranking": {"ties": ties}})
    _, _, ev = run(scheme, [{"unit": u, "a": v} for u, v in zip("abcd", (90, 90, 80, 70))])
    assert list(ev.rank[0]) == ranks


def test_parameter_draws_move_weights_and_cutoffs():
    scheme = make_scheme([leaf("a", 50), leaf("b", 50)])
    compiled, data, _ = run(scheme, [{"unit": "u", "a": 100, "b": 80}])
    ev = perfsim.evaluate(compiled, data, {"points:a": [50, 80], "points:b": [50, 20], "cutoff:优秀": [95, 90]})
    assert np.allclose(ev.total[:, 0], [90, 96])
    assert ev.grade_labels(0) == ["良好"] and ev.grade_labels(1) == ["优秀"]


def test_unknown_parameter_is_a_clear_error():
    compiled, data, _ = run(make_scheme([leaf("a", 100)]), [{"unit": "u", "a": 1}])
    with pytest.raises(perfsim.ParameterError, match="did you mean 'points:a'"):
        perfsim.evaluate(compiled, data, {"points:aa": [1.0]})
    with pytest.raises(perfsim.ParameterError, match="same number of draws"):
        perfsim.evaluate(compiled, data, {"points:a": [1.0, 2.0], "cutoff:优秀": [90, 91, 92]})


def test_draws_varying_one_class_only(qitai):
    compiled, data = qitai
    ev = perfsim.evaluate(compiled, data, {"points:department/public": [5, 10, 20]})
    township = data.class_index == compiled.class_index("township")
    assert np.array_equal(ev.total[0, township], ev.total[2, township])
    assert not np.array_equal(ev.total[0, ~township], ev.total[2, ~township])
    assert np.array_equal(ev.total[1], perfsim.evaluate(compiled, data).total[0])


def test_per_unit_standard_values():
    """篇十一(c) l.501: each unit's quantified assigned target is its standard value (标准值)."""
    scheme = make_scheme(
        [leaf("output", 90, {"method": "completion_ratio", "standard": "per_unit"}), leaf("leader", 10)]
    )
    rows = [
        {"unit": "a", "output": 50, "output.standard": 100, "leader": 0},
        {"unit": "b", "output": 50, "output.standard": 50, "leader": 0},
        {"unit": "c", "output": 80, "output.standard": 40, "leader": 0},
    ]
    _, _, ev = run(scheme, rows)
    assert list(ev.total[0]) == [45, 90, 90]
    with pytest.raises(perfsim.DataError, match="must be positive"):
        run(scheme, [{"unit": "a", "output": 50, "output.standard": 0, "leader": 0}])
    with pytest.raises(perfsim.DataError, match="missing column 'output.standard'"):
        run(scheme, [{"unit": "a", "output": 50, "leader": 0}])


def test_not_assessed_units_take_no_grade_rank_or_quota_place():
    """篇十四: retired and departed staff are paid from the pool but not assessed."""
    scheme = make_scheme(
        [leaf("a", 100)],
        attributes=[{"id": "status", "name": label("人员状态"), "kind": "text"}],
        vetoes=[{"id": "accident", "name": label("事故"), "scope": "grade_lowest"}],
        grading={
            "bands": BANDS_90_80_70,
            "quotas": [{"grade": "优秀", "max_share": 0.5}],
            "not_assessed": {"attribute": "status", "values": ["退休", "退职"]},
        },
    )
    rows = [
        {"unit": "r1", "a": 99, "status": "退休", "accident": 0},
        {"unit": "r2", "a": 0, "status": "退职", "accident": 0},
        {"unit": "t1", "a": 95, "status": "在职", "accident": 0},
        {"unit": "t2", "a": 93, "status": "在职", "accident": 0},
        {"unit": "t3", "a": 91, "status": "在职", "accident": 0},
        {"unit": "t4", "a": 60, "status": "在职", "accident": 1},
    ]
    _, _, ev = run(scheme, rows)
    # 4 assessed units → 2 优秀 places (the retirees neither count nor compete); the veto goes to 不合格
    assert ev.grade_labels() == ["不参加考核", "不参加考核", "优秀", "优秀", "良好", "不合格"]
    assert list(ev.rank[0]) == [0, 0, 1, 2, 3, 4]
    assert "not graded" in str(perfsim.explain(ev, "r1"))
    assert a_lowest_share(ev) == pytest.approx(1 / 6)


def a_lowest_share(ev):
    from perfsim.analysis.metrics import lowest_share

    return float(lowest_share(ev)[0])
