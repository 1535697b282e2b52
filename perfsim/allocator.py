"""Keep the memory numpy frees in the process heap, so per-year temporaries do not fault fresh pages.

A simulated year allocates and frees dozens of draw × unit temporaries of one to a few MiB each.
glibc returns such blocks to the kernel (mmap for large blocks, heap trimming for the rest), and
the next year faults every page in again: in a virtual machine that costs as much as the
arithmetic (seen here: 350,000 page faults and 2.8 s of system time in an 11 s simulation, 50,000
and 1.6 s with the settings below). The settings keep up to :data:`TRIM_BYTES` of freed heap.
"""

from __future__ import annotations

import ctypes
import sys

# mallopt parameters (glibc malloc.h)
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3
MMAP_BYTES = 32 << 20
"""Blocks below this come from the heap and are reused (glibc's own ceiling for its adaptive threshold)."""
TRIM_BYTES = 512 << 20
"""Free heap kept before any is given back to the system."""
PAD_BYTES = 64 << 20

_done = False


def retain_freed_memory() -> bool:
    """Tune glibc's allocator once per process; True when the settings took effect.

    Elsewhere (another C library, another system) this does nothing and returns False.
    """
    global _done
    if _done:
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and others have no mallopt
        return False
    _done = all(
        mallopt(param, value) == 1
        for param, value in ((_M_MMAP_THRESHOLD, MMAP_BYTES), (_M_TRIM_THRESHOLD, TRIM_BYTES), (_M_TOP_PAD, PAD_BYTES))
    )
    return _done
