"""ipywidgets view of the scheme explorer: levers on the left, results on the right, a unit's trace beside them.

Every callback is a thin wrapper over :class:`perfsim.explorer.Explorer`; moving a weight moves
its linked siblings' sliders without re-triggering them. Every error (a lever that would make
an invalid scheme, a bad save name, a failed save or briefing, a scenario that does not load)
is shown in words next to the control that caused it, never only in a log; a fault in perfsim
itself is logged with its traceback and said there only as what could not be done.

Cause and effect share one screen: the grade counts, cost line and chart stay at the top of the
results column while the reach panel (collapsed until opened), the changed units and the save
controls scroll under them, and in the app each column scrolls on its own so the page never does.

The same view runs in JupyterLab (``notebooks/01_scheme_explorer.ipynb``) and as the standalone
app of ``perfsim explore`` (Voilà on that notebook, :mod:`perfsim.app`), which passes its
scenario and folders in the environment (:data:`perfsim.app.SETTINGS_ENV`).
"""

from __future__ import annotations

import asyncio
import base64
import html
import json
import logging
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anywidget
import ipywidgets as w
import traitlets
from IPython.display import display

from .app import SETTINGS_ENV
from .charts import interactive, to_svg
from .errors import PerfsimError
from .explorer import WORDS, Explorer, Lever, LeverGroup, NameTaken, View, catalogue
from .labels import check_lang, pick
from .models import Label
from .note_words import TEXT
from .scenario import Scenario, find_file, load_scenario

log = logging.getLogger(__name__)

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

_TABLE_ESM = """
function render({ model, el }) {
  const draw = () => {
    const headers = model.get("headers"), rows = model.get("rows"), ids = model.get("ids");
    const numeric = model.get("numeric");
    const box = document.createElement("div");
    box.style.maxHeight = "260px";
    box.style.overflowY = "auto";
    const table = document.createElement("table");
    table.className = "perfsim-units";
    const head = table.createTHead().insertRow();
    headers.forEach((h, j) => {
      const th = document.createElement("th");
      th.textContent = h;
      if (numeric[j]) th.style.textAlign = "right";
      head.appendChild(th);
    });
    const body = table.createTBody();
    rows.forEach((row, i) => {
      const tr = body.insertRow();
      tr.dataset.unit = ids[i];
      tr.title = model.get("hint");
      tr.addEventListener("click", () => model.send({ unit: ids[i] }));
      row.forEach((cell, j) => {
        const td = tr.insertCell();
        td.textContent = cell;
        if (numeric[j]) td.style.textAlign = "right";
      });
    });
    box.appendChild(table);
    const note = document.createElement("div");
    note.className = "perfsim-table-note";
    note.textContent = model.get("note");
    el.replaceChildren(box, note);
  };
  model.on("change:rows", draw);
  model.on("change:headers", draw);
  model.on("change:note", draw);
  draw();
}
export default { render };
"""

_TABLE_CSS = """
.perfsim-units { border-collapse: collapse; font-size: 12px; width: 100%; }
.perfsim-units th { position: sticky; top: 0; background: #f4f4f4; text-align: left; padding: 2px 6px; }
.perfsim-units td { padding: 1px 6px; border-top: 1px solid #eee; }
.perfsim-units tbody tr { cursor: pointer; }
.perfsim-units tbody tr:hover { background: #eef4fb; }
.perfsim-table-note { color: #555; font-size: 12px; margin-top: 2px; }
"""


class UnitTable(anywidget.AnyWidget):  # type: ignore[misc]
    """A table of units whose rows report a click (the unit id) to Python; cells are set as text, never markup."""

    _esm = _TABLE_ESM
    _css = _TABLE_CSS
    headers = traitlets.List(traitlets.Unicode()).tag(sync=True)
    rows = traitlets.List(traitlets.List(traitlets.Unicode())).tag(sync=True)
    ids = traitlets.List(traitlets.Unicode()).tag(sync=True)
    numeric = traitlets.List(traitlets.Bool()).tag(sync=True)
    note = traitlets.Unicode("").tag(sync=True)
    hint = traitlets.Unicode("").tag(sync=True)


