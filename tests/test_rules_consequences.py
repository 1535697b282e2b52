"""Consequence rules of issue 14: pay by grade as a percent of a base, rewards and fines by rank.

Worked examples come from published rules (cited in each test); where a notice gives the rule
but not the units' scores, the scores are invented and only their order matters.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import perfsim
from perfsim.cli import main
from perfsim.consequences import apply_consequences
from perfsim.errors import PerfsimError
from perfsim.rank_rewards import RankRewards, rank_rewards

from conftest import cents, label, leaf, make_scheme, run

SETTINGS = settings(max_examples=60, deadline=None)


def rank_scheme(rule: dict, **fields):
    return make_scheme([leaf("score", 100)], consequences={"rank_rewards": [rule]}, **fields)


def period(scheme, scores: dict[str, float], state=None):
    """One period: evaluate the units' scores and apply the consequences after ``state``."""
    _, _, ev = run(scheme, [{"unit": u, "score": s} for u, s in scores.items()])
    outcome, state = apply_consequences(ev, state)
    return ev, outcome, state


# --------------------------------------------------------------------------- rank rewards

JINSHAN = {
    "id": "sanji",
    "name": label("三级考评", "three-level assessment"),
    "places": [
        {"top": 1, "amount": 5000},
        {"top": 2, "amount": 3000},
        {"top": 3, "amount": 2000},
        {"last": 1, "amount": -2000},
    ],
    "source": "株洲网 2014-09-09《“三级考评”考出美丽社区》",
}


def test_jinshan_street_pays_the_first_three_and_fines_the_last():
    """株洲网 2014-09-09, 《“三级考评”考出美丽社区》: 金山街道 ranks its 6 communities every month;
    first, second and third get 5,000, 3,000 and 2,000 yuan, the last is fined 2,000 yuan. In
    August 流芳社区 came first (5,000 yuan) and 金山工业园 last (fined 2,000 yuan)."""
    scores = {"流芳社区": 96, "晏家湾社区": 93, "社区C": 90, "社区D": 85, "社区E": 81, "金山工业园": 72}
    ev, outcome, _ = period(rank_scheme(JINSHAN), scores)
    got = outcome.rank_rewards["sanji"]
    assert list(got.amount[0]) == [cents(5000), cents(3000), cents(2000), 0, 0, cents(-2000)]
    assert list(got.place[0]) == [1, 2, 3, 4, 5, 6] and list(got.from_last[0]) == [6, 5, 4, 3, 2, 1]
    ledger = outcome.ledger().iloc[0]
    assert ledger["rank rewards sanji: rewards paid"] == 10_000
    assert ledger["rank rewards sanji: fines charged"] == 2_000
    zh = str(perfsim.explain(ev, "流芳社区", lang="zh"))
    assert "三级考评：在全体单位中第 1 名（共 6 个，倒数第 6 名），奖励 0.50 万元" in zh
    en = str(perfsim.explain(ev, "金山工业园", lang="en"))
    assert "three-level assessment: place 6 of 6 among all units (1 from the last), fine 0.20 CNY 10k" in en
    middle = str(perfsim.explain(ev, "社区D", lang="zh"))
    assert "第 4 名（共 6 个，倒数第 3 名），不奖不罚" in middle


def test_zhaohua_rewards_the_first_eight_and_cuts_the_last_five():
    """川北在线 2018-12-05, 《昭化区用好考核激励指挥棒推动乡村环境提升》: the first 8 townships of the
    environment ranking get 200,000 yuan each (20万元奖补资金), the last 5 lose 50,000 yuan each
    (扣减5万元环境治理经费). The number of townships (15) is invented; places 9 and 10 get nothing."""
    rule = {
        "id": "env",
        "name": label("城乡环境治理单项考核", "environment ranking"),
        "places": [{"top": [1, 8], "amount": 200_000}, {"last": [1, 5], "amount": -50_000}],
    }
    scores = {f"T{i:02d}": 100 - 3 * i for i in range(15)}
    _, outcome, _ = period(rank_scheme(rule), scores)
    amount = outcome.rank_rewards["env"].amount[0]
    assert list(amount) == [cents(200_000)] * 8 + [0, 0] + [cents(-50_000)] * 5
    ledger = outcome.ledger().iloc[0]
    assert (ledger["rank rewards env: rewards paid"], ledger["rank rewards env: fines charged"]) == (1_600_000, 250_000)


