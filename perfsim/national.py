"""National defaults: the grades, bands and templates national rules fix, and perfsim's own conventions.

Where a local plan leaves a number blank, a scenario fills it from this one table or says why
it departs (a scenario default's ``uses`` or ``departs_from`` names an entry). Entries of kind
``national`` come from a national rule; entries of kind ``convention`` are perfsim's single choice
where no national rule exists, so that scenarios do not differ without a reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import scheme as s
from .models import Label


@dataclass(frozen=True)
class NationalDefault:
    """One entry of the table.

    Attributes
    ----------
    id
        What a scenario default names in ``uses`` or ``departs_from``.
    kind
        ``national`` (a national rule) or ``convention`` (perfsim's choice where none exists).
    name, value, source
        What the entry fixes, its content in words, and the rule it comes from, in {zh, en}.
    matches
        Whether a scheme follows the entry (tests hold every bundle to what it says it uses).
    """

    id: str
    kind: str
    name: Label
    value: Label
    source: Label
    matches: Callable[[s.Scheme], bool]


def _bands(labels: list[str], mins: list[float | None]) -> Callable[[s.Scheme], bool]:
    def check(scheme: s.Scheme) -> bool:
        g = scheme.grading
        if g.bands is None or g.basis != "percent":
            return False
        got = [(b.grade.zh, b.min) for b in g.bands]
        return [label for label, _ in got] == labels and [m for _, m in got] == mins

    return check


def _grades(labels: list[str]) -> Callable[[s.Scheme], bool]:
    def check(scheme: s.Scheme) -> bool:
        return [g.zh for g in scheme.grading.grades] == labels

    return check


def _lowest_band_at(mins: list[float | None]) -> Callable[[s.Scheme], bool]:
    """The project bands' cut-offs whatever the plan calls the grades (篇五 names its lowest 低)."""

    def check(scheme: s.Scheme) -> bool:
        g = scheme.grading
        return g.bands is not None and g.basis == "percent" and [b.min for b in g.bands] == mins

    return check


def _self_evaluation(scheme: s.Scheme) -> bool:
    for unit_class in scheme.classes:
        top = {node.name.zh: node.points for node in unit_class.indicators}
        if top != {"产出": 50, "效益": 30, "满意度": 10, "预算执行率": 10}:
            return False
    return True


def _grade_budget(scheme: s.Scheme) -> bool:
    rules = scheme.consequences
    if rules is None or rules.budget is None or scheme.grading.bands is None:
        return False
    wanted = [10.0, 0.0, -10.0, -20.0]
    got = [rules.budget.by_grade.get(b.grade.zh) for b in scheme.grading.bands]
    return [c.as_percent() if c is not None else 0.0 for c in got] == wanted


PROJECT_MINS: list[float | None] = [90, 80, 60, None]
PROJECT_GRADES = [
    Label(zh="优", en="excellent"),
    Label(zh="良", en="good"),
    Label(zh="中", en="fair"),
    Label(zh="差", en="poor"),
]
"""The national project grades and their cut-offs in % (``project_bands``); a scheme without settings
(an imported indicator table) gets them."""

TABLE: dict[str, NationalDefault] = {
    entry.id: entry
    for entry in (
        NationalDefault(
            "project_bands",
            "national",
            Label(zh="项目支出绩效评价等级", en="project expenditure evaluation grades"),
            Label(
                zh="总分100分；90分（含）以上为优，80分（含）至90分为良，60分（含）至80分为中，60分以下为差",
                en="100 points; excellent ≥ 90, good [80, 90), fair [60, 80), poor < 60",
            ),
            Label(
                zh="财政部《项目支出绩效评价管理办法》（财预〔2020〕10号）",
                en="Ministry of Finance, Measures for project expenditure performance evaluation "
                "(Cai Yu [2020] No. 10)",
            ),
            _bands([g.zh for g in PROJECT_GRADES], PROJECT_MINS),
        ),
        NationalDefault(
            "project_band_cutoffs",
            "national",
            Label(
                zh="项目支出绩效评价等级的分数线（等次名称从方案）",
                en="project evaluation cut-offs (grade names from the plan)",
            ),
            Label(zh="90分、80分、60分（下限含本数）", en="90, 80 and 60 points, lower bounds inclusive"),
            Label(
                zh="财政部《项目支出绩效评价管理办法》（财预〔2020〕10号）",
                en="Ministry of Finance, Measures for project expenditure performance evaluation "
                "(Cai Yu [2020] No. 10)",
            ),
            _lowest_band_at(PROJECT_MINS),
        ),
        NationalDefault(
            "self_evaluation_template",
            "national",
            Label(zh="项目支出绩效自评指标权重", en="weights of project self-evaluation"),
            Label(
                zh="产出指标50%、效益指标30%、服务对象满意度指标10%、预算执行率10%",
                en="output 50 %, benefit 30 %, beneficiary satisfaction 10 %, budget execution rate 10 %",
            ),
            Label(
                zh="财政部《项目支出绩效评价管理办法》（财预〔2020〕10号），单位自评",
                en="Ministry of Finance, Cai Yu [2020] No. 10, unit self-evaluation",
            ),
            _self_evaluation,
        ),
        NationalDefault(
            "civil_servant_grades",
            "national",
            Label(zh="公务员年度考核等次", en="civil servants' annual assessment grades"),
            Label(
                zh="优秀、称职、基本称职、不称职；连续两年不称职的予以辞退",
                en="excellent, competent, basically competent, incompetent; "
                "dismissal after two consecutive years incompetent",
            ),
            Label(
                zh="《中华人民共和国公务员法》；《公务员考核规定》",
                en="Civil Servant Law of the PRC; Civil servant assessment rules",
            ),
            _grades(["优秀", "称职", "基本称职", "不称职"]),
        ),
        NationalDefault(
            "institution_staff_grades",
            "national",
            Label(zh="事业单位工作人员年度考核等次", en="public-institution staff annual assessment grades"),
            Label(zh="优秀、合格、基本合格、不合格", en="excellent, qualified, basically qualified, unqualified"),
            Label(zh="《事业单位工作人员考核规定》", en="Rules on the assessment of public-institution staff"),
            _grades(["优秀", "合格", "基本合格", "不合格"]),
        ),
        NationalDefault(
            "unit_assessment_bands",
            "convention",
            Label(zh="政府绩效考核中单位的等次", en="unit grades in government performance assessment"),
            Label(
                zh="按占总分的百分比：90%（含）以上为优秀，80%（含）至90%为良好，70%（含）至80%为合格，70%以下为不合格",
                en="as % of the total: excellent ≥ 90, good [80, 90), pass [70, 80), fail < 70",
            ),
            Label(
                zh="无全国统一标准；本工具的统一约定，取自原文中唯一写明单位等次的方案（篇四第192行）",
                en="no national scale; perfsim's one convention, taken from the only source plan that states "
                "unit grades (Plan 4, line 192)",
            ),
            _bands(["优秀", "良好", "合格", "不合格"], [90, 80, 70, None]),
        ),
        NationalDefault(
            "project_grade_budget",
            "convention",
            Label(zh="评价等次与下年度项目预算挂钩的幅度", en="size of the grade link to next year's project budget"),
            Label(
                zh="优增加10%，良不变，中调减10%，差调减20%，均在预算总额内统筹",
                en="excellent +10 %, good 0, fair −10 %, poor −20 %, all inside the budget envelope",
            ),
            Label(
                zh="无全国统一比例（财预〔2020〕10号只要求与预算安排挂钩）；本工具的统一约定",
                en="no national rate (Cai Yu [2020] No. 10 only asks for a link to budgets); perfsim's one convention",
            ),
            _grade_budget,
        ),
    )
}
"""The national defaults, by id."""


def entry(name: str) -> NationalDefault:
    """The table entry ``name``; a KeyError names the known ids."""
    if name not in TABLE:
        raise KeyError(f"no national default '{name}' (known: {', '.join(TABLE)})")
    return TABLE[name]
