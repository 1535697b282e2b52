"""The consequence rules of a scheme file: what grades do to budgets, pay and people.

These pydantic models form the ``consequences:`` section of a scheme: budget rules
(per-grade change, gates, in-year monitoring with suspension or stop and reallocation, the
correction ladder, the budget envelope), the units' lifecycle (projects completing and
entering), pay rules (bonus months, pool split, incentive sharing, fixed and derived
allowances, pay by grade as a percent of a base), rank rewards and fines
(:mod:`perfsim.rank_rewards`), status flags (award eligibility, consecutive-year rules, first/last place, most
last places in a window) and how the attributes these rules read change over simulated years.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from .models import Label, Model
from .money import MAX_YUAN
from .rank_rewards import RankRewards

Yuan = Annotated[float, Field(ge=-MAX_YUAN, le=MAX_YUAN)]
"""An amount of money in yuan that int64 cents can hold (see :data:`perfsim.money.MAX_YUAN`)."""
NonNegativeYuan = Annotated[float, Field(ge=0, le=MAX_YUAN)]

MAX_BONUS_MONTHS = 36
"""The most months of salary one grade's bonus may pay: three years' pay. Bonus schemes pay a
fraction of a month to a few months (篇四: one month for 优秀); beyond this a figure is a typo,
and a huge one would overflow the bonus, which would then be blamed on the unit data."""


class BudgetChange(Model):
    """Change of next year's budget: ``percent`` (−100 to +1000), ``absolute`` (yuan) or ``to_zero``."""

    percent: float | None = Field(None, ge=-100, le=1000)
    """Change of next year's budget in percent (−100 to +1000)."""
    absolute: Yuan | None = None
    """Change of next year's budget in yuan."""
    to_zero: bool = False
    """Next year's budget is zero (the project is cancelled)."""
    stance: Label | None = None
    """The funding stance the plan names (篇五: 重点支持, 优先保障, 从紧从严, 重点监控)."""

    @model_validator(mode="after")
    def _one(self) -> BudgetChange:
        given = (self.percent is not None) + (self.absolute is not None) + self.to_zero
        if given > 1:
            raise ValueError("give one of percent, absolute or to_zero")
        return self

    def as_percent(self) -> float | None:
        """Equivalent percent change where it is one (absolute changes have none)."""
        if self.to_zero:
            return -100.0
        if self.absolute is not None:
            return None
        return self.percent if self.percent is not None else 0.0


class Gate(Model):
    """A unit whose ``attribute`` is 0 (false) gets no budget: 篇一 ex-ante gate, 篇九 filing gate."""

    id: str
    """The gate's id."""
    name: Label
    """The gate as the plan names it (事前评估, 备案)."""
    attribute: str
    """The number attribute that must be non-zero for the unit to get a budget."""
    effect: Literal["zero", "exclude"] = "zero"
    """What failing does: ``zero`` the budget (default) or ``exclude`` the unit."""
    source: str | None = None
    """Where the gate is published."""


class SeverityStep(Model):
    """A mid-year budget adjustment when the progress gap is above ``gap`` (篇五 l.289: 视情节轻重)."""

    gap: float = Field(gt=0, le=1)
    """The progress gap (0 to 1) above which this step applies."""
    percent: float = Field(ge=-100, le=0)
    """The percent of this year's budget taken to the pool (−100 to 0)."""


Action = Literal["suspend", "stop"]


class Monitoring(Model):
    """双监控: act on a unit in-year when spending and target progress diverge, or its score is low.

    Either trigger withholds the unit's unspent budget (``budget × (1 − spending progress)``),
    which goes to the reallocation pool. ``stop`` (停止执行) ends the project: next year's budget
    is zero and the unit leaves (no later evaluation, grade or flag). ``suspend`` (暂缓) only
    withholds this year's money: the unit stays, its next year's budget follows the grade rules,
    and it resumes as soon as the trigger no longer holds (monitoring checks it again each year).
    """

    spending_progress: str
    """The number attribute holding each unit's spending progress (0 to 1)."""
    target_progress: str | None = None
    """The number attribute holding each unit's target progress (0 to 1)."""
    mismatch_above: float | None = Field(None, gt=0, le=1)
    """A gap between target and spending progress above this (0 to 1) triggers."""
    low_score_below: float | None = Field(None, ge=0)
    """Expected low performance: a total below this (in points) also triggers."""
    stop: bool = True
    """What both triggers do unless ``on_mismatch`` or ``on_low_score`` says otherwise: stop, or suspend."""
    on_mismatch: Action | None = None
    """What a progress mismatch does (``suspend`` or ``stop``); default from ``stop``."""
    on_low_score: Action | None = None
    """What an expected low performance does (``suspend`` or ``stop``); default from ``stop``."""
    classes: list[str] | None = None
    """Only units of these classes are monitored (篇五 l.289: projects, not whole departments)."""
    adjust_by_severity: list[SeverityStep] = Field(default_factory=list)
    """Units not suspended whose progress gap exceeds a step's ``gap`` lose that step's percent of this
    year's budget to the pool (the largest step that applies)."""
    source: str | None = None
    """Where the monitoring rule is published."""

    def action(self, trigger: Literal["mismatch", "low_score"]) -> Action:
        """What a trigger does: ``suspend`` or ``stop``."""
        stated = self.on_mismatch if trigger == "mismatch" else self.on_low_score
        return stated or ("stop" if self.stop else "suspend")


