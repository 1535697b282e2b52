"""The indicator table's headings and marks, shared by export and import.

An exported table has, per unit class, one sheet: a title row, a heading row, then one row per
leaf indicator. Tiers sit in pairs of columns (一级指标 and its 分值, 二级指标 and its 分值, …),
each tier's cells merged over the rows of its leaves; then 评分标准 and, when a leaf has a target,
指标值. Hidden machine columns after those hold each tier's id (``perfsim编号k``) and the node's
other fields as JSON (``perfsim设置k``); a sheet ``方案设置`` holds the rest of the scheme as JSON.
"""

from __future__ import annotations

import re
import unicodedata

TIER_HEADINGS = ("一级指标", "二级指标", "三级指标", "四级指标")
POINTS_HEADING = "分值"
CRITERIA_HEADING = "评分标准"
TARGET_HEADING = "指标值"
ID_HEADING = "perfsim编号{}"
EXTRA_HEADING = "perfsim设置{}"
SETTINGS_SHEET = "方案设置"
SETTINGS_NOTE = "方案设置（perfsim）：等次、加减分、一票否决等其他规定，导入时读取；请勿改动下面的文字"
TOTAL_WORDS = frozenset({"合计", "总计", "总分", "合计分值", "小计"})
"""A row whose first tier reads one of these is the table's sum, not an indicator."""

_TIER = re.compile(r"^(一|二|三|四|1|2|3|4)级指标")
_TIER_NUMBER = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_POINTS_WORDS = ("分值", "权重", "标准分", "满分", "分数", "指标分值", "指标权重")
_CRITERIA_WORDS = (
    "评分标准",
    "评分细则",
    "评分办法",
    "评分方法",
    "计分方法",
    "考核标准",
    "考评标准",
    "指标解释",
    "指标说明",
)
_TARGET_WORDS = ("指标值", "目标值", "标准值")


def clean(text: object) -> str:
    """A cell's text as compared: NFKC (full-width digits and brackets folded), spaces removed."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text)))


def heading_kind(text: object) -> tuple[str, int]:
    """What a heading cell names: ``("tier", k)``, ``("points", 0)``, ``("criteria", 0)``,
    ``("target", 0)``, ``("id", k)``, ``("extra", k)`` or ``("other", 0)``."""
    word = clean(text)
    for k in range(1, len(TIER_HEADINGS) + 1):
        if word == ID_HEADING.format(k):
            return "id", k
        if word == EXTRA_HEADING.format(k):
            return "extra", k
    tier = _TIER.match(word)
    if tier:
        return "tier", _TIER_NUMBER[tier.group(1)]
    if any(w in word for w in _POINTS_WORDS) and "得分" not in word:
        return "points", 0
    if any(w in word for w in _CRITERIA_WORDS):
        return "criteria", 0
    if any(w in word for w in _TARGET_WORDS) and "实际" not in word and "完成" not in word:
        return "target", 0
    return "other", 0
