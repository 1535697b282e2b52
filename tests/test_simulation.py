"""Multi-year simulation and money conservation (issue 3): properties and seed behaviour."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import perfsim
from perfsim.money import allocate_capped, allocate_in_order, split_exact
from perfsim.population import BehaviourModel, synthetic_units
from perfsim.simulate import simulate

from conftest import QITAI_SCHEME, label, leaf, make_scheme


@given(st.integers(0, 10**9), st.lists(st.floats(0, 1e6), min_size=1, max_size=30))
@settings(max_examples=200, deadline=None)
def test_split_exact_conserves_every_cent(pool, weights):
    w = np.array([weights])
    out = split_exact(np.array([pool]), w)
    if w.sum() > 0:
        assert out.sum() == pool
        assert np.all(out >= 0)
        ideal = pool * w / w.sum()
        assert np.all(np.abs(out - ideal) < 1 + 1e-6)
    else:
        assert out.sum() == 0


@given(st.integers(0, 10**8), st.lists(st.tuples(st.floats(0, 100), st.integers(0, 10**7)), min_size=1, max_size=20))
@settings(max_examples=200, deadline=None)
def test_capped_allocation_never_exceeds_caps_or_pool(pool, recipients):
    weights = np.array([[w for w, _ in recipients]])
    caps = np.array([[c for _, c in recipients]], dtype=np.int64)
    out = allocate_capped(np.array([pool]), weights, caps)
    assert np.all(out <= caps) and np.all(out >= 0)
    assert out.sum() <= pool
    open_room = ((weights > 0) & (caps > out)).any()
    assert out.sum() == pool or not open_room  # money is left over only when no one can take it
    order = np.arange(len(recipients))[::-1]
    ordered = allocate_in_order(np.array([pool]), order, caps)
    assert ordered.sum() == min(pool, caps.sum()) and np.all(ordered <= caps)


def budget_scheme():
    return make_scheme(
        [leaf("work", 80), leaf("public", 20, rater="public")],
        grading={
            "bands": [
                {"grade": label("优"), "min": 90},
                {"grade": label("良"), "min": 80},
                {"grade": label("中"), "min": 60},
                {"grade": label("差")},
            ]
        },
        attributes=[{"id": "budget", "name": label("预算")}, {"id": "spend", "name": label("支出进度")}],
        consequences={
            "budget": {
                "amount": "budget",
                "cuts_to": "pool",
                "by_grade": {"差": {"percent": -10}, "优": {"percent": 5}},
                "monitoring": {"spending_progress": "spend", "low_score_below": 50},
                "reallocation": {"rule": "by_score", "eligible_grades": ["优", "良"], "cap_percent": 20},
            }
        },
    )


def population(n: int = 60, seed: int = 4):
    compiled = perfsim.compile_scheme(budget_scheme())
    rng = np.random.default_rng(seed)
    frame = synthetic_units(
        compiled,
        {"all": n},
        seed,
        latent_mean=75,
        latent_sd=12,
        attributes={"budget": np.round(rng.uniform(1e5, 1e6, n), 2), "spend": np.round(rng.uniform(0.3, 1, n), 2)},
    )
    return compiled, perfsim.load_units(frame, compiled)


def test_money_identities_hold_every_year_and_draw():
    compiled, data = population()
    sim = simulate(compiled, data, years=6, draws=40, seed=1)
    assert sim.budget is not None and sim.next_budget is not None
    assert np.array_equal(sim.budget[1:], sim.next_budget[:-1])  # next year starts where this one ended
    assert (sim.moved > 0).any()


def test_same_seed_same_panel_with_one_or_two_workers():
    compiled, data = population()
    one = simulate(compiled, data, years=4, draws=250, seed=9, workers=1)
    for executor in ("process", "thread"):
        two = simulate(compiled, data, years=4, draws=250, seed=9, workers=2, executor=executor)
        assert np.array_equal(one.total, two.total, equal_nan=True) and np.array_equal(one.budget, two.budget)
        assert np.array_equal(one.grade, two.grade)
    other = simulate(compiled, data, years=4, draws=600, seed=10)
    assert not np.array_equal(one.total, other.total)


def test_without_budget_link_years_do_not_depend_on_budget_rules():
    compiled, data = population()
    harsher = budget_scheme().model_dump()
    harsher["consequences"]["budget"]["by_grade"]["差"] = {"percent": -90}
    harsh = perfsim.compile_scheme(perfsim.scheme_from_data(harsher))
    off = BehaviourModel(capacity_elasticity=0)
    a = simulate(compiled, data, years=5, draws=30, seed=3, model=off)
    b = simulate(harsh, data, years=5, draws=30, seed=3, model=off)
    assert np.array_equal(a.total, b.total, equal_nan=True)  # scores ignore money when the link is off
    assert not np.array_equal(a.budget, b.budget)
    on = BehaviourModel(capacity_elasticity=0.5)
    c = simulate(compiled, data, years=5, draws=30, seed=3, model=on)
    d = simulate(harsh, data, years=5, draws=30, seed=3, model=on)
    assert np.array_equal(c.total[0], d.total[0]) and not np.array_equal(c.total[1:], d.total[1:], equal_nan=True)


def test_cut_for_poor_grade_traps_units_when_budget_feeds_performance():
    _, data = population(n=80)
    suspend_only = budget_scheme().model_dump()
    suspend_only["consequences"]["budget"]["monitoring"]["stop"] = False  # 暂缓: low scorers stay and are cut
    compiled = perfsim.compile_scheme(perfsim.scheme_from_data(suspend_only))
    on = simulate(compiled, data, years=8, draws=50, seed=2, model=BehaviourModel(capacity_elasticity=0.6))
    off = simulate(compiled, data, years=8, draws=50, seed=2, model=BehaviourModel(capacity_elasticity=0))
    lowest = len(compiled.grades) - 1
    assert (on.grade[-1] == lowest).mean() > (off.grade[-1] == lowest).mean()
    assert on.stuck(3).mean() > off.stuck(3).mean()
    assert on.gini()[-1].mean() > on.gini()[0].mean()


def test_qitai_panel_and_summary(qitai):
    compiled, data = qitai
    sim = simulate(compiled, data, years=3, draws=5, seed=0)
    panel = sim.panel()
    assert len(panel) == 3 * 5 * 75
    assert {"pay bonus", "flag organisational_handling"} <= set(panel.columns)
    first = panel[panel.year == 1]
    assert not first["flag organisational_handling"].any()  # needs two years
    summary = sim.summary()
    assert list(summary["year"]) == [1, 2, 3]
    shares = summary[[c for c in summary.columns if c.startswith("share ") and "stuck" not in c]]
    assert np.allclose(shares.sum(axis=1), 1)


def test_simulation_with_values_equals_separate_evaluations(qitai):
    compiled, data = qitai
    rng = np.random.default_rng(0)
    noisy = {"public": np.clip(data.values["public"] + rng.normal(0, 5, (4, len(data))), 0, 100)}
    batch = perfsim.evaluate(compiled, data, values=noisy)
    frame = pd.read_csv(QITAI_SCHEME.parent.parent / "data" / "qitai-county.csv")
    for s in range(4):
        one = frame.assign(public=noisy["public"][s])
        single = perfsim.evaluate(compiled, perfsim.load_units(one, compiled))
        assert np.array_equal(batch.total[s], single.total[0])


@given(st.lists(st.tuples(st.floats(0, 100), st.floats(0, 1e7), st.floats(0, 1)), min_size=1, max_size=25))
@settings(max_examples=100, deadline=None)
def test_reallocation_conserves_money_to_the_cent(units):
    from perfsim.consequences import apply_consequences

    compiled = perfsim.compile_scheme(budget_scheme())
    frame = pd.DataFrame(
        {
            "unit": [f"u{i}" for i in range(len(units))],
            "work": [u[0] for u in units],
            "public": [u[0] for u in units],
            "budget": [round(u[1], 2) for u in units],
            "spend": [u[2] for u in units],
        }
    )
    ev = perfsim.evaluate(compiled, perfsim.load_units(frame, compiled))
    o, _ = apply_consequences(ev)
    assert o.received.sum() + o.returned.sum() == o.released.sum() + o.cut_to_pool.sum()
    assert o.claim.sum() == o.budget.sum() - o.cut.sum() + o.increase.sum() + o.received.sum()
    assert o.next_budget.sum() == o.budget.sum() or o.claim.sum() == 0  # inside the fixed envelope
    assert np.all(o.next_budget >= 0)


def test_ratchet_targets_follow_last_years_actual():
    scheme = make_scheme([leaf("output", 100, {"method": "completion_ratio", "standard": 100, "cap": 1.5})])
    compiled = perfsim.compile_scheme(scheme)
    data = perfsim.load_units(pd.DataFrame({"unit": ["a", "b"], "output": [120, 80]}), compiled)
    quiet = BehaviourModel(year_sd=0, default_noise=0, capacity_elasticity=0)
    plain = simulate(compiled, data, years=3, draws=1, seed=0, model=quiet)
    ratchet = simulate(
        compiled,
        data,
        years=3,
        draws=1,
        seed=0,
        model=BehaviourModel(year_sd=0, default_noise=0, capacity_elasticity=0, ratchet=True),
    )
    assert np.allclose(plain.total[:, 0], [[100, 80]] * 3)  # same actuals every year
    assert np.allclose(ratchet.total[0, 0], [100, 80])  # year 1 against the standard
    assert np.allclose(ratchet.total[1:, 0], 100)  # then against last year's actual


def test_simulation_keeps_each_units_own_standard():
    scheme = make_scheme([leaf("output", 100, {"method": "completion_ratio", "standard": "per_unit"})])
    compiled = perfsim.compile_scheme(scheme)
    frame = pd.DataFrame({"unit": ["a", "b"], "output": [60, 30], "output.standard": [100, 40]})
    data = perfsim.load_units(frame, compiled)
    quiet = BehaviourModel(year_sd=0, default_noise=0, capacity_elasticity=0)
    sim = simulate(compiled, data, years=2, draws=1, seed=0, model=quiet)
    assert np.allclose(sim.total[:, 0], [[60, 75]] * 2)  # 60/100 and 30/40, every year


def test_per_draw_vetoes_equal_separate_evaluations(qitai):
    compiled, data = qitai
    rng = np.random.default_rng(5)
    flags = rng.random((3, *data.vetoes.shape)) < 0.1
    batch = perfsim.evaluate(compiled, data, vetoes=flags)
    frame = pd.read_csv(QITAI_SCHEME.parent.parent / "data" / "qitai-county.csv")
    for s in range(3):
        one = frame.assign(**{v.id: flags[s, :, j].astype(int) for j, v in enumerate(compiled.vetoes)})
        single = perfsim.evaluate(compiled, perfsim.load_units(one, compiled))
        assert np.array_equal(batch.grade[s], single.grade[0]) and np.array_equal(batch.total[s], single.total[0])
    with pytest.raises(perfsim.ParameterError, match="vetoes must have shape"):
        perfsim.evaluate(compiled, data, vetoes=np.zeros((2, 3)))


@pytest.mark.parametrize("events", ["resample", "fixed"])
def test_veto_events_each_year(events):
    scheme = make_scheme([leaf("a", 100)], vetoes=[{"id": "accident", "name": label("事故"), "scope": "grade_lowest"}])
    compiled = perfsim.compile_scheme(scheme)
    frame = pd.DataFrame({"unit": [f"u{i}" for i in range(50)], "a": 95.0, "accident": [1] * 5 + [0] * 45})
    data = perfsim.load_units(frame, compiled)
    model = BehaviourModel(year_sd=0, default_noise=0, capacity_elasticity=0, veto_events=events)
    sim = simulate(compiled, data, years=20, draws=40, seed=2, model=model)
    vetoed = sim.grade == compiled.lowest
    if events == "fixed":
        assert vetoed[:, :, :5].all() and not vetoed[:, :, 5:].any()
    else:
        assert abs(vetoed.mean() - 0.1) < 0.01  # each unit, each year, at the data's 10 % rate
        assert vetoed[:, :, 5:].any() and not vetoed[:, :, :5].all()


def test_simulated_pay_by_grade_and_rank_rewards_follow_each_years_grades_and_totals():
    """The panel never disagrees with scoring: each year's pay is the grade's percent of the base
    (中国地质调查局 120/100/50/0 %), and the rank rule (株洲网 2014-09-09, 金山街道: the first
    gets 5,000 yuan, the last is fined 2,000) rewards the year's best total and fines the worst."""
    grades = [
        {"grade": label("优秀", "excellent"), "min": 90},
        {"grade": label("合格", "pass"), "min": 70},
        {"grade": label("基本合格", "basic pass"), "min": 60},
        {"grade": label("不合格", "fail")},
    ]
    percent = [120, 100, 50, 0]
    scheme = make_scheme(
        [leaf("score", 100)],
        grading={"basis": "percent", "bands": grades},
        attributes=[{"id": "base", "name": label("核定基准绩效工资额", "approved base")}],
        consequences={
            "pay": {
                "by_grade": {"base": "base", "percent": dict(zip(["优秀", "合格", "基本合格", "不合格"], percent))}
            },
            "rank_rewards": [
                {
                    "id": "sanji",
                    "name": label("三级考评", "three-level assessment"),
                    "places": [{"top": 1, "amount": 5000}, {"last": 1, "amount": -2000}],
                }
            ],
        },
    )
    compiled = perfsim.compile_scheme(scheme)
    base = np.round(np.random.default_rng(3).uniform(50_000, 90_000, 12), 2)
    frame = synthetic_units(compiled, {"all": 12}, 5, latent_mean=75, latent_sd=15, attributes={"base": base})
    sim = simulate(compiled, perfsim.load_units(frame, compiled), years=5, draws=30, seed=2)
    # base × percent, half up to the fen (Decimal: 69,162.05 × 50 % = 34,581.025 → 34,581.03)
    table = [
        [float((Decimal(f"{b:.2f}") * p / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)) for p in percent] for b in base
    ]
    expected_pay = np.array(table)[np.arange(12), sim.grade]
    assert np.array_equal(sim.pay["by_grade"], expected_pay)
    amounts = sim.rank_rewards["sanji"]
    best = sim.total == sim.total.max(axis=2, keepdims=True)
    worst = sim.total == sim.total.min(axis=2, keepdims=True)
    alone = (best.sum(axis=2) == 1) & (worst.sum(axis=2) == 1)  # no tie at either end
    assert alone.mean() > 0.5
    assert (amounts[best & alone[..., None]] == 500_000).all()
    assert (amounts[worst & alone[..., None]] == -200_000).all()
    assert (amounts.sum(axis=2)[alone] == 300_000).all()
    panel = sim.panel(draws=[0])
    assert panel["rank reward sanji"].max() == 5000 and panel["rank reward sanji"].min() == -2000