SANFENGSI = {
    "id": "monthly",
    "name": label("人居环境整治月度考核", "monthly living-environment ranking"),
    "places": [{"top": 1, "amount": 10_000}, {"top": 2, "amount": 8_000}, {"top": 3, "amount": 5_000}],
    "escalation": {
        "last": 2,
        "steps": [
            {"periods": 1, "name": label("提醒谈话", "warning talk")},
            {"periods": 2, "name": label("停职处理", "suspension from post")},
        ],
    },
    "source": "三封寺镇人居环境整治工作考核奖惩方案 (2019-04-24), 五、考核结果运用",
}


def test_sanfengsi_bottom_two_once_is_warned_twice_running_suspended():
    """三封寺镇人居环境整治工作考核奖惩方案 (2019-04-24), 五.1 and 五.3: first 10,000, second 8,000,
    third 5,000 yuan each month; the bottom two (倒数一、二名) once → a warning talk (提醒谈话), twice
    running → suspension (停职处理). The villages' scores are invented."""
    scheme = rank_scheme(SANFENGSI)
    villages = ["V1", "V2", "V3", "V4", "V5", "V6", "V7", "V8"]
    months = [
        [95, 90, 88, 80, 70, 65, 50, 40],  # V7, V8 in the bottom two
        [60, 90, 88, 80, 45, 65, 75, 40],  # V8 again (second month running), V5 for the first time
        [30, 90, 88, 80, 35, 65, 75, 85],  # V5 again, V1 for the first time; V8 escapes and starts over
        [95, 90, 88, 80, 70, 65, 50, 40],  # V8 back: its run begins again at one
    ]
    expected_steps = [
        [0, 0, 0, 0, 0, 0, 1, 1],
        [0, 0, 0, 0, 1, 0, 0, 2],
        [1, 0, 0, 0, 2, 0, 0, 0],
        [0, 0, 0, 0, 0, 0, 1, 1],
    ]
    state = None
    for scores, steps in zip(months, expected_steps):
        ev, outcome, state = period(scheme, dict(zip(villages, scores)), state)
        got = outcome.rank_rewards["monthly"]
        assert list(got.step[0]) == steps
        assert sorted(got.amount[0].tolist(), reverse=True)[:4] == [cents(10_000), cents(8_000), cents(5_000), 0]
    assert "连续 1 期排名倒数前 2 名：提醒谈话" in str(perfsim.explain(ev, "V8", lang="zh"))


def test_dongfeng_last_three_times_running_escalates_to_a_pay_deduction():
    """中山日报 2014-05-14 on 《东凤镇村(居)创文考核方案》: the last of 13 villages gets a yellow card
    (黄牌警告); last three times running, its cadres are suspended and their pay docked. The amount
    docked is not published: 1,000 yuan here stands for it."""
    rule = {
        "id": "chuangwen",
        "name": label("创文考核", "civility ranking"),
        "escalation": {
            "steps": [
                {"periods": 1, "name": label("黄牌警告", "yellow card")},
                {"periods": 3, "name": label("停职检查、扣除工作报酬", "suspension and docked pay"), "amount": -1000},
            ]
        },
    }
    scheme = rank_scheme(rule)
    base = {f"村{i:02d}": 80.0 + i for i in range(13)}  # 村00 is last unless moved
    state = None
    steps, docked = [], []
    for month in range(5):
        scores = dict(base)
        if month == 3:
            scores["村00"] = 99  # one month out of last place: the run starts over
        _, outcome, state = period(scheme, scores, state)
        steps.append(int(outcome.rank_rewards["chuangwen"].step[0, 0]))
        docked.append(int(outcome.rank_rewards["chuangwen"].amount[0, 0]))
    assert steps == [1, 1, 2, 0, 1]
    assert docked == [0, 0, cents(-1000), 0, 0]