def _after_this_cell(action: Callable[[], None]) -> None:
    """Run ``action`` once the running cell or callback has finished (at once outside a kernel).

    In a kernel the cell runs inside its event loop: work scheduled there runs after the cell's
    reply, so the page (Voilà) or output (JupyterLab) shows first and the rest follows.
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        action()
        return
    loop.call_later(0.05, action)


def _error(text: str) -> str:
    return f"<div class='perfsim-error' role='alert'>{html.escape(text)}</div>"


_TERMINAL = logging.StreamHandler(sys.__stderr__ or sys.stderr)
"""The kernel's own stderr: the terminal running ``perfsim explore`` (or Jupyter, for the notebook)."""


def _log_to_terminal() -> None:
    """Send the explorer's faults to the terminal running the app, where its message says they are."""
    if _TERMINAL not in log.handlers:
        _TERMINAL.setFormatter(logging.Formatter("perfsim explore: %(message)s"))
        log.addHandler(_TERMINAL)
        log.propagate = False


def _target_in(target: str, grades: list[Label], lang: str) -> str:
    """A target with its grade named in ``lang`` (the target reader takes a grade's Chinese or English name).

    A grade without an English name keeps its Chinese one: it is the only name the reader knows.
    """
    match = re.match(r"\s*([^@<>=≤≥]+?)\s*([@<>=≤≥].*)$", target)
    if match is None:
        return target
    word, rest = match.groups()
    for grade in grades:
        if word == grade.zh and (lang == "zh" or grade.has_english):
            return f"{pick(grade, lang)}{rest}"
    return target


def _say(exc: PerfsimError, lang: str) -> str:
    """An error in the screen's language where the error has words in it (``PerfsimError.zh``)."""
    if lang == "zh" and exc.zh is not None:
        message, hint = exc.zh
        return f"{message}（{hint}）" if hint else message
    return f"{exc.message} ({exc.hint})" if exc.hint else exc.message


