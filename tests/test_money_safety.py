"""Money that cannot be (issue 10): pay pools paid to the fen, amounts int64 cents cannot hold,
totals that overflow to infinity, and behaviour-model fields out of range."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import perfsim
from perfsim.cli import main
from perfsim.consequences import apply_consequences
from perfsim.errors import PerfsimError
from perfsim.money import MAX_YUAN, scale_cents, split_exact, to_cents
from perfsim.population import BehaviourModel
from perfsim.scenario import load_scenario
from perfsim.simulate import simulate

from conftest import QITAI_DATA, QITAI_SCHEME, SCENARIOS, label, leaf, make_scheme, run

STATUSES = ["在职", "见习期", "学徒期", "退职", "退休"]
GRADES = ["优秀", "良好", "合格", "不合格"]


def as_cents(yuan: np.ndarray) -> np.ndarray:
    """Pay arrays (yuan floats holding whole cents) back to int64 cents."""
    return np.rint(np.asarray(yuan) * 100).astype(np.int64)


def pool_scheme(pool: dict) -> perfsim.Scheme:
    return make_scheme(
        [leaf("assessment", 100)],
        attributes=[
            {"id": "school", "name": label("学校"), "kind": "text"},
            {"id": "pool_share", "name": label("绩效工资总量")},
            {"id": "post", "name": label("岗位津贴")},
            {"id": "status", "name": label("人员状态"), "kind": "text"},
        ],
        grading={
            "basis": "percent",
            "bands": [
                *({"grade": label(g), "min": m} for g, m in zip(GRADES, (90, 80, 70))),
                {"grade": label(GRADES[3])},
            ],
            "group_by": "school",
        },
        consequences={"pay": {"pool": pool}},
    )


@st.composite
def pay_cases(draw):
    """A random pay pool: staff, groups, statuses, fixed amounts, departed shares, scores per draw."""
    n = draw(st.integers(1, 12))
    n_groups = draw(st.integers(1, 4))
    draws = draw(st.integers(1, 4))
    base_percent = draw(st.sampled_from([100, 90, 70, 60, 50, 33.3, 12.5, 1]))
    months = draw(st.integers(1, 12))
    fixed = draw(st.dictionaries(st.sampled_from(["见习期", "学徒期"]), st.integers(0, 300_000).map(lambda c: c / 100)))
    departed = draw(st.dictionaries(st.sampled_from(["退职", "退休"]), st.integers(0, 100).map(lambda p: p / 100)))
    statuses = draw(st.lists(st.sampled_from(STATUSES), min_size=n, max_size=n))
    groups = draw(st.lists(st.integers(0, n_groups - 1), min_size=n, max_size=n))
    posts = draw(st.lists(st.integers(0, 500_000), min_size=n, max_size=n))  # cents a month
    sized = draw(st.booleans())  # pool shares sized like 篇十四's (base ÷ base share), to the cent
    extra = draw(st.lists(st.integers(-300, 3_000), min_size=n, max_size=n))
    loose = draw(st.lists(st.integers(0, 10**8), min_size=n, max_size=n))
    shares = []
    for post, status, more, free in zip(posts, statuses, extra, loose):
        monthly = round(fixed[status] * 100) if status in fixed else post
        in_post = status not in departed
        shares.append(max(0, round(monthly * months / (base_percent / 100)) + more) if sized and in_post else free)
    numeric = draw(st.booleans())
    incentive_by = draw(st.sampled_from(["score", "grade"]))
    pool = {
        "amount": draw(st.integers(0, 10**9)) / 100 if numeric else "pool_share",
        "base_percent": base_percent,
        "incentive_percent": round(100 - base_percent, 10),
        "base": "post",
        "months": months,
        "status": "status",
        "fixed": fixed,
        "departed": departed,
        "departed_from_pool": draw(st.booleans()),
        "incentive_by": incentive_by,
    }
    if incentive_by == "grade":
        pool["grade_weights"] = dict(
            zip(GRADES, draw(st.lists(st.sampled_from([0, 0.5, 1, 1.2, 2]), min_size=4, max_size=4)))
        )
    rows = [
        {"unit": f"u{i}", "assessment": 50.0, "school": f"S{g}", "pool_share": c / 100, "post": p / 100, "status": s}
        for i, (g, c, p, s) in enumerate(zip(groups, shares, posts, statuses))
    ]
    score_values = draw(
        st.lists(
            st.one_of(st.sampled_from([0.0, 59.99, 70.0, 90.0, 100.0]), st.floats(0, 100)),
            min_size=n * draws,
            max_size=n * draws,
        )
    )
    scores = np.array(score_values).reshape(draws, n)
    return pool, rows, scores


@given(pay_cases())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
def test_a_pay_pool_is_never_exceeded_and_paid_plus_unpaid_is_the_pool(case):
    pool_rules, rows, scores = case
    compiled = perfsim.compile_scheme(pool_scheme(pool_rules))
    data = perfsim.load_units(pd.DataFrame(rows), compiled)
    ev = perfsim.evaluate(compiled, data, values={"assessment": scores})
    frame = pd.DataFrame(rows)
    names = ev.group_names
    if isinstance(pool_rules["amount"], str):
        share_cents = np.rint(frame["pool_share"].to_numpy() * 100).astype(np.int64)
        pool = np.array([share_cents[frame["school"] == g].sum() for g in names])
    else:
        pool = np.full(len(names), round(pool_rules["amount"] * 100))
    try:
        outcome, _ = apply_consequences(ev)
    except perfsim.DataError as err:  # only a pool too small for its base pay is refused
        assert "pay pool of group" in str(err) and "less than" in str(err)
        return
    acc = outcome.pay_pool
    assert acc is not None and acc.groups == names
    assert list(acc.pool) == list(pool)
    from_pool = pool_rules["departed_from_pool"]
    paid_unit = as_cents(outcome.pay["base"]) + as_cents(outcome.pay["incentive"])
    if from_pool:
        paid_unit = paid_unit + as_cents(outcome.pay["departed"])
    member = np.array([[school == g for school in frame["school"]] for g in names])  # G × U
    paid = paid_unit @ member.T  # S × G, exact in int64
    assert (paid <= pool[None, :]).all()  # never a fen beyond the pool
    assert (acc.paid == paid).all()  # the account is the per-person pay, summed
    assert (acc.paid + acc.unpaid == acc.pool[None, :]).all()  # pool = paid + unpaid, exactly in cents
    assert (acc.unpaid >= 0).all() and (acc.incentive >= 0).all()
    assert (as_cents(outcome.pay["incentive"]) >= 0).all()
    departed = frame["status"].isin(list(pool_rules["departed"])).to_numpy()
    assert (outcome.pay["incentive"][:, departed] == 0).all()
    assert (outcome.pay["base"][:, departed] == 0).all()
    # the incentive part is the pool's share (half-up), unless the base part leaves less
    share = np.array(
        [
            int((Decimal(int(p)) * Decimal(repr(pool_rules["incentive_percent"])) / 100).quantize(1, ROUND_HALF_UP))
            for p in pool
        ]
    )
    room = acc.pool - acc.base - acc.departed
    takers = (member & ~departed[None, :]).any(axis=1)
    expected = np.where(takers, np.minimum(share, room), 0)
    assert (np.abs(acc.incentive - expected[None, :]) <= 1).all()
    assert (acc.incentive <= room[None, :]).all()
    ledger = outcome.ledger()
    balance = (
        ledger["pay pool: base paid"]
        + ledger["pay pool: departed paid from the pool"]
        + ledger["pay pool: incentive paid"]
        + ledger["pay pool: unpaid remainder"]
    )
    assert np.allclose(balance, ledger["pay pool: pool"], rtol=0, atol=1e-6)


@pytest.fixture(scope="module")
def school_pay():
    sc = load_scenario(Path(SCENARIOS / "compulsory-school-pay.yaml"))
    frame = pd.read_csv(SCENARIOS / "data" / "compulsory-school-pay.csv")
    return sc, frame


def test_compulsory_school_pay_pays_no_group_beyond_its_pool(school_pay):
    """The principals' pool of 227,142.85 yuan paid 159,000.00 + 68,142.86 before issue 10: a fen too many."""
    sc, frame = school_pay
    ev = perfsim.evaluate(sc.compiled, sc.data)
    outcome, _ = apply_consequences(ev)
    acc = outcome.pay_pool
    assert acc is not None
    paid = as_cents(outcome.pay["base"][0]) + as_cents(outcome.pay["incentive"][0])  # 退休/退职 are paid beside it
    shares = np.rint(frame["pool_share"].to_numpy() * 100).astype(np.int64)
    for g, school in enumerate(acc.groups):
        members = (frame["school"] == school).to_numpy()
        assert paid[members].sum() <= shares[members].sum(), school
        assert acc.paid[0, g] + acc.unpaid[0, g] == acc.pool[g] == shares[members].sum(), school
    leaders = acc.groups.index("市教育局考核（校长、书记）")
    assert acc.pool[leaders] == 22_714_285 and acc.paid[0, leaders] == 22_714_285 and acc.unpaid[0, leaders] == 0
    ledger = outcome.ledger().loc[0]
    assert ledger["pay pool: unpaid remainder"] == pytest.approx(acc.unpaid.sum() / 100)
    assert ledger["pay: departed paid beside the pool"] > 0


