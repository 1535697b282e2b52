"""The one output layer: every file perfsim writes goes through here.

A write is atomic (a temporary file beside the target, renamed over it), lands inside the
folder the user named (names derived from data are made filesystem-safe and checked),
never replaces a file perfsim read as input, and is preceded by a writability check made
before any work. Tables are formula-safe for spreadsheet readers; HTML comes from one
Jinja2 environment with autoescape on, so text from a file can never become markup.
"""

from __future__ import annotations

import fcntl
import math
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import PerfsimError
from .inputs import is_input, remember_input

TABLE_FORMATS = (".csv", ".xlsx", ".parquet")
XLSX_MAX_ROWS = 1_048_575
"""Excel's sheet limit (1,048,576 rows) less the header row."""

_TEMP_MARK = ".perfsim-tmp"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""Cells starting with these are read as formulas by Excel, LibreOffice and Google Sheets (OWASP CSV injection)."""
_EXCEL_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
"""Control characters an XLSX file cannot hold (openpyxl refuses them; Excel reports the file as corrupt)."""

NAME_MAX_BYTES = 255
"""The longest file or folder name ext4, APFS, NTFS and most other file systems take (in bytes, UTF-8)."""
PATH_MAX_BYTES = 4095
"""The longest path Linux takes (PATH_MAX less the terminating NUL)."""

_cleaned: set[Path] = set()


# ---------------------------------------------------------------- inputs are never overwritten


def protect(path: str | Path) -> None:
    """Record a file as an input, so that no output can replace it.

    Every file read through :mod:`perfsim.inputs` is recorded as it is opened; this is for
    files a command names before it reads them, so that the output is refused before any work.

    Parameters
    ----------
    path
        The input file (a missing one is ignored).
    """
    remember_input(path)


def _refuse_input(target: Path, inputs: Iterable[str | Path] = ()) -> None:
    for extra in inputs:
        protect(extra)
    if is_input(target):
        raise PerfsimError(
            "the output would replace an input file",
            file=target,
            hint="name a different output file (perfsim never writes over the files it reads)",
        )


# ---------------------------------------------------------------- checks made before any work


def _probe_writable(folder: Path, shown: Path) -> None:
    """Create and remove a file in ``folder``: the only honest test (permissions, read-only mounts, /proc)."""
    try:
        fd, name = tempfile.mkstemp(prefix=f"{_TEMP_MARK}-probe-", dir=folder)
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        raise PerfsimError(
            f"cannot write into the output folder ({exc.strerror or exc})",
            file=shown,
            hint="choose a folder you can write to",
        ) from None


def _check_name_lengths(path: Path) -> None:
    """Refuse a path the file system would refuse (``File name too long``) before any of it is examined."""
    for part in path.parts:
        size = len(os.fsencode(part))
        if size > NAME_MAX_BYTES:
            shown = part if len(part) <= 40 else f"{part[:20]}…{part[-12:]}"
            raise PerfsimError(
                f"the name '{shown}' is too long: {size} bytes, more than the {NAME_MAX_BYTES} a file system allows",
                file=path,
                hint="choose a shorter name",
            )
    if len(os.fsencode(path)) > PATH_MAX_BYTES:
        raise PerfsimError(
            f"the path is too long: more than the {PATH_MAX_BYTES} bytes a path may have",
            file=path,
            hint="choose a shorter path",
        )


def _existing_ancestor(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path(".")


def check_output_path(
    path: str | Path, formats: tuple[str, ...] = TABLE_FORMATS, *, inputs: Iterable[str | Path] = ()
) -> Path:
    """Check an output file before any work: known format, existing writable folder, not an input.

    Parameters
    ----------
    path
        The file to be written.
    formats
        Accepted suffixes.
    inputs
        Files this command reads; the output may not be any of them.

    Raises
    ------
    PerfsimError
        Naming the file and what to do.
    """
    out = Path(path)
    _check_name_lengths(out)
    if out.suffix.lower() not in formats:
        raise PerfsimError(
            f"unknown output format '{out.suffix or '(none)'}'",
            file=out,
            hint=f"end the file name with one of {', '.join(formats)}",
        )
    parent = out.parent
    if not parent.exists():
        ancestor = _existing_ancestor(parent)
        if not ancestor.is_dir():
            raise PerfsimError(
                f"'{ancestor}' is a file, not a folder", file=out, hint="put the output file in a folder"
            )
        raise PerfsimError("the output folder does not exist", file=out, hint=f"create the folder first: {parent}")
    if not parent.is_dir():
        raise PerfsimError(f"'{parent}' is a file, not a folder", file=out, hint="put the output file in a folder")
    if out.is_dir():
        raise PerfsimError("the output path is a folder", file=out, hint="name a file inside it")
    if out.exists() and not out.is_file():
        raise PerfsimError("the output path is not a regular file", file=out, hint="name a regular file")
    _refuse_input(out, inputs)
    _probe_writable(parent, out)
    return out


def check_output_folder(path: str | Path, *, inputs: Iterable[str | Path] = ()) -> Path:
    """Check an output folder before any work: a folder (or creatable), writable, not an input file.

    The folder is not created here: a command that fails later leaves nothing behind.
    """
    out = Path(path)
    _check_name_lengths(out)
    if out.exists() and not out.is_dir():
        raise PerfsimError("the output path is a file, not a folder", file=out, hint="name a folder (-o DIR)")
    ancestor = _existing_ancestor(out)
    if not ancestor.is_dir():
        raise PerfsimError(f"'{ancestor}' is a file, not a folder", file=out, hint="name a folder (-o DIR)")
    for extra in inputs:
        protect(extra)
    _probe_writable(ancestor, out)
    return out


def safe_name(text: str, *, limit: int = 120) -> str:
    """A filesystem-safe file name made from text that came from a file (ids, labels, parameters).

    Letters and digits of any script are kept (Chinese names stay readable); separators, dots
    at the start, path characters and controls become ``-``; the result is never empty,
    never ``.``/``..`` and at most ``limit`` characters.
    """
    text = unicodedata.normalize("NFKC", text)
    kept = "".join(ch if (ch.isalnum() or ch in "_-.=+@") else "-" for ch in text)
    kept = re.sub(r"-{2,}", "-", kept).strip("-.")
    kept = kept.replace("..", "-")
    return kept[:limit].rstrip("-.") or "unnamed"


def inside(folder: str | Path, name: str) -> Path:
    """``folder / safe_name(name)``, checked to stay inside ``folder``."""
    folder = Path(folder)
    target = folder / safe_name(name)
    if not target.resolve().is_relative_to(folder.resolve()):
        raise PerfsimError("an output name leaves the output folder", file=target, hint="rename the scenario id")
    return target


@contextmanager
def folder_lock(folder: str | Path) -> Iterator[None]:
    """Hold an exclusive lock on an output folder; a second writer is refused, not interleaved.

    The lock is the folder itself (``flock`` on its descriptor): no lock file to leave behind,
    and the kernel releases it when the holder dies, however it dies.
    """
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise PerfsimError(
                "another perfsim run is writing to this folder",
                file=folder,
                hint="wait for it to finish, or choose another output folder",
            ) from None
        yield
    finally:
        os.close(fd)


@contextmanager
def scratch_folder() -> Iterator[Path]:
    """A private temporary folder, removed afterwards; folders left by killed runs are removed first.

    Briefings run a Jupyter kernel whose connection file and sockets live here too, so a run
    killed mid-note leaves nothing in the temp directory after the next run.
    """
    import shutil

    base = Path(tempfile.gettempdir())
    for stale in base.glob("perfsim-scratch-*"):
        match = re.match(r"perfsim-scratch-(\d+)-", stale.name)
        if match and not _pid_alive(int(match.group(1))):
            shutil.rmtree(stale, ignore_errors=True)
    path = Path(tempfile.mkdtemp(prefix=f"perfsim-scratch-{os.getpid()}-", dir=base))
    saved = os.environ.get("JUPYTER_RUNTIME_DIR")
    os.environ["JUPYTER_RUNTIME_DIR"] = str(path)
    try:
        yield path
    finally:
        if saved is None:
            os.environ.pop("JUPYTER_RUNTIME_DIR", None)
        else:
            os.environ["JUPYTER_RUNTIME_DIR"] = saved
        shutil.rmtree(path, ignore_errors=True)


# ---------------------------------------------------------------- atomic writes


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale_temps(folder: str | Path) -> None:
    """Remove temporary files left in ``folder`` by perfsim processes that died (a kill mid-write)."""
    _cleaned.add(Path(folder).resolve())
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        match = re.match(rf"^\..*{re.escape(_TEMP_MARK)}-(\d+)-", name)
        if match and not _pid_alive(int(match.group(1))):
            Path(folder, name).unlink(missing_ok=True)


def write_atomic(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp)`` for a temporary path in the target folder, then rename it to ``path``.

    A reader never sees a half-written file, and a crash leaves the old file (if any) intact.
    The temporary name carries the writer's process id, so a later run removes what a killed
    one left behind.
    """
    target = Path(path)
    _refuse_input(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.parent.resolve() not in _cleaned:  # once per folder and process: batches write thousands of chunks
        clean_stale_temps(target.parent)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.name}{_TEMP_MARK}-{os.getpid()}-", suffix=target.suffix, dir=target.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; results are ordinary files
        write(tmp)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 text atomically."""
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def yaml_number(value: float) -> float | int:
    """A number for a YAML file without float noise: 15 rather than 15.0, 14.99 rather than 14.990000000000002."""
    rounded = round(float(value), 9)
    return int(rounded) if rounded.is_integer() else rounded


def _tidy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _tidy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_tidy(v) for v in value]
    if isinstance(value, float) and math.isfinite(value):
        return yaml_number(value)
    return value


def yaml_text(data: Mapping[str, Any]) -> str:
    """A scheme or scenario as YAML text to write: keys in their order, Chinese as it is, numbers tidied.

    Parameters
    ----------
    data
        Plain data (dicts, lists, strings, numbers), e.g. a scheme's ``model_dump``.

    Returns
    -------
    str
        Block-style YAML (lines up to 100 characters); every finite float written by :func:`yaml_number`.
    """
    import yaml

    return str(yaml.safe_dump(_tidy(dict(data)), allow_unicode=True, sort_keys=False, width=100))


# ---------------------------------------------------------------- tables safe for spreadsheets


def _neutralise(value: object) -> object:
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe (shown as typed)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and headers cannot start a formula (for CSV readers)."""
    out = frame.copy()
    out.columns = [_neutralise(str(c)) for c in out.columns]
    for col in out.columns:
        if not pd.api.types.is_numeric_dtype(out[col]):
            out[col] = out[col].map(_neutralise)
    return out


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """CSV for spreadsheet readers: UTF-8 with BOM (Excel then shows Chinese), formula-safe cells,
    CRLF rows as RFC 4180 says, so that a carriage return inside a cell is quoted, not a row break."""
    spreadsheet_safe(frame).to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")


