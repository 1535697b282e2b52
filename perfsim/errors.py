"""The one exception family for mistakes a user can make (bad files, fields, parameters)."""

from __future__ import annotations

from pathlib import Path


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
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.field = field
        self.hint = hint
        super().__init__(self.render())

    def render(self) -> str:
        where = ": ".join(p for p in (self.file, self.field) if p)
        text = f"{where}: {self.message}" if where else self.message
        if self.hint:
            text += f"\n  fix: {self.hint}"
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