def test_ties_shared_each_take_the_tie_s_best_place_and_split_share_the_places():
    """并列: two communities tied first each get first place's 5,000 yuan and the next is third
    (shared); split instead gives each (5,000 + 3,000) / 2. Three tied for second share
    3,000 + 2,000 + 0 to the cent: 1,666.67, 1,666.67, 1,666.66."""
    scores = {"a": 95, "b": 95, "c": 90, "d": 80, "e": 70, "f": 60}
    _, outcome, _ = period(rank_scheme(JINSHAN), scores)
    assert list(outcome.rank_rewards["sanji"].amount[0]) == [cents(5000)] * 2 + [cents(2000), 0, 0, cents(-2000)]
    _, outcome, _ = period(rank_scheme({**JINSHAN, "ties": "split"}), scores)
    assert list(outcome.rank_rewards["sanji"].amount[0]) == [cents(4000)] * 2 + [cents(2000), 0, 0, cents(-2000)]
    tied = {"a": 95, "b": 90, "c": 90, "d": 90, "e": 70, "f": 60}
    _, outcome, _ = period(rank_scheme({**JINSHAN, "ties": "split"}), tied)
    assert list(outcome.rank_rewards["sanji"].amount[0]) == [500_000, 166_667, 166_667, 166_666, 0, -200_000]


def test_a_group_too_small_for_the_places_takes_the_nearer_end():
    """With three communities, the third is the last: it is fined, not rewarded as third."""
    _, outcome, _ = period(rank_scheme(JINSHAN), {"a": 90, "b": 80, "c": 70})
    assert list(outcome.rank_rewards["sanji"].amount[0]) == [cents(5000), cents(3000), cents(-2000)]


def test_larger_groups_pay_more_places_and_groups_rank_separately():
    """Each town ranks its own villages; a town of at least 5 villages rewards three places, a
    smaller one only the first (the table for the largest size that applies wins)."""
    rule = {
        "id": "villages",
        "name": label("村级月度考评", "village ranking"),
        "places": [{"top": 1, "amount": 3000}, {"last": 1, "amount": -1000}],
        "by_group_size": [
            {
                "units": 5,
                "places": [
                    {"top": 1, "amount": 3000},
                    {"top": 2, "amount": 2000},
                    {"top": 3, "amount": 1000},
                    {"last": 1, "amount": -1000},
                ],
            }
        ],
    }
    scheme = rank_scheme(
        rule,
        attributes=[{"id": "town", "name": label("所属镇"), "kind": "text"}],
        grading={
            "basis": "percent",
            "bands": [{"grade": label("合格"), "min": 60}, {"grade": label("不合格")}],
            "group_by": "town",
        },
    )
    rows = [{"unit": f"A{i}", "town": "甲镇", "score": 90 - i} for i in range(5)]
    rows += [{"unit": f"B{i}", "town": "乙镇", "score": 95 - i} for i in range(3)]
    _, _, ev = run(scheme, rows)
    outcome, _ = apply_consequences(ev)
    got = outcome.rank_rewards["villages"]
    assert list(got.amount[0]) == [300_000, 200_000, 100_000, 0, -100_000, 300_000, 0, -100_000]
    assert list(got.size[0]) == [5] * 5 + [3] * 3


