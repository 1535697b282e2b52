"""Consequence rules from the seed plans, applied to evaluations (issue 3)."""

from __future__ import annotations

import numpy as np
import pytest

import perfsim
from perfsim.consequences import apply_consequences
from perfsim.money import to_cents

from conftest import label, leaf, make_scheme, run

GRADES_4 = [
    {"grade": label("优"), "min": 90},
    {"grade": label("良"), "min": 80},
    {"grade": label("中"), "min": 60},
    {"grade": label("差")},
]
BUDGET_ATTRS = [{"id": "budget", "name": label("项目预算")}]


def budget_scheme(budget: dict, extra_attrs: list | None = None, **fields):
    return make_scheme(
        [leaf("score", 100)],
        grading={"bands": GRADES_4},
        attributes=BUDGET_ATTRS + (extra_attrs or []),
        consequences={"budget": {"amount": "budget", **budget}},
        **fields,
    )


def test_pian2_poor_grade_cuts_next_year_control_number_by_the_rate():
    scheme = budget_scheme({"by_grade": {"差": {"percent": -10}}})
    rows = [{"unit": "p1", "score": 55, "budget": 1_234_567.89}, {"unit": "p2", "score": 75, "budget": 500_000}]
    _, _, ev = run(scheme, rows)
    outcome, _ = apply_consequences(ev)
    assert list(outcome.claim[0]) == [to_cents(1_111_111.10), to_cents(500_000)]  # 1,111,111.101 → .10
    assert outcome.cut[0, 0] == to_cents(1_234_567.89) - to_cents(1_111_111.10)


def test_pian5_stance_mapping_applied_as_written_and_linted():
    """篇五 l.297: 优 key support, 良 priority, 中 reduce, 低 key monitoring (no cut)."""
    by_grade = {
        "优": {"percent": 10, "stance": label("重点支持", "key support")},
        "良": {"percent": 5, "stance": label("优先保障", "priority")},
        "中": {"percent": -10, "stance": label("从紧从严", "reduce")},
        "差": {"percent": 0, "stance": label("列入重点监控", "key monitoring")},
    }
    scheme = budget_scheme({"by_grade": by_grade})
    rows = [{"unit": u, "score": s, "budget": 100_000} for u, s in zip("abcd", (95, 85, 70, 40))]
    _, _, ev = run(scheme, rows)
    outcome, _ = apply_consequences(ev)
    assert list(outcome.claim[0]) == [to_cents(v) for v in (110_000, 105_000, 90_000, 100_000)]
    assert outcome.next_budget.sum() == to_cents(400_000)  # priority inside the fixed envelope
    warnings = [f.message for f in perfsim.lint(scheme)]
    assert any("中 is cut while 差 is not" in w for w in warnings)


def test_pian7_suspend_and_reallocate_conserves_the_budget():
    """篇七 l.345: a seriously mismatched or low-performing project is stopped; its money moves."""
    scheme = budget_scheme(
        {
            "cuts_to": "pool",
            "by_grade": {"差": {"percent": -20}},
            "monitoring": {"spending_progress": "spend", "target_progress": "progress", "mismatch_above": 0.3},
            "reallocation": {"rule": "pro_rata", "eligible_grades": ["优", "良"]},
        },
        [{"id": "spend", "name": label("支出进度")}, {"id": "progress", "name": label("目标进度")}],
    )
    rows = [
        {"unit": "stalled", "score": 85, "budget": 300_000, "spend": 0.2, "progress": 0.7},
        {"unit": "poor", "score": 50, "budget": 200_000, "spend": 0.8, "progress": 0.7},
        {"unit": "good", "score": 92, "budget": 100_000, "spend": 0.9, "progress": 0.9},
        {"unit": "fine", "score": 83, "budget": 50_000.05, "spend": 0.6, "progress": 0.6},
    ]
    _, _, ev = run(scheme, rows)
    o, _ = apply_consequences(ev)
    assert bool(o.stopped[0, 0]) and o.next_budget[0, 0] == 0 and o.ended[0, 0]
    assert o.released[0, 0] == to_cents(300_000 * 0.8)
    assert o.cut_to_pool[0, 1] == to_cents(40_000)
    pool = o.released.sum() + o.cut_to_pool.sum()
    assert o.received.sum() + o.returned.sum() == pool  # the pool is shared to the cent
    assert o.received[0, 0] == 0 and o.received[0, 1] == 0  # stopped and cut units get nothing
    assert o.received[0, 2] / o.received[0, 3] == pytest.approx(100_000 / 50_000.05, rel=1e-6)
    assert o.claim.sum() == o.budget.sum() - o.cut.sum() + o.increase.sum() + o.received.sum()
    assert o.next_budget.sum() == o.budget.sum()  # the envelope: fixed at this year's total


