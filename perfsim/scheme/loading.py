"""Loading: YAML → validated :class:`Scheme` (or another file model), every problem reported with line and fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import SchemeError
from ..yamlsafe import YamlDocument, load_yaml
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
        raise problems_error(problems_from_validation(exc, data, Scheme), doc, file, "scheme") from None
    problems = check_scheme(scheme)
    if problems:
        raise problems_error(problems, doc, file, "scheme")
    return scheme


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
