"""The explorer's words and style sheet, per language: every button, hint and message the screen shows.

Kept apart from the view (:mod:`perfsim.widgets`) so that a translator edits one table
(``UI[lang][key]``), with the few helpers that only put text into words or markup.
"""

from __future__ import annotations

import html
import re

from .errors import PerfsimError
from .labels import pick
from .models import Label

UI: dict[str, dict[str, str]] = {
    "zh": {
        "saved": "（已保存）",
        "reset": "重置",
        "reset_tip": "恢复方案原文的全部取值",
        "save_title": "另存为方案",
        "name": "方案名称",
        "desc_zh": "中文说明（可选）",
        "desc_en": "英文说明（可选）",
        "save": "保存",
        "overwrite": "覆盖",
        "cancel": "取消",
        "overwrite_q": "覆盖它吗？",
        "saved_to": "已保存：{}",
        "brief": "按当前设置生成简报",
        "briefing": "正在生成简报（约需 10 秒）…",
        "brief_done": "简报已生成：",
        "download": "下载",
        "trace": "得分溯源：{}",
        "close": "关闭",
        "click_hint": "点击单位查看得分溯源",
        "failed": "无法{}：perfsim 程序出错，详情已记入运行探索器的终端日志",
        "doing_list": "列出方案",
        "doing_open": "打开该方案",
        "doing_language": "切换语言",
        "doing_recompute": "重新计算结果",
        "doing_chart": "绘制图表",
        "doing_reach": "求解",
        "doing_save": "保存方案",
        "doing_brief": "生成简报",
        "doing_trace": "显示得分溯源",
        "now": "调整后",
        "not_loaded": "无法打开该方案：{}",
        "reach_title": "反向设计：达到目标",
        "reach_targets": "目标，每行一个，如 {}",
        "reach_levers": "调整项，逗号分隔，如 分数线:*",
        "reach_go": "求解",
        "reach_applied": "已将调整项设为求解结果（其余恢复原值）。",
        "reach_not_applied": "目标无法同时达到，调整项未变动。",
    },
    "en": {
        "saved": " (saved)",
        "reset": "Reset",
        "reset_tip": "back to every value as the scheme is written",
        "save_title": "Save as a scenario",
        "name": "scenario name",
        "desc_zh": "description in Chinese (optional)",
        "desc_en": "description in English (optional)",
        "save": "Save",
        "overwrite": "Overwrite",
        "cancel": "Cancel",
        "overwrite_q": "Overwrite it?",
        "saved_to": "Saved: {}",
        "brief": "Brief from these settings",
        "briefing": "Writing the briefing note (about 10 seconds)…",
        "brief_done": "Briefing note written:",
        "download": "download",
        "trace": "How {} got its result",
        "close": "Close",
        "click_hint": "Click a unit to see how its result was reached",
        "failed": "could not {}: a fault in perfsim, logged in the terminal running the explorer",
        "doing_list": "list the scenarios",
        "doing_open": "open this scenario",
        "doing_language": "switch the language",
        "doing_recompute": "recompute the results",
        "doing_chart": "draw the chart",
        "doing_reach": "solve for the targets",
        "doing_save": "save the scenario",
        "doing_brief": "write the briefing note",
        "doing_trace": "show the trace",
        "now": "Now",
        "not_loaded": "cannot open this scenario: {}",
        "reach_title": "Design backwards: reach a target",
        "reach_targets": "targets, one per line, e.g. {}",
        "reach_levers": "levers, comma-separated, e.g. cutoff:*",
        "reach_go": "Solve",
        "reach_applied": "The levers now hold the solution (the others are back as written).",
        "reach_not_applied": "The targets cannot all be met; no lever moved.",
    },
}

