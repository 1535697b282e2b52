"""The scheme explorer's model: current parameter values, linked weights, recomputed tables and charts.

Widgets (:mod:`perfsim.widgets`) are a thin view over this class, which holds no widget and is
tested on its own: set a value, read the recomputed table, counts, money and chart spec. A
moved weight rescales its siblings so that the tier keeps its sum.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd
import yaml

from .analysis.metrics import budget_change
from .analysis.weights import tier_of
from .compile import Parameter
from .engine import Evaluation, evaluate
from .errors import ParameterError
from .models import Label
from .outputs import write_text
from .results import results_frame
from .scenario import Scenario
from .scheme import Scheme
from .variant import scheme_with


@dataclass
class View:
    """What the explorer shows after a change."""

    evaluation: Evaluation
    table: pd.DataFrame
    """unit, name, total, grade, baseline grade, changed, and budget change where the scheme has budget rules."""
    counts: pd.DataFrame
    """grade, baseline units, units now."""
    budget_moved: float
    chart: alt.LayerChart | alt.Chart


class Explorer:
    """Sliders' model for one scenario.

    Parameters
    ----------
    scenario
        A loaded scenario (:func:`perfsim.scenario.load_scenario`).
    parameters
        Names of the parameters to expose (default: the scenario's levers, every cut-off, cap,
        quota and budget rate, and every tier's weights).
    """

    def __init__(self, scenario: Scenario, parameters: list[str] | None = None) -> None:
        self.scenario = scenario
        self.compiled = scenario.compiled
        self.data = scenario.data
        space = self.compiled.parameters
        lever_names = [lever.parameter for lever in scenario.spec.analysis.levers]
        default = lever_names + [p.name for p in space if p.kind in ("cutoff", "cap", "quota", "rate")]
        default += [p.name for p in space if p.kind == "points" and tier_of(self.compiled, p.name) is not None]
        self.parameters: list[Parameter] = [space[n] for n in dict.fromkeys(parameters or default)]
        self.ranges = {p.name: self._range(p) for p in self.parameters}
        self.values: dict[str, float] = {p.name: p.nominal for p in self.parameters}
        """Slider values."""
        self.moved: dict[str, float] = {}
        """Every parameter moved from nominal, including rescaled siblings that have no slider."""
        self.baseline = evaluate(self.compiled, self.data, ranks=True)
        self._baseline_money = budget_change(self.baseline)

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

    def set(self, name: str, value: float) -> dict[str, float]:
        """Move one parameter; returns every value that changed (a weight's siblings too).

        Raises
        ------
        ParameterError
            For a parameter the explorer does not expose or a value outside its range.
        """
        if name not in self.values:
            raise ParameterError(
                f"the explorer has no slider for '{name}'",
                field=name,
                hint="pass it in parameters=[...] when creating the explorer",
            )
        low, high = self.ranges[name]
        if not low - 1e-9 <= value <= high + 1e-9:
            raise ParameterError(
                f"{name} = {value:g} is outside [{low:g}, {high:g}]",
                field=name,
                hint="move the slider within its range",
            )
        space = self.compiled.parameters
        tier = tier_of(self.compiled, name) if space[name].kind == "points" else None
        changed = {name: float(value)}
        if tier is not None:  # linked weights: siblings keep their proportions, the tier its sum
            current = {p: self.moved.get(p, n) for p, n in zip(tier.params, tier.nominal)}
            others = tier.total - current[name]
            for p in tier.params:
                if p != name:
                    share = current[p] / others if others > 0 else 1.0 / (len(tier.params) - 1)
                    changed[p] = float((tier.total - value) * share)
        self.moved.update(changed)
        self.values.update({k: v for k, v in changed.items() if k in self.values})
        return changed

    def reset(self) -> None:
        """Back to the scheme as written."""
        self.values = {p.name: p.nominal for p in self.parameters}
        self.moved = {}

    def current(self) -> dict[str, float]:
        """Every parameter value that differs from nominal (including rescaled siblings without a slider)."""
        space = self.compiled.parameters
        return {k: v for k, v in self.moved.items() if not np.isclose(v, space[k].nominal)}

    def view(self) -> View:
        """Recompute through the vectorised engine (one draw) and build the table, counts and chart."""
        ev = evaluate(self.compiled, self.data, self.current(), detail=True)
        grades = [g.zh for g in self.compiled.grades]
        results = results_frame(ev)
        table = results[["unit", "name", "class", "total", "grade"]].copy()
        table.insert(4, "baseline total", self.baseline.total[0])
        table["baseline grade"] = [grades[g] for g in self.baseline.grade[0]]
        table["changed"] = table["grade"] != table["baseline grade"]
        money = budget_change(ev)
        moved = 0.0
        if money is not None and self._baseline_money is not None:
            table["budget change"] = money[0]
            table["vs baseline"] = money[0] - self._baseline_money[0]
            moved = float(np.abs(table["vs baseline"]).sum())
        counts = pd.DataFrame(
            {
                "grade": grades,
                "baseline": [(self.baseline.grade[0] == g).sum() for g in range(len(grades))],
                "now": [(ev.grade[0] == g).sum() for g in range(len(grades))],
            }
        )
        return View(ev, table, counts, moved, self.chart(counts))

    @staticmethod
    def chart(counts: pd.DataFrame) -> alt.Chart:
        long = counts.melt(id_vars="grade", var_name="setting", value_name="units")
        grades = list(counts["grade"])
        return (
            alt.Chart(long, title="Units per grade: baseline and now 基准与调整后")
            .mark_bar()
            .encode(
                x=alt.X("grade:N", sort=grades, title="grade 等次"),
                xOffset=alt.XOffset("setting:N", sort=["baseline", "now"]),
                y=alt.Y("units:Q", title="units 单位数"),
                color=alt.Color("setting:N", scale=alt.Scale(domain=["baseline", "now"], range=["#bbbbbb", "#2b6cb0"])),
                tooltip=["grade", "setting", "units"],
            )
        )

    def scheme(self) -> Scheme:
        """The scheme with the current values written into it (validated)."""
        return scheme_with(self.compiled.scheme, self.current())

    def save(self, folder: str | Path, name: str) -> Path:
        """Write the current settings as a new scheme and scenario file; returns the scenario path.

        The scheme goes to ``<folder>/schemes/<name>.yaml`` and the scenario to
        ``<folder>/<name>.yaml``, which points at the original data.
        """
        folder = Path(folder)
        if not name.replace("-", "").replace("_", "").isalnum():
            raise ParameterError(
                f"'{name}' is not a file-name-safe scenario name", field="name", hint="use letters, digits, - and _"
            )
        scheme = self.scheme()
        (folder / "schemes").mkdir(parents=True, exist_ok=True)
        scheme_path = folder / "schemes" / f"{name}.yaml"
        scheme_data = scheme.model_dump(mode="json", exclude_none=True)
        scheme_data["id"] = name
        header = f"# Saved from the scheme explorer: {self.scenario.spec.id} with {self.current()}\n"
        _write_yaml(scheme_path, scheme_data, header)
        spec = self.scenario.spec.model_dump(mode="json", exclude_none=True)
        data_path = (self.scenario.path.parent / self.scenario.spec.data).resolve()
        spec.update(
            id=name,
            scheme=f"schemes/{name}.yaml",
            data=_relative(data_path, folder.resolve()),
            description=_variant_description(self.scenario.spec.description),
        )
        spec["defaults"] = [
            *spec.get("defaults", []),
            {"item": "explorer settings", "choice": str(self.current()), "reason": "saved from the scheme explorer"},
        ]
        scenario_path = folder / f"{name}.yaml"
        _write_yaml(scenario_path, spec, "")
        return scenario_path


def _relative(target: Path, start: Path) -> str:
    import os

    return os.path.relpath(target, start)


def _write_yaml(path: Path, data: dict, header: str) -> None:
    write_text(path, header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100))


def _variant_description(text: Label | str) -> dict[str, str] | str:
    if isinstance(text, Label):
        return {"zh": f"{text.zh[:120]}（探索器调整方案）", "en": f"{text.en[:120]} (explorer variant)"}
    return f"{text[:120]} (explorer variant)"
