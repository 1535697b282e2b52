"""What every part of the scheme package shares: ids, file locations, the problem a check raises."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Annotated, Any

from pydantic import Field

Id = Annotated[str, Field(pattern=r"^[A-Za-z0-9_\-\u3400-\u9fff]+$", max_length=64)]
Loc = tuple[str | int, ...]
"""A place in a scheme file: keys and list indices from the top, as pydantic reports them."""
TOLERANCE = 1e-9


class Problem(Exception):
    """A consistency problem found by a check: where in the file, what is wrong, what to do."""

    def __init__(self, loc: Loc, message: str, hint: str | None = None) -> None:
        self.loc, self.message, self.hint = loc, message, hint


_FOUND: ContextVar[list[Problem] | None] = ContextVar("perfsim_scheme_problems", default=None)


@contextmanager
def separately() -> Iterator[None]:
    """Run one independent check: under :func:`collect` its :class:`Problem` is noted and checking goes on.

    A check raises :class:`Problem` at the first thing wrong; wrapping each independent part (one
    node, one quota, one reference) in ``with separately():`` lets the other parts still be checked,
    so that a file's mistakes are all reported in one run. Checks that depend on one another share
    one block. Outside :func:`collect` the problem is raised as usual.
    """
    try:
        yield
    except Problem as problem:
        found = _FOUND.get()
        if found is None:
            raise
        found.append(problem)


def collect(checks: Sequence[Callable[[Any], None]], subject: Any) -> list[Problem]:
    """Run ``checks`` on ``subject`` and return every problem they find, in the order found.

    Parameters
    ----------
    checks
        Functions that raise :class:`Problem` (wrapping independent parts in :func:`separately`).
    subject
        What they check (a scheme).

    Returns
    -------
    list of Problem
        Empty when all is well.
    """
    found: list[Problem] = []
    token = _FOUND.set(found)
    try:
        for check in checks:
            with separately():
                check(subject)
    finally:
        _FOUND.reset(token)
    return found


def format_loc(loc: Loc) -> str:
    """A file location as a field path such as ``indicators[2].points`` (``(top level)`` for none)."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def format_sum(got: float, target: float) -> str:
    """``got`` for a message that says it is not ``target``: with as many digits as it takes not to read as it.

    ``f"{99.99999:g}"`` is ``100``, which turns "weights sum to 99.99999%, not 100%" into nonsense.

    Parameters
    ----------
    got
        The sum found.
    target
        The sum wanted.

    Returns
    -------
    str
        ``got`` in ``g`` format with 6 significant digits, or more where 6 would read as ``target``.
    """
    for digits in range(6, 18):
        text = f"{got:.{digits}g}"
        if float(text) != target:
            return text
    return repr(got)
