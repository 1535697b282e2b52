"""The scheme explorer's model: lever values, linked weights, guardrails, recomputed results, saving.

Widgets (:mod:`perfsim.widgets`) are a thin view over :class:`Explorer`, which holds no widget
and is tested on its own: set a value, read the recomputed counts, cost lines, changed units
and chart spec. A moved weight rescales its siblings so that the tier keeps its sum; a cut-off
cannot cross its neighbours; every combination is checked as a whole scheme before it is
shown, so no unit is ever graded under settings that could not be saved.

Everything a person reads is in one language (``zh`` or ``en``, :attr:`Explorer.lang`): lever
names and units come from :func:`perfsim.labels.parameter_words`, the cost line from
:func:`perfsim.briefing.cost_against` (the briefing notes' own figures), the words of notes from
:data:`perfsim.note_words.TEXT`; parameter ids stay in tooltips and files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
from pydantic import TypeAdapter, ValidationError

from .analysis.compare import compare
from .analysis.weights import Tier, tier_of, tiers
from .briefing import cost_against
from .charts import grade_counts_chart
from .compile import Parameter, compile_scheme
from .engine import Evaluation, evaluate
from .errors import ParameterError, PerfsimError
from .labels import check_lang, grade_names, parameter_words, pick, wan
from .models import Label
from .note_words import TEXT
from .outputs import check_output_folder, write_text, yaml_number, yaml_text
from .results import explain
from .scenario import Scenario, ScenarioFile, is_scenario_file, read_scenario_file
from .scheme import Id, Scheme
from .variant import parameter_decimals, scheme_with

SAVED_MARK = "# Saved from the perfsim scheme explorer"
"""First line of every scenario and scheme file the explorer writes: only such files may be overwritten."""

TABLE_LIMIT = 200
"""Changed units listed at most (the rest are counted): a browser table of thousands of rows is slow to redraw."""

WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "cutoffs": "等次分数线",
        "caps": "加扣分上限",
        "quotas": "等次比例",
        "rates": "下年预算调整",
        "shares": "考核期占比",
        "others": "其他参数",
        "sum": "合计 {}",
        "linked": "联动",
        "linked_tip": "联动：调整一项，同组其余各项按比例调整，合计保持 {}",
        "ordered": "保持高低顺序",
        "ordered_tip": "分数线须由高到低排列：上一等次的分数线高于下一等次",
        "cutoff_above": "{this}须低于{other}（{value}）",
        "cutoff_below": "{this}须高于{other}（{value}）",
        "outside": "{name}须在 {low} 至 {high} 之间",
        "invalid": "这组取值不构成有效方案：{}",
        "no_slider": "探索器没有参数“{}”",
        "bad_name": "方案名称只能由字母、数字、汉字、- 和 _ 组成，最长 64 个字符",
        "empty_name": "请填写方案名称",
        "taken": "已有名为“{}”的方案。",
        "not_ours": "“{}”不是探索器保存的方案，不能覆盖；请换一个名称",
        "is_open": "“{}”是当前打开的方案所用的文件，不能覆盖；请换一个名称",
        "variant_name": "{}（{}）",
        "variant_description": "{}；探索器调整：{}",
        "as_written_note": "按方案原文",
        "was": "{}（原为 {}）",
        "reason": "在方案探索器中调整",
        "total_change": "总分",
        "grade_change": "等次",
        "none_changed": "没有单位的等次或资金发生变化。",
        "not_reproduced": "未保存：写成方案文件后有 {} 个单位的结果与当前显示不同",
    },
    "en": {
        "cutoffs": "Grade cut-offs",
        "caps": "Caps on bonuses and deductions",
        "quotas": "Grade shares",
        "rates": "Next year's budget changes",
        "shares": "Period shares",
        "others": "Other parameters",
        "sum": "sum {}",
        "linked": "linked",
        "linked_tip": "linked: moving one rescales the others in proportion, so the sum stays {}",
        "ordered": "kept in order",
        "ordered_tip": "cut-offs fall from the best grade to the worst: each above the next",
        "cutoff_above": "the {this} must stay below the {other} ({value})",
        "cutoff_below": "the {this} must stay above the {other} ({value})",
        "outside": "{name} must lie between {low} and {high}",
        "invalid": "these settings do not make a valid scheme: {}",
        "no_slider": "the explorer has no lever '{}'",
        "bad_name": "a scenario name holds letters, digits, Chinese characters, - and _ only, at most 64",
        "empty_name": "give the scenario a name",
        "taken": "A scenario named “{}” exists.",
        "not_ours": "“{}” was not saved by the explorer and cannot be overwritten; choose another name",
        "is_open": "“{}” holds a file the open scenario uses and cannot be overwritten; choose another name",
        "variant_name": "{} ({})",
        "variant_description": "{}; changed in the explorer: {}",
        "as_written_note": "as written",
        "was": "{} (was {})",
        "reason": "changed in the scheme explorer",
        "total_change": "Total",
        "grade_change": "Grade",
        "none_changed": "No unit changes grade or money.",
        "not_reproduced": "not saved: written as a scheme file, {} units would come out differently from what is shown",
    },
}
"""The explorer's own words; those it shares with briefing notes come from :data:`perfsim.note_words.TEXT`."""


