"""The one input layer: every file perfsim reads comes through here.

A policy analyst's folder holds careless and sometimes hostile input: a typo in a path, a
folder where a file was meant, a named pipe or a link to ``/dev/zero``, a 3 GB export, a
spreadsheet saved as GB18030 or with old-Mac CR line endings. This module refuses all of
them with a :class:`~perfsim.errors.PerfsimError` that names the file and says what to do,
before any parser sees a byte:

- only regular files are read; folders, FIFOs, sockets and device files (also through a
  link) are refused, and a FIFO cannot hang the reader (it is opened non-blocking and
  checked with ``fstat`` on the opened descriptor, so the check and the read see one file);
- the size limit is applied while reading (at most ``limit + 1`` bytes are read), so a file
  that reports a false size or keeps growing cannot exhaust memory;
- text is decoded strictly (UTF-8, with or without BOM, unless an encoding is given), line
  endings are normalised to ``\\n``, and undecodable or binary content gets a hint.

Parsers then read from the returned bytes or text (``io.BytesIO`` for XLSX and Parquet),
never from the path.

Every file opened here is remembered (by device and inode, so another spelling of the path,
a symlink or a hard link is the same file): the output layer refuses to write over any of
them, whichever command, scenario or sweep named it.
"""

from __future__ import annotations

import codecs
import difflib
import os
import stat
from pathlib import Path
from typing import Any

from .errors import PerfsimError

_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)  # a FIFO opens at once instead of waiting for a writer
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
_CHUNK = 1 << 20
_read: set[tuple[int, int]] = set()
"""(device, inode) of every file this process has read as input."""


def remember_input(path: str | Path) -> None:
    """Record ``path`` as an input, so that no output replaces it (a missing path is ignored).

    Parameters
    ----------
    path
        A file this command reads or is about to read.
    """
    try:
        st = os.stat(path)
    except OSError:
        return
    _read.add((st.st_dev, st.st_ino))


def is_input(path: str | Path) -> bool:
    """Whether ``path`` (through links) is a file read as input in this process.

    Parameters
    ----------
    path
        A file about to be written.

    Returns
    -------
    bool
        False also for a path that does not exist or cannot be examined.
    """
    try:
        st = os.stat(path)
    except OSError:
        return False
    return (st.st_dev, st.st_ino) in _read


