"""Where scenario files are: bundled scenarios by name, files next to the working folder, copies to edit.

The scenarios ship inside the package (``perfsim/scenarios`` in a wheel, ``scenarios/`` in a
checkout). A command names one by path or by its bare name (:func:`resolve_scenario`, once, in
:func:`perfsim.scenario.load_scenario` and the command line's input reader); a notebook names its
files from the repository root (:func:`find_file`); :func:`init_scenario` copies one to edit.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

from .data import MAX_DATA_BYTES
from .errors import PerfsimError, near
from .inputs import read_bytes, read_text
from .outputs import check_output_folder, write_atomic, write_text
from .yamlsafe import MAX_YAML_BYTES

if TYPE_CHECKING:
    from .scenario import Scenario


def find_file(path: str | Path) -> Path:
    """A path as given, else relative to the working folder's parents (notebooks run in ``notebooks/``),
    else a bundled scenario of that name or path (``scenarios/qitai-county.yaml`` from an installed wheel)."""
    candidate = Path(path)
    if candidate.exists() or candidate.is_absolute():
        return candidate
    for parent in Path.cwd().parents[:3]:
        if (parent / candidate).exists():
            return parent / candidate
    found = bundled_file(*(candidate.parts[1:] if candidate.parts[:1] == ("scenarios",) else candidate.parts))
    if found is not None:
        return found
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


def bundled_file(*parts: str) -> Path | None:
    """A file inside :func:`bundled_scenarios_folder` (``"qitai-county.yaml"``, ``"data", "x.csv"``), if there.

    Parameters
    ----------
    parts
        The file's path inside the bundled folder, one part per argument.

    Returns
    -------
    Path or None
        The file, or None without bundled scenarios or without such a file.
    """
    folder = bundled_scenarios_folder()
    if folder is None or not parts or not folder.joinpath(*parts).is_file():
        return None
    return folder.joinpath(*parts)


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
    stem = path.stem if path.suffix else path.name
    found = bundled_file(f"{stem}.yaml")
    if found is not None:
        return found
    bundled = bundled_scenarios_folder()
    names = sorted(p.stem for p in bundled.glob("*.yaml")) if bundled is not None else []
    if not names:
        hint = f"check the path (a relative path starts from {Path.cwd()})"
    else:
        hint = near(stem, names, f"give a scenario file's path or a bundled name: {', '.join(names)}")
        if hint.startswith("did you mean"):
            hint += " (`perfsim list` lists the bundled scenarios)"
    raise PerfsimError("does not exist here, and no bundled scenario has that name", file=path, hint=hint)


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
    from .scenario import load_scenario  # a scenario module import would be circular

    loaded: Scenario = load_scenario(source)  # every mistake in the source reported before anything is written
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