def test_compulsory_school_pay_stays_within_its_pools_every_simulated_year(school_pay):
    sc, frame = school_pay
    sim = simulate(sc.compiled, sc.data, years=3, draws=4, seed=1, workers=1)
    paid = as_cents(sim.pay["base"]) + as_cents(sim.pay["incentive"])  # years × draws × units
    shares = np.rint(frame["pool_share"].to_numpy() * 100).astype(np.int64)
    for school in frame["school"].unique():
        members = (frame["school"] == school).to_numpy()
        assert (paid[:, :, members].sum(axis=2) <= shares[members].sum()).all(), school


def test_departed_allowances_paid_from_the_pool_leave_less_for_the_incentive_part():
    rows = [
        {"unit": "t1", "assessment": 90, "school": "A", "pool_share": 1_000, "post": 50, "status": "在职"},
        {"unit": "t2", "assessment": 60, "school": "A", "pool_share": 1_000, "post": 50, "status": "在职"},
        {"unit": "r1", "assessment": 0, "school": "A", "pool_share": 0, "post": 70, "status": "退职"},
    ]
    rules = {
        "amount": "pool_share",
        "base_percent": 70,
        "incentive_percent": 30,
        "base": "post",
        "months": 12,
        "status": "status",
        "departed": {"退职": 0.5},
    }
    # pool 2,000; base 2 × 600 = 1,200; 退职 70 ÷ 0.7 × 0.5 × 12 = 600; incentive share 30 % = 600
    for from_pool, incentive in ((False, 600), (True, 200)):
        _, _, ev = run(pool_scheme({**rules, "departed_from_pool": from_pool}), rows)
        outcome, _ = apply_consequences(ev)
        acc = outcome.pay_pool
        assert outcome.pay["departed"][0, 2] == pytest.approx(600)
        assert outcome.pay["incentive"][0].sum() == pytest.approx(incentive)
        assert acc.paid[0, 0] + acc.unpaid[0, 0] == to_cents(2_000)
        assert acc.beside[0] == (0 if from_pool else to_cents(600))