def format_size(n: int) -> str:
    """A byte count for messages: ``512 bytes``, ``40 KiB``, ``2 MiB``, ``50.3 MiB``."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            value = n / scale
            return f"{value:.0f} {unit}" if value == int(value) or value >= 100 else f"{value:.1f} {unit}"
    return f"{n} bytes"


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def _refuse_kind(path: Path, mode: int, what: str) -> PerfsimError:
    kind = _kind(mode)
    if path.is_symlink():
        kind = f"a link to {os.path.realpath(path)}, which is {kind}"
    if stat.S_ISDIR(mode):
        hint = f"name the {what} itself, not the folder that holds it"
        inside = _some_files(path)
        if inside:
            hint += f" (it holds {inside})"
    else:
        hint = "perfsim reads regular files only: copy the content into a file and name that file"
    return PerfsimError(f"{what} is {kind}, not a regular file", file=path, hint=hint)


def _some_files(folder: Path) -> str:
    try:
        names = sorted(p.name for _, p in zip(range(200), folder.iterdir()) if p.is_file())
    except OSError:
        return ""
    if not names:
        return ""
    return ", ".join(names[:4]) + (", …" if len(names) > 4 else "")


def _missing(path: Path, what: str) -> PerfsimError:
    if path.is_symlink():
        return PerfsimError(
            f"{what} is a link to {os.readlink(path)}, which does not exist",
            file=path,
            hint="fix or remove the link, or name the file it should point to",
        )
    parent = path.parent
    if not parent.is_dir():
        hint = f"the folder {parent} does not exist either; check the path"
    else:
        try:
            names = [p.name for _, p in zip(range(2000), parent.iterdir())]
        except OSError:
            names = []
        close = difflib.get_close_matches(path.name, names, n=1)
        hint = (
            f"did you mean '{parent / close[0]}'?"
            if close
            else f"check the path (a relative path starts from {Path.cwd()})"
        )
    return PerfsimError(f"{what} does not exist", file=path, hint=hint)


def _os_error(path: Path, exc: OSError, what: str) -> PerfsimError:
    if isinstance(exc, PermissionError):
        return PerfsimError(f"{what} cannot be read: permission denied", file=path, hint="check the file's permissions")
    if isinstance(exc, NotADirectoryError):
        return PerfsimError(
            f"{what} does not exist: a part of its path is a file, not a folder", file=path, hint="check the path"
        )
    return PerfsimError(f"{what} cannot be read: {exc.strerror or exc}", file=path, hint="check the path")


def _open(path: Path, what: str, protect: bool = True) -> int:
    """Open a regular file for reading; refuse anything else. Returns the descriptor.

    With ``protect``, the opened file is remembered as an input (see :func:`is_input`).
    """
    try:
        # refuse special files before opening: opening some devices has side effects
        before = os.stat(path)
    except FileNotFoundError:
        raise _missing(path, what) from None
    except OSError as exc:
        raise _os_error(path, exc, what) from None
    if not stat.S_ISREG(before.st_mode):
        raise _refuse_kind(path, before.st_mode, what)
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        raise _missing(path, what) from None
    except OSError as exc:
        raise _os_error(path, exc, what) from None
    # the path may have been swapped between stat and open: trust only the opened file
    opened = os.fstat(fd)
    if not stat.S_ISREG(opened.st_mode):
        os.close(fd)
        raise _refuse_kind(path, opened.st_mode, what)
    if protect:
        _read.add((opened.st_dev, opened.st_ino))
    return fd


def check_file(path: str | Path, *, what: str, protect: bool = True) -> None:
    """Refuse a path that is missing or not a regular file, without reading it.

    Parameters
    ----------
    path
        The file.
    what
        What the file is, for messages (``"data file"``).
    protect
        Remember the file as an input, which no output may replace (see :func:`read_bytes`).

    Raises
    ------
    PerfsimError
        "… does not exist", "… is a folder, not a regular file", and so on.
    """
    os.close(_open(Path(path), what, protect))


def read_head(path: str | Path, *, size: int, what: str, protect: bool = True) -> bytes:
    """The first ``size`` bytes of a regular file (fewer if it is shorter), with the checks of :func:`read_bytes`.

    For sniffing a file's kind; the size limit of the whole file is the reader's business.
    """
    p = Path(path)
    fd = _open(p, what, protect)
    try:
        return _read_upto(fd, size)
    finally:
        os.close(fd)


def _read_upto(fd: int, n: int) -> bytes:
    chunks: list[bytes] = []
    left = n
    while left > 0:
        chunk = os.read(fd, min(left, _CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_bytes(path: str | Path, *, limit: int, what: str, protect: bool = True) -> bytes:
    """Read a whole regular file, at most ``limit`` bytes, refusing everything else clearly.

    Parameters
    ----------
    path
        The file to read.
    limit
        The largest size accepted, in bytes. At most ``limit + 1`` bytes are ever read, so a
        file whose reported size is wrong (``/proc``-like files) or that keeps growing cannot
        exhaust memory.
    what
        What the file is, for messages (``"scheme file"``, ``"data file"``).
    protect
        Remember the file as an input, which no output may then replace (the default). False
        only for perfsim's own outputs read back in order to be rewritten (a batch's manifest).

    Returns
    -------
    bytes
        The file's content, never empty.

    Raises
    ------
    PerfsimError
        Naming the file: it does not exist, is a folder, FIFO, socket or device (also
        through a link), cannot be read, is empty, or is larger than ``limit``.
    """
    p = Path(path)
    fd = _open(p, what, protect)
    try:
        size = os.fstat(fd).st_size
        if size > limit:
            raise PerfsimError(
                f"{what} is {format_size(size)}, above the {format_size(limit)} limit",
                file=p,
                hint=f"check that this is the right file{_limit_hint(what)}",
            )
        raw = _read_upto(fd, limit + 1)
    except OSError as exc:
        raise _os_error(p, exc, what) from None
    finally:
        os.close(fd)
    if len(raw) > limit:
        raise PerfsimError(
            f"{what} is larger than the {format_size(limit)} limit (it grew while being read, or reports a false size)",
            file=p,
            hint=f"check that this is the right file{_limit_hint(what)}",
        )
    if not raw:
        raise PerfsimError(f"{what} is empty", file=p, hint=f"write the {what} or name another file")
    return raw


WORKBOOK_DAMAGED = "cannot read Excel workbook: it is damaged"
"""The message for a workbook that cannot be read (the reader's own words are not for the user)."""


def read_workbook(
    path: str | Path,
    *,
    limit: int,
    expanded_limit: int,
    what: str,
    hint: str,
    size_hint: str,
    read_only: bool = False,
    error: type[PerfsimError] = PerfsimError,
    formulas: bool = False,
) -> Any:
    """Open an ``.xlsx`` workbook from its bytes, refusing what is not one in perfsim's own words.

    Parameters
    ----------
    path
        The workbook.
    limit
        The largest file accepted, in bytes (see :func:`read_bytes`).
    expanded_limit
        The largest size its ZIP archive may expand to: a "zip bomb" is refused before parsing.
    what
        What the file is, for messages (``"data file"``, ``"indicator table"``).
    hint
        What to do about an old ``.xls``, a file that is no workbook or a damaged one.
    size_hint
        What to do about a workbook that expands beyond ``expanded_limit``.
    read_only
        Open in openpyxl's streaming read-only mode (rows only, for large data).
    error
        The error class raised (:class:`~perfsim.errors.DataError` for unit data).
    formulas
        Cells hold their formulas (``=SUM(C2:C9)``) instead of the values Excel last saved for them.

    Returns
    -------
    openpyxl.Workbook
        The workbook with cell values (formulas' cached results); the caller closes it.

    Raises
    ------
    PerfsimError
        Of class ``error``, naming the file: also every refusal of :func:`read_bytes`.
    """
    import io
    import zipfile

    import openpyxl

    p = Path(path)
    raw = read_bytes(p, limit=limit, what=what)
    if raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise error("this is an old Excel 97-2003 workbook (.xls), not an .xlsx", file=p, hint=hint)
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise error("cannot read Excel workbook: not an .xlsx file", file=p, hint=hint) from None
    if expanded > expanded_limit:
        raise error(
            f"Excel workbook expands to {format_size(expanded)}, above the {format_size(expanded_limit)} limit",
            file=p,
            hint=size_hint,
        )
    try:
        return openpyxl.load_workbook(io.BytesIO(raw), read_only=read_only, data_only=not formulas)
    except Exception:  # openpyxl raises many types for a damaged workbook
        raise error(WORKBOOK_DAMAGED, file=p, hint=hint) from None


def _limit_hint(what: str) -> str:
    return "; split the data into smaller files" if what == "data file" else f"; a {what} is a short text"


def canonical_encoding(encoding: str, option: str | None = None) -> str:
    """The codec name to decode with: UTF-8 reads with or without a byte-order mark.

    Parameters
    ----------
    encoding
        An encoding name as a user wrote it (``utf-8``, ``GB18030``, ``utf_16``).
    option
        The command-line option it came from (``"--encoding"``), named in the error.

    Raises
    ------
    PerfsimError
        For an encoding Python does not know.
    """
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise PerfsimError(
            f"unknown text encoding '{_printable(encoding)}'",
            field=option,
            hint="use utf-8, or gb18030 for older Chinese Excel exports",
        ) from None
    return "utf-8-sig" if name == "utf-8" else name


def read_text(
    path: str | Path,
    *,
    limit: int,
    what: str,
    encoding: str = "utf-8",
    encoding_option: str | None = None,
    protect: bool = True,
) -> str:
    """Read a regular text file through :func:`read_bytes` and decode it strictly.

    Parameters
    ----------
    path, limit, what, protect
        As for :func:`read_bytes`.
    encoding
        The text encoding; ``utf-8`` (the default) also accepts a byte-order mark.
    encoding_option
        The command-line option that sets the encoding (``"--encoding"``), named in the
        hint for an undecodable file; ``None`` where the encoding is fixed (YAML files).

    Returns
    -------
    str
        The text, with CRLF and CR-only (old Mac, some Excel exports) line endings turned into ``\\n``.

    Raises
    ------
    PerfsimError
        As :func:`read_bytes`, and for bytes the encoding cannot decode (naming the line and
        suggesting the likely encoding), binary content (NUL bytes) or a blank file.
    """
    codec = canonical_encoding(encoding, encoding_option)
    p = Path(path)
    raw = read_bytes(p, limit=limit, what=what, protect=protect)
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        byte = raw[exc.start]
        raise PerfsimError(
            f"{what} is not valid {encoding} (byte 0x{byte:02x} cannot be decoded)",
            file=p,
            field=f"line {line}",
            hint=_encoding_hint(raw, what, encoding_option),
        ) from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise PerfsimError(
            f"{what} holds NUL bytes: it is binary, or UTF-16 text",
            file=p,
            field=f"line {line}",
            hint=_encoding_hint(raw, what, encoding_option),
        )
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise PerfsimError(f"{what} is empty", file=p, hint=f"write the {what} or name another file")
    return text


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text[:80])


def _encoding_hint(raw: bytes, what: str, option: str | None) -> str:
    if raw.startswith(b"PK\x03\x04"):
        return "this is a ZIP archive such as an Excel workbook, not text: name it .xlsx"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        how = f", or pass {option} utf-16" if option else ""
        return f"the file is UTF-16 (Excel's 'Unicode Text'): save it as UTF-8 (in Excel: 'CSV UTF-8'){how}"
    if option:
        try:
            raw.decode("gb18030")
        except UnicodeDecodeError:
            return f"save the file as UTF-8 (in Excel: 'CSV UTF-8'), or pass {option} with its encoding"
        return f"it reads as GB18030 (older Chinese Excel exports): pass {option} gb18030, or save it as 'CSV UTF-8'"
    return f"save the {what} as UTF-8"