CSS = """
<style>
.perfsim-explorer { font-size: 13px; }
.perfsim-explorer .perfsim-header { align-items: center; gap: 10px; margin-bottom: 4px; flex: 0 0 auto; }
.perfsim-explorer .perfsim-header h3 { margin: 0 8px 0 0; font-size: 16px; }
.perfsim-explorer .perfsim-columns { align-items: flex-start; gap: 14px; }
.perfsim-explorer .perfsim-levers, .perfsim-explorer .perfsim-results, .perfsim-explorer .perfsim-side {
  max-height: calc(100vh - 130px); overflow-y: auto; }
.perfsim-explorer .perfsim-levers > *, .perfsim-explorer .perfsim-results > *,
.perfsim-explorer .perfsim-side > * { flex-shrink: 0; }
.perfsim-explorer .perfsim-levers { flex: 0 0 450px; }
.perfsim-explorer .perfsim-results { flex: 1 1 520px; min-width: 480px; }
.perfsim-explorer .perfsim-side { flex: 0 0 380px; border-left: 1px solid #ddd; padding-left: 10px; }
/* the app fills the window: header on top, each column scrolls on its own and the page never does,
   so a lever and its effect are on one screen whatever is open below the results */
.perfsim-explorer.perfsim-window { height: calc(100vh - 24px); overflow: hidden; }
.perfsim-explorer.perfsim-window .perfsim-columns { flex: 1 1 0; min-height: 0; align-items: stretch; }
.perfsim-explorer.perfsim-window .perfsim-levers, .perfsim-explorer.perfsim-window .perfsim-results,
.perfsim-explorer.perfsim-window .perfsim-side { max-height: none; height: 100%; }
/* counts, cost and chart stay at the top of their column while the units, reach and save scroll under them */
.perfsim-explorer .perfsim-effect { position: sticky; top: 0; z-index: 3; background: var(--jp-layout-color0, #fff);
  border-bottom: 1px solid #e4e4e4; padding-bottom: 2px; margin-bottom: 4px; }
.perfsim-explorer .jupyter-widget-Collapse-header { padding: 3px 8px; }
.perfsim-explorer .jupyter-widget-Collapse-contents { padding: 2px 8px 4px 8px; }
.perfsim-explorer .perfsim-lever { height: auto; min-height: 28px; }
.perfsim-explorer .perfsim-lever .widget-label { white-space: normal; line-height: 1.2; height: auto;
  text-align: left; padding-right: 6px; }
.perfsim-explorer .perfsim-lever-warning { margin: -4px 0 4px 0; }
.perfsim-explorer .perfsim-linked::before { content: "⇄ "; color: #2b6cb0; }
.perfsim-explorer .perfsim-unit { color: #777; font-size: 11px; }
.perfsim-explorer .perfsim-group-note { color: #555; font-size: 12px; }
.perfsim-explorer .perfsim-error { color: #b00020; font-size: 12px; line-height: 1.3; }
.perfsim-explorer .perfsim-ok { color: #1b6e20; font-size: 12px; }
.perfsim-explorer .grade-counts { display: flex; gap: 8px; margin: 2px 0 4px 0; }
.perfsim-explorer .perfsim-count { border: 1px solid #ddd; border-radius: 4px; padding: 2px 10px;
  min-width: 70px; text-align: center; line-height: 1.3; }
.perfsim-explorer .perfsim-count .g { font-weight: bold; }
.perfsim-explorer .perfsim-count .n { font-size: 20px; line-height: 1.2; }
.perfsim-explorer .perfsim-count .d { font-size: 12px; }
.perfsim-explorer .perfsim-count .d.up { color: #1b6e20; }
.perfsim-explorer .perfsim-count .d.down { color: #b00020; }
.perfsim-explorer .perfsim-count .b { font-size: 11px; color: #777; }
.perfsim-explorer .perfsim-cost .line { margin: 1px 0; }
.perfsim-explorer .perfsim-cost .value { font-weight: bold; font-size: 15px; }
.perfsim-explorer .perfsim-cost .gross { color: #777; font-size: 12px; }
.perfsim-explorer .perfsim-trace { white-space: pre-wrap; font-size: 12px; line-height: 1.35; }
</style>
"""


def error_html(text: str) -> str:
    """``text`` as an alert next to a control, escaped: a message never adds markup."""
    return f"<div class='perfsim-error' role='alert'>{html.escape(text)}</div>"


def target_in(target: str, grades: list[Label], lang: str) -> str:
    """A target with its grade named in ``lang`` (the target reader takes a grade's Chinese or English name).

    A grade without an English name keeps its Chinese one: it is the only name the reader knows.

    Parameters
    ----------
    target
        A reach target as typed, e.g. ``优秀<=20%``; one the pattern does not fit is returned as it is.
    grades
        The scheme's grades.
    lang
        ``zh`` or ``en``.

    Returns
    -------
    str
    """
    match = re.match(r"\s*([^@<>=≤≥]+?)\s*([@<>=≤≥].*)$", target)
    if match is None:
        return target
    word, rest = match.groups()
    for grade in grades:
        if word == grade.zh and (lang == "zh" or grade.has_english):
            return f"{pick(grade, lang)}{rest}"
    return target


def say(exc: PerfsimError, lang: str) -> str:
    """An error in the screen's language where the error has words in it (``PerfsimError.zh``)."""
    if lang == "zh" and exc.zh is not None:
        message, hint = exc.zh
        return f"{message}（{hint}）" if hint else message
    return f"{exc.message} ({exc.hint})" if exc.hint else exc.message
