"""Scenario bundles: a scheme, its unit data and analysis defaults in one file.

A scenario file (``scenarios/<name>.yaml``) names the scheme and data files (relative to
itself), says which plan it comes from, lists every default it had to choose where the
text is blank or ambiguous, and the levers a designer may move with their ranges. The
notebooks, ``perfsim evaluate``, batches and briefings all start from one.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from .compile import CompiledScheme, compile_scheme
from .data import MAX_DATA_BYTES, UnitData, load_units
from .errors import PerfsimError, near
from .inputs import check_file, read_bytes, read_head, read_text
from .models import Model
from .outputs import check_output_folder, write_atomic, write_text
from .scheme import Id, Label, Scheme, load_scheme, read_yaml_model, read_yaml_model_doc
from .yamlsafe import MAX_YAML_BYTES

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


def find_file(path: str | Path) -> Path:
    """A path as given, else relative to the working folder's parents (notebooks run in ``notebooks/``),
    else a bundled scenario of that name or path (``scenarios/qitai-county.yaml`` from an installed wheel)."""
    candidate = Path(path)
    if candidate.exists() or candidate.is_absolute():
        return candidate
    for parent in Path.cwd().parents[:3]:
        if (parent / candidate).exists():
            return parent / candidate
    bundled = bundled_scenarios_folder()
    if bundled is not None:
        inside = candidate.parts[1:] if candidate.parts[:1] == ("scenarios",) else candidate.parts
        if inside and (bundled.joinpath(*inside)).is_file():
            return bundled.joinpath(*inside)
    raise PerfsimError(
        f"{path} does not exist (looked in {Path.cwd()} and up to three folders above)",
        hint="give a path relative to the repository root, or an absolute one",
    )


def bundled_scenarios_folder() -> Path | None:
    """The scenarios shipped with perfsim: ``perfsim/scenarios`` in an installed wheel, else the
    checkout's top-level ``scenarios/`` folder (a source or editable install); ``None`` if neither.

    Returns
    -------
    Path or None
        The folder holding ``<name>.yaml`` scenario files and their ``schemes/`` and ``data/``.
    """
    package = Path(__file__).resolve().parent
    for folder in (package / "scenarios", package.parent / "scenarios"):
        if folder.is_dir() and any(folder.glob("*.yaml")):
            return folder
    return None


def resolve_scenario(name: str | Path) -> Path:
    """A scenario file named by path, or by the name of a bundled scenario.

    Parameters
    ----------
    name
        A path (used as it is when it exists, or when it has a folder part), or a bundled
        scenario's name with or without ``.yaml`` (``qitai-county``), found in
        :func:`bundled_scenarios_folder` from any working folder.

    Returns
    -------
    Path
        The scenario file (its existence and kind are checked by the reader).

    Raises
    ------
    PerfsimError
        When a bare name is neither a file here nor a bundled scenario: the message lists the
        bundled names, the closest first.
    """
    path = Path(name)
    if path.exists() or len(path.parts) != 1 or path.suffix.lower() not in ("", ".yaml", ".yml"):
        return path
    bundled = bundled_scenarios_folder()
    stem = path.stem if path.suffix else path.name
    if bundled is not None and (bundled / f"{stem}.yaml").is_file():
        return bundled / f"{stem}.yaml"
    names = sorted(p.stem for p in bundled.glob("*.yaml")) if bundled is not None else []
    close = difflib.get_close_matches(stem, names, n=1)
    if close:
        hint = f"did you mean '{close[0]}'? (`perfsim list` lists the bundled scenarios)"
    elif names:
        hint = f"give a scenario file's path or a bundled name: {', '.join(names)}"
    else:
        hint = f"check the path (a relative path starts from {Path.cwd()})"
    raise PerfsimError("does not exist here, and no bundled scenario has that name", file=path, hint=hint)


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


_TOP_KEY = r"^{key}[ \t]*:[ \t]*(?P<value>[^#\n]*?)[ \t]*(?:#.*)?$"


def _set_top_key(text: str, key: str, value: str, file: Path) -> str:
    """``text`` with the value of one top-level ``key: value`` line replaced (comments elsewhere kept)."""
    pattern = re.compile(_TOP_KEY.format(key=re.escape(key)), re.MULTILINE)
    found = pattern.findall(text)
    if len(found) != 1:
        raise PerfsimError(
            f"cannot copy: '{key}:' is not written on one line of its own",
            file=file,
            field=key,
            hint=f"write '{key}: ...' on one line at the start of the file",
        )
    # a JSON string is a YAML double-quoted scalar: any file name stays one value
    return pattern.sub(lambda _: f"{key}: {json.dumps(value, ensure_ascii=False)}", text, count=1)


def init_scenario(name: str, source: str | Path = "qitai-county", *, into: str | Path = ".") -> Path:
    """Copy a scenario, its scheme and its data into a new folder ``into/name`` to edit.

    The copy is laid out as the bundled scenarios are (``name/name.yaml``, ``name/schemes/…``,
    ``name/data/…``); the scenario's ``scheme:`` and ``data:`` are rewritten to point at the
    copies and its ``id`` becomes ``name`` (briefing notes are then named after the copy).

    Parameters
    ----------
    name
        The new scenario's id and folder name (letters, digits, Chinese characters, ``_`` and ``-``).
    source
        A scenario file or a bundled scenario's name (default ``qitai-county``).
    into
        The folder in which ``name/`` is created (default: the working folder).

    Returns
    -------
    Path
        The new scenario file.

    Raises
    ------
    PerfsimError
        For a name that is not a plain folder name, a folder ``name`` that already exists
        (nothing is overwritten), or any mistake in the source scenario (checked before writing).
    """
    if not re.fullmatch(r"[A-Za-z0-9_\-\u3400-\u9fff]{1,64}", name):
        raise PerfsimError(
            f"'{name}' is not a plain name",
            field="NAME",
            hint="use letters, digits, Chinese characters, '_' and '-' (at most 64), e.g. my-county",
        )
    target = Path(into) / name
    if target.exists() or target.is_symlink():
        raise PerfsimError(
            "the folder already exists; perfsim init never writes over files",
            file=target,
            hint="choose another name, or move that folder away",
        )
    check_output_folder(target)
    loaded = load_scenario(source)  # every mistake in the source reported before anything is written
    scheme_file = loaded.path.parent / loaded.spec.scheme
    data_file = loaded.path.parent / loaded.spec.data
    text = read_text(loaded.path, limit=MAX_YAML_BYTES, what="scenario file")
    scheme_text = read_text(scheme_file, limit=MAX_YAML_BYTES, what="scheme file")
    data_bytes = read_bytes(data_file, limit=MAX_DATA_BYTES, what="data file")
    new_scheme = f"schemes/{scheme_file.name}"
    new_data = f"data/{data_file.name}"
    for key, value in (("scheme", new_scheme), ("data", new_data), ("id", name)):
        text = _set_top_key(text, key, value, loaded.path)
    out = target / f"{name}.yaml"
    write_text(target / new_scheme, scheme_text)
    write_atomic(target / new_data, lambda tmp: tmp.write_bytes(data_bytes))
    write_text(out, text)
    return out