def test_units_not_present_or_of_other_classes_take_no_place():
    scheme = make_scheme(
        unit_classes=[
            {"id": "village", "name": label("村"), "indicators": [leaf("score", 100)]},
            {"id": "office", "name": label("站所"), "indicators": [leaf("score", 100)]},
        ],
        consequences={"rank_rewards": [{**JINSHAN, "classes": ["village"]}]},
    )
    rows = [{"unit": f"v{i}", "class": "village", "score": 90 - i} for i in range(4)]
    rows.append({"unit": "o", "class": "office", "score": 99})
    _, _, ev = run(scheme, rows)
    present = np.array([[True, True, False, True, True]])
    outcome, _ = apply_consequences(ev, portfolio=perfsim.consequences.Portfolio(present=present))
    got = outcome.rank_rewards["sanji"]
    assert list(got.amount[0]) == [500_000, 300_000, 0, -200_000, 0]
    assert list(got.place[0]) == [1, 2, 0, 3, 0]
    assert "not ranked" in str(perfsim.explain(ev, "o", lang="en"))


# --------------------------------------------------------------------------- rank reward properties

amounts = st.integers(1, 10_000)


@SETTINGS
@given(
    totals=st.lists(st.integers(0, 8), min_size=7, max_size=14),
    top=st.lists(amounts, min_size=1, max_size=3),
    fines=st.lists(amounts, min_size=1, max_size=3),
)
def test_split_ties_pay_exactly_the_places_amounts(totals, top, fines):
    """With ``split``, whatever the ties, a group large enough for the places pays Σ rewards − Σ fines."""
    places = [{"top": i + 1, "amount": a} for i, a in enumerate(top)]
    places += [{"last": i + 1, "amount": -a} for i, a in enumerate(fines)]
    rule = RankRewards(id="r", name={"zh": "r", "en": "r"}, places=places, ties="split")
    total = np.array([totals], dtype=float)
    got = rank_rewards(rule, total, np.zeros(len(totals), dtype=np.int64), 1, np.ones(total.shape, bool), None)
    assert got.amount.sum() == 100 * (sum(top) - sum(fines))
    for value in set(totals):  # tied units differ by one cent at most
        tied = got.amount[0][np.array(totals) == value]
        assert tied.max() - tied.min() <= 1


@SETTINGS
@given(
    totals=st.lists(st.integers(0, 8), min_size=2, max_size=14),
    top=st.lists(amounts, min_size=1, max_size=4),
    fines=st.lists(amounts, min_size=1, max_size=4),
)
def test_shared_ties_pay_equal_totals_equally_and_never_less_for_more(totals, top, fines):
    """With ``shared`` places and amounts that fall from the first place to the last, a higher
    total never gets less money, and equal totals get the same."""
    top, fines = sorted(top, reverse=True), sorted(fines, reverse=True)
    places = [{"top": i + 1, "amount": a} for i, a in enumerate(top)]
    places += [{"last": i + 1, "amount": -a} for i, a in enumerate(fines)]
    rule = RankRewards(id="r", name={"zh": "r", "en": "r"}, places=places)
    total = np.array([totals], dtype=float)
    got = rank_rewards(rule, total, np.zeros(len(totals), dtype=np.int64), 1, np.ones(total.shape, bool), None)
    order = np.argsort(total[0], kind="stable")
    paid = got.amount[0][order]
    assert (np.diff(paid) >= 0).all()
    for value in set(totals):
        assert len(set(got.amount[0][np.array(totals) == value])) == 1


def naive_amounts(totals, top, fines, ties):
    """One group, unit by unit in plain Python: the reference the vectorised rule must equal."""
    n = len(totals)
    table_top = dict(enumerate(top, start=1))
    table_last = {i: -a for i, a in enumerate(fines, start=1)}
    if ties == "shared":
        out = []
        for t in totals:
            p = 1 + sum(x > t for x in totals)
            q = 1 + sum(x < t for x in totals)
            out.append(100 * (table_top.get(p, 0) if p <= q else table_last.get(q, 0)))
        return out
    order = sorted(range(n), key=lambda i: -totals[i])  # stable: input order within a tie
    position = {unit: i + 1 for i, unit in enumerate(order)}

    def at(i):
        return table_top.get(i, 0) if i <= (n + 1) / 2 else table_last.get(n - i + 1, 0)

    out = [0] * n
    for value in set(totals):
        block = [u for u in order if totals[u] == value]
        through = sum(100 * at(position[u]) for u in block)
        share, extra = divmod(through, len(block))
        for k, unit in enumerate(block):
            out[unit] = share + (k < extra)
    return out


