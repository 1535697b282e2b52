"""Human words for what a user reads: parameters by indicator and grade name, money in 万元, signed counts.

One language at a time (``zh`` or ``en``): a Chinese output says 优秀 分数线 and 万元, an English
one says "cut-off for Excellent" and "CNY 10k". Parameter ids (``cutoff:优秀``,
``points:department/public``) stay in tooltips and files; people read these words.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .compile import CompiledScheme, Parameter
from .errors import PerfsimError
from .models import CJK, Label

LANGS = ("zh", "en")

MONEY_UNIT = {"zh": "万元", "en": "CNY 10k"}
"""Money is shown in 万元 (ten thousand yuan), the unit of Chinese budget documents; in English the same
figures are labelled CNY 10k, so both notes show the same numbers."""

_PERIODS = {
    "H1": Label(zh="上半年", en="first half-year"),
    "H2": Label(zh="下半年", en="second half-year"),
    "Y": Label(zh="年度", en="year-end"),
    "YE": Label(zh="年底", en="year-end"),
    **{f"Q{i}": Label(zh=f"第{'一二三四'[i - 1]}季度", en=f"quarter {i}") for i in range(1, 5)},
    **{f"M{i}": Label(zh=f"{i}月", en=f"month {i}") for i in range(1, 13)},
}


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise PerfsimError(f"unknown language '{lang}'", hint="use zh or en")
    return lang


def pick(label: Label | str | None, lang: str) -> str:
    """A label's text in ``lang``; plain strings are returned as written."""
    if label is None:
        return ""
    if isinstance(label, str):
        return label
    return label.zh if lang == "zh" else label.english()


@dataclass(frozen=True)
class ParameterWords:
    """How one parameter reads: its name in words, its unit, and how to show a value."""

    name: str
    unit: str
    kind: str
    scale: float = 1.0
    """Shown value = stored value × scale (shares stored as 0-1 are shown in %)."""

    def value(self, x: float) -> str:
        shown = x * self.scale
        text = f"{shown:,.2f}".rstrip("0").rstrip(".").replace("-", "−") if math.isfinite(shown) else str(shown)
        return f"{text}{self.unit}" if self.unit == "%" else f"{text} {self.unit}"

    def change(self, old: float, new: float) -> str:
        """``优秀 分数线 90 → 85 分``."""
        return f"{self.name} {self.value(old).removesuffix(' ' + self.unit)} → {self.value(new)}"


def _grade(compiled: CompiledScheme, key: str) -> Label:
    for g in compiled.grades:
        if key in (g.zh, g.english()):
            return g
    return Label(zh=key, en=key)


def _node(compiled: CompiledScheme, name: str) -> tuple[Label, Label | None]:
    """The indicator a ``points:``/``share:`` parameter belongs to, and its class when there are several."""
    body = name.split(":", 1)[1].split("@", 1)[0]
    class_id, _, node_id = body.rpartition("/")
    for cc in compiled.classes:
        if class_id and cc.id != class_id:
            continue
        if node_id in cc.ids:
            label = cc.labels[cc.ids.index(node_id)]
            named = Label(zh=label.zh, en=label.english(node_id))  # the id where no English name is given
            return named, cc.label if compiled.multi_class else None
    return Label(zh=node_id, en=node_id), None


def _points_word(compiled: CompiledScheme, lang: str) -> str:
    return "分" if lang == "zh" else "points"