def _write_xlsx(frame: pd.DataFrame, tmp: Path, sheet: str = "results") -> None:
    """Text cells are typed as text (never formulas), controls Excel refuses are dropped, header frozen."""
    import openpyxl

    if len(frame) > XLSX_MAX_ROWS:
        raise PerfsimError(
            f"{len(frame):,} rows do not fit an Excel sheet ({XLSX_MAX_ROWS:,} at most)",
            file=tmp,
            hint="write .csv or .parquet instead",
        )
    book = openpyxl.Workbook(write_only=False)
    ws = book.active
    assert ws is not None
    ws.title = safe_name(sheet, limit=31)

    def put(row: int, col: int, value: object) -> None:
        set_cell(ws, row, col, value)

    for j, name in enumerate(frame.columns, start=1):
        put(1, j, str(name))
    for i, row in enumerate(frame.itertuples(index=False), start=2):
        for j, value in enumerate(row, start=1):
            if value is None or (isinstance(value, float) and value != value):
                continue
            put(i, j, value.item() if hasattr(value, "item") else value)
    ws.freeze_panes = "A2"
    book.save(tmp)


def set_cell(ws: Any, row: int, col: int, value: object) -> Any:
    """Put a value into a worksheet cell so that no text can run as a formula.

    Text is typed as a string (with Excel's quote prefix when it starts like a formula) and
    the control characters an XLSX file cannot hold are dropped; numpy scalars become Python
    numbers; ``None`` and NaN leave the cell empty.

    Parameters
    ----------
    ws
        An openpyxl worksheet.
    row, col
        1-based cell position.
    value
        Text, a number, a bool or ``None``.

    Returns
    -------
    openpyxl.cell.Cell
        The cell, for styling.
    """
    cell = ws.cell(row, col)
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, str):
        text = _EXCEL_ILLEGAL.sub("", value)
        cell.value = text
        cell.data_type = "s"  # a string, even when it starts with '=': Excel shows it, never runs it
        if text.startswith(_FORMULA_START):
            cell.quotePrefix = True
    elif value is None or (isinstance(value, float) and value != value):
        cell.value = None
    else:
        cell.value = value
    return cell


