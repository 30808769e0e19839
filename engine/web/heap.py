"""The garbage collector of a serving process, set once at startup.

Under load many requests are in flight at once (a submission waits for the commit of its
group), so a few thousand container objects (coroutines, tasks, scopes, headers, futures) are
alive together. With CPython's default first threshold (700 net new objects) the collector
then runs every few milliseconds, finds those objects alive and moves them to the older
generations, and every so often a full collection walks the whole heap of the service with the
event loop stopped (about 150 ms with everything the service imports). Measured through the
ASGI app with 64 submissions in flight: 57 us of collection per submission, half the event
loop's own time for it.

So, once per process, at the app's startup: what is loaded by then (code, configuration, the
app) is collected and frozen (gc.freeze: alive for the life of the process, never walked
again), and the first threshold is raised to FIRST_THRESHOLD. Cyclic garbage is still
collected; what waits for collection is bounded by the threshold."""

from __future__ import annotations

import gc

__all__ = ["FIRST_THRESHOLD", "settle_heap"]

#: net new container objects between two young-generation collections
FIRST_THRESHOLD = 10_000

_settled = False


def settle_heap() -> None:
    """Freeze the heap loaded so far and raise the first GC threshold (once per process)."""
    global _settled
    if _settled:
        return
    _settled = True
    gc.collect()
    gc.freeze()
    first, second, third = gc.get_threshold()
    gc.set_threshold(max(first, FIRST_THRESHOLD), second, third)