class Reallocation(Model):
    """How the pool (cuts sent to it and suspended budgets) is shared out again."""

    rule: Literal["pro_rata", "by_score", "priority", "treasury"] = "pro_rata"
    """How the pool is shared: ``pro_rata`` to budgets, ``by_score``, by ``priority``, or back to the ``treasury``."""
    eligible_grades: list[str] = Field(default_factory=list)
    """Grades that may receive; empty means every unit not suspended, gated or cut."""
    priority: list[str] = Field(default_factory=list)
    """Unit ids in order, for ``rule: priority``."""
    eligible_attribute: str | None = None
    """Only units whose attribute is non-zero receive (e.g. an ``urgent`` project flag, 其他急需项目)."""
    priority_attribute: str | None = None
    """For ``rule: priority`` without a list: receive in descending order of this attribute."""
    cap_percent: float | None = Field(None, gt=0)
    """A recipient gets at most this % of its own budget; what no one can take returns to the treasury."""


class LadderStep(Model):
    name: Label
    """The step as the plan names it (约谈, 压减预算)."""
    change: BudgetChange
    """The budget change the step applies."""


class Ladder(Model):
    """篇九 correction ladder: the k-th consecutive failing year applies step k (the last step repeats).

    A step that zeroes the budget (``to_zero``, −100 %) cancels the project: it leaves.
    """

    fail_grades: list[str] = Field(min_length=1)
    """Grades that count as a failing year."""
    steps: list[LadderStep] = Field(min_length=1)
    """The steps, applied in order for the 1st, 2nd … consecutive failing year."""
    classes: list[str] | None = None
    """Only units of these classes climb the ladder (篇五 l.287: projects, not whole departments)."""
    source: str | None = None
    """Where the ladder is published."""


MAX_GROWTH = 100.0
"""Largest yearly growth of a budget envelope, in percent: doubling in one year is already far
outside any budget plan; beyond it a figure is a typo (a share written as a percent)."""


class Envelope(Model):
    """量入为出: the total of next year's budgets, stated, and every budget rule acting inside it.

    The budget rules give each unit present a *claim* on next year (its budget after gates,
    monitoring, the grade rule or ladder and reallocation; a new entrant's first budget). Next
    year's budgets share the envelope in proportion to the claims, to the fen: the difference
    between the envelope and the claims is spread over them by largest remainder, so
    Σ next budgets = the envelope exactly and a grade-linked increase is priority inside the
    total, not money from nowhere. ``treasury: true`` states the opposite reading — no total;
    increases are paid by the treasury and cuts return to it — and lint warns that budgets can
    then grow without bound.
    """

    total: NonNegativeYuan | None = None
    """The first year's envelope in yuan; default: the sum of the data's budgets."""
    growth: float = Field(0.0, ge=-MAX_GROWTH, le=MAX_GROWTH)
    """Percent a year: year t's envelope is total × (1 + growth/100)^(t−1), rounded half-up to the fen."""
    treasury: bool = False
    """No envelope: Σ next budgets = Σ budgets − cuts + increases + reallocated money."""
    reason: Label | None = None
    """Why the envelope is set as it is (the plan's words)."""
    source: str | None = None
    """Where the envelope rule is published."""

    @model_validator(mode="after")
    def _mode(self) -> Envelope:
        if self.treasury and (self.total is not None or self.growth != 0):
            raise ValueError("treasury: true states that there is no envelope; drop total and growth")
        return self


