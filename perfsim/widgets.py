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

The controls and their callbacks are in :mod:`perfsim.widget_controls`, the words and the style
sheet in :mod:`perfsim.widget_words`; this module lays them out beside the results they drive.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anywidget
import ipywidgets as w
import traitlets
from IPython.display import display

from .app import SETTINGS_ENV
from .charts import interactive, to_svg
from .explorer import WORDS, Explorer, View, catalogue
from .labels import check_lang, pick
from .note_words import TEXT
from .scenario import Scenario, find_file, load_scenario
from .widget_controls import ExplorerControls
from .widget_words import CSS, UI, error_html, say

log = logging.getLogger(__name__)


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


_TERMINAL = logging.StreamHandler(sys.__stderr__ or sys.stderr)
"""The kernel's own stderr: the terminal running ``perfsim explore`` (or Jupyter, for the notebook)."""


def _log_to_terminal() -> None:
    """Send the explorer's faults to the terminal running the app, where its message says they are."""
    if _TERMINAL not in log.handlers:
        _TERMINAL.setFormatter(logging.Formatter("perfsim explore: %(message)s"))
        log.addHandler(_TERMINAL)
        log.propagate = False


class ExplorerWidget(ExplorerControls):
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

        self.sliders = {}
        self.warnings = {}
        self._levers = {}
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
            self.scenario_error.value = error_html(u["not_loaded"].format(say(problems[0], self.lang)))
        if not any(Path(p).resolve() == current.resolve() for _, p in options):
            options.insert(0, (pick(self.explorer.scenario.spec.name, self.lang), str(current)))
        value = next(p for _, p in options if Path(p).resolve() == current.resolve())
        self._syncing = True
        try:
            self.scenario_pick.options = options
            self.scenario_pick.value = value
        finally:
            self._syncing = False

    # ---------------------------------------------------------------- callbacks

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