class NameTaken(ParameterError):
    """A save under a name that exists: the caller asks before saving again with ``overwrite=True``."""


@dataclass(frozen=True)
class Lever:
    """One slider as a person reads it, in the explorer's language."""

    name: str
    """The parameter id (for tooltips and files)."""
    label: str
    unit: str
    low: float
    high: float
    step: float
    scale: float
    """Shown value = stored value × scale (quotas are stored as shares and shown in %)."""
    decimals: int
    """Shown decimals (of the shown value)."""
    linked: bool


@dataclass(frozen=True)
class LeverGroup:
    """Levers shown together: one tier of sibling weights, or one kind of parameter."""

    key: str
    title: str
    note: str
    """The tier's sum (``合计 100 分``), or what keeps the group consistent."""
    tip: str
    linked: bool
    levers: list[Lever]
    featured: bool
    """Holds one of the scenario's levers (shown open)."""


@dataclass
class View:
    """What the explorer shows after a change, in the explorer's language."""

    evaluation: Evaluation
    table: pd.DataFrame
    """Every unit: unit, name, class, baseline total, total, baseline grade, grade (Chinese names, as in
    :func:`perfsim.results_frame`), changed, and budget and pay differences in yuan where the scheme has them."""
    counts: pd.DataFrame
    """grade (in the explorer's language), baseline, now, change."""
    cost_lines: list[dict[str, Any]]
    """The briefing notes' cost lines (:func:`perfsim.briefing.cost_against`): label, value, share, fen."""
    moves: str
    """How many units move up and down a grade, in words."""
    changed: pd.DataFrame
    """Units whose grade or money changed, as text with headers in the explorer's language (at most
    :data:`TABLE_LIMIT` rows); column ``unit id`` holds the ids (not shown)."""
    more: int
    """Changed units not listed in ``changed``."""
    numeric: list[str] = field(default_factory=list)
    """Columns of ``changed`` to right-align."""
    chart_spec: dict[str, Any] = field(default_factory=dict)
    """Vega-Lite spec: units per grade, baseline and now (the notes' chart)."""

    @property
    def chart(self) -> alt.TopLevelMixin:
        """:attr:`chart_spec` as an Altair chart (for :func:`perfsim.charts.show` and ``to_svg``)."""
        kind = alt.LayerChart if "layer" in self.chart_spec else alt.Chart
        return kind.from_dict(self.chart_spec, validate=False)