@SETTINGS
@given(
    totals=st.lists(st.integers(0, 6), min_size=1, max_size=9),
    top=st.lists(amounts, max_size=4),
    fines=st.lists(amounts, max_size=4),
    ties=st.sampled_from(["shared", "split"]),
)
def test_rank_amounts_equal_a_unit_by_unit_reference(totals, top, fines, ties):
    """Groups of any size, also smaller than the places listed, and any ties."""
    places = [{"top": i + 1, "amount": a} for i, a in enumerate(top)]
    places += [{"last": i + 1, "amount": -a} for i, a in enumerate(fines)]
    rule = RankRewards(id="r", name="r", places=places, ties=ties, escalation={"steps": [{"periods": 9, "name": "x"}]})
    total = np.array([totals], dtype=float)
    got = rank_rewards(rule, total, np.zeros(len(totals), dtype=np.int64), 1, np.ones(total.shape, bool), None)
    assert got.amount[0].tolist() == naive_amounts(totals, top, fines, ties)


@SETTINGS
@given(last=st.lists(st.booleans(), min_size=1, max_size=12), steps=st.lists(st.integers(1, 6), min_size=1, max_size=3))
def test_escalation_step_follows_the_run_of_last_places(last, steps):
    """The step is the highest whose ``periods`` the current run of last places reaches; a period
    out of last place starts the run over."""
    periods = sorted(set(steps))
    rule = RankRewards(
        id="r",
        name={"zh": "r", "en": "r"},
        escalation={"steps": [{"periods": p, "name": {"zh": f"s{p}", "en": f"s{p}"}} for p in periods]},
    )
    groups, streak, run_length = np.zeros(2, dtype=np.int64), None, 0
    for is_last in last:
        total = np.array([[1.0, 2.0] if is_last else [2.0, 1.0]])
        got = rank_rewards(rule, total, groups, 1, np.ones((1, 2), bool), streak)
        streak = got.streak
        run_length = run_length + 1 if is_last else 0
        assert got.streak[0, 0] == run_length
        assert got.step[0, 0] == sum(run_length >= p for p in periods)


def test_rank_rewards_are_vectorised_over_draws():
    """Draws of the same units ranked at once equal the draws ranked one by one."""
    rule = RankRewards.model_validate(JINSHAN)
    rng = np.random.default_rng(5)
    total = rng.integers(60, 70, (50, 9)).astype(float)
    groups = np.array([0, 0, 0, 1, 1, 1, 1, 1, 1])
    ranked = rng.random((50, 9)) < 0.9
    together = rank_rewards(rule, total, groups, 2, ranked, None)
    for s in range(50):
        alone = rank_rewards(rule, total[s : s + 1], groups, 2, ranked[s : s + 1], None)
        assert (alone.amount[0] == together.amount[s]).all() and (alone.place[0] == together.place[s]).all()


# --------------------------------------------------------------------------- pay by grade

GRADES_CGS = [
    {"grade": label("优秀", "excellent"), "min": 90},
    {"grade": label("合格", "pass"), "min": 70},
    {"grade": label("基本合格", "basic pass"), "min": 60},
    {"grade": label("不合格", "fail")},
]
PERCENT_CGS = {"优秀": 120, "合格": 100, "基本合格": 50, "不合格": 0}


