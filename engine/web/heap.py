"""The garbage collector of a serving process: set at the app's startup, undone at shutdown.

Under load many requests are in flight at once (a submission waits for the commit of its
group), so a few thousand container objects (coroutines, tasks, scopes, headers, futures) are
alive together. With CPython's default first threshold (700 net new objects) the collector
then runs every few milliseconds, finds those objects alive and moves them to the older
generations, and every so often a full collection walks the whole heap of the service with the
event loop stopped (about 150 ms with everything the service imports). Measured through the
ASGI app with 64 submissions in flight: 57 us of collection per submission, half the event
loop's own time for it.

So at startup what is loaded by then (code, configuration, the app) is collected and frozen
(gc.freeze: never walked again while the app runs), and the first threshold is raised to
FIRST_THRESHOLD. Cyclic garbage is still collected; what waits for collection is bounded by
the threshold. At shutdown both are undone, so that a process that makes many apps (the test
suite) can free the old ones."""

from __future__ import annotations

import gc

__all__ = ["FIRST_THRESHOLD", "settle_heap", "unsettle_heap"]

#: net new container objects between two young-generation collections
FIRST_THRESHOLD = 10_000

_before: list[tuple[int, int, int]] = []  # thresholds to restore, one per settle


def settle_heap() -> None:
    """Freeze the heap loaded so far and raise the first GC threshold (app startup)."""
    gc.collect()
    gc.freeze()
    first, second, third = threshold = gc.get_threshold()
    _before.append(threshold)
    gc.set_threshold(max(first, FIRST_THRESHOLD), second, third)


def unsettle_heap() -> None:
    """Undo settle_heap (app shutdown)."""
    gc.unfreeze()
    if _before:
        gc.set_threshold(*_before.pop())