class BudgetRules(Model):
    amount: str
    """Number attribute holding each unit's budget this year (yuan)."""
    by_grade: dict[str, BudgetChange] = Field(default_factory=dict)
    """Grade → change of next year's budget."""
    cuts_to: Literal["treasury", "pool"] = "treasury"
    """Where budget cuts go: back to the ``treasury`` (default) or to the reallocation ``pool``."""
    gates: list[Gate] = Field(default_factory=list)
    """Conditions without which a unit gets no budget."""
    monitoring: Monitoring | None = None
    """In-year monitoring (双监控) that suspends or stops units."""
    reallocation: Reallocation | None = None
    """How the pool of cuts and withheld money is shared out again."""
    ladder: Ladder | None = None
    """The correction ladder for consecutive failing years."""
    envelope: Envelope = Field(default_factory=Envelope)
    """The total of next year's budgets (default: fixed at the sum of the data's budgets)."""
    source: str | None = None
    """Where the budget rules are published."""


class Entrants(Model):
    """New projects entering each year from the second year on (项目库: approved projects start).

    ``per_year`` × the number of units in the data enter at the start of every later year
    (rounded half-up). Each is a copy of a unit of the data (round robin, skipping units that
    fail a gate: an entrant has passed its ex-ante assessment) whose quality and evolving
    attributes are drawn afresh in every draw from the units of its class; its first budget is
    ``budget`` (the median of the data's budgets by default, grown with the envelope), taken
    from the envelope like any claim.
    """

    per_year: float = Field(gt=0, le=1)
    """New units each year, as a share (0 to 1) of the units in the data."""
    budget: Literal["median", "mean"] | NonNegativeYuan = "median"
    """An entrant's first budget: the ``median`` (default) or ``mean`` of the data's budgets, or an amount in yuan."""
    duration: int | None = Field(None, ge=1, le=100)
    """Years each entrant runs before it completes; empty: until a rule stops it."""
    source: str | None = None
    """Where the rule is published."""


class Outside(Model):
    """Units whose text ``attribute`` is one of ``values`` are outside the scope of the rules."""

    attribute: str
    """The text attribute that marks units outside the rules."""
    values: list[str] = Field(min_length=1)
    """The attribute values that mean outside."""


class Lifecycle(Model):
    """Projects that end by themselves and projects that start (a portfolio over the years).

    Units also leave when a rule ends them (a gate, monitoring ``stop``, a ladder or grade rule
    that zeroes the budget); this section adds completion and new entrants.
    """

    remaining: str | None = None
    """Number attribute: years each unit of the data still runs, this year included (0 or less:
    open-ended). The unit completes after its last year and leaves."""
    entrants: Entrants | None = None
    """New units entering each year from the second on."""
    outside: Outside | None = None
    """Units outside the scheme's scope (篇三 l.101: water funds used for other construction leave
    the water bureau's performance management): never present, graded with no consequence."""
    source: str | None = None
    """Where the lifecycle is described."""


class Evolve(Model):
    """How an attribute that a rule reads changes over simulated years.

    ``follows: <indicator>`` moves it with that indicator's quality: value = data value +
    (quality this year − the unit's base quality) / 100 × (range high − range low), kept inside
    ``range``. ``redraw: true`` makes a 0/1 event attribute happen afresh each year, to each unit
    with the share of the data's units that show it (a finding of falsified figures). ``fixed:
    true`` keeps the data's value every year (say why in ``reason``).
    """

    attribute: str
    """The attribute that changes over simulated years."""
    follows: str | None = None
    """An indicator whose quality the attribute moves with."""
    range: tuple[float, float] | None = None
    """The attribute's range ``[low, high]``, needed with ``follows``."""
    redraw: bool = False
    """A 0/1 event drawn afresh each year with the share of units that show it in the data."""
    fixed: bool = False
    """The data's value every year (say why in ``reason``)."""
    reason: Label | None = None
    """Why the attribute changes (or not) as stated."""

    @model_validator(mode="after")
    def _one(self) -> Evolve:
        if self.fixed + self.redraw + (self.follows is not None) != 1:
            raise ValueError("give one of follows (an indicator id), redraw: true or fixed: true")
        if self.follows is not None and self.range is None:
            raise ValueError("follows needs the attribute's range, e.g. [0, 1] or [0, 100]")
        if self.range is not None and not self.range[0] < self.range[1]:
            raise ValueError(f"range must rise from low to high, not {list(self.range)}")
        return self


class BonusMonths(Model):
    """篇四 l.204: k months' basic salary per eligible staff member by unit grade, funded by the unit."""

    salary: str
    """The number attribute holding the monthly basic salary per staff member (yuan)."""
    staff: str
    """The number attribute holding the unit's eligible staff count."""
    months: dict[str, Annotated[float, Field(ge=0, le=MAX_BONUS_MONTHS)]]
    """Grade → months of basic salary paid as bonus, 0 to :data:`MAX_BONUS_MONTHS`."""
    funded_by: Literal["unit", "treasury"] = "unit"
    """Who pays the bonus: the ``unit`` (default) or the ``treasury``."""
    source: str | None = None
    """Where the rule is published."""