class Explorer:
    """The sliders' model for one scenario.

    Parameters
    ----------
    scenario
        A loaded scenario (:func:`perfsim.scenario.load_scenario`).
    parameters
        Names of the parameters to expose (default: the scenario's levers, every cut-off, cap,
        quota and budget rate, and every tier's weights).
    lang
        ``zh`` or ``en``: the language of lever names, messages, tables and chart.
    """

    def __init__(self, scenario: Scenario, parameters: list[str] | None = None, lang: str = "zh") -> None:
        self.scenario = scenario
        self.compiled = scenario.compiled
        self.data = scenario.data
        self.lang = check_lang(lang)
        space = self.compiled.parameters
        self.lever_names = [lever.parameter for lever in scenario.spec.analysis.levers]
        default = self.lever_names + [p.name for p in space if p.kind in ("cutoff", "cap", "quota", "rate")]
        default += [p.name for p in space if p.kind == "points" and tier_of(self.compiled, p.name) is not None]
        self.parameters: list[Parameter] = [space[n] for n in dict.fromkeys(parameters or default)]
        self.ranges = {p.name: self._range(p) for p in self.parameters}
        self.values: dict[str, float] = {p.name: p.nominal for p in self.parameters}
        """Slider values."""
        self.moved: dict[str, float] = {}
        """Every parameter moved from nominal, including rescaled siblings that have no slider."""
        self._tiers = {p: t for t in tiers(self.compiled) for p in t.params}
        self.baseline = evaluate(self.compiled, self.data, ranks=True)
        self._chart_templates: dict[str, dict[str, Any]] = {}

    # ---------------------------------------------------------------- levers

    def _range(self, p: Parameter) -> tuple[float, float]:
        for lever in self.scenario.spec.analysis.levers:
            if lever.parameter == p.name:
                return lever.low, lever.high
        if p.kind == "points":
            tier = tier_of(self.compiled, p.name)
            return 0.0, tier.total if tier is not None else p.nominal * 2
        if p.kind == "cutoff":
            return max(p.lower, p.nominal - 15), min(p.upper, p.nominal + 15)
        if p.kind == "cap":
            return 0.0, max(p.nominal * 3, 1.0)
        if p.kind == "quota":
            return 0.0, 1.0
        if p.kind == "rate":
            return -100.0, max(50.0, p.nominal)
        return p.lower, p.upper

    def decimals(self, name: str) -> int:
        """The scheme's precision for a parameter (:func:`perfsim.variant.parameter_decimals`)."""
        return parameter_decimals(self.compiled, name)

    def lever(self, name: str) -> Lever:
        """How the slider for ``name`` reads, in the explorer's language."""
        words = parameter_words(self.compiled, name, self.lang)
        low, high = self.ranges[name]
        shown = max(self.decimals(name) - (2 if words.scale == 100 else 0), 0)
        label = words.name
        tier = self._tiers.get(name)
        if tier is not None:  # the group's title names the class and parent; the lever its indicator
            label = label.removeprefix(self._class_prefix(tier))
        return Lever(
            name=name,
            label=label,
            unit=words.unit,
            low=low * words.scale,
            high=high * words.scale,
            step=10.0**-shown,
            scale=words.scale,
            decimals=shown,
            linked=tier is not None,
        )

    def _class_prefix(self, tier: Tier) -> str:
        if not self.compiled.multi_class:
            return ""
        cc = next(c for c in self.compiled.classes if c.id == tier.class_id)
        return f"{pick(cc.label, self.lang)} · "

    def _points(self, tier: Tier) -> str:
        return parameter_words(self.compiled, tier.params[0], self.lang).value(tier.total)

    def groups(self) -> list[LeverGroup]:
        """The levers grouped for the left panel: cut-offs, each tier of weights, caps, quotas, rates, shares.

        A tier's group is titled by its class and parent indicator and shows the tier's sum; its
        levers are linked. Groups holding one of the scenario's levers come first and are marked
        ``featured``.
        """
        w = WORDS[self.lang]
        featured = set(self.lever_names)
        by_key: dict[str, list[str]] = {}
        titles: dict[str, tuple[str, str, str, bool]] = {}
        kinds = {
            "cutoff": ("cutoffs", w["ordered"], w["ordered_tip"]),
            "cap": ("caps", "", ""),
            "quota": ("quotas", "", ""),
            "rate": ("rates", "", ""),
            "share": ("shares", "", ""),
        }
        for p in self.parameters:
            tier = self._tiers.get(p.name) if p.kind == "points" else None
            if tier is not None:
                key = f"tier:{tier.class_id}/{tier.parent}"
                if key not in titles:
                    cc = next(c for c in self.compiled.classes if c.id == tier.class_id)
                    parent = TEXT[self.lang]["total"] if tier.parent == "(total)" else None
                    if parent is None:
                        parent = pick(cc.labels[cc.ids.index(tier.parent)], self.lang)
                    total = self._points(tier)
                    title = f"{self._class_prefix(tier)}{parent}"
                    titles[key] = (title, w["sum"].format(total), w["linked_tip"].format(total), True)
            else:
                name, note, tip = kinds.get(p.kind, ("others", "", ""))
                key = name
                titles.setdefault(key, (w[name], note, tip, False))
            by_key.setdefault(key, []).append(p.name)
        space = self.compiled.parameters.names()
        for key, names in by_key.items():  # a tier's weights and the cut-offs in the scheme's order, best grade first
            if key.startswith("tier:") or key == "cutoffs":
                names.sort(key=space.index)
        groups = [
            LeverGroup(
                key=key,
                title=titles[key][0],
                note=titles[key][1],
                tip=titles[key][2],
                linked=titles[key][3],
                levers=[self.lever(n) for n in names],
                featured=bool(featured & set(names)),
            )
            for key, names in by_key.items()
        ]
        order = {"cutoffs": 0}
        return sorted(groups, key=lambda g: (order.get(g.key, 1), not g.featured))

    # ---------------------------------------------------------------- moving levers

    def _now(self, name: str) -> float:
        return self.moved.get(name, self.compiled.parameters[name].nominal)

    def set(self, name: str, value: float) -> dict[str, float]:
        """Move one parameter; returns every value that changed (a weight's siblings too).

        The value is rounded to the scheme's precision (:meth:`decimals`), so what is shown is
        exactly what a save writes. Nothing changes unless the whole combination is valid.

        Raises
        ------
        ParameterError
            For a parameter the explorer does not expose, a value outside its range, a cut-off
            that would cross its neighbour, or settings that do not make a valid scheme; the
            message is in the explorer's language.
        """
        w = WORDS[self.lang]
        if name not in self.values:
            raise ParameterError(w["no_slider"].format(name), field=name)
        words = parameter_words(self.compiled, name, self.lang)
        value = round(float(value), self.decimals(name))
        low, high = self.ranges[name]
        if not low - 1e-9 <= value <= high + 1e-9:
            raise ParameterError(
                w["outside"].format(name=words.name, low=words.value(low), high=words.value(high)), field=name
            )
        changed = {name: value}
        tier = self._tiers.get(name) if self.compiled.parameters[name].kind == "points" else None
        if tier is not None:
            changed.update(self._siblings(tier, name, value))
        if self.compiled.parameters[name].kind == "cutoff":
            self._check_order(name, value)
        candidate = {**self.moved, **changed}
        try:
            scheme_with(self.compiled.scheme, self._differing(candidate))
        except PerfsimError as exc:
            raise ParameterError(w["invalid"].format(exc.message), field=name, hint=exc.hint) from None
        self.moved = candidate
        self.values.update({k: v for k, v in changed.items() if k in self.values})
        return changed

    def _siblings(self, tier: Tier, name: str, value: float) -> dict[str, float]:
        """Siblings keep their proportions and the tier its sum, each rounded; the largest takes the remainder."""
        d = self.decimals(name)
        current = {p: self._now(p) for p in tier.params}
        others = [p for p in tier.params if p != name]
        rest = tier.total - value
        held = sum(current[p] for p in others)
        exact = {p: rest * (current[p] / held if held > 0 else 1.0 / len(others)) for p in others}
        largest = max(others, key=lambda p: exact[p])
        out = {p: round(exact[p], d) for p in others if p != largest}
        out[largest] = max(round(rest - sum(out.values()), d), 0.0)
        return out

    def _check_order(self, name: str, value: float) -> None:
        """A cut-off stays below the better grade's and above the worse grade's."""
        w = WORDS[self.lang]
        cutoffs = [f"cutoff:{g.zh}" for g in self.compiled.grades if f"cutoff:{g.zh}" in self.compiled.parameters]
        i = cutoffs.index(name)
        words = parameter_words(self.compiled, name, self.lang)
        for j, key in ((i - 1, "cutoff_above"), (i + 1, "cutoff_below")):
            if not 0 <= j < len(cutoffs):
                continue
            other = self._now(cutoffs[j])
            if (value >= other) if j < i else (value <= other):
                neighbour = parameter_words(self.compiled, cutoffs[j], self.lang)
                raise ParameterError(
                    w[key].format(this=words.name, other=neighbour.name, value=neighbour.value(other)), field=name
                )

    def reach(self, targets: list[str], levers: list[str]) -> Any:
        """Solve for targets from the scheme as written (:func:`perfsim.analysis.reach`); move there if reached.

        Every lever goes to the solution (the others back to the scheme as written) only when every
        target is met; otherwise nothing moves and the answer says which targets conflict.

        Returns
        -------
        perfsim.analysis.Reach
        """
        from .analysis.reach import reach

        result = reach(self.compiled, self.data, targets, levers)
        if result.feasible:
            solution = dict(result.changes)
            scheme_with(self.compiled.scheme, solution)  # a solution the scheme cannot hold fails here
            self.moved = solution
            self.values = {p.name: solution.get(p.name, p.nominal) for p in self.parameters}
        return result

    def reset(self) -> None:
        """Back to the scheme as written."""
        self.values = {p.name: p.nominal for p in self.parameters}
        self.moved = {}

    def _differing(self, values: dict[str, float]) -> dict[str, float]:
        space = self.compiled.parameters
        return {k: v for k, v in values.items() if not np.isclose(v, space[k].nominal, rtol=0, atol=1e-12)}

    def current(self) -> dict[str, float]:
        """Every parameter value that differs from nominal (including rescaled siblings without a slider)."""
        return self._differing(self.moved)

    # ---------------------------------------------------------------- results

    def view(self) -> View:
        """Recompute through the vectorised engine (one draw): counts, cost lines, changed units, chart."""
        lang, t = self.lang, TEXT[self.lang]
        ev = evaluate(self.compiled, self.data, self.current(), ranks=True)
        comparison = compare(self.baseline, ev)
        grades = grade_names(self.compiled, lang)
        units = comparison.units
        table = pd.DataFrame(
            {
                "unit": units["unit"],
                "name": self.data.names,
                "class": [self.compiled.classes[c].id for c in self.data.class_index],
                "baseline total": units["baseline total"],
                "total": units["reform total"],
                "baseline grade": units["baseline grade"],
                "grade": units["reform grade"],
            }
        )
        moved = table["grade"] != table["baseline grade"]
        for column in ("budget difference", "pay difference"):
            if column in units:
                table[column] = units[column].to_numpy()
                moved |= np.round(table[column].to_numpy(), 2) != 0
        table["changed"] = moved
        n = len(grades)
        before = np.bincount(self.baseline.grade[0], minlength=n)[:n]
        now = np.bincount(ev.grade[0], minlength=n)[:n]
        counts = pd.DataFrame({"grade": grades, "baseline": before, "now": now, "change": now - before})
        lines, _ = cost_against(comparison, ev, lang, t, grades)
        s = comparison.summary
        moves = t["up_down"].format(int(s["up"]), int(s["down"]), int(s["units"] - s["up"] - s["down"]))
        changed, numeric, more = self._changed_table(table)
        return View(ev, table, counts, lines, moves, changed, more, numeric, self.chart_spec(counts))

    def _changed_table(self, table: pd.DataFrame) -> tuple[pd.DataFrame, list[str], int]:
        lang, t = self.lang, TEXT[self.lang]
        zh_to_lang = dict(zip((g.zh for g in self.compiled.grades), grade_names(self.compiled, lang)))
        rows = table[table["changed"]]
        rows = rows.assign(_up=rows["total"] - rows["baseline total"]).sort_values("_up", ascending=False)
        shown = rows.head(TABLE_LIMIT)
        d = self.compiled.scheme.rounding.total
        d = 2 if d is None else d
        frame = pd.DataFrame(
            {
                "unit id": shown["unit"],
                t["unit"]: shown["unit"],
                t["name"]: shown["name"],
                t["total"]: [
                    f"{a:,.{d}f} → {b:,.{d}f}" if f"{a:.{d}f}" != f"{b:.{d}f}" else f"{b:,.{d}f}"
                    for a, b in zip(shown["baseline total"], shown["total"])
                ],
                t["grade"]: [
                    f"{zh_to_lang[a]} → {zh_to_lang[b]}" if a != b else zh_to_lang[a]
                    for a, b in zip(shown["baseline grade"], shown["grade"])
                ],
            }
        )
        numeric = [t["total"]]
        for key, column in (("budget_diff", "budget difference"), ("pay_diff", "pay difference")):
            if column in table and np.any(np.round(table[column].to_numpy(), 2) != 0):
                frame[t[key]] = [wan(x, signed=True) for x in shown[column]]
                numeric.append(t[key])
        return frame.reset_index(drop=True), numeric, len(rows) - len(shown)

    def chart_spec(self, counts: pd.DataFrame) -> dict[str, Any]:
        """The notes' grade chart (baseline pale, now in full colour) as a Vega-Lite spec.

        The spec is built once per language; a change only swaps its data, so a redraw costs
        no chart validation.
        """
        t = TEXT[self.lang]
        template = self._chart_templates.get(self.lang)
        grades = list(counts["grade"])
        if template is None:
            empty = pd.DataFrame({"grade": grades, "scheme": t["baseline"], "units": 0})
            chart = grade_counts_chart(
                pd.concat([empty, empty.assign(scheme=t["variant"])]),
                grades,
                title=t["distribution"],
                axis=(t["chart_axis_grade"], t["chart_axis_units"]),
            )
            template = chart.properties(width=440, height=190).to_dict()
            self._chart_templates[self.lang] = template
        spec = dict(template)
        rows = [{"grade": g, "scheme": t["baseline"], "units": int(b)} for g, b in zip(grades, counts["baseline"])]
        rows += [{"grade": g, "scheme": t["variant"], "units": int(n)} for g, n in zip(grades, counts["now"])]
        spec["datasets"] = {template["data"]["name"]: rows}
        return spec

    def trace(self, unit: str) -> str:
        """How ``unit`` got its result under the current settings (:func:`perfsim.results.explain`)."""
        self.data.unit_position(unit)
        ev = evaluate(self.compiled, self.data, self.current(), detail=True, ranks=True)
        return str(explain(ev, unit, lang=self.lang))

    # ---------------------------------------------------------------- saving

    def scheme(self) -> Scheme:
        """The scheme with the current values written into it (validated)."""
        return scheme_with(self.compiled.scheme, self.current())

    def check_name(self, name: str) -> str:
        """A scenario name the explorer can save under (a scenario id); the reason in words if not.

        Raises
        ------
        ParameterError
            For an empty name or one that is not a plain scenario id.
        """
        w = WORDS[self.lang]
        name = name.strip()
        if not name:
            raise ParameterError(w["empty_name"], field="name")
        try:
            TypeAdapter(Id).validate_python(name)
        except ValidationError:
            raise ParameterError(w["bad_name"], field="name") from None
        return name

    def save(
        self,
        folder: str | Path,
        name: str,
        description: dict[str, str] | None = None,
        *,
        overwrite: bool = False,
    ) -> Path:
        """Write the current settings as a new scheme and scenario file; returns the scenario path.

        The scheme goes to ``<folder>/schemes/<name>.yaml`` and the scenario to
        ``<folder>/<name>.yaml``, which points at the original data. The scenario lists each
        changed parameter as a structured entry of ``defaults`` (its name and value in words in
        both languages, its id and value as ``source``), values rounded to the scheme's precision.

        Parameters
        ----------
        folder
            Where saved scenarios go.
        name
            The scenario's id and file name.
        description
            ``{"zh": ..., "en": ...}``; a missing or empty language is described from the changes.
        overwrite
            Replace a scenario the explorer saved before under this name.

        Raises
        ------
        NameTaken
            When ``<name>.yaml`` exists and ``overwrite`` is not set.
        ParameterError
            For a bad name, or a file that may not be replaced (not saved by the explorer, or
            used by the open scenario).
        PerfsimError
            When the folder cannot be written.
        """
        w = WORDS[self.lang]
        name = self.check_name(name)
        folder = check_output_folder(folder)
        scenario_path = folder / f"{name}.yaml"
        scheme_path = folder / "schemes" / f"{name}.yaml"
        in_use = {self.scenario.path, self.scenario.path.parent / self.scenario.spec.scheme}
        for path in (scenario_path, scheme_path):
            if not path.exists():
                continue
            if any(_same_file(path, used) for used in in_use):
                raise ParameterError(w["is_open"].format(name), field="name")
            if not _saved_by_explorer(path):
                raise ParameterError(w["not_ours"].format(name), field="name")
            if not overwrite:
                raise NameTaken(w["taken"].format(name), field="name")
        scheme = self.scheme()
        changes = self.current()
        self._check_reproduced(scheme)
        scheme_data = scheme.model_dump(mode="json", exclude_unset=True)  # an explicit null (no clamp max) stays
        scheme_data["id"] = name
        header = f"{SAVED_MARK}: {self.scenario.spec.id} with {len(changes)} changed parameters\n"
        spec = self._scenario_spec(name, folder, description, changes)
        _replace(scheme_path, header + yaml_text(scheme_data))
        _replace(scenario_path, header + yaml_text(spec))
        return scenario_path

    def _check_reproduced(self, scheme: Scheme) -> None:
        """The scheme about to be saved must give exactly what the explorer shows, or nothing is written."""
        shown = evaluate(self.compiled, self.data, self.current())
        saved = evaluate(compile_scheme(scheme), self.data)
        if not (np.array_equal(saved.total, shown.total) and np.array_equal(saved.grade, shown.grade)):
            differ = int(np.sum((saved.total != shown.total) | (saved.grade != shown.grade)))
            raise PerfsimError(
                WORDS[self.lang]["not_reproduced"].format(differ),
                field="name",
                hint="report this as a bug in perfsim.variant.scheme_with",
            )

    def _scenario_spec(
        self, name: str, folder: Path, description: dict[str, str] | None, changes: dict[str, float]
    ) -> dict[str, Any]:
        spec = self.scenario.spec.model_dump(mode="json", exclude_none=True)
        data_path = (self.scenario.path.parent / self.scenario.spec.data).resolve()
        words = {lang: [self._change_words(p, v, lang) for p, v in changes.items()] for lang in ("zh", "en")}
        base = self.scenario.spec
        said = {lang: (description or {}).get(lang, "").strip() for lang in ("zh", "en")}
        for lang in ("zh", "en"):
            if not said[lang]:
                listed = "；".join(words[lang]) if lang == "zh" else "; ".join(words[lang])
                listed = listed or WORDS[lang]["as_written_note"]
                said[lang] = WORDS[lang]["variant_description"].format(_text(base.description, lang)[:120], listed)
        entries = []
        for p, v in changes.items():
            item = {lang: parameter_words(self.compiled, p, lang).name for lang in ("zh", "en")}
            choice = {
                lang: WORDS[lang]["was"].format(
                    parameter_words(self.compiled, p, lang).value(v),
                    parameter_words(self.compiled, p, lang).value(self.compiled.parameters[p].nominal),
                )
                for lang in ("zh", "en")
            }
            reason = {lang: WORDS[lang]["reason"] for lang in ("zh", "en")}
            entries.append({"item": item, "choice": choice, "reason": reason, "source": f"{p}={yaml_number(v)}"})
        spec.update(
            id=name,
            name={lang: WORDS[lang]["variant_name"].format(pick(base.name, lang), name) for lang in ("zh", "en")},
            description=said,
            scheme=f"schemes/{name}.yaml",
            data=os.path.relpath(data_path, folder.resolve()),
            defaults=[*spec.get("defaults", []), *entries],
        )
        ScenarioFile.model_validate(spec)  # what load_scenario will read
        return spec

    def _change_words(self, name: str, value: float, lang: str) -> str:
        return parameter_words(self.compiled, name, lang).change(self.compiled.parameters[name].nominal, value)


