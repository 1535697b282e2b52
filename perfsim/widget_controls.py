"""The groups of controls the explorer's screen is built from, and what each does when used.

The lever groups (a slider and its warning line a lever, linked weights moved together), the
reach panel and the save and briefing controls; and the one way a callback's error is shown
next to its control. :class:`perfsim.widgets.ExplorerWidget` lays them out with the results
they drive.
"""

from __future__ import annotations

import base64
import html
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import ipywidgets as w

from .errors import PerfsimError
from .explorer import WORDS, Explorer, Lever, LeverGroup, NameTaken
from .widget_words import UI, error_html, say, target_in

# the view's one logger: ``ExplorerWidget.launch`` sends it to the terminal its fault messages name
log = logging.getLogger("perfsim.widgets")


class ExplorerControls(ABC):
    """The explorer's controls and what each does when used.

    The screen holding them (:class:`~perfsim.widgets.ExplorerWidget`) sets the state declared
    below, lays the controls out beside the results and redraws those (:meth:`refresh`).
    """

    explorer: Explorer
    save_folder: Path
    briefing_folder: Path
    briefing_url: str | None
    sliders: dict[str, w.FloatSlider]
    warnings: dict[str, w.HTML]
    _levers: dict[str, Lever]
    _syncing: bool

    @property
    def lang(self) -> str:
        """The language every label is in (``zh`` or ``en``), switched by the toggle."""
        return self.explorer.lang

    @abstractmethod
    def refresh(self) -> None:
        """Recompute and redraw the results after the levers moved."""

    @abstractmethod
    def _fill_scenarios(self, listed: bool = True) -> None:
        """List the scenarios in the dropdown again (a saved one has joined them)."""

    # ---------------------------------------------------------------- errors

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
            (where() if callable(where) else where).value = error_html(say(exc, self.lang))
        except Exception:
            (where() if callable(where) else where).value = error_html(self._fault(doing))

    def _fault(self, doing: str) -> str:
        """Log the exception being handled; what to show the user instead."""
        log.exception("scheme explorer: could not %s", UI["en"][f"doing_{doing}"])
        u = UI[self.lang]
        return str(u["failed"].format(u[f"doing_{doing}"]))

    # ---------------------------------------------------------------- lever groups

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
        self.warnings[name].value = error_html(text) if text else ""
        self.warnings[name].layout.display = "block" if text else "none"

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
            self._warn(name, say(exc, self.lang))
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

    # ---------------------------------------------------------------- reach panel

    def _reach_panel(self) -> w.Widget:
        """Targets and levers in plain text, a Solve button and the answer in words."""
        from .analysis.reach_defaults import suggestions
        from .analysis.reach_levers import lever_in

        u, grades = UI[self.lang], self.explorer.compiled.grades
        ask = suggestions(self.explorer.compiled, self.explorer.data)
        self.reach_targets = w.Textarea(
            value="\n".join(target_in(t, grades, self.lang) for t in ask.targets),
            placeholder=u["reach_targets"].format(target_in(f"{grades[0].zh}<=20%", grades, self.lang)),
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

    # ---------------------------------------------------------------- save and briefing controls

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

    def _on_name(self, _change: dict) -> None:
        self.save_error.value = ""
        self.status.value = ""
        self._ask_overwrite("")

    def _on_save(self, _button: w.Button) -> None:
        self._save(overwrite=False)

    def _ask_overwrite(self, question: str) -> None:
        self.confirm_text.value = error_html(question) if question else ""
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
