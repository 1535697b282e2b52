"""Targets and levers of backward design, read from short texts: ``优秀<=20%``, ``cutoff:*``.

A *target* bounds one outcome of the scheme: a grade's share or count (of all graded units, of
one group or one class), the net change of next year's budgets or of pay against the scheme as
written (万元), the rank instability under weight uncertainty (mean |rank shift| in places), or a
grade's share after N simulated years. A *lever* names the parameters the search may move and
how: each one alone (cut-offs, budget rates, quotas, caps, period shares), a weight with its
siblings rescaled, or a whole tier of sibling weights moved on the simplex (its sum kept).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..compile import CompiledScheme
from ..data import UnitData
from ..errors import ParameterError
from ..labels import money, percent, pick
from ..limits import MAX_YEARS

OPS = {"<=": "<=", "≤": "<=", ">=": ">=", "≥": ">=", "<": "<", ">": ">"}
_TARGET = re.compile(
    r"^\s*(?P<what>[^<>=≤≥]+?)\s*(?P<op><=|>=|≤|≥|<|>)\s*(?P<num>[+\-−]?\d+(?:\.\d+)?)\s*(?P<unit>%|％|万元|万)?\s*$"
)
_YEAR = re.compile(r"^(?:year\s*(\d+)|第\s*(\d+)\s*年)$", re.IGNORECASE)
_MONEY_WORDS = {"budget": "budget", "预算": "budget", "pay": "pay", "绩效工资": "pay", "工资": "pay"}
_INSTABILITY_WORDS = {"instability", "rank instability", "名次波动", "排名波动"}

TARGET_HINT = (
    "write a target as GRADE<=20% (share), GRADE>=3 (count), GRADE@GROUP<=20%, GRADE@year5<=10% (after 5 "
    "simulated years), budget<=0 or pay<=0 (net change in 万元), or instability<=2 (mean rank shift in places)"
)
TARGET_HINT_ZH = (
    "目标写作 等次<=20%（占比）、等次>=3（个数）、等次@分组<=20%、等次@第5年<=10%（模拟 5 年后）、"
    "预算<=0 或 绩效工资<=0（净变动，万元），或 排名波动<=2（名次平均变动位数）"
)


@dataclass(frozen=True)
class Target:
    """One bound on an outcome; ``kind`` is ``share``, ``count``, ``budget``, ``pay`` or ``instability``.

    ``bound`` is in the measure's own unit: a share in 0–1, a count of units, yuan, rank places.
    """

    text: str
    kind: str
    op: str
    bound: float
    grade: int | None = None
    group: str | None = None
    year: int | None = None

    def met(self, value: NDArray[np.float64]) -> NDArray[np.bool_]:
        """Whether measured values meet the bound (a share compared to 1e-12, money to the fen)."""
        tol = 0.005 if self.kind in ("budget", "pay") else 1e-12
        v = np.asarray(value, dtype=np.float64)
        if self.op == "<=":
            return np.asarray(v <= self.bound + tol)
        if self.op == ">=":
            return np.asarray(v >= self.bound - tol)
        if self.op == "<":
            return np.asarray(v < self.bound - tol)
        return np.asarray(v > self.bound + tol)

    def gap(self, value: NDArray[np.float64], scale: float) -> NDArray[np.float64]:
        """How far values miss the bound, in units of ``scale`` (0 where met; at least 1e-6 where missed)."""
        v = np.asarray(value, dtype=np.float64)
        miss = np.abs(v - self.bound) / scale
        return np.where(self.met(v), 0.0, np.maximum(miss, 1e-6))

    def show(self, value: float, compiled: CompiledScheme, lang: str) -> str:
        """A measured value in words: ``18.7%``, ``12 个单位``, ``+3.20 万元``, ``1.4 位``."""
        if not math.isfinite(value):
            return "–"
        if self.kind == "share":
            return percent(value)
        if self.kind == "count":
            return f"{value:,.0f} 个单位" if lang == "zh" else f"{value:,.0f} units"
        if self.kind in ("budget", "pay"):
            return money(value, lang, signed=True)
        return f"{value:,.2f} 位" if lang == "zh" else f"{value:,.2f} places"

    def words(self, compiled: CompiledScheme, lang: str) -> str:
        """The target in words: ``优秀 占比 ≤ 20%``, ``share of Excellent ≤ 20%``."""
        op = {"<=": "≤", ">=": "≥", "<": "<", ">": ">"}[self.op]
        return f"{self.measure_words(compiled, lang)} {op} {self.show(self.bound, compiled, lang)}"

    def measure_words(self, compiled: CompiledScheme, lang: str) -> str:
        """What the target measures: ``优秀 占比``, ``share of Excellent in township``."""
        if self.kind in ("share", "count"):
            assert self.grade is not None
            grade = pick(compiled.grades[self.grade], lang)
            where = ""
            if self.group is not None:
                where = f"（{self.group}）" if lang == "zh" else f" in {self.group}"
            when = ""
            if self.year is not None:
                when = f"第 {self.year} 年" if lang == "zh" else f" in year {self.year}"
            if lang == "zh":
                return f"{when}{grade}{where} {'占比' if self.kind == 'share' else '个数'}"
            return f"{'share of' if self.kind == 'share' else 'number of'} {grade}{where}{when}"
        names = {
            "budget": ("下年预算净变化", "net change of next year's budgets"),
            "pay": ("绩效工资净变化", "net change of pay"),
            "instability": ("权重不确定下的平均名次变动", "mean rank shift under weight uncertainty"),
        }[self.kind]
        return names[0] if lang == "zh" else names[1]


def _grade_index(compiled: CompiledScheme, word: str) -> int | None:
    real = compiled.grades[: compiled.lowest + 1]
    for g, label in enumerate(real):
        if word == label.zh or word.casefold() == label.english().casefold():
            return g
    return None


def group_names(compiled: CompiledScheme, data: UnitData) -> list[str]:
    """Names a target may put after ``@``: the grading groups (``group_by``) and the unit classes."""
    from ..engine import group_index

    names = list(group_index(compiled, data)[1]) if compiled.scheme.grading.group_by else []
    return names + [c.id for c in compiled.classes if c.id not in names]


def _names_zh(compiled: CompiledScheme, data: UnitData) -> list[str]:
    """:func:`group_names` with each class by its Chinese name."""
    classes = {c.id: c.label.zh for c in compiled.classes}
    return [classes.get(name, name) for name in group_names(compiled, data)]


def parse_target(text: str, compiled: CompiledScheme, data: UnitData) -> Target:
    """Read one target; see :data:`TARGET_HINT` for the forms.

    Raises
    ------
    ParameterError
        Naming the target and what to write instead, for an unknown grade, group or form.
    """
    m = _TARGET.match(text.replace("−", "-"))
    if m is None:
        raise ParameterError(
            f"cannot read the target '{text}'",
            field="--target",
            hint=TARGET_HINT,
            zh=(f"无法读取目标「{text}」", TARGET_HINT_ZH),
        )
    what, op, unit = m["what"].strip(), OPS[m["op"]], m["unit"]
    number = float(m["num"])
    key = what.casefold()
    if key in _MONEY_WORDS or what in _MONEY_WORDS:
        if unit == "%" or unit == "％":
            raise ParameterError(
                f"the target '{text}' gives money in %",
                field="--target",
                hint="give the net change in 万元, e.g. budget<=0",
                zh=(f"目标「{text}」以 % 表示金额", "请以万元给出净变动，如 预算<=0"),
            )
        return Target(text, _MONEY_WORDS.get(key, _MONEY_WORDS.get(what, "")), op, number * 10_000)
    if key in _INSTABILITY_WORDS:
        if unit is not None:
            raise ParameterError(
                f"the target '{text}' has a unit",
                field="--target",
                hint="instability is in rank places: instability<=2",
                zh=(f"目标「{text}」带有单位", "排名波动以名次位数计，如 排名波动<=2"),
            )
        return Target(text, "instability", op, number)
    grade_word, _, where = what.partition("@")
    grade = _grade_index(compiled, grade_word.strip())
    if grade is None:
        real = [g.zh for g in compiled.grades[: compiled.lowest + 1]]
        raise ParameterError(
            f"the target '{text}' names no grade of this scheme, budget, pay or instability",
            field="--target",
            hint=f"grades: {', '.join(real)}; {TARGET_HINT}"
            if compiled.scheme.grading.graded
            else "this scheme has no grading: only instability<=N (mean rank shift in places) applies",
            zh=(
                f"目标「{text}」未指明本方案的等次、预算、绩效工资或排名波动",
                f"等次：{'、'.join(real)}；{TARGET_HINT_ZH}"
                if compiled.scheme.grading.graded
                else "本方案不评等次，只能设定 排名波动<=N（名次平均变动位数）",
            ),
        )
    group, year = None, None
    where = where.strip()
    if where:
        y = _YEAR.match(where)
        if y is not None:
            year = int(y[1] or y[2])
            if not 1 <= year <= MAX_YEARS:
                raise ParameterError(
                    f"the target '{text}' asks for year {year}",
                    field="--target",
                    hint=f"years count from 1 to {MAX_YEARS}",
                    zh=(f"目标「{text}」要求第 {year} 年", f"年份从第 1 年算起，最多第 {MAX_YEARS} 年"),
                )
        elif where in group_names(compiled, data):
            group = where
        elif where in (classes := {c.label.zh: c.id for c in compiled.classes}):
            group = classes[where]  # a class by its Chinese name: 优秀@乡镇<=20%
        else:
            raise ParameterError(
                f"the target '{text}' names no group, class or year '{where}'",
                field="--target",
                hint=f"groups and classes: {', '.join(group_names(compiled, data))}; or year5 / 第5年",
                zh=(
                    f"目标「{text}」中的「{where}」不是分组、类别或年份",
                    f"分组和类别：{'、'.join(_names_zh(compiled, data))}；或 第5年",
                ),
            )
    if unit in ("万元", "万"):
        raise ParameterError(
            f"the target '{text}' gives a grade in 万元",
            field="--target",
            hint=TARGET_HINT,
            zh=(f"目标「{text}」以万元表示等次", TARGET_HINT_ZH),
        )
    if unit is not None:
        if not 0 <= number <= 100:
            raise ParameterError(
                f"the share in '{text}' is not between 0% and 100%",
                field="--target",
                hint=TARGET_HINT,
                zh=(f"目标「{text}」中的占比不在 0% 到 100% 之间", TARGET_HINT_ZH),
            )
        return Target(text, "share", op, number / 100, grade, group, year)
    if number != int(number) or number < 0:
        raise ParameterError(
            f"the count in '{text}' is not a whole number of units",
            field="--target",
            hint="give a share with % (优秀<=20%) or a whole count (优秀<=3)",
            zh=(f"目标「{text}」中的个数不是整数", "请给出占比（如 优秀<=20%）或整数个数（如 优秀<=3）"),
        )
    if year is not None:
        raise ParameterError(
            f"the target '{text}' counts units in a simulated year",
            field="--target",
            hint="give a share: 差@year5<=10%",
            zh=(f"目标「{text}」按个数计模拟年份中的单位", "请给出占比，如 差@第5年<=10%"),
        )
    return Target(text, "count", op, number, grade, group, year)


def parse_targets(texts: Sequence[str | Target], compiled: CompiledScheme, data: UnitData) -> list[Target]:
    out = [t if isinstance(t, Target) else parse_target(t, compiled, data) for t in texts]
    if not out:
        raise ParameterError("no target given", field="--target", hint=TARGET_HINT, zh=("未给出目标", TARGET_HINT_ZH))
    for t in out:
        if t.kind in ("budget", "pay"):
            rules = compiled.scheme.consequences
            if rules is None or getattr(rules, t.kind) is None:
                raise ParameterError(
                    f"the target '{t.text}' needs {t.kind} rules, which this scheme has not",
                    field="--target",
                    hint="bound grade shares instead, or add consequences to the scheme",
                    zh=(
                        f"目标「{t.text}」需要{'预算' if t.kind == 'budget' else '绩效工资'}规则，本方案没有",
                        "请改为约束等次占比，或在方案中加入结果运用规则",
                    ),
                )
    return out