def sheet_title(text: str, taken: Iterable[str] = ()) -> str:
    """A worksheet title Excel accepts: at most 31 characters, none of ``[]:*?/\\``, unique in the book."""
    base = re.sub(r"[\[\]:*?/\\']", "-", _EXCEL_ILLEGAL.sub("", text)).strip() or "sheet"
    base = base[:31]
    used = {t.lower() for t in taken}
    title, n = base, 2
    while title.lower() in used:
        suffix = f" ({n})"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    return title


def write_workbook(path: str | Path, build: Callable[[], Any], *, inputs: Iterable[str | Path] = ()) -> Path:
    """Write an openpyxl workbook atomically, after the checks every output gets.

    Parameters
    ----------
    path
        The ``.xlsx`` file.
    build
        Makes the workbook; fill its cells with :func:`set_cell`, so that no text is a formula.
    inputs
        Files the command read; the output may not replace any of them.

    Returns
    -------
    Path
        The file written.
    """
    out = check_output_path(path, (".xlsx",), inputs=inputs)
    return write_atomic(out, lambda tmp: build().save(tmp))


def write_table(
    frame: pd.DataFrame, path: str | Path, *, inputs: Iterable[str | Path] = (), sheet: str = "results"
) -> Path:
    """Write a DataFrame atomically as CSV (UTF-8 with BOM, so Excel shows Chinese), XLSX or Parquet.

    CSV and XLSX are safe to open in a spreadsheet: no text cell becomes a formula.
    """
    out = check_output_path(path, inputs=inputs)
    suffix = out.suffix.lower()

    def write(tmp: Path) -> None:
        if suffix == ".csv":
            write_csv(frame, tmp)
        elif suffix == ".xlsx":
            _write_xlsx(frame, tmp, sheet)
        else:
            frame.to_parquet(tmp, index=False)

    return write_atomic(out, write)


# ---------------------------------------------------------------- HTML through one escaping path


@cache
def _jinja() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("perfsim", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(zip=zip, cell=cell_text)
    return env


def cell_text(value: object) -> str:
    """How a table cell reads: empty for missing values, thousands separators for numbers."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int) or (hasattr(value, "dtype") and getattr(value.dtype, "kind", "") in "iu"):
        return f"{int(value):,}"  # type: ignore[call-overload]
    if isinstance(value, float) or (hasattr(value, "dtype") and getattr(value.dtype, "kind", "") == "f"):
        return f"{float(value):,.2f}"  # type: ignore[arg-type]
    return str(value)


def render_html(template: str, **context: Any) -> str:
    """Render a packaged template (``perfsim/templates``) with autoescape on: every text is escaped."""
    return str(_jinja().get_template(template).render(**context))


def markup(text: str) -> Any:
    """Mark HTML that perfsim itself built from escaped parts (charts, sections) as safe to embed."""
    import markupsafe

    return markupsafe.Markup(text)


def write_html(path: str | Path, template: str, **context: Any) -> Path:
    """Render a template (autoescaped) and write it atomically."""
    return write_text(path, render_html(template, **context))