def test_pian9_correction_ladder_rectify_cut_cancel():
    steps = [
        {"name": label("限期整改", "rectify"), "change": {"percent": 0}},
        {"name": label("调减预算", "cut"), "change": {"percent": -30}},
        {"name": label("取消项目", "cancel"), "change": {"to_zero": True}},
    ]
    scheme = budget_scheme({"ladder": {"fail_grades": ["差"], "steps": steps}})
    _, _, ev = run(scheme, [{"unit": "p", "score": 40, "budget": 100_000}])
    state = None
    budgets = []
    for _ in range(3):
        outcome, state = apply_consequences(ev, state)
        budgets.append(int(outcome.claim[0, 0]))
        assert outcome.ladder_step[0, 0] == len(budgets)
    assert budgets == [to_cents(100_000), to_cents(70_000), 0]


def test_gate_gives_no_budget():
    scheme = budget_scheme(
        {"gates": [{"id": "ex_ante", "name": label("事前绩效评估"), "attribute": "ex_ante"}]},
        [{"id": "ex_ante", "name": label("事前评估通过")}],
    )
    _, _, ev = run(
        scheme,
        [
            {"unit": "a", "score": 95, "budget": 10, "ex_ante": 0},
            {"unit": "b", "score": 95, "budget": 10, "ex_ante": 1},
        ],
    )
    outcome, _ = apply_consequences(ev)
    assert list(outcome.claim[0]) == [0, 1000]
    assert list(outcome.next_budget[0]) == [0, 2000] and outcome.ended[0, 0]  # a's money stays in the envelope


def qitai_like():
    return make_scheme(
        [leaf("key", 90), leaf("public", 10)],
        grading={
            "bands": [
                {"grade": label("优秀"), "min": 90},
                {"grade": label("良好"), "min": 80},
                {"grade": label("合格"), "min": 70},
                {"grade": label("不合格")},
            ]
        },
        attributes=[{"id": "staff", "name": label("人数")}, {"id": "salary", "name": label("工资")}],
        consequences={
            "pay": {"bonus_months": {"salary": "salary", "staff": "staff", "months": {"优秀": 1, "良好": 0.5}}},
            "flags": [{"id": "org", "name": label("组织处理"), "when": {"grades": ["不合格"], "consecutive": 2}}],
        },
    )


def test_pian4_bonus_months_by_grade():
    rows = [{"unit": u, "key": s, "public": s, "staff": 20, "salary": 4321.5} for u, s in zip("abcd", (95, 85, 75, 50))]
    _, _, ev = run(qitai_like(), rows)
    outcome, _ = apply_consequences(ev)
    assert list(outcome.pay["bonus"][0]) == [20 * 4321.5, 10 * 4321.5, 0, 0]


def test_pian4_two_consecutive_poor_years_raise_organisational_handling():
    compiled, data, poor = run(qitai_like(), [{"unit": "a", "key": 50, "public": 50, "staff": 1, "salary": 1}])
    _, _, fine = run(qitai_like(), [{"unit": "a", "key": 75, "public": 75, "staff": 1, "salary": 1}])
    history = []
    state = None
    for ev in (poor, fine, poor, poor, poor):
        outcome, state = apply_consequences(ev, state)
        history.append(bool(outcome.flags["org"][0, 0]))
    assert history == [False, False, False, True, True]


def school_pay():
    """篇十四: pool 70 % base / 30 % incentive; 580 and 440 yuan probation/apprentice; 退职 ÷ 7 × 5."""
    return make_scheme(
        [leaf("assessment", 100)],
        attributes=[
            {"id": "pool_share", "name": label("绩效工资总量")},
            {"id": "post", "name": label("岗位津贴")},
            {"id": "status", "name": label("人员状态"), "kind": "text"},
        ],
        consequences={
            "pay": {
                "pool": {
                    "amount": "pool_share",
                    "base_percent": 70,
                    "incentive_percent": 30,
                    "base": "post",
                    "months": 12,
                    "status": "status",
                    "fixed": {"见习期": 580, "学徒期": 440},
                    "departed": {"退职": 0.5},
                }
            }
        },
    )


