"""The one exception family for mistakes a user can make (bad files, fields, parameters)."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""Characters a terminal would act on, or that reorder text, rather than show: C0 and C1 controls
(ESC starts a terminal escape sequence, CR rewrites the line) and bidirectional overrides. Tab
and newline are kept: messages are laid out with them."""


def printable(text: str) -> str:
    """``text`` with every :data:`CONTROL` character written as a ``\\uXXXX`` escape.

    Parameters
    ----------
    text
        Text that may hold characters from a file or the command line.

    Returns
    -------
    str
        The same text, safe to print to a terminal.
    """
    return CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class PerfsimError(Exception):
    """A problem in user input: names the file, the field and what to do about it.

    The CLI turns every ``PerfsimError`` into a short message and exit code 2; any
    other exception escaping perfsim is a bug.

    Parameters
    ----------
    message
        What is wrong, in one sentence.
    file
        The file the problem is in, if any.
    field
        Where in the file: a field path such as ``indicators[2].points``, a row and
        column such as ``row 14, column public``, or a YAML line.
    hint
        What the user should do to fix it.
    zh
        The message and hint in Chinese, for errors a Chinese screen shows next to the control that
        caused them (the explorer's target and lever fields); the command line prints ``message``.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        field: str | None = None,
        hint: str | None = None,
        zh: tuple[str, str | None] | None = None,
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.field = field
        self.hint = hint
        self.zh = zh
        super().__init__(self.render())

    def render(self) -> str:
        """The message as printed: ``file: field: message`` and a ``fix:`` line.

        Every part may quote a file name, a cell or a command-line value, so control
        characters are escaped here, once for all messages: a unit id holding an escape
        sequence must not clear the user's terminal or fake a line of the message.
        """
        where = ": ".join(printable(p) for p in (self.file, self.field) if p)
        message = printable(self.message)
        text = f"{where}: {message}" if where else message
        if self.hint:
            text += f"\n  fix: {printable(self.hint)}"
        return text

    def with_file(self, file: str | Path) -> PerfsimError:
        """Return the same error, attributed to ``file`` if it names no file yet."""
        if self.file is None:
            self.file = str(file)
            self.args = (self.render(),)
        return self


class SchemeError(PerfsimError):
    """A scheme file is malformed or inconsistent."""


class DataError(PerfsimError):
    """Unit data do not fit the scheme."""


class ParameterError(PerfsimError):
    """A parameter override names an unknown parameter or has a bad shape or value."""


def near(word: str, choices: list[str], otherwise: str | None = None) -> str:
    """A hint for a name that is not known: the closest known name, or the known names.

    Parameters
    ----------
    word
        The name as written.
    choices
        The names valid at that place.
    otherwise
        The hint when no name is close; by default the known names.

    Returns
    -------
    str
        ``did you mean 'x'?`` for a close match, else ``otherwise`` or ``known: a, b, …`` (the first 12),
        or ``none is declared``.
    """
    close = difflib.get_close_matches(word, choices, n=1)
    if close:
        return f"did you mean '{close[0]}'?"
    if otherwise is not None:
        return otherwise
    return f"known: {', '.join(choices[:12])}" if choices else "none is declared"