class PayPool(Model):
    """Performance-pay pool (篇十四, 篇十七): split into a base part and an incentive part.

    Units here are staff members. ``amount`` is an attribute (each person's share of the
    pool, summed per pay group) or a number (the pool of each pay group). The base part
    pays each person's ``base`` attribute (post allowance × coefficient), except where a
    ``fixed`` amount applies to their ``status``; the incentive part, ``incentive_percent``
    of the pool rounded half-up to the cent, is shared by assessment result. Money is paid
    to the cent and never beyond the pool: where the base part (and departed allowances
    paid from the pool) leave less than the incentive share, the incentive part is what
    they leave; what no one is paid is the pool's unpaid remainder.
    """

    amount: str | NonNegativeYuan
    """The pool: an attribute (each person's share, summed per pay group) or an amount in yuan per group."""
    base_percent: float = Field(ge=0, le=100)
    """Percent of the pool paid as base pay."""
    incentive_percent: float = Field(ge=0, le=100)
    """Percent of the pool shared by assessment result; with ``base_percent`` it adds up to 100."""
    base: str
    """The number attribute holding each person's base amount."""
    coefficient: str | None = None
    """篇十七: base pay = base amount × post coefficient (岗位系数); names the coefficient attribute."""
    months: int = Field(12, ge=1)
    """Months the base amounts are paid for (default 12)."""
    status: str | None = None
    """The text attribute holding each person's status (在岗, 见习期, 退职)."""
    fixed: dict[str, NonNegativeYuan] = Field(default_factory=dict)
    """Monthly base amount by status (篇十四: 见习期 580, 学徒期 440 yuan)."""
    departed: dict[str, Annotated[float, Field(ge=0, le=1)]] = Field(default_factory=dict)
    """Status → share (0 to 1) of the same-post average performance pay (篇十四 退职: 0.5 = base ÷ 7 × 5 at 70 %)."""
    departed_from_pool: bool = False
    """Whether departed staff's allowances are paid out of the pool (they then leave less for the
    incentive part) or, by default, beside it from other funds (篇十四's living allowances)."""
    incentive_by: Literal["score", "grade"] = "score"
    """How the incentive part is shared: by ``score`` (default) or by ``grade`` with ``grade_weights``."""
    grade_weights: dict[str, Annotated[float, Field(ge=0)]] = Field(default_factory=dict)
    """Grade → weight of a person's incentive share, for ``incentive_by: grade``."""
    source: str | None = None
    """Where the rule is published."""

    @model_validator(mode="after")
    def _split(self) -> PayPool:
        if abs(self.base_percent + self.incentive_percent - 100) > 1e-9:
            raise ValueError(
                f"base_percent + incentive_percent = {self.base_percent + self.incentive_percent:g}, not 100"
            )
        if self.incentive_by == "grade" and not self.grade_weights:
            raise ValueError("incentive_by: grade needs grade_weights")
        if (self.fixed or self.departed) and self.status is None:
            raise ValueError("fixed and departed amounts need a status attribute")
        if self.departed and self.base_percent == 0:
            raise ValueError("departed allowances are a share of base pay ÷ base_percent, which needs base_percent > 0")
        return self


MAX_GRADE_PERCENT = 1000.0
"""The largest percent of a base one grade may pay: ten times the base. Published rules pay 0 to
150 % (优秀 120 %, 合格 100 %, 基本合格 50 %, 不合格 0); beyond this a figure is a typo."""


class GradePay(Model):
    """Pay by grade as a percent of a base amount (考核结果与绩效工资挂钩, 按基准额的百分比兑现).

    Each unit is paid ``base × percent[grade] / 100``, rounded half-up to the cent. A published
    example: 优秀 120 %, 合格 100 %, 基本合格 50 % of the approved base (核定基准绩效工资额), 不合格
    nothing (中国地质调查局, 人才绩效工资《意见》第十三条). A grade not listed is paid nothing.
    """

    base: str | NonNegativeYuan
    """The base: a number attribute (each unit's own base, yuan) or one amount in yuan for every unit."""
    percent: dict[str, Annotated[float, Field(ge=0, le=MAX_GRADE_PERCENT)]]
    """Grade → percent of the base paid, 0 to :data:`MAX_GRADE_PERCENT`; a grade not listed gets 0."""
    source: str | None = None
    """Where the rule is published."""


