"""One BLAS thread while the engine multiplies its thin matrices.

The engine's matrix products are draws × columns @ columns × units with a handful of columns. OpenBLAS
spreads any product above about 260,000 multiply-adds over all its threads; on so thin a product the
threads mostly wait on memory and on each other, and a waiting OpenBLAS thread spins. Measured on
the 2-core benchmark machine (10,000 draws × 1,000 units): 0.15 s with one thread, 0.55 s with two,
the same numbers to the bit (a product's terms are split between threads by rows and columns, never
along the summed axis, so each number is added up the same way).

OpenBLAS built with its own threads (as numpy's wheels are) has one pool for the whole process.

:func:`one_blas_thread` limits BLAS to one thread for the duration of a large evaluation (through
threadpoolctl) and restores the caller's setting after it. Evaluations running at once in several
threads of one process (a Dask worker) share that one limit: it is set when the first starts and
restored when the last ends. Other code in the process that uses BLAS meanwhile runs on one thread too.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

BLAS_CELLS = 1 << 16
"""Draws × units from which an evaluation limits BLAS to one thread (below it the limit costs more
than it saves, and OpenBLAS uses one thread for such products anyway)."""

_lock = threading.Lock()
_users = 0
_limiter: Any = None
_controller: Any = None


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the block with BLAS on one thread (see the module docstring)."""
    global _users, _limiter, _controller
    with _lock:
        if _users == 0:
            if _controller is None:
                from threadpoolctl import ThreadpoolController

                _controller = ThreadpoolController()
            _limiter = _controller.limit(limits=1, user_api="blas")
            _release_control()
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0:
                _limiter.restore_original_limits()
                _limiter = None
                _release_control()


def _release_control() -> None:
    """Let any thread set OpenBLAS's threads next: threadpoolctl lets only the thread that last set a
    process-wide pool's size set it again, and the last evaluation to end (which restores it) may run
    in another thread than the first (which limited it)."""
    for lib in _controller.lib_controllers:
        release = getattr(type(lib), "clear_controlling_thread", None)
        if release is not None:
            release()