def test_pian14_pool_split_fixed_allowances_and_departed_staff():
    rows = [
        {"unit": "t1", "assessment": 90, "pool_share": 30_000, "post": 1_750, "status": "在职"},
        {"unit": "t2", "assessment": 60, "pool_share": 30_000, "post": 1_750, "status": "在职"},
        {"unit": "t3", "assessment": 80, "pool_share": 20_000, "post": 1_200, "status": "见习期"},
        {"unit": "t4", "assessment": 70, "pool_share": 20_000, "post": 1_000, "status": "学徒期"},
        {"unit": "r1", "assessment": 0, "pool_share": 0, "post": 700, "status": "退职"},
    ]
    _, _, ev = run(school_pay(), rows)
    outcome, _ = apply_consequences(ev)
    pay = outcome.pay
    assert list(pay["base"][0]) == [1_750 * 12, 1_750 * 12, 580 * 12, 440 * 12, 0]
    assert pay["departed"][0, 4] == pytest.approx(700 / 7 * 5 * 12)  # base ÷ 7 × 5, monthly
    incentive_pool = 0.30 * 100_000
    assert pay["incentive"][0].sum() == pytest.approx(incentive_pool)  # shared exactly, never exceeded
    assert pay["incentive"][0, 4] == 0
    assert pay["incentive"][0, 0] == pytest.approx(incentive_pool * 90 / 300)


def hospital_monthly(ties: str):
    return make_scheme(
        [leaf("quality", 100)],
        consequences={
            "flags": [
                {"id": "first", "name": label("月度第一名奖励"), "when": {"rank": "first"}},
                {"id": "last", "name": label("月度末尾处罚"), "when": {"rank": "last"}},
                {
                    "id": "barred",
                    "name": label("取消年度评先资格"),
                    "when": {"most": "last", "window": 12, "ties": ties},
                },
            ]
        },
    )


@pytest.mark.parametrize(("ties", "barred"), [("all", {"c", "d"}), ("none", set()), ("lowest_total", {"d"})])
def test_pian16_monthly_first_last_and_most_last_places(ties, barred):
    months = [  # scores of departments a, b, c, d; c and d each end last 5 times, b twice
        *[(95, 80, 70, 75)] * 5,
        *[(95, 80, 75, 60)] * 5,
        *[(90, 70, 85, 88)] * 2,
    ]
    state = None
    for month, scores in enumerate(months):
        rows = [{"unit": u, "quality": s} for u, s in zip("abcd", scores)]
        _, _, ev = run(hospital_monthly(ties), rows)
        outcome, state = apply_consequences(ev, state)
        assert outcome.flags["first"][0, 0]
        assert set(np.array(list("abcd"))[outcome.flags["last"][0]]) == {
            "c" if month < 5 else "d" if month < 10 else "b"
        }
        if month < 11:
            assert not outcome.flags["barred"].any()
    assert set(np.array(list("abcd"))[outcome.flags["barred"][0]]) == barred


@pytest.mark.parametrize(
    ("consequences", "message"),
    [
        ({"budget": {"amount": "budget", "by_grade": {"差": {"percent": -150}}}}, "at least -100, got -150"),
        ({"budget": {"amount": "budget", "by_grade": {"劣": {"percent": -10}}}}, "unknown grade '劣'"),
        ({"budget": {"amount": "money"}}, "unknown attribute 'money'"),
        ({"pay": {"pool": {"amount": 1000, "base_percent": 70, "incentive_percent": 20, "base": "budget"}}}, "not 100"),
    ],
)
def test_inconsistent_rules_name_the_field(consequences, message):
    with pytest.raises(perfsim.SchemeError, match=message) as info:
        make_scheme(
            [leaf("score", 100)], grading={"bands": GRADES_4}, attributes=BUDGET_ATTRS, consequences=consequences
        )
    assert "consequences" in str(info.value)


def test_priority_naming_unknown_unit_is_a_data_error():
    scheme = budget_scheme(
        {
            "cuts_to": "pool",
            "by_grade": {"差": {"percent": -50}},
            "reallocation": {"rule": "priority", "priority": ["a", "zz"]},
        }
    )
    _, _, ev = run(scheme, [{"unit": "a", "score": 95, "budget": 10}, {"unit": "b", "score": 10, "budget": 10}])
    with pytest.raises(perfsim.DataError, match=r"priority\[1\]"):
        apply_consequences(ev)