def test_a_pool_smaller_than_its_base_pay_is_refused():
    rows = [{"unit": "t1", "assessment": 90, "school": "A", "pool_share": 100, "post": 50, "status": "在职"}]
    rules = {"amount": "pool_share", "base_percent": 70, "incentive_percent": 30, "base": "post", "months": 12}
    _, _, ev = run(pool_scheme(rules), rows)
    with pytest.raises(perfsim.DataError, match=r"pay pool of group 'A' is 100\.00 yuan, less than the base pay"):
        apply_consequences(ev)


# --- amounts int64 cents cannot hold -------------------------------------------------------------


@pytest.mark.parametrize("amount", [1e17, -1e17, 9.3e16, MAX_YUAN * 1.0000001, float("inf"), float("nan")])
def test_to_cents_refuses_what_int64_cents_cannot_hold(amount):
    with pytest.raises(PerfsimError, match="limit of ±100,000,000,000 yuan") as info:
        to_cents(np.array([12.5, amount]), "budget")
    assert "budget is" in str(info.value)
    assert "fix:" in str(info.value)  # a hint what to do
    if np.isfinite(amount):
        assert f"{amount:,.2f}" in str(info.value)  # names the amount
    else:
        assert "not a finite number" in str(info.value)


def test_to_cents_keeps_amounts_up_to_the_limit_exact():
    values = np.array([MAX_YUAN, -MAX_YUAN, 0.005, 1_234_567.89])
    assert list(to_cents(values)) == [10**13, -(10**13), 1, 123_456_789]
    assert to_cents(np.zeros((0, 3))).shape == (0, 3)
    assert np.iinfo(np.int64).max > 10**5 * to_cents(MAX_YUAN)  # 10^5 amounts at the limit still sum in int64


