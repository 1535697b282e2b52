"""The language of a per-unit trace: the wording picker, step headings, and numbers and money as people read them.

:func:`perfsim.explain` and the modules that word its steps (:mod:`perfsim.scoring_words`,
:mod:`perfsim.grade_trace`, :mod:`perfsim.consequence_trace`) pick every line's language through
:class:`Say` and format numbers with these helpers, so a figure reads the same in every step.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from . import scheme as s
from .labels import MONEY_UNIT, english_words
from .models import CJK

if TYPE_CHECKING:
    from .engine import Evaluation

_STEPS = {
    "unit": ("0 unit 单位", "0 单位", "0 unit"),
    "indicators": ("1 indicators 指标得分", "1 指标得分", "1 indicator scores"),
    "sections": ("2 sections 分项汇总", "2 分项汇总", "2 sections"),
    "adjustments": ("3 adjustments 加减分", "3 加减分", "3 bonus points and deductions"),
    "clamp": ("4 clamp 限幅", "4 限幅", "4 clamp"),
    "round": ("5 round 取舍", "5 四舍五入", "5 rounding"),
    "veto": ("6 veto 一票否决", "6 一票否决", "6 veto"),
    "total": ("6 total 总分", "6 总分", "6 total"),
    "bands": ("7 bands 等次", "7 等次", "7 grade bands"),
    "not_assessed": ("8 not assessed 不参加考核", "8 不参加考核", "8 not assessed"),
    "veto_grade": ("8 veto 一票否决", "8 一票否决", "8 veto"),
    "quota": ("9 quota 比例控制", "9 比例控制", "9 quota"),
    "result": ("10 result 结果", "10 结果", "10 result"),
    "consequences": ("11 consequences 结果运用", "11 结果运用", "11 consequences"),
}
"""Step headings as (both, zh, en)."""

PICK = {
    "low": s.Label(zh="档内取下限", en="low end of the band's points"),
    "mid": s.Label(zh="档内取中值", en="middle of the band's points"),
    "high": s.Label(zh="档内取上限", en="top of the band's points"),
    "interpolate": s.Label(zh="档内按插值计", en="interpolated within the band"),
}
"""Where in a band's points a score falls (``pick`` of a band table or a section's conversion)."""


class Say:
    """Picks one language's wording; ``both`` keeps the bilingual text the command line prints."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __call__(self, both: str, zh: str, en: str) -> str:
        return both if self.lang == "both" else zh if self.lang == "zh" else en

    def label(self, label: s.Label, fallback: str | None = None) -> str:
        """The label in this language; in English, ``fallback`` (an id) where no English name is given."""
        return label.english(fallback) if self.lang == "en" else label.zh

    def step(self, key: str) -> str:
        return self(*_STEPS[key])

    def free_text(self, text: str | None) -> str | None:
        """Free text of the scheme (a flag's effect) in a one-language trace only if written in that language."""
        if text is None or self.lang == "both":
            return text
        foreign = english_words(text) if self.lang == "zh" else CJK.search(text)
        return None if foreign else text


def fmt(x: float) -> str:
    """A number in the bilingual text: six significant digits."""
    return f"{x:.6g}" if np.isfinite(x) else str(x)


def num(x: float) -> str:
    """A score as people read it: six significant digits, no exponent, a dash for an empty cell."""
    if np.isnan(x):
        return "—"
    if not np.isfinite(x):
        return "∞" if x > 0 else "-∞"
    text = f"{x:.6g}"
    return f"{x:,.2f}" if "e" in text else text


def pct(share: float) -> str:
    return f"{num(round(share * 100, 9))}%"


def wan(yuan: float) -> str:
    """Yuan → 万元 with thousands separators: two decimals, more (up to six) only where the fen need them."""
    fen = int(round(yuan * 100))  # amounts are whole fen, so this is exact
    whole, rest = divmod(abs(fen), 1_000_000)
    decimals = f"{rest:06d}".rstrip("0").ljust(2, "0")
    return f"{'-' if fen < 0 else ''}{whole:,}.{decimals}"


def pts(x: float) -> str:
    return f"{num(x)} point" if x == 1 else f"{num(x)} points"


def quoted(names: Iterable[str]) -> str:
    return ", ".join(f'"{name}"' for name in names)


def money(yuan: float, lang: str) -> str:
    """Yuan → text in a language's money unit (``1.20 万元``, ``1.20 CNY 10k``)."""
    return f"{wan(yuan)} {MONEY_UNIT[lang]}"


def group(ev: Evaluation, u: int, say: Say) -> str:
    """Where a unit is ranked: ``在县直部门中`` / ``among county departments``."""
    g = ev.compiled.scheme.grading
    name = ev.group_names[ev.groups[u]]
    if g.group_by is None:
        return say("", "在全体单位中", "among all units")
    if g.group_by == "class":
        label = ev.compiled.classes[int(ev.groups[u])].label
        return say("", f"在{label.zh}中", f"among {label.english()}")
    return say("", f"在「{name}」组中", f"in group {name}")
