"""Unit lifecycle and the budget envelope (issue 13): who is present each year, and money inside a stated total."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import perfsim
from perfsim.consequences import apply_consequences
from perfsim.lifecycle import ACTIVE, COMPLETED, STOPPED, SUSPENDED, WAITING
from perfsim.money import to_cents
from perfsim.numeric import round_half_up
from perfsim.population import BehaviourModel
from perfsim.simulate import simulate

from conftest import label, leaf, make_scheme

GRADES = ["优", "良", "中", "差"]
BANDS = [
    {"grade": label("优"), "min": 90},
    {"grade": label("良"), "min": 80},
    {"grade": label("中"), "min": 60},
    {"grade": label("差")},
]
ATTRS = [
    {"id": "budget", "name": label("预算")},
    {"id": "spend", "name": label("支出进度")},
    {"id": "progress", "name": label("目标进度")},
    {"id": "years", "name": label("剩余年限")},
]
QUIET = BehaviourModel(year_sd=0, default_noise=0, rater_noise={}, capacity_elasticity=0, veto_events="fixed")


def scheme(budget: dict, **consequences) -> perfsim.Scheme:
    return make_scheme(
        [leaf("work", 100)],
        grading={"bands": BANDS},
        attributes=ATTRS,
        consequences={"budget": {"amount": "budget", **budget}, **consequences},
    )


def units(scores, budgets=None, spend=None, progress=None, years=None) -> pd.DataFrame:
    n = len(scores)
    return pd.DataFrame(
        {
            "unit": [f"P{i:02d}" for i in range(n)],
            "work": scores,
            "budget": budgets if budgets is not None else [100_000.0] * n,
            "spend": spend if spend is not None else [0.6] * n,
            "progress": progress if progress is not None else [0.6] * n,
            "years": years if years is not None else [0] * n,
        }
    )


def load(s: perfsim.Scheme, frame: pd.DataFrame):
    compiled = perfsim.compile_scheme(s)
    return compiled, perfsim.load_units(frame, compiled)


# --------------------------------------------------------------------------- envelope


@st.composite
def budget_case(draw: st.DrawFn):
    by_grade = {}
    for g in GRADES:
        kind = draw(st.sampled_from(["percent", "percent", "to_zero", "absolute", "none"]))
        if kind == "percent":
            by_grade[g] = {"percent": draw(st.integers(-60, 60))}
        elif kind == "to_zero":
            by_grade[g] = {"to_zero": True}
        elif kind == "absolute":
            by_grade[g] = {"absolute": draw(st.integers(-50_000, 50_000))}
    budget: dict = {"by_grade": by_grade, "cuts_to": draw(st.sampled_from(["pool", "treasury"]))}
    envelope: dict = {"growth": draw(st.sampled_from([0, 0, 3, -2.5, 7]))}
    if draw(st.booleans()):
        envelope["total"] = draw(st.integers(0, 10**8))
    budget["envelope"] = envelope
    if draw(st.booleans()):
        action = draw(st.sampled_from(["suspend", "stop"]))
        budget["monitoring"] = {
            "spending_progress": "spend",
            "target_progress": "progress",
            "mismatch_above": 0.3,
            "low_score_below": draw(st.sampled_from([40, 60])),
            "on_mismatch": action,
        }
    if draw(st.booleans()):
        budget["reallocation"] = {"rule": draw(st.sampled_from(["pro_rata", "by_score"])), "cap_percent": 30}
    n = draw(st.integers(1, 12))
    scores = draw(st.lists(st.floats(20, 100, allow_nan=False).map(lambda x: round(x, 1)), min_size=n, max_size=n))
    budgets = draw(st.lists(st.integers(0, 10**7).map(lambda c: c / 100), min_size=n, max_size=n))
    spend = draw(st.lists(st.floats(0, 1).map(lambda x: round(x, 2)), min_size=n, max_size=n))
    lifecycle = {"entrants": {"per_year": 0.25, "duration": 3}} if draw(st.booleans()) else None
    return budget, lifecycle, scores, budgets, spend


@given(budget_case(), st.integers(0, 2**31))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_next_budgets_add_up_to_the_stated_envelope_to_the_fen_every_year(case, seed):
    """Issue 13 acceptance: Σ next budgets = the envelope, every year and draw, whatever the rules do."""
    budget, lifecycle, scores, budgets, spend = case
    extra = {"lifecycle": lifecycle} if lifecycle else {}
    compiled, data = load(scheme(budget, **extra), units(scores, budgets, spend))
    sim = simulate(compiled, data, years=4, draws=3, seed=seed, workers=1)
    assert sim.envelope is not None and sim.next_budget is not None and sim.budget is not None
    env = budget["envelope"]
    first = to_cents(env["total"]) if "total" in env else to_cents(np.array(budgets)).sum()
    for year in range(4):
        stated = int(round_half_up(np.array(float(first) * (1 + env["growth"] / 100) ** (year + 1)), 0))
        assert (sim.envelope[year] == stated).all()
        placed = sim.next_budget[year].sum(axis=1)
        someone = (sim.next_budget[year] > 0).any(axis=1) | (stated == 0)
        assert (placed[someone] == stated).all(), (year, placed, stated)
        assert (sim.next_budget[year] >= 0).all()
    assert np.array_equal(sim.budget[1:], sim.next_budget[:-1])


def test_increases_are_priority_inside_a_fixed_total():
    """量入为出: +10 % for 优 and −10 % for 中 share a fixed total; nothing comes from the treasury."""
    s = scheme({"by_grade": {"优": {"percent": 10}, "中": {"percent": -10}}})
    compiled, data = load(s, units([95, 95, 70, 85]))
    outcome, _ = apply_consequences(perfsim.evaluate(compiled, data))
    assert list(outcome.claim[0]) == [11_000_000, 11_000_000, 9_000_000, 10_000_000]
    assert outcome.next_budget.sum() == to_cents(400_000)
    ratio = outcome.next_budget[0] / outcome.claim[0]
    assert np.allclose(ratio, ratio[0], rtol=1e-6)  # everyone scaled alike: the rules set priority
    assert outcome.ledger().loc[0, "envelope: shared pro rata"] == pytest.approx(-10_000)


def test_treasury_reading_grows_budgets_and_lint_warns():
    s = scheme({"by_grade": {"优": {"percent": 10}}, "envelope": {"treasury": True}})
    compiled, data = load(s, units([95, 85]))
    sim = simulate(compiled, data, years=5, draws=1, seed=0, model=QUIET, workers=1)
    assert sim.envelope is None
    assert sim.next_budget[-1, 0, 0] == round(10_000_000 * 1.1**5)  # +10 % a year from the treasury
    assert any("grow without bound" in f.message for f in perfsim.lint(s))
    assert not any(
        "grow without bound" in f.message for f in perfsim.lint(scheme({"by_grade": {"优": {"percent": 10}}}))
    )


def test_envelope_grows_at_the_stated_rate():
    s = scheme({"by_grade": {"优": {"percent": 10}}, "envelope": {"total": 1_000_000, "growth": 5}})
    compiled, data = load(s, units([95, 85, 70]))
    sim = simulate(compiled, data, years=3, draws=2, seed=0, model=QUIET, workers=1)
    assert sim.envelope is not None
    assert sim.envelope[:, 0].tolist() == [to_cents(1_050_000), to_cents(1_102_500), to_cents(1_157_625)]
    assert (sim.next_budget.sum(axis=2) == sim.envelope).all()


@pytest.mark.parametrize(
    ("field", "envelope"),
    [("treasury", {"treasury": True, "growth": 3}), ("growth", {"growth": 300})],
)
def test_envelope_fields_are_validated(field, envelope):
    with pytest.raises(perfsim.SchemeError, match="envelope"):
        scheme({"envelope": envelope})


# --------------------------------------------------------------------------- lifecycle


def test_stopped_units_leave_and_appear_in_no_later_grade_flag_or_budget():
    s = scheme(
        {
            "monitoring": {"spending_progress": "spend", "low_score_below": 60, "stop": True},
            "by_grade": {"优": {"percent": 5}},
        },
        flags=[{"id": "poor", "name": label("差"), "when": {"grades": ["差"]}}],
    )
    compiled, data = load(s, units([95, 50, 85, 75]))
    sim = simulate(compiled, data, years=4, draws=2, seed=0, model=QUIET, workers=1)
    assert sim.status is not None
    assert (sim.status[0, :, 1] == ACTIVE).all() and (sim.status[1:, :, 1] == STOPPED).all()
    assert (sim.grade[0, :, 1] == 3).all() and (sim.grade[1:, :, 1] == -1).all()
    assert np.isnan(sim.total[1:, :, 1]).all()
    assert sim.flags["poor"][0, :, 1].all() and not sim.flags["poor"][1:, :, 1].any()
    assert (sim.budget[1:, :, 1] == 0).all()
    present = sim.present
    assert ((sim.budget > 0) | ~present).all()  # no unit present without money
    summary = sim.summary()
    assert summary["units present"].tolist() == [4, 3, 3, 3]
    assert summary["share 差"].tolist() == [0.25, 0, 0, 0]  # of the units present that year
    assert summary["units stopped"].tolist() == [0, 1, 1, 1]
    assert "present" in summary.attrs["counted"]
    panel = sim.panel(draws=[0])
    gone = panel[(panel.unit == "P01") & (panel.year > 1)]
    assert (gone.status == "已停止").all() and (gone.grade == "").all()


def test_suspended_units_stay_lose_this_years_unspent_money_and_resume_when_clear():
    """暂缓: money withheld this year, the unit stays and resumes once the mismatch clears."""
    s = scheme(
        {
            "monitoring": {
                "spending_progress": "spend",
                "target_progress": "progress",
                "mismatch_above": 0.3,
                "on_mismatch": "suspend",
            },
            "cuts_to": "pool",
            "reallocation": {"rule": "pro_rata"},
        },
        evolve=[
            {"attribute": "spend", "follows": "work", "range": [0, 1]},
            {"attribute": "progress", "fixed": True},
        ],
    )
    frame = units([85, 85, 85], spend=[0.2, 0.6, 0.6], progress=[0.6, 0.6, 0.6])
    compiled, data = load(s, frame)
    ev = perfsim.evaluate(compiled, data)
    outcome, _ = apply_consequences(ev)
    assert outcome.suspended[0, 0] and not outcome.stopped[0, 0] and not outcome.ended[0, 0]
    assert outcome.released[0, 0] == to_cents(80_000) and outcome.claim[0, 0] == to_cents(100_000)
    # the unit's spending follows its indicator: a better year clears the mismatch
    sim = simulate(compiled, data, years=3, draws=1, seed=0, model=QUIET, workers=1)
    assert (sim.status[:, 0, 0] == SUSPENDED).all()  # quiet: the mismatch holds, it stays suspended
    assert (sim.budget[:, 0, 0] > 0).all()
    cleared = perfsim.evaluate(compiled, data, values={"work": np.array([100.0, 85, 85])})
    moved = {"spend": np.clip(0.2 + (100 - 85) / 100, 0, 1)}
    again, _ = apply_consequences(cleared, portfolio=perfsim.consequences.Portfolio(attributes=moved))
    assert not again.suspended[0, 0]  # 0.35 against 0.6: within 0.3, so it resumes


def test_projects_complete_after_their_stated_years_and_entrants_take_their_place():
    s = scheme(
        {"by_grade": {"优": {"percent": 10}}},
        lifecycle={"remaining": "years", "entrants": {"per_year": 0.5, "duration": 2, "budget": 50_000}},
    )
    compiled, data = load(s, units([95, 85], years=[1, 0]))
    sim = simulate(compiled, data, years=4, draws=2, seed=1, model=QUIET, workers=1)
    assert sim.status is not None and len(sim.data) == 2 + 3
    assert sim.data.units[2:] == ["NEW-Y02-01", "NEW-Y03-01", "NEW-Y04-01"]
    p0 = sim.status[:, 0, 0].tolist()
    assert p0 == [ACTIVE, COMPLETED, COMPLETED, COMPLETED]  # one year left, then completed
    new = sim.status[:, 0, 2].tolist()
    assert new == [WAITING, ACTIVE, ACTIVE, COMPLETED]  # enters in year 2, runs 2 years
    assert sim.envelope is not None and (sim.next_budget.sum(axis=2) == sim.envelope).all()
    assert ((sim.budget > 0) == sim.present).all()
    assert sim.summary()["units present"].tolist() == [2, 2, 3, 3]  # P01 stays; one entrant a year
    claims = sim.next_budget[0, 0]
    assert claims[2] / claims[1] == pytest.approx(50_000 / 100_000, rel=1e-6)  # its stated first budget, scaled


def test_entrants_draw_their_quality_from_units_of_the_data():
    s = scheme({}, lifecycle={"entrants": {"per_year": 1.0}})
    compiled, data = load(s, units([95, 65, 75]))
    sim = simulate(compiled, data, years=2, draws=200, seed=4, model=QUIET, workers=1)
    entrants = sim.total[1, :, 3:]
    assert set(np.unique(entrants)) <= {95.0, 65.0, 75.0}
    assert len(set(np.unique(entrants))) == 3  # each draw resamples


def test_units_not_present_take_no_quota_place():
    s = make_scheme(
        [leaf("work", 100)],
        grading={"bands": BANDS, "quotas": [{"grade": "优", "max_share": 0.5}]},
        attributes=ATTRS,
        consequences={
            "budget": {"amount": "budget", "monitoring": {"spending_progress": "spend", "low_score_below": 60}}
        },
    )
    compiled, data = load(s, units([98, 96, 94, 40]))
    ev = perfsim.evaluate(compiled, data, present=np.array([True, True, True, False]))
    assert ev.grade_labels() == ["优", "良", "良", "差"]  # 50 % of 3 units present: one place
    full = perfsim.evaluate(compiled, data)
    assert full.grade_labels()[:3] == ["优", "优", "良"]


def test_cancelling_ladder_step_ends_the_project():
    steps = [
        {"name": label("整改", "rectify"), "change": {"percent": 0}},
        {"name": label("取消", "cancel"), "change": {"to_zero": True}},
    ]
    s = scheme({"ladder": {"fail_grades": ["差"], "steps": steps}})
    compiled, data = load(s, units([40, 85]))
    sim = simulate(compiled, data, years=4, draws=1, seed=0, model=QUIET, workers=1)
    assert sim.status[:, 0, 0].tolist() == [ACTIVE, ACTIVE, STOPPED, STOPPED]
    assert (sim.next_budget[1:, 0, 1] == to_cents(200_000)).all()  # the whole envelope to the survivor


def test_evolving_attribute_moves_with_its_indicator():
    s = scheme(
        {},
        flags=[{"id": "low_spend", "name": label("低"), "when": {"attribute": "spend", "below": 0.5}}],
        evolve=[{"attribute": "spend", "follows": "work", "range": [0, 1]}],
    )
    compiled, data = load(s, units([80, 80], spend=[0.55, 0.55]))
    noisy = BehaviourModel(year_sd=10, default_noise=0, rater_noise={}, capacity_elasticity=0)
    sim = simulate(compiled, data, years=6, draws=100, seed=2, model=noisy, workers=1)
    raised = sim.flags["low_spend"]
    assert raised.any() and not raised.all()  # the flag follows the unit's year
    assert not perfsim.lint(s)


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"lifecycle": {"remaining": "nope"}}, "consequences.lifecycle.remaining"),
        ({"evolve": [{"attribute": "spend", "follows": "nope", "range": [0, 1]}]}, "consequences.evolve[0].follows"),
        ({"evolve": [{"attribute": "spend", "follows": "work"}]}, "consequences.evolve[0]"),
        (
            {"evolve": [{"attribute": "spend", "fixed": True, "follows": "work", "range": [0, 1]}]},
            "consequences.evolve",
        ),
    ],
)
def test_new_fields_are_checked_with_their_place(extra, field):
    with pytest.raises(perfsim.SchemeError) as err:
        scheme({}, **extra)
    assert field in str(err.value)


def test_monitoring_and_ladder_apply_to_their_classes_only():
    s = make_scheme(
        unit_classes=[
            {"id": "project", "name": label("项目"), "indicators": [leaf("work", 100)]},
            {"id": "unit", "name": label("单位"), "indicators": [leaf("work", 100)]},
        ],
        grading={"bands": BANDS},
        attributes=ATTRS,
        consequences={
            "budget": {
                "amount": "budget",
                "monitoring": {"spending_progress": "spend", "low_score_below": 60, "classes": ["project"]},
            }
        },
    )
    compiled = perfsim.compile_scheme(s)
    frame = units([40, 40]).assign(**{"class": ["project", "unit"]})
    data = perfsim.load_units(frame, compiled)
    outcome, _ = apply_consequences(perfsim.evaluate(compiled, data))
    assert outcome.stopped[0].tolist() == [True, False]