class PayRules(Model):
    """Pay rules: bonus months by grade, a performance-pay pool, pay by grade as a percent of a base."""

    bonus_months: BonusMonths | None = None
    """Months of basic salary paid as a bonus by unit grade (see :class:`BonusMonths`)."""
    pool: PayPool | None = None
    """A performance-pay pool split into base and incentive parts (see :class:`PayPool`)."""
    by_grade: GradePay | None = None
    """Pay by grade as a percent of a base amount (see :class:`GradePay`)."""


class FlagCondition(Model):
    """When a flag is raised. All given parts must hold."""

    grades: list[str] | None = None
    """Raised for units with one of these grades."""
    classes: list[str] | None = None
    """Only units of these classes (e.g. 篇六's rewards for directly affiliated units)."""
    attribute: str | None = None
    """A number attribute compared with ``below`` or ``at_least``."""
    below: float | None = None
    """Raised when the attribute (or the indicator's % of points) is below this."""
    at_least: float | None = None
    """Raised when the attribute (or the indicator's % of points) is at least this."""
    indicator: str | None = None
    """A node of the indicator tree: ``below`` / ``at_least`` are then % of its points (篇九 l.427:
    达不到预期目标 read as the target-completion section below its pass line)."""
    versus: str | None = None
    """With ``gap_above``: raised when the attribute and this one differ by more than ``gap_above``
    (篇二 l.61: target and spending progress apart by a major deviation)."""
    gap_above: float | None = Field(None, ge=0)
    """With ``versus``: the largest gap between the two attributes that does not raise the flag."""
    rank: Literal["first", "last"] | None = None
    """Raised for the unit in ``first`` or ``last`` place."""
    consecutive: int = Field(1, ge=1)
    """The condition must hold this many periods in a row (two 差 years → organisational handling)."""
    most: str | None = None
    """Raise for the unit(s) with the most periods flagged by another flag in a ``window``."""
    window: int | None = Field(None, ge=1)
    """With ``most``: the number of periods counted."""
    ties: Literal["all", "none", "lowest_total"] = "all"
    """With ``most`` or ``rank``: tied units are ``all`` flagged (default), ``none`` is, or the ``lowest_total``."""

    @model_validator(mode="after")
    def _shape(self) -> FlagCondition:
        measured = (self.attribute is not None) + (self.indicator is not None)
        if measured > 1:
            raise ValueError("give an attribute or an indicator, not both")
        if (self.below is not None or self.at_least is not None) and not measured:
            raise ValueError("below/at_least need an attribute or an indicator")
        if self.versus is not None and self.attribute is None:
            raise ValueError("versus needs an attribute")
        if (self.versus is None) != (self.gap_above is None):
            raise ValueError("versus and gap_above go together")
        if measured and self.below is None and self.at_least is None and self.versus is None:
            raise ValueError("an attribute or indicator condition needs below, at_least or versus with gap_above")
        if (self.most is None) != (self.window is None):
            raise ValueError("most and window go together")
        parts = [self.grades is not None, bool(measured), self.rank is not None, self.most is not None]
        if not any(parts):
            raise ValueError("give a condition: grades, attribute, indicator, rank or most")
        if self.most is not None and any(parts[:3]):
            raise ValueError("a 'most' flag takes no other condition")
        return self


class Flag(Model):
    id: str = Field(pattern=r"^[A-Za-z0-9_\-]+$")
    """The flag's id (letters, digits, ``_``, ``-``), a column of the results."""
    name: Label
    """The flag as the plan names it (取消评优资格)."""
    when: FlagCondition
    """When the flag is raised."""
    effect: str | None = None
    """What the plan does to people (free text: 取消评优资格, 诫勉谈话, 调整工作岗位)."""
    source: str | None = None
    """Where the rule is published."""


class Consequences(Model):
    budget: BudgetRules | None = None
    """Budget rules: next year's budget by grade, gates, monitoring, reallocation, the ladder, the envelope."""
    lifecycle: Lifecycle | None = None
    """Units that complete, enter or stay outside over simulated years."""
    pay: PayRules | None = None
    """Pay rules: bonus months, a pay pool, pay by grade."""
    flags: list[Flag] = Field(default_factory=list)
    """Status flags raised by grades, ranks or attributes (award eligibility, consecutive failures)."""
    evolve: list[Evolve] = Field(default_factory=list)
    """How the attributes that rules read change over simulated years (see :class:`Evolve`)."""
    rank_rewards: list[RankRewards] = Field(default_factory=list)
    """Rewards and fines by place in each period's ranking (see :class:`perfsim.rank_rewards.RankRewards`)."""