def test_a_budget_of_1e17_is_refused_naming_the_unit():
    scheme = make_scheme(
        [leaf("score", 100)],
        attributes=[{"id": "budget", "name": label("预算")}],
        consequences={"budget": {"amount": "budget", "by_grade": {"不合格": {"percent": -10}}}},
    )
    compiled = perfsim.compile_scheme(scheme)
    frame = pd.DataFrame([{"unit": "p1", "score": 95, "budget": 100.0}, {"unit": "p2", "score": 50, "budget": 100.0}])
    data = perfsim.load_units(frame, compiled)
    data.attributes["budget"] = np.array([1e17, 100.0])  # past any check of the data file: the engine's own
    ev = perfsim.evaluate(compiled, data)
    with pytest.raises(perfsim.DataError, match=r"budget 'budget' is 100,000,000,000,000,000\.00 yuan.*units: p1\n"):
        apply_consequences(ev)


def test_a_budget_compounding_past_the_limit_is_refused():
    big = np.array([[to_cents(9e10)]], dtype=np.int64)
    assert scale_cents(big, np.array([[1.1]]))[0, 0] == to_cents(9.9e10)
    with pytest.raises(PerfsimError, match="next year's budget is 990,000,000,000.00 yuan"):
        scale_cents(big, np.array([[11.0]]), "next year's budget")


@pytest.mark.parametrize(
    ("consequences", "where"),
    [
        ({"budget": {"amount": "budget", "by_grade": {"优秀": {"absolute": 1e17}}}}, "absolute"),
        (
            {"pay": {"pool": {"amount": 1e17, "base_percent": 70, "incentive_percent": 30, "base": "budget"}}},
            "amount",
        ),
    ],
)
def test_scheme_amounts_beyond_the_limit_are_refused(consequences, where):
    with pytest.raises(perfsim.SchemeError, match=where):
        make_scheme(
            [leaf("score", 100)], attributes=[{"id": "budget", "name": label("预算")}], consequences=consequences
        )


@given(st.integers(0, 2**62), st.lists(st.floats(0, 1e6), min_size=1, max_size=30))
@settings(max_examples=200, deadline=None)
def test_split_exact_conserves_huge_pools_too(pool, weights):
    w = np.array([weights])
    out = split_exact(np.array([pool], dtype=np.int64), w)
    assert (out >= 0).all() and (out[w == 0] == 0).all()
    assert out.sum() == (pool if w.sum() > 0 else 0)


