"""ipywidgets view of the scheme explorer: sliders, live counts, chart, unit table and a save button.

Every callback is a thin wrapper over :class:`perfsim.explorer.Explorer`; moving a weight
moves its linked siblings' sliders without re-triggering them.
"""

from __future__ import annotations

import html
from pathlib import Path

import ipywidgets as w
from IPython.display import SVG, display

from .charts import interactive, to_svg
from .explorer import Explorer
from .scenario import Scenario


class ExplorerWidget:
    """Sliders for a scenario's parameters, recomputing through the vectorised engine on every change.

    Parameters
    ----------
    scenario
        A loaded scenario.
    chart_mode
        ``interactive`` (Vega-Lite in JupyterLab, offline) or ``svg`` (static, for papermill).
    save_folder
        Where the save button writes the new scenario (default: the scenario's folder).
    """

    def __init__(
        self, scenario: Scenario, chart_mode: str = "interactive", save_folder: str | Path | None = None
    ) -> None:
        self.explorer = Explorer(scenario)
        self.chart_mode = chart_mode
        self.save_folder = Path(save_folder) if save_folder is not None else scenario.path.parent
        self._syncing = False
        self.sliders: dict[str, w.FloatSlider] = {}
        for p in self.explorer.parameters:
            low, high = self.explorer.ranges[p.name]
            step = 0.1 if p.kind in ("cutoff", "points", "cap", "share") else 0.01 if p.kind == "quota" else 1.0
            slider = w.FloatSlider(
                value=p.nominal,
                min=low,
                max=high,
                step=step,
                description=p.name,
                continuous_update=False,
                readout_format=".2f",
                style={"description_width": "16em"},
                layout=w.Layout(width="38em"),
            )
            slider.observe(self._on_change, names="value")
            self.sliders[p.name] = slider
        self.counts = w.HTML()
        self.money = w.HTML()
        self.chart_out = w.Output()
        self.chart_widget: w.DOMWidget | None = None
        self.table_out = w.Output()
        self.name = w.Text(value=f"{scenario.spec.id}-variant", description="save as")
        self.save_button = w.Button(description="Save as scenario 保存为方案", button_style="primary")
        self.save_button.on_click(self._on_save)
        self.reset_button = w.Button(description="Reset 重置")
        self.reset_button.on_click(self._on_reset)
        self.status = w.HTML()
        levers = [lever.parameter for lever in scenario.spec.analysis.levers if lever.parameter in self.sliders]
        groups: dict[str, list[w.FloatSlider]] = {}
        for p in self.explorer.parameters:
            if p.name not in levers:
                groups.setdefault(p.kind, []).append(self.sliders[p.name])
        accordion = w.Accordion(children=[w.VBox(v) for v in groups.values()])
        for i, kind in enumerate(groups):
            accordion.set_title(i, f"more: {kind}")
        self.layout = w.VBox(
            [
                w.HTML(f"<h3>{html.escape(scenario.spec.name.zh)} / {html.escape(scenario.spec.name.en)}</h3>"),
                w.HTML("<b>Levers 可调参数</b>"),
                w.VBox([self.sliders[name] for name in levers]),
                accordion,
                self.counts,
                self.money,
                self.chart_out,
                w.HBox([self.name, self.save_button, self.reset_button]),
                self.status,
                self.table_out,
            ]
        )
        self.refresh()

    def _on_change(self, change: dict) -> None:
        if self._syncing:
            return
        slider = change["owner"]
        moved = self.explorer.set(slider.description, float(change["new"]))
        self._syncing = True
        try:
            for name, value in moved.items():
                if name in self.sliders and name != slider.description:
                    self.sliders[name].value = value
        finally:
            self._syncing = False
        self.refresh()

    def _on_reset(self, _button: w.Button) -> None:
        self.explorer.reset()
        self._syncing = True
        try:
            for name, slider in self.sliders.items():
                slider.value = self.explorer.values[name]
        finally:
            self._syncing = False
        self.refresh()

    def _on_save(self, _button: w.Button) -> None:
        path = self.explorer.save(self.save_folder, self.name.value.strip())
        self.status.value = f"saved <code>{html.escape(str(path))}</code>"

    def refresh(self) -> None:
        """Recompute and redraw counts, money, chart and table."""
        view = self.explorer.view()
        self.view = view
        counts = zip(view.counts["grade"], view.counts["now"])
        rows = "".join(f"<td><b>{html.escape(g)}</b> <span class='count'>{n}</span></td>" for g, n in counts)
        self.counts.value = f"<table class='grade-counts'><tr>{rows}</tr></table>"
        has_money = "budget change" in view.table
        self.money.value = f"budget moved vs baseline 预算变动: {view.budget_moved:,.2f} yuan" if has_money else ""
        if self.chart_mode == "interactive":  # one offline chart widget, updated in place
            if self.chart_widget is None:
                self.chart_widget = interactive(view.chart)
                with self.chart_out:
                    display(self.chart_widget)
            else:
                self.chart_widget.chart = view.chart
        else:
            self.chart_out.clear_output(wait=True)
            with self.chart_out:
                display(SVG(to_svg(view.chart)))
        self.table_out.clear_output(wait=True)
        with self.table_out:
            changed = view.table[view.table["changed"]]
            display(changed if len(changed) else view.table.head(10))

    def _ipython_display_(self) -> None:
        display(self.layout)