class ExplorerWidget:
    """Levers for a scenario's parameters, recomputing through the vectorised engine on every change.

    Parameters
    ----------
    scenario
        A loaded scenario.
    chart_mode
        ``interactive`` (Vega-Lite, offline) or ``svg`` (static, for papermill).
    save_folder
        Where saved scenarios go (default: the scenario's folder).
    lang
        ``zh`` or ``en`` at start; the toggle switches every label.
    scenario_folders
        Folders whose scenarios the dropdown lists (default: the scenario's folder); saved ones
        (in ``save_folder``) are listed after them.
    briefing_folder
        Where "Brief from these settings" writes notes (default: ``briefings`` in the working folder).
    briefing_url
        URL prefix under which the briefing folder is served (``perfsim explore``); without it the
        note is offered as a download.
    defer
        In a kernel, list the other scenarios and draw the interactive chart just after the cell
        has run, so the rest shows a second or two sooner (the notebook and the app do this).
    window
        Fill the browser window (the app): each column scrolls on its own and the page never
        does. In a notebook the columns are only capped at the window's height.
    """

    def __init__(
        self,
        scenario: Scenario,
        chart_mode: str = "interactive",
        save_folder: str | Path | None = None,
        *,
        lang: str = "zh",
        scenario_folders: list[str | Path] | None = None,
        briefing_folder: str | Path | None = None,
        briefing_url: str | None = None,
        defer: bool = False,
        window: bool = False,
    ) -> None:
        if chart_mode not in ("interactive", "svg"):
            raise ValueError(f"chart_mode must be 'interactive' or 'svg', not {chart_mode!r}")
        self.chart_mode = chart_mode
        self.explorer = Explorer(scenario, lang=check_lang(lang))
        self.save_folder = Path(save_folder) if save_folder is not None else scenario.path.parent
        folders = scenario_folders if scenario_folders is not None else [scenario.path.parent]
        self.scenario_folders = [Path(f) for f in folders]
        self.briefing_folder = Path(briefing_folder) if briefing_folder is not None else Path("briefings").resolve()
        self.briefing_url = briefing_url
        self.root = w.VBox()
        self.root.add_class("perfsim-explorer")
        if window:
            self.root.add_class("perfsim-window")
        self.layout = self.root
        self._syncing = False
        self.chart_widget: Any = None
        self._defer = defer
        self._build()
        self._defer = False

    # ---------------------------------------------------------------- building

    @property
    def lang(self) -> str:
        """The language every label is in (``zh`` or ``en``), switched by the toggle."""
        return self.explorer.lang

    def _build(self) -> None:
        """(Re)build every control in the current language and scenario, keeping the explorer's values."""
        u, lang = UI[self.lang], self.lang
        spec = self.explorer.scenario.spec
        self.chart_widget = None
        self.scenario_pick = w.Dropdown(layout=w.Layout(width="380px"))
        self.scenario_pick.add_class("perfsim-scenario")
        self.scenario_error = w.HTML()
        self._fill_scenarios(listed=not self._defer)
        if self._defer:  # the rest of the list once the page shows: reading every scenario file takes a while
            _after_this_cell(lambda: self._guard(self.scenario_error, self._fill_scenarios, "list"))
        self.scenario_pick.observe(self._on_scenario, names="value")
        self.language = w.ToggleButtons(
            options=[("中文", "zh"), ("English", "en")], value=lang, style={"button_width": "70px"}
        )
        self.language.observe(self._on_language, names="value")
        self.reset_button = w.Button(description=u["reset"], tooltip=u["reset_tip"], layout=w.Layout(width="80px"))
        self.reset_button.on_click(self._on_reset)
        self.reset_button.add_class("perfsim-reset")
        title = w.HTML(f"<h3>{html.escape(pick(spec.name, lang))}</h3>")
        header = w.HBox([title, self.scenario_pick, self.language, self.reset_button, self.scenario_error])
        header.add_class("perfsim-header")

        self.sliders: dict[str, w.FloatSlider] = {}
        self.warnings: dict[str, w.HTML] = {}
        self._levers: dict[str, Lever] = {}
        groups = [self._group(g) for g in self.explorer.groups()]
        levers = w.VBox(groups)
        levers.add_class("perfsim-levers")

        self.counts = w.HTML()
        self.counts.add_class("perfsim-counts-box")
        self.money = w.HTML()
        self.money.add_class("perfsim-cost-box")
        self.moves = w.HTML()
        self.chart_out = w.Box(layout=w.Layout(min_height="270px")) if self.chart_mode == "interactive" else w.HTML()
        self.chart_out.add_class("perfsim-chart")
        self.table = UnitTable(hint=u["click_hint"])
        self.table.on_msg(self._on_table_message)
        self.table.add_class("perfsim-table")
        effect = w.VBox([self.counts, self.money, self.chart_out, self.moves])
        effect.add_class("perfsim-effect")
        results = w.VBox(
            [
                effect,
                self._reach_panel(),  # collapsed: one line until asked, then its answer just under the effect
                self.table,
                *self._save_controls(),
            ]
        )
        results.add_class("perfsim-results")

        self.trace_title = w.HTML()
        self.trace_text = w.HTML()
        close = w.Button(description=u["close"], layout=w.Layout(width="70px"))
        close.on_click(lambda _b: self._show_side(False))
        self.side = w.VBox([w.HBox([self.trace_title, close]), self.trace_text])
        self.side.add_class("perfsim-side")
        self._show_side(False)

        columns = w.HBox([levers, results, self.side])
        columns.add_class("perfsim-columns")
        self.root.children = [w.HTML(CSS), header, columns]
        self.refresh()

    def _fill_scenarios(self, listed: bool = True) -> None:
        """The dropdown's scenarios: bundled and saved ones (``listed``), else only the one open."""
        u = UI[self.lang]
        current = self.explorer.scenario.path
        found, problems = catalogue(self.scenario_folders, self.save_folder) if listed else ([], [])
        options = [
            (pick(spec.name, self.lang) + (u["saved"] if saved else ""), str(path)) for path, spec, saved in found
        ]
        if problems:  # listed what reads; say why the rest is missing
            self.scenario_error.value = _error(u["not_loaded"].format(_say(problems[0], self.lang)))
        if not any(Path(p).resolve() == current.resolve() for _, p in options):
            options.insert(0, (pick(self.explorer.scenario.spec.name, self.lang), str(current)))
        value = next(p for _, p in options if Path(p).resolve() == current.resolve())
        self._syncing = True
        try:
            self.scenario_pick.options = options
            self.scenario_pick.value = value
        finally:
            self._syncing = False

    def _group(self, group: LeverGroup) -> w.Accordion:
        w_ = WORDS[self.lang]
        rows: list[w.Widget] = []
        if group.tip:
            rows.append(w.HTML(f"<div class='perfsim-group-note'>{html.escape(group.tip)}</div>"))
        for lever in group.levers:
            rows.extend(self._lever_row(lever))
        title = " · ".join(x for x in (group.title, group.note, w_["linked"] if group.linked else "") if x)
        return w.Accordion(children=[w.VBox(rows)], titles=(title,), selected_index=0 if group.featured else None)

    def _lever_row(self, lever: Lever) -> list[w.Widget]:
        """A slider labelled with the indicator's name and unit (the id in its tooltip), and its warning line.

        Two widgets a lever: a page of 50 levers builds in the browser noticeably faster than with a
        label, a unit and boxes around each.
        """
        self._levers[lever.name] = lever
        linked = " perfsim-linked" if lever.linked else ""
        label = (
            f"<span class='perfsim-lever-name{linked}' title='{html.escape(lever.name, quote=True)}'>"
            f"{html.escape(lever.label)}</span> <span class='perfsim-unit'>{html.escape(lever.unit)}</span>"
        )
        slider = w.FloatSlider(
            value=self.explorer.values[lever.name] * lever.scale,
            min=lever.low,
            max=lever.high,
            step=lever.step,
            readout_format=f".{lever.decimals}f",
            continuous_update=False,
            description=label,
            description_allow_html=True,
            tooltip=lever.name,
            style={"description_width": "190px"},
            layout=w.Layout(width="420px"),
        )
        slider.add_class("perfsim-lever")
        slider.observe(lambda change, name=lever.name: self._on_change(name, change), names="value")
        warning = w.HTML(layout=w.Layout(display="none"))
        warning.add_class("perfsim-lever-warning")
        self.sliders[lever.name] = slider
        self.warnings[lever.name] = warning
        return [slider, warning]

    def _warn(self, name: str, text: str) -> None:
        """Show (or with no text, hide) the warning line under a lever."""
        self.warnings[name].value = _error(text) if text else ""
        self.warnings[name].layout.display = "block" if text else "none"

    def _reach_panel(self) -> w.Widget:
        """Targets and levers in plain text, a Solve button and the answer in words."""
        from .analysis.reach_defaults import suggestions
        from .analysis.reach_levers import lever_in

        u, grades = UI[self.lang], self.explorer.compiled.grades
        ask = suggestions(self.explorer.compiled, self.explorer.data)
        self.reach_targets = w.Textarea(
            value="\n".join(_target_in(t, grades, self.lang) for t in ask.targets),
            placeholder=u["reach_targets"].format(_target_in(f"{grades[0].zh}<=20%", grades, self.lang)),
            layout=w.Layout(width="260px", height="62px"),
        )
        self.reach_levers = w.Text(
            value=", ".join(lever_in(text, self.lang) for text in ask.levers),
            placeholder=u["reach_levers"],
            layout=w.Layout(width="220px"),
        )
        self.reach_button = w.Button(description=u["reach_go"], layout=w.Layout(width="80px"))
        self.reach_button.on_click(self._on_reach)
        self.reach_button.add_class("perfsim-reach")
        self.reach_out = w.HTML()
        self.reach_out.add_class("perfsim-reach-out")
        ask_row = w.HBox(
            [self.reach_targets, self.reach_levers, self.reach_button], layout=w.Layout(flex_flow="row wrap")
        )
        body = w.VBox([ask_row, self.reach_out])
        panel = w.Accordion(children=[body], titles=(u["reach_title"],))
        panel.selected_index = None
        panel.add_class("perfsim-reach-panel")
        return panel

    def _on_reach(self, _button: w.Button) -> None:
        u = UI[self.lang]

        def solve() -> None:
            targets = [line.strip() for line in self.reach_targets.value.splitlines() if line.strip()]
            levers = [part.strip() for part in self.reach_levers.value.split(",") if part.strip()]
            result = self.explorer.reach(targets, levers)
            said, kind = ("reach_applied", "perfsim-ok") if result.feasible else ("reach_not_applied", "perfsim-error")
            text = html.escape(result.text(self.lang))
            self.reach_out.value = (
                f"<div class='perfsim-trace'>{text}</div><div class='{kind}'>{html.escape(u[said])}</div>"
            )
            if result.feasible:
                for name in self.warnings:
                    self._warn(name, "")
                self._sync(self.explorer.values)
                self.refresh()

        self.reach_out.value = ""
        self._guard(self.reach_out, solve, "reach")

    def _save_controls(self) -> list[w.Widget]:
        u = UI[self.lang]
        self.name = w.Text(placeholder=u["name"], layout=w.Layout(width="200px"), tooltip=u["name"])
        self.name.observe(self._on_name, names="value")
        self.name.add_class("perfsim-save-name")
        self.save_button = w.Button(description=u["save"], button_style="primary", layout=w.Layout(width="80px"))
        self.save_button.on_click(self._on_save)
        self.save_button.add_class("perfsim-save")
        self.save_error = w.HTML()
        self.save_error.add_class("perfsim-save-error")
        self.description_zh = w.Text(placeholder=u["desc_zh"], layout=w.Layout(width="240px"))
        self.description_en = w.Text(placeholder=u["desc_en"], layout=w.Layout(width="240px"))
        self.confirm_text = w.HTML()
        self.overwrite_button = w.Button(description=u["overwrite"], button_style="danger")
        self.overwrite_button.on_click(lambda _b: self._save(overwrite=True))
        self.overwrite_button.add_class("perfsim-overwrite")
        cancel = w.Button(description=u["cancel"])
        cancel.on_click(lambda _b: self._ask_overwrite(""))
        self.confirm = w.HBox([self.confirm_text, self.overwrite_button, cancel])
        self.confirm.layout.display = "none"
        self.status = w.HTML()
        self.status.add_class("perfsim-save-status")
        self.brief_button = w.Button(description=u["brief"], layout=w.Layout(width="200px"))
        self.brief_button.on_click(self._on_brief)
        self.brief_button.add_class("perfsim-brief")
        self.brief_status = w.HTML()
        self.brief_status.add_class("perfsim-brief-status")
        return [
            w.HTML(f"<b>{html.escape(u['save_title'])}</b>"),
            w.HBox([self.name, self.save_button, self.save_error]),
            w.HBox([self.description_zh, self.description_en]),
            self.confirm,
            self.status,
            w.HBox([self.brief_button, self.brief_status]),
        ]

    # ---------------------------------------------------------------- callbacks

    def _guard(self, where: w.HTML | Callable[[], w.HTML], action: Callable[[], None], doing: str) -> None:
        """Run a callback; an error is shown in words next to its control.

        A :class:`~perfsim.errors.PerfsimError` says what to fix in its own words. Anything else is
        a fault in perfsim: its traceback goes to the log, and the control says only what could not
        be done (``doing``, a ``doing_*`` key of :data:`UI`), never the exception's internals.
        ``where`` may be a function giving the control: an action that rebuilds the view
        replaces the controls, and its error belongs next to the new one.
        """
        try:
            action()
        except PerfsimError as exc:
            (where() if callable(where) else where).value = _error(_say(exc, self.lang))
        except Exception:
            (where() if callable(where) else where).value = _error(self._fault(doing))

    def _fault(self, doing: str) -> str:
        """Log the exception being handled; what to show the user instead."""
        log.exception("scheme explorer: could not %s", UI["en"][f"doing_{doing}"])
        u = UI[self.lang]
        return str(u["failed"].format(u[f"doing_{doing}"]))

    def _on_change(self, name: str, change: dict) -> None:
        if self._syncing:
            return
        lever = self._levers[name]
        try:
            moved = self.explorer.set(name, float(change["new"]) / lever.scale)
        except PerfsimError as exc:  # refused: the slider goes back, the results stay consistent
            self._warn(name, exc.message)
            self._sync({name: self.explorer.values[name]})
            return
        for other in self.warnings:
            self._warn(other, "")
        self._sync(moved)
        try:
            self.refresh()
        except PerfsimError as exc:  # shown under the lever that was moved, like a refusal
            self._warn(name, _say(exc, self.lang))
        except Exception:
            self._warn(name, self._fault("recompute"))

    def _sync(self, values: dict[str, float]) -> None:
        self._syncing = True
        try:
            for name, value in values.items():
                if name in self.sliders:
                    self.sliders[name].value = value * self._levers[name].scale
        finally:
            self._syncing = False

    def _on_reset(self, _button: w.Button) -> None:
        self.explorer.reset()
        for name in self.warnings:
            self._warn(name, "")
        self._sync(self.explorer.values)
        self._guard(self.scenario_error, self.refresh, "recompute")

    def _on_language(self, change: dict) -> None:
        if self._syncing:
            return
        self.explorer.lang = check_lang(change["new"])
        self._guard(lambda: self.scenario_error, self._build, "language")

    def _on_scenario(self, change: dict) -> None:
        if self._syncing or not change["new"]:
            return
        self.scenario_error.value = ""

        def load() -> None:
            scenario = load_scenario(change["new"])
            self.explorer = Explorer(scenario, lang=self.lang)
            self._build()

        self._guard(lambda: self.scenario_error, load, "open")
        if self.scenario_error.value:  # not loaded: the dropdown shows the scenario still open
            error = self.scenario_error.value
            self._fill_scenarios()
            self.scenario_error.value = error

    def _on_name(self, _change: dict) -> None:
        self.save_error.value = ""
        self.status.value = ""
        self._ask_overwrite("")

    def _on_save(self, _button: w.Button) -> None:
        self._save(overwrite=False)

    def _ask_overwrite(self, question: str) -> None:
        self.confirm_text.value = _error(question) if question else ""
        self.confirm.layout.display = "flex" if question else "none"

    def _save(self, overwrite: bool) -> None:
        u = UI[self.lang]
        self.save_error.value = ""
        self.status.value = ""
        self._ask_overwrite("")
        description = {"zh": self.description_zh.value, "en": self.description_en.value}

        def save() -> None:
            try:
                path = self.explorer.save(self.save_folder, self.name.value, description, overwrite=overwrite)
            except NameTaken as exc:
                self._ask_overwrite(f"{exc.message} {u['overwrite_q']}")
                return
            except OSError as exc:
                raise PerfsimError(f"{exc.strerror or exc}", file=exc.filename) from None
            self.status.value = f"<div class='perfsim-ok'>{html.escape(u['saved_to'].format(path))}</div>"
            self._fill_scenarios()

        self._guard(self.save_error, save, "save")

    def _on_brief(self, _button: w.Button) -> None:
        from .publish import brief

        u = UI[self.lang]
        self.brief_status.value = f"<span class='perfsim-group-note'>{html.escape(u['briefing'])}</span>"
        self.brief_button.disabled = True

        def write() -> None:
            path = brief(self.explorer.scenario, self.briefing_folder, params=self.explorer.current(), lang=self.lang)
            self.brief_status.value = (
                f"<span class='perfsim-ok'>{html.escape(u['brief_done'])}</span> {self._link(path)}"
            )

        try:
            self._guard(self.brief_status, write, "brief")
        finally:
            self.brief_button.disabled = False

    def _link(self, path: Path) -> str:
        name = html.escape(path.name)
        if self.briefing_url is not None:
            href = html.escape(self.briefing_url + quote(path.name), quote=True)
            return f"<a href='{href}' target='_blank' rel='noopener'>{name}</a>"
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        shown = html.escape(str(path))
        download = html.escape(UI[self.lang]["download"])
        return f"<code>{shown}</code> <a href='data:text/html;base64,{data}' download='{name}'>{download}</a>"

    def _on_table_message(self, _widget: Any, content: dict, _buffers: Any) -> None:
        unit = content.get("unit") if isinstance(content, dict) else None
        if isinstance(unit, str):
            self.show_trace(unit)

    def show_trace(self, unit: str) -> None:
        """Open the side panel with how ``unit`` got its result under the current settings."""
        self.trace_title.value = f"<b>{html.escape(UI[self.lang]['trace'].format(unit))}</b>"
        self.trace_text.value = ""
        self._show_side(True)

        def trace() -> None:
            self.trace_text.value = f"<pre class='perfsim-trace'>{html.escape(self.explorer.trace(unit))}</pre>"

        self._guard(self.trace_text, trace, "trace")

    def _show_side(self, shown: bool) -> None:
        self.side.layout.display = "flex" if shown else "none"

    # ---------------------------------------------------------------- results

    def refresh(self) -> None:
        """Recompute and redraw counts, cost line, chart and changed units."""
        view = self.explorer.view()
        self.view = view
        self.counts.value = self._counts_html(view)
        self.money.value = self._cost_html(view)
        self.moves.value = f"<div class='perfsim-group-note'>{html.escape(view.moves)}</div>"
        self._draw_chart(view)
        shown = view.changed.drop(columns="unit id")
        note = WORDS[self.lang]["none_changed"] if not len(shown) else ""
        if view.more:
            note = TEXT[self.lang]["more_rows"].format(view.more)
        with self.table.hold_sync():  # one message to the browser, not five
            self.table.headers = [str(c) for c in shown.columns]
            self.table.rows = [[str(x) for x in row] for row in shown.itertuples(index=False)]
            self.table.ids = [str(u) for u in view.changed["unit id"]]
            self.table.numeric = [c in view.numeric for c in shown.columns]
            self.table.note = note

    def _counts_html(self, view: View) -> str:
        t, u = TEXT[self.lang], UI[self.lang]
        cards = []
        for grade, base, now, change in view.counts.itertuples(index=False):
            direction = "up" if change > 0 else "down" if change < 0 else ""
            sign = f"+{change}" if change > 0 else f"−{-change}" if change < 0 else "±0"
            g = html.escape(grade, quote=True)
            cards.append(
                f"<div class='perfsim-count' data-grade='{g}'><div class='g'>{g}</div>"
                f"<div class='n' title='{html.escape(u['now'])}'>{int(now)}</div>"
                f"<div class='d {direction}'>{sign}</div>"
                f"<div class='b'>{html.escape(t['baseline'])} {int(base)}</div></div>"
            )
        return f"<div class='grade-counts'>{''.join(cards)}</div>"

    def _cost_html(self, view: View) -> str:
        if not view.cost_lines:
            return f"<div class='perfsim-cost'>{html.escape(TEXT[self.lang]['no_money'])}</div>"
        lines = []
        for line in view.cost_lines:
            kind = "line gross" if line.get("gross") else "line"
            lines.append(
                f"<div class='{kind}'><span class='label'>{html.escape(line['label'])}</span> "
                f"<span class='value'>{html.escape(line['value'])}</span> "
                f"<span class='share'>{html.escape(line['share'])}</span></div>"
            )
        return f"<div class='perfsim-cost'>{''.join(lines)}</div>"

    def _draw_chart(self, view: View) -> None:
        if self.chart_mode == "svg":
            assert isinstance(self.chart_out, w.HTML)
            self.chart_out.value = to_svg(view.chart)
        elif self.chart_widget is None:  # one offline chart widget, its spec swapped in place
            if self._defer:  # bundling the chart's JavaScript takes a second: the page shows first
                _after_this_cell(lambda: self._guard(self.scenario_error, lambda: self._draw_chart(self.view), "chart"))
                return
            self.chart_widget = interactive(view.chart)
            assert isinstance(self.chart_out, w.Box)
            self.chart_out.children = (self.chart_widget,)
        else:
            self.chart_widget.spec = view.chart_spec

    def _ipython_display_(self) -> None:
        display(self.root)

    # ---------------------------------------------------------------- notebook and app

    @classmethod
    def launch(cls, scenario: str, chart_mode: str = "interactive", lang: str = "zh") -> ExplorerWidget:
        """The explorer as the notebook shows it.

        Under ``perfsim explore`` the command's scenario and folders apply (passed in the
        environment as :data:`SETTINGS_ENV`); in JupyterLab or papermill, ``scenario`` does, with
        its folder listed in the dropdown and ``saved-scenarios`` and ``briefings`` beside it.

        Parameters
        ----------
        scenario
            A scenario file (relative to the working folder or up to three folders above).
        chart_mode
            ``interactive`` or ``svg``.
        lang
            ``zh`` or ``en`` at start.

        Returns
        -------
        ExplorerWidget
        """
        _log_to_terminal()
        settings = json.loads(os.environ.get(SETTINGS_ENV) or "{}")
        if settings:
            return cls(
                load_scenario(settings["scenario"]),
                chart_mode=chart_mode,
                save_folder=settings["save_folder"],
                lang=settings.get("lang", lang),
                scenario_folders=settings["scenario_folders"],
                briefing_folder=settings["briefing_folder"],
                briefing_url=settings.get("briefing_url"),
                defer=True,
                window=True,
            )
        path = find_file(scenario).resolve()
        home = path.parent.parent
        return cls(
            load_scenario(path),
            chart_mode=chart_mode,
            save_folder=home / "saved-scenarios",
            lang=lang,
            scenario_folders=[path.parent],
            briefing_folder=home / "briefings",
            defer=True,
        )
