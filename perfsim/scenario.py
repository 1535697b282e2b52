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

from pydantic import Field, model_validator

from .compile import CompiledScheme, compile_scheme
from .data import UnitData, load_units
from .errors import PerfsimError, near
from .inputs import check_file, read_head
from .models import Model
from .scenario_files import bundled_scenarios_folder as bundled_scenarios_folder
from .scenario_files import find_file as find_file
from .scenario_files import init_scenario as init_scenario
from .scenario_files import resolve_scenario
from .scheme import Id, Label, Scheme, load_scheme, read_yaml_model, read_yaml_model_doc

Text = Label | str
"""A text a note or listing shows: ``{zh, en}``, or one plain string (a note in the other language
then leaves it out and says so)."""


class Default(Model):
    """A number or rule the source leaves blank or ambiguous, and what this scenario chose.

    ``uses`` names the entry of the national defaults table (:mod:`perfsim.national`) the choice
    follows; ``departs_from`` the entry it departs from, its reason saying why.
    """

    item: Text
    choice: Text
    reason: Text
    source: str | None = None
    uses: str | None = None
    departs_from: str | None = None

    @model_validator(mode="after")
    def _national(self) -> Default:
        from .national import TABLE

        for name in (self.uses, self.departs_from):
            if name is not None and name not in TABLE:
                raise ValueError(f"no national default '{name}' (known: {', '.join(TABLE)})")
        if self.uses is not None and self.departs_from is not None:
            raise ValueError("a default uses a national entry or departs from it, not both")
        return self


class Lever(Model):
    """A parameter a designer may move, over ``[low, high]``."""

    parameter: str
    low: float = Field(allow_inf_nan=False)
    high: float = Field(allow_inf_nan=False)
    label: Label | None = None


class SimulationDefaults(Model):
    years: int = Field(10, ge=1, le=100)
    draws: int = Field(200, ge=1, le=100_000)
    seed: int = Field(0, ge=0)
    capacity_elasticity: float = Field(0.1, ge=0, allow_inf_nan=False)


class Analysis(Model):
    levers: list[Lever] = Field(default_factory=list)
    simulation: SimulationDefaults = Field(default_factory=SimulationDefaults)
    focus_unit: str | None = None
    """A unit the briefing traces by default."""


class ScenarioFile(Model):
    perfsim_scenario: Literal[1]
    id: Id
    """Names the scenario's outputs (briefing notes, batches), so it is a plain name, not a path."""
    name: Label
    description: Text
    source: Text
    """The plan and its lines, in words a reader can look up (a note's provenance line)."""
    scheme: str = Field(min_length=1)
    """The scheme file, relative to the scenario file."""
    data: str = Field(min_length=1)
    """The unit data file, relative to the scenario file."""
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


SNIFF_BYTES = 64 * 1024
"""How much of a YAML file :func:`is_scenario_file` reads to find its first key."""


def is_scenario_file(path: str | Path) -> bool:
    """Whether a file is a scenario bundle: a YAML file whose first key is ``perfsim_scenario``.

    Parameters
    ----------
    path
        A scenario, scheme or data file as given on the command line.

    Returns
    -------
    bool
        False for any other file, including an empty or undecodable one (the loader that
        reads it next says what is wrong with it).

    Raises
    ------
    PerfsimError
        When the path does not exist or is not a regular file (a folder, FIFO, device), so
        that a typo is reported as such and not as a file of the wrong kind.
    """
    p = Path(path)
    what = "scheme or scenario file"
    if p.suffix.lower() not in (".yaml", ".yml"):
        check_file(p, what=what)
        return False
    head = read_head(p, size=SNIFF_BYTES, what=what).decode("utf-8-sig", errors="replace")
    for line in head.replace("\r", "\n").splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith(("#", "---", "%")):
            return stripped.startswith("perfsim_scenario")
    return False


def read_scenario_file(path: str | Path) -> ScenarioFile:
    """Validate a scenario file without loading its scheme and data."""
    return read_yaml_model(path, ScenarioFile, "perfsim_scenario", "scenario file")  # type: ignore[no-any-return]


def load_scenario(path: str | Path, *, encoding: str = "utf-8") -> Scenario:
    """Load a scenario bundle: scheme, compiled scheme and unit data, with levers checked.

    Parameters
    ----------
    path
        A scenario file, or the name of a bundled scenario (``"qitai-county"``; see
        :func:`resolve_scenario`).
    encoding
        Text encoding of a CSV data file.

    Returns
    -------
    Scenario
        The file, its validated spec, scheme, compiled scheme and unit data.

    Raises
    ------
    PerfsimError
        Naming the scenario file and field (or the scheme or data file) and what to do.
    """
    path = resolve_scenario(path)
    spec, doc = read_yaml_model_doc(path, ScenarioFile, "perfsim_scenario", "scenario file")
    try:
        scheme = load_scheme(path.parent / spec.scheme)
    except PerfsimError as exc:
        raise named_by(exc, path, "scheme", doc.line_of(("scheme",))) from None
    compiled = compile_scheme(scheme)
    try:
        data = load_units(path.parent / spec.data, compiled, encoding=encoding)
    except PerfsimError as exc:
        raise named_by(exc, path, "data", doc.line_of(("data",))) from None
    for i, lever in enumerate(spec.analysis.levers):
        field = f"analysis.levers[{i}]"
        if lever.parameter not in compiled.parameters:
            raise PerfsimError(
                f"unknown parameter '{lever.parameter}'",
                file=path,
                field=f"{field}.parameter",
                hint=near(lever.parameter, compiled.parameters.names()),
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


def named_by(exc: PerfsimError, referrer: Path, field: str, line: int | None) -> PerfsimError:
    """Say which file named the file an error is about (the file may be shared, or a typo).

    Parameters
    ----------
    exc
        The error about the named file.
    referrer
        The file that named it (a scenario naming its scheme, a sweep naming its base).
    field
        The key that names it (``scheme``, ``data``, ``base``).
    line
        The key's line in ``referrer``, if known.

    Returns
    -------
    PerfsimError
        ``exc``, its message extended with where the file was named (unless it is about
        ``referrer`` itself).
    """
    if exc.file is not None and Path(exc.file) != referrer:
        where = f"line {line} of {referrer}" if line else str(referrer)
        exc.message += f" (the {field} named by '{field}:' on {where})"
        exc.args = (exc.render(),)
    return exc


def list_scenarios(folder: str | Path) -> list[tuple[Path, ScenarioFile]]:
    """Scenario files directly in ``folder``, sorted by file name.

    Parameters
    ----------
    folder
        A folder of scenario files (:func:`bundled_scenarios_folder` for the bundled ones).

    Returns
    -------
    list of (Path, ScenarioFile)
        Each scenario file and its validated content (its scheme and data are not loaded).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise PerfsimError(
            "no scenarios folder here",
            file=folder,
            hint="run from the repository root or name the folder: perfsim list path/to/scenarios",
        )
    return [(p, read_scenario_file(p)) for p in sorted(folder.glob("*.yaml")) if p.is_file() and is_scenario_file(p)]