def test_pian5_mid_year_adjustment_by_severity_and_ledger():
    scheme = budget_scheme(
        {
            "cuts_to": "pool",
            "monitoring": {
                "spending_progress": "spend",
                "target_progress": "progress",
                "stop": False,
                "adjust_by_severity": [{"gap": 0.1, "percent": -10}, {"gap": 0.3, "percent": -30}],
            },
            "reallocation": {"rule": "pro_rata"},
        },
        [{"id": "spend", "name": label("支出进度")}, {"id": "progress", "name": label("目标进度")}],
    )
    rows = [
        {"unit": "a", "score": 85, "budget": 1000, "spend": 0.5, "progress": 0.65},  # gap 0.15 → −10 %
        {"unit": "b", "score": 85, "budget": 1000, "spend": 0.2, "progress": 0.6},  # gap 0.4 → −30 %
        {"unit": "c", "score": 85, "budget": 1000, "spend": 0.6, "progress": 0.6},
    ]
    _, _, ev = run(scheme, rows)
    o, _ = apply_consequences(ev)
    assert list(o.released[0]) == [to_cents(100), to_cents(300), 0]
    ledger = o.ledger()
    assert ledger.loc[0, "monitoring: unspent or adjusted to pool"] == 400
    assert ledger.loc[0, "reallocation: received"] + ledger.loc[0, "reallocation: left to the envelope"] == 400


def test_pian17_base_amount_times_post_coefficient():
    scheme = make_scheme(
        [leaf("assessment", 100)],
        attributes=[
            {"id": "base_amount", "name": label("基础性绩效工资基数")},
            {"id": "coef", "name": label("岗位系数")},
        ],
        consequences={
            "pay": {
                "pool": {
                    "amount": 100_000,
                    "base_percent": 60,
                    "incentive_percent": 40,
                    "base": "base_amount",
                    "coefficient": "coef",
                    "months": 1,
                }
            }
        },
    )
    _, _, ev = run(
        scheme,
        [
            {"unit": "t", "assessment": 80, "base_amount": 2000, "coef": 1.3},
            {"unit": "w", "assessment": 70, "base_amount": 2000, "coef": 0.9},
        ],
    )
    outcome, _ = apply_consequences(ev)
    assert list(outcome.pay["base"][0]) == [2600, 1800]
    assert outcome.pay["incentive"][0].sum() == pytest.approx(40_000)


def test_cut_rate_is_a_sweepable_parameter():
    scheme = budget_scheme({"by_grade": {"差": {"percent": -10}}})
    compiled, data, _ = run(
        scheme, [{"unit": "p", "score": 40, "budget": 1000}, {"unit": "q", "score": 95, "budget": 1000}]
    )
    ev = perfsim.evaluate(compiled, data, {"rate:差": [-10, -25, -100]})
    outcome, _ = apply_consequences(ev)
    assert list(outcome.claim[:, 0]) == [90_000, 75_000, 0]
    assert list(outcome.claim[:, 1]) == [100_000] * 3


def test_reallocation_to_urgent_projects_by_attribute():
    """篇一 l.12: money of stopped projects goes to other urgent projects (急需项目), most urgent first."""
    scheme = budget_scheme(
        {
            "monitoring": {"spending_progress": "spend", "low_score_below": 50},
            "reallocation": {
                "rule": "priority",
                "eligible_attribute": "urgent",
                "priority_attribute": "urgency",
                "cap_percent": 50,
            },
        },
        [
            {"id": "spend", "name": label("支出进度")},
            {"id": "urgent", "name": label("急需")},
            {"id": "urgency", "name": label("紧急程度")},
        ],
    )
    rows = [
        {"unit": "stopped", "score": 30, "budget": 1000, "spend": 0.3, "urgent": 0, "urgency": 0},
        {"unit": "calm", "score": 90, "budget": 1000, "spend": 1, "urgent": 0, "urgency": 9},
        {"unit": "urgent-a", "score": 90, "budget": 1000, "spend": 1, "urgent": 1, "urgency": 2},
        {"unit": "urgent-b", "score": 90, "budget": 1000, "spend": 1, "urgent": 1, "urgency": 5},
    ]
    _, _, ev = run(scheme, rows)
    o, _ = apply_consequences(ev)
    assert list(o.received[0]) == [0, 0, to_cents(200), to_cents(500)]  # b first (up to 50 %), then a
    assert o.received.sum() + o.returned.sum() == o.released.sum() == to_cents(700)