# ---------------------------------------------------------------- scenario catalogue


def catalogue(
    folders: list[Path], saved: Path | None = None
) -> tuple[list[tuple[Path, ScenarioFile, bool]], list[PerfsimError]]:
    """Scenario files in ``folders`` and ``saved`` (marked ``True``), each listed once, bundled first.

    A folder that does not exist (yet) lists nothing; a file that does not read is left out and its
    error returned, so one broken file does not hide the others. Files are read once per version
    (path, modification time and size), so rebuilding the list after a save or a language switch
    reads only what changed.

    Returns
    -------
    tuple
        ``(path, scenario file, saved)`` entries, and the errors of files left out.
    """
    seen: set[Path] = set()
    out: list[tuple[Path, ScenarioFile, bool]] = []
    problems: list[PerfsimError] = []
    for folder, in_saved in [*((f, False) for f in folders), *([(saved, True)] if saved is not None else [])]:
        if folder is None or not Path(folder).is_dir():
            continue
        for path in sorted(Path(folder).glob("*.yaml")):
            key = path.resolve()
            if key in seen or not path.is_file():
                continue
            seen.add(key)
            try:
                spec = _read_spec(path)
            except PerfsimError as exc:
                problems.append(exc)
                continue
            if spec is not None:
                out.append((path, spec, in_saved or _saved_by_explorer(path)))
    return out, problems


_specs: dict[tuple[Path, int, int], ScenarioFile | None] = {}


def _read_spec(path: Path) -> ScenarioFile | None:
    stat = path.stat()
    key = (path.resolve(), stat.st_mtime_ns, stat.st_size)
    if key not in _specs:
        _specs[key] = read_scenario_file(path) if is_scenario_file(path) else None
    return _specs[key]


# ---------------------------------------------------------------- files


def _text(text: Label | str, lang: str) -> str:
    return pick(text, lang) if isinstance(text, Label) else text


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve().samefile(b.resolve())
    except OSError:
        return False


def _saved_by_explorer(path: Path) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.readline().startswith(SAVED_MARK)
    except OSError:
        return False


def _replace(path: Path, text: str) -> None:
    """Write ``text`` atomically, replacing a file the explorer saved before.

    A saved scenario listed or opened in this process counts as an input, which the output layer
    never writes over; :meth:`Explorer.save` has checked that this file is one the explorer wrote
    and that the user asked to replace it, so the new text is written beside it and renamed over it.
    """
    if not path.exists():
        write_text(path, text)
        return
    staged = write_text(path.with_name(f".{path.stem}.replacing{path.suffix}"), text)
    os.replace(staged, path)
