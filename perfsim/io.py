"""Atomic output: write to a temporary file beside the target, then rename over it."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from .errors import PerfsimError

TABLE_FORMATS = (".csv", ".xlsx", ".parquet")


def check_output_path(path: str | Path, formats: tuple[str, ...] = TABLE_FORMATS) -> Path:
    """Check an output path before any work is done: known format, existing folder."""
    out = Path(path)
    if out.suffix.lower() not in formats:
        raise PerfsimError(
            f"unknown output format '{out.suffix or '(none)'}'",
            file=out,
            hint=f"end the file name with one of {', '.join(formats)}",
        )
    if not out.parent.exists():
        raise PerfsimError("the output folder does not exist", file=out, hint="create the folder first")
    if out.is_dir():
        raise PerfsimError("the output path is a folder", file=out, hint="name a file")
    return out


def write_atomic(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp)`` for a temporary path in the target folder, then rename it to ``path``.

    A reader never sees a half-written file, and a crash leaves the old file (if any) intact.
    """
    target = Path(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=f".tmp{target.suffix}", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; results are ordinary files
    try:
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


def write_table(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a DataFrame atomically as CSV (UTF-8 with BOM, so Excel shows Chinese), XLSX or Parquet."""
    out = check_output_path(path)
    suffix = out.suffix.lower()

    def write(tmp: Path) -> None:
        if suffix == ".csv":
            frame.to_csv(tmp, index=False, encoding="utf-8-sig")
        elif suffix == ".xlsx":
            frame.to_excel(tmp, index=False, engine="openpyxl")
        else:
            frame.to_parquet(tmp, index=False)

    return write_atomic(out, write)
