"""Scenario bundles: a scheme, its unit data and analysis defaults in one file.

A scenario file (``scenarios/<name>.yaml``) names the scheme and data files (relative to
itself), says which plan it comes from, lists every default it had to choose where the
text is blank or ambiguous, and the levers a designer may move with their ranges. The
notebooks, ``perfsim evaluate``, batches and briefings all start from one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field

from .compile import CompiledScheme, compile_scheme
from .data import UnitData, load_units
from .errors import PerfsimError
from .models import Model
from .scheme import Label, Scheme, load_scheme, read_yaml_model


class Default(Model):
    """A number or rule the source leaves blank or ambiguous, and what this scenario chose."""

    item: str
    choice: str
    reason: str
    source: str | None = None


class Lever(Model):
    """A parameter a designer may move, over ``[low, high]``."""

    parameter: str
    low: float
    high: float
    label: Label | None = None


class SimulationDefaults(Model):
    years: int = Field(10, ge=1, le=100)
    draws: int = Field(200, ge=1, le=100_000)
    seed: int = 0
    capacity_elasticity: float = 0.1


class Analysis(Model):
    levers: list[Lever] = Field(default_factory=list)
    simulation: SimulationDefaults = Field(default_factory=SimulationDefaults)
    focus_unit: str | None = None
    """A unit the briefing traces by default."""


class ScenarioFile(Model):
    perfsim_scenario: Literal[1]
    id: str
    name: Label
    description: str = Field(min_length=1, max_length=200)
    source: str
    scheme: str
    data: str
    defaults: list[Default] = Field(default_factory=list)
    analysis: Analysis = Field(default_factory=Analysis)


@dataclass
class Scenario:
    """A loaded scenario: its file, the validated scheme, compiled scheme and unit data."""

    path: Path
    spec: ScenarioFile
    scheme: Scheme
    compiled: CompiledScheme
    data: UnitData


def is_scenario_file(path: str | Path) -> bool:
    """Whether a YAML file is a scenario bundle (its first key is ``perfsim_scenario``)."""
    p = Path(path)
    if p.suffix.lower() not in (".yaml", ".yml") or not p.is_file():
        return False
    with p.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            stripped = line.strip()
            if stripped and not stripped.startswith("#"):
                return stripped.startswith("perfsim_scenario")
    return False


def read_scenario_file(path: str | Path) -> ScenarioFile:
    """Validate a scenario file without loading its scheme and data."""
    return read_yaml_model(path, ScenarioFile, "perfsim_scenario", "scenario file")  # type: ignore[no-any-return]


def load_scenario(path: str | Path, *, encoding: str = "utf-8") -> Scenario:
    """Load a scenario bundle: scheme, compiled scheme and unit data, with levers checked.

    Raises
    ------
    PerfsimError
        Naming the scenario file and field (or the scheme or data file) and what to do.
    """
    path = Path(path)
    spec = read_scenario_file(path)
    scheme = load_scheme(path.parent / spec.scheme)
    compiled = compile_scheme(scheme)
    data = load_units(path.parent / spec.data, compiled, encoding=encoding)
    for i, lever in enumerate(spec.analysis.levers):
        field = f"analysis.levers[{i}]"
        if lever.parameter not in compiled.parameters:
            from .scheme import _near

            raise PerfsimError(
                f"unknown parameter '{lever.parameter}'",
                file=path,
                field=f"{field}.parameter",
                hint=_near(lever.parameter, compiled.parameters.names()),
            )
        p = compiled.parameters[lever.parameter]
        if not (p.lower <= lever.low <= lever.high <= p.upper):
            raise PerfsimError(
                f"range [{lever.low:g}, {lever.high:g}] is outside [{p.lower:g}, {p.upper:g}] or reversed",
                file=path,
                field=field,
                hint="give low ≤ high within the legal range",
            )
    if spec.analysis.focus_unit is not None and spec.analysis.focus_unit not in data.units:
        raise PerfsimError(
            f"focus unit '{spec.analysis.focus_unit}' is not in the data",
            file=path,
            field="analysis.focus_unit",
            hint="name a unit id from the data file",
        )
    return Scenario(path, spec, scheme, compiled, data)


def find_file(path: str | Path) -> Path:
    """A path as given, else relative to the working folder's parents (notebooks run in ``notebooks/``)."""
    candidate = Path(path)
    if candidate.exists() or candidate.is_absolute():
        return candidate
    for parent in Path.cwd().parents[:3]:
        if (parent / candidate).exists():
            return parent / candidate
    raise PerfsimError(f"cannot find {path}", hint="give a path relative to the repository root or absolute")


def list_scenarios(folder: str | Path) -> list[tuple[Path, ScenarioFile]]:
    """Scenario files directly in ``folder``, sorted by file name."""
    folder = Path(folder)
    if not folder.is_dir():
        raise PerfsimError(
            "no scenarios folder here",
            file=folder,
            hint="run from the repository root or name the folder: perfsim list path/to/scenarios",
        )
    return [(p, read_scenario_file(p)) for p in sorted(folder.glob("*.yaml")) if is_scenario_file(p)]