def grade_pay_scheme(base):
    return make_scheme(
        [leaf("score", 100)],
        grading={"basis": "percent", "bands": GRADES_CGS},
        attributes=[{"id": "base", "name": label("核定基准绩效工资额", "approved base")}],
        consequences={"pay": {"by_grade": {"base": base, "percent": PERCENT_CGS}}},
    )


def test_cgs_talent_pay_is_120_100_50_0_percent_of_the_approved_base():
    """中国地质调查局 人才绩效工资《意见》(十三): 年度考核优秀者按核定基准绩效工资额的120%兑现，
    合格者100%，基本合格者50%，不合格者不享受. The bases are invented."""
    scheme = grade_pay_scheme("base")
    rows = [
        {"unit": "甲", "score": 93, "base": 86_543.21},
        {"unit": "乙", "score": 75, "base": 60_000},
        {"unit": "丙", "score": 61, "base": 50_000.05},
        {"unit": "丁", "score": 40, "base": 80_000},
    ]
    _, _, ev = run(scheme, rows)
    outcome, _ = apply_consequences(ev)
    paid = outcome.pay["by_grade"][0]
    # 86,543.21 × 1.2 = 103,851.852 → 103,851.85; 50,000.05 × 0.5 = 25,000.025 → 25,000.03 (half up)
    assert [cents(v) for v in paid] == [cents(103_851.85), cents(60_000), cents(25_000.03), 0]
    zh = str(perfsim.explain(ev, "丙", lang="zh"))
    assert "按等次兑现绩效工资：基数 5.000005 万元 × 50%（基本合格）= 2.500003 万元" in zh
    en = str(perfsim.explain(ev, "甲", lang="en"))
    assert "pay by grade: base 8.654321 CNY 10k × 120% (excellent) = 10.385185 CNY 10k" in en


def test_a_fixed_base_pays_every_unit_the_same_for_the_same_grade():
    scheme = grade_pay_scheme(8000)
    _, _, ev = run(scheme, [{"unit": u, "score": s, "base": 0} for u, s in zip("abcd", (95, 91, 65, 10))])
    outcome, _ = apply_consequences(ev)
    assert [cents(v) for v in outcome.pay["by_grade"][0]] == [cents(9600), cents(9600), cents(4000), 0]


