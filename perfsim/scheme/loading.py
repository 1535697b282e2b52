"""Loading: YAML → validated :class:`Scheme` (or another file model), every problem reported with line and fix."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import SchemeError
from ..yamlsafe import YamlDocument, load_yaml
from .base import Loc, Problem
from .models import Scheme
from .reference_checks import check_scheme
from .validation import problems_error, problems_from_validation


def scheme_from_data(data: Any, *, doc: YamlDocument | None = None, file: Path | None = None) -> Scheme:
    """Validate plain data (as parsed from YAML) into a :class:`Scheme`.

    Parameters
    ----------
    data
        The scheme as plain data (mappings, lists, numbers, text).
    doc, file
        The YAML document and file it came from, if any, so that errors name the line.

    Returns
    -------
    Scheme
        The validated scheme, every consistency check passed.

    Raises
    ------
    SchemeError
        With the file, the field path (and YAML line) and a fix.
    """
    if not isinstance(data, dict):
        raise SchemeError(
            "a scheme file must be a mapping of keys to values",
            file=file,
            hint="start with 'perfsim_scheme: 1' and the scheme's fields",
        )
    if "perfsim_scheme" not in data:
        raise SchemeError(
            "not a perfsim scheme: the key perfsim_scheme is missing",
            file=file,
            hint="add 'perfsim_scheme: 1' as the first line",
        )
    try:
        scheme = Scheme.model_validate(data)
    except ValidationError as exc:
        found = problems_from_validation(exc, data, Scheme)
        raise problems_error(found + _checks_beside(found, data), doc, file, "scheme") from None
    problems = check_scheme(scheme)
    if problems:
        raise problems_error(problems, doc, file, "scheme")
    return scheme


def _checks_beside(found: list[Problem], data: dict[str, Any]) -> list[Problem]:
    """Whole-scheme problems of a file that also has mistyped fields, so one run reports both kinds.

    The checks run on a copy with the mistyped keys left out (an unknown key, a wrong value of a
    field). Only problems away from those places are kept: a sum over a node that holds a
    mistyped weight says nothing until the weight is fixed. Where leaving a key out does not give
    a valid scheme (a required field is mistyped), the mistyped fields are all that is reported.
    """
    repaired = copy.deepcopy(data)
    if not all(_drop(repaired, problem.loc) for problem in found):
        return []
    try:
        scheme = Scheme.model_validate(repaired)
    except ValidationError:
        return []
    return [q for q in check_scheme(scheme) if not any(_related(q.loc, p.loc) for p in found)]


def _drop(data: Any, loc: Loc) -> bool:
    """Remove the mapping key at ``loc``; False where ``loc`` is not a key of a mapping."""
    node = data
    for part in loc[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return False
    if not loc or not isinstance(node, dict) or loc[-1] not in node:
        return False
    del node[loc[-1]]
    return True


def _related(a: Loc, b: Loc) -> bool:
    """Whether one place holds the other."""
    n = min(len(a), len(b))
    return a[:n] == b[:n]


def read_yaml_model(path: str | Path, model: type[BaseModel], marker: str, what: str) -> Any:
    """Load a YAML file strictly and validate it into ``model``; the file must start with ``marker: 1``."""
    return read_yaml_model_doc(path, model, marker, what)[0]


def read_yaml_model_doc(path: str | Path, model: type[BaseModel], marker: str, what: str) -> tuple[Any, YamlDocument]:
    """As :func:`read_yaml_model`, also returning the parsed document (to find the line of a field).

    Raises
    ------
    SchemeError
        For a file that is not a ``what`` or does not validate, naming the field and its line.
    """
    doc = load_yaml(path, what=what)
    if not isinstance(doc.data, dict) or marker not in doc.data:
        raise SchemeError(
            f"not a perfsim {what}: the key {marker} is missing", file=path, hint=f"start the file with '{marker}: 1'"
        )
    try:
        return model.model_validate(doc.data), doc
    except ValidationError as exc:
        raise problems_error(problems_from_validation(exc, doc.data, model), doc, Path(path), what) from None


def load_scheme(path: str | Path) -> Scheme:
    """Load and validate a scheme file (YAML).

    Parameters
    ----------
    path
        The scheme file.

    Returns
    -------
    Scheme
        The validated scheme.

    Raises
    ------
    PerfsimError
        For any problem with the file, naming the field and what to do.
    """
    doc = load_yaml(path, what="scheme file")
    return scheme_from_data(doc.data, doc=doc, file=Path(path))