# --- totals that overflow ----------------------------------------------------------------------


AFTER_CLAMP = {"items": [{"id": "award", "name": label("加分"), "kind": "bonus"}], "apply": "after_clamp"}


@pytest.mark.parametrize("fields", [{}, {"clamp": {"min": None, "max": None}}, {"adjustments": AFTER_CLAMP}])
def test_a_total_overflowing_to_infinity_is_refused_not_graded_top(fields):
    scheme = make_scheme(
        [leaf("output", 60, {"method": "completion_ratio", "standard": 1, "cap": 1e308}), leaf("quality", 40)],
        **fields,
    )
    rows = [
        {"unit": "ok", "output": 0.5, "quality": 50},
        {"unit": "huge", "output": 1e308, "quality": 50},
        {"unit": "big", "output": 1e300, "quality": 50},
    ]
    if "adjustments" in fields:
        rows = [{**row, "award": 1} for row in rows]
    with pytest.raises(
        perfsim.DataError, match=r"not a finite number for 1 unit\(s\): huge;.*output \(up to 1e\+308\)"
    ):
        run(scheme, rows)


# --- behaviour model --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "name"),
    [
        ({"capacity_elasticity": float("nan")}, "capacity_elasticity"),
        ({"capacity_elasticity": -0.1}, "capacity_elasticity"),
        ({"capacity_elasticity": 5.01}, "capacity_elasticity"),
        ({"capacity_elasticity": float("inf")}, "capacity_elasticity"),
        ({"year_sd": float("nan")}, "year_sd"),
        ({"year_sd": -1}, "year_sd"),
        ({"default_noise": float("inf")}, "default_noise"),
        ({"rater_noise": {"public": -2.0}}, "rater_noise['public']"),
        ({"rater_noise": {"public": float("nan")}}, "rater_noise['public']"),
        ({"self_bias": float("nan")}, "self_bias"),
        ({"self_bias": 1000}, "self_bias"),
        ({"veto_events": "sometimes"}, "veto_events"),
        ({"year_sd": "3"}, "year_sd"),
    ],
)
def test_behaviour_model_fields_out_of_range_are_refused(fields, name):
    with pytest.raises(PerfsimError) as info:
        BehaviourModel(**fields)
    assert info.value.field == name
    assert f"BehaviourModel.{name}" in str(info.value) and "fix:" in str(info.value)


def test_behaviour_model_accepts_its_stated_bounds():
    BehaviourModel()
    BehaviourModel(capacity_elasticity=0, year_sd=0, default_noise=0, rater_noise={})
    BehaviourModel(capacity_elasticity=5, year_sd=100, self_bias=-100, veto_events="fixed", ratchet=True)


def test_capacity_elasticity_nan_message_names_the_option():
    with pytest.raises(PerfsimError, match="--capacity-elasticity"):
        BehaviourModel(capacity_elasticity=float("nan"))


def test_cli_refuses_a_nan_capacity_elasticity(capsys):
    args = ["simulate", str(QITAI_SCHEME), str(QITAI_DATA), "--years", "1", "--draws", "1"]
    assert main([*args, "--capacity-elasticity", "nan"]) == 2
    assert "--capacity-elasticity" in capsys.readouterr().err


def test_an_unclamped_total_overflowing_when_rounded_is_refused():
    scheme = make_scheme(
        [leaf("output", 60, {"method": "completion_ratio", "standard": 1, "cap": 1e308}), leaf("quality", 40)],
        clamp={"min": None, "max": None},
    )
    rows = [{"unit": "ok", "output": 0.5, "quality": 50}, {"unit": "big", "output": 1e300, "quality": 50}]
    with pytest.raises(perfsim.DataError, match=r"the rounded total is not a finite number for 1 unit\(s\): big;"):
        run(scheme, rows)