@SETTINGS
@given(
    base=st.decimals(min_value=0, max_value=10_000_000, places=2),
    percent=st.decimals(min_value=0, max_value=300, places=3),
)
def test_grade_pay_is_base_times_percent_half_up_to_the_cent(base, percent):
    scheme = make_scheme(
        [leaf("score", 100)],
        attributes=[{"id": "base", "name": label("基数")}],
        consequences={"pay": {"by_grade": {"base": "base", "percent": {"优秀": float(percent)}}}},
    )
    _, _, ev = run(scheme, [{"unit": "a", "score": 95, "base": float(base)}])
    outcome, _ = apply_consequences(ev)
    exact = (base * percent / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert cents(outcome.pay["by_grade"][0, 0]) == int(exact * 100)


@SETTINGS
@given(scores=st.lists(st.integers(0, 100), min_size=2, max_size=10))
def test_a_better_grade_never_pays_less_on_the_same_base(scores):
    scheme = grade_pay_scheme("base")
    _, _, ev = run(scheme, [{"unit": f"u{i}", "score": s, "base": 12_345.67} for i, s in enumerate(scores)])
    outcome, _ = apply_consequences(ev)
    order = np.argsort(ev.grade[0], kind="stable")
    assert (np.diff(outcome.pay["by_grade"][0][order]) <= 0).all()


# --------------------------------------------------------------------------- validation and the command line


@pytest.mark.parametrize(
    ("consequences", "field", "words"),
    [
        ({"rank_rewards": [{**JINSHAN, "places": [{"top": 1, "last": 1, "amount": 1}]}]}, "places[0]", "one of them"),
        ({"rank_rewards": [{**JINSHAN, "places": [{"top": [3, 1], "amount": 1}]}]}, "places[0]", "lower to the higher"),
        (
            {"rank_rewards": [{**JINSHAN, "places": [{"top": [1, 3], "amount": 1}, {"top": 2, "amount": 1}]}]},
            "rank_rewards[0]",
            "top place 2 is given twice",
        ),
        (
            {"rank_rewards": [{**SANFENGSI, "escalation": {"steps": [{"periods": 2, "name": label("x")}] * 2}}]},
            "escalation",
            "must rise",
        ),
        ({"rank_rewards": [{**JINSHAN, "classes": ["villages"]}]}, "rank_rewards[0].classes[0]", "unknown class"),
        ({"rank_rewards": [JINSHAN, JINSHAN]}, "rank_rewards[1].id", "used twice"),
        ({"pay": {"by_grade": {"base": "salary", "percent": {"优秀": 120}}}}, "by_grade.base", "unknown attribute"),
        ({"pay": {"by_grade": {"base": 100, "percent": {"优": 120}}}}, "by_grade.percent.优", "unknown grade"),
        ({"pay": {"by_grade": {"base": 100, "percent": {"优秀": -5}}}}, "by_grade.percent", "0"),
    ],
)
def test_mistakes_name_the_field_and_the_fix(consequences, field, words):
    with pytest.raises(PerfsimError) as caught:
        make_scheme([leaf("score", 100)], consequences=consequences)
    text = str(caught.value)
    assert field in text and words in text
    assert "pydantic" not in text and "literal[" not in text.lower() and "Value error" not in text


def test_cli_explains_rank_rewards_and_a_bad_rule_exits_2(tmp_path, capsys):
    import yaml

    scheme = rank_scheme(JINSHAN).model_dump(mode="json", exclude_unset=True)
    scheme_file = tmp_path / "scheme.yaml"
    scheme_file.write_text(yaml.safe_dump(scheme, allow_unicode=True), encoding="utf-8")
    data_file = tmp_path / "data.csv"
    data_file.write_text("unit,score\n流芳社区,96\n社区B,90\n金山工业园,70\n", encoding="utf-8")
    assert main(["explain", str(scheme_file), str(data_file), "金山工业园", "--lang", "zh"]) == 0
    assert "三级考评：在全体单位中第 3 名（共 3 个，倒数第 1 名），处罚 0.20 万元" in capsys.readouterr().out
    scheme["consequences"]["rank_rewards"][0]["places"].append({"top": 1, "amount": 1})
    scheme_file.write_text(yaml.safe_dump(scheme, allow_unicode=True), encoding="utf-8")
    assert main(["explain", str(scheme_file), str(data_file), "金山工业园"]) == 2
    err = capsys.readouterr().err
    assert "rank_rewards[0]" in err and "top place 1 is given twice" in err and "Traceback" not in err


def test_lint_warns_of_pay_that_falls_with_a_better_grade_and_of_signs_that_read_backwards():
    pay = {"pay": {"by_grade": {"base": 100, "percent": {"优秀": 50, "良好": 100}}}}
    places = [{"top": 1, "amount": -500}, {"last": 1, "amount": 500}, {"top": 2, "amount": 100}]
    scheme = make_scheme([leaf("score", 100)], consequences={**pay, "rank_rewards": [{**JINSHAN, "places": places}]})
    messages = [(f.field, f.message) for f in perfsim.lint(scheme)]
    assert (
        "consequences.pay.by_grade.percent.优秀",
        "non-monotone: 优秀 is paid 50% of the base but the worse grade 良好 100%",
    ) in messages
    assert sum("fines a top place" in m or "rewards a last place" in m for _, m in messages) == 2
    clean = make_scheme([leaf("score", 100)], consequences={"rank_rewards": [JINSHAN]})
    assert not [f for f in perfsim.lint(clean) if "rank_rewards" in f.field]