def parameter_words(compiled: CompiledScheme, name: str, lang: str) -> ParameterWords:
    """The words for a parameter of ``compiled`` (see :class:`perfsim.compile.ParameterSpace`).

    Parameters
    ----------
    compiled
        The scheme the parameter belongs to.
    name
        A parameter id such as ``cutoff:优秀`` or ``points:department/public``.
    lang
        ``zh`` or ``en``.

    Returns
    -------
    ParameterWords
        E.g. name ``优秀 分数线`` with unit ``分``, or ``cut-off for Excellent`` with ``points``.
    """
    check_lang(lang)
    zh = lang == "zh"
    param: Parameter | None = compiled.parameters.params.get(name)
    kind = param.kind if param is not None else name.split(":", 1)[0]
    key = name.split(":", 1)[-1]
    pts = _points_word(compiled, lang)
    if kind == "cutoff":
        g = _grade(compiled, key)
        marks = compiled.scheme.full_marks.values()  # a percent is a point only where every full mark is 100
        percent = compiled.scheme.grading.basis == "percent" and any(m != 100 for m in marks)
        unit = "%" if percent else pts
        return ParameterWords(f"{g.zh} 分数线" if zh else f"cut-off for {g.english()}", unit, kind)
    if kind == "points":
        node, cls = _node(compiled, name)
        where = f"{pick(cls, lang)} · " if cls is not None else ""
        return ParameterWords(f"{where}{node.zh} 分值" if zh else f"{where}points for {node.english()}", pts, kind)
    if kind == "share":
        node, cls = _node(compiled, name)
        period = name.rsplit("@", 1)[-1]
        p = _PERIODS.get(period, Label(zh=period, en=period))
        where = f"{pick(cls, lang)} · " if cls is not None else ""
        return ParameterWords(
            f"{where}{node.zh} {p.zh}占比" if zh else f"{where}{p.english()} share of {node.english()}", "%", kind
        )
    if kind == "quota":
        g = _grade(compiled, key)
        tiers = compiled.scheme.grading.rank_tiers is not None
        if zh:
            words = f"{g.zh} 名次比例" if tiers else f"{g.zh} 比例上限"
        else:
            words = f"rank-tier share of {g.english()}" if tiers else f"maximum share of {g.english()}"
        return ParameterWords(words, "%", kind, scale=100.0)
    if kind == "cap":
        fixed = {"bonus_cap": Label(zh="加分", en="bonus points"), "deduction_cap": Label(zh="扣分", en="deductions")}
        items = compiled.scheme.adjustments.items if compiled.scheme.adjustments else []
        item = fixed.get(key) or next((i.name for i in items if i.id == key), Label(zh=key, en=key))
        return ParameterWords(f"{item.zh} 上限" if zh else f"cap on {item.english()}", pts, kind)
    if kind == "rate":
        g = _grade(compiled, key)
        return ParameterWords(
            f"{g.zh} 下年预算调整" if zh else f"next year's budget change for {g.english()}", "%", kind
        )
    return ParameterWords(name, "", kind)


def grade_names(compiled: CompiledScheme, lang: str) -> list[str]:
    """The scheme's grades in ``lang``, best first."""
    return [pick(g, lang) for g in compiled.grades]


# ---------------------------------------------------------------- numbers as people read them


def wan(yuan: float, *, signed: bool = False, decimals: int = 2) -> str:
    """Yuan → 万元 with thousands separators: ``1,234.56``; ``+1,234.56`` / ``−1,234.56`` when signed."""
    value = yuan / 10_000
    if round(value, decimals) == 0:
        value = 0.0
    text = f"{abs(value):,.{decimals}f}"
    if value < 0:
        return "−" + text
    return ("+" if signed and value > 0 else "") + text


def money(yuan: float, lang: str, *, signed: bool = False) -> str:
    """``+1,234.56 万元`` or ``+1,234.56 CNY 10k``."""
    return f"{wan(yuan, signed=signed)} {MONEY_UNIT[lang]}"


def signed(n: float) -> str:
    """A signed whole number: ``+12``, ``−3``, ``0``."""
    k = int(round(n))
    return f"+{k:,}" if k > 0 else (f"−{-k:,}" if k < 0 else "0")


def percent(share: float, *, signed_: bool = False, decimals: int = 1) -> str:
    """A share (0.563) as ``56.3%``; a whole percentage without decimals (``56%``)."""
    if not math.isfinite(share):
        return "–"
    value = share * 100
    text = f"{abs(value):.{decimals}f}".rstrip("0").rstrip(".") if decimals else f"{abs(value):.0f}"
    sign = "−" if value < 0 and float(text) != 0 else ("+" if signed_ and value > 0 and float(text) != 0 else "")
    return f"{sign}{text}%"


_WORD = re.compile(r"[A-Za-z]{2,}")


def english_words(text: str) -> list[str]:
    """ASCII words of two letters or more (what a Chinese output should not contain beyond ids)."""
    return _WORD.findall(text)


def cjk_characters(text: str) -> list[str]:
    """CJK characters and full-width punctuation (what an English output should not contain)."""
    return CJK.findall(text)
