"""Group commit: one writer thread per process writes the pending requests of many callers in
one transaction, and answers each caller only after the commit that holds its write.

A request is a `kind` (a function that writes a list of items on one connection inside the
open transaction and returns, for each item, its result or the exception that refuses it)
and one item. The writer takes everything queued (at most `max_batch` items), groups the
items by kind in arrival order, runs each kind once, commits, and then resolves every
caller's future with its own result or its own error: a refused item (409, 404, 429) never
fails the others. If a kind raises instead of answering per item (a unique key taken by
another process meanwhile, a lost connection), the transaction is rolled back and each of
its items is written again alone in its own transaction, so every caller still gets the
answer it would have got alone.

Durability is the database's: a future resolves after COMMIT returned (on SQLite with the
synchronous level make_engine sets, see db.py). When the next group is already waiting, its
writes run (uncommitted) before the answers of the last commit are sent: see _run.

Callers on an event loop hand their items over once per turn of the loop (write); the writer
wakes each loop once per group (_resolve)."""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from concurrent.futures import Future
from typing import Any, Callable, Sequence

from sqlalchemy.engine import Connection, Engine

__all__ = ["GroupCommitter", "Kind"]

#: writes items on a connection inside an open transaction; one result or exception per item
Kind = Callable[[Connection, Sequence[Any]], list[Any]]

log = logging.getLogger("manyi.storage.group")
_STOP = object()


class GroupCommitter:
    def __init__(self, engine: Engine, *, max_batch: int = 512, autostart: bool = True, name: str = "manyi-writer"):
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1; got {max_batch}")
        self.engine, self.max_batch = engine, max_batch
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._name, self._autostart = name, autostart
        self._lock = threading.Lock()
        self._turns: dict[asyncio.AbstractEventLoop, list] = {}  # items of this turn of each loop
        #: commits made and items written (for tests and benchmarks)
        self.commits = 0
        self.items = 0

    # -- callers ---------------------------------------------------------------------------------
    def start(self) -> "GroupCommitter":
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
        return self

    def stop(self) -> None:
        """Write what is queued, then end the writer thread."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(_STOP)
            thread.join()

    def submit(self, kind: Kind, item: Any) -> Future:
        """Queue one item; the future resolves after the commit that holds it."""
        if self._thread is None and self._autostart:
            self.start()
        fut: Future = Future()
        self._queue.put((kind, item, fut))
        return fut

    async def write(self, kind: Kind, item: Any) -> Any:
        """Queue one item and wait (without blocking the event loop) for its committed result.
        The items of one turn of the event loop reach the writer together (one wake-up of
        the writer thread per turn, not per item), and the writer wakes each event loop once
        per group."""
        if self._thread is None and self._autostart:
            self.start()
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        turn = self._turns.get(loop)
        if turn is None:
            turn = self._turns[loop] = []
            loop.call_soon(self._hand_over, loop)
        turn.append((kind, item, fut))
        return await fut

    def _hand_over(self, loop: asyncio.AbstractEventLoop) -> None:
        self._queue.put(self._turns.pop(loop))

    def write_sync(self, kind: Kind, item: Any) -> Any:
        return self.submit(kind, item).result()

    # -- the writer --------------------------------------------------------------------------------
    def _take(self, held: list, wait: bool) -> tuple[list, list, bool]:
        """(the next group, items held back beyond max_batch, whether _STOP was seen)."""
        stopping = False
        if not held:
            try:
                first = self._queue.get() if wait else self._queue.get_nowait()
            except queue.Empty:
                return [], [], False
            if first is _STOP:
                return [], [], True
            held = first if isinstance(first, list) else [first]
        while len(held) < self.max_batch:
            try:
                nxt = self._queue.get_nowait()
            except queue.Empty:
                break
            if nxt is _STOP:
                stopping = True
                break
            if isinstance(nxt, list):  # the items of one turn of an event loop
                held.extend(nxt)
            else:
                held.append(nxt)
        return held[:self.max_batch], held[self.max_batch:], stopping

    def _run(self) -> None:
        """Write group after group. When the next group is waiting as a commit returns, its
        writes run first (uncommitted) and the committed answers are sent after them. The
        driver lets go of the GIL at every statement step and must get it back, which waits
        while the event loop runs; sent first, the answers make the event loop busiest (a
        whole group's requests woken and answered) exactly while the next group's statements
        need the GIL. In this order those statements meet an event loop that is waiting for
        the answers, and the next commit's wait on the disk overlaps the loop's work on them.
        No answer is sent before the commit that holds it; the answers wait for the next
        group's writes (a lock held by another process would delay them, durable already)."""
        held: list = []
        stopping = False
        answered: list | None = None  # answers of the last commit, not sent yet
        while True:
            batch: list = []
            if not stopping:
                batch, held, stopping = self._take(held, wait=answered is None)
            elif held:
                batch, held = held[:self.max_batch], held[self.max_batch:]
            staged = None
            try:
                staged = self._stage(batch) if batch else None
                if answered is not None:
                    _resolve(answered)
                    answered = None
                if batch:
                    answered, staged = self._finish(batch, staged), None
            except BaseException as e:  # never leave a caller waiting
                log.exception("group commit failed")
                if staged is not None:
                    staged[0].close()  # rolls back
                _resolve([*(answered or ()), *((fut, e) for _, _, fut in batch)])
                answered = None
            if not batch and not held and stopping:
                if answered is not None:
                    _resolve(answered)
                return

    def _stage(self, batch: list[tuple[Kind, Any, Future]]):
        """Run the group's writes in a new transaction: (connection, transaction, answers), or
        None when a kind raised (the transaction is rolled back)."""
        groups: dict[Kind, list[tuple[Any, Future]]] = {}
        for kind, item, fut in batch:
            groups.setdefault(kind, []).append((item, fut))
        conn = self.engine.connect()
        try:
            trans = conn.begin()
            answers: list[tuple[Future, Any]] = []
            for kind, pairs in groups.items():
                results = kind(conn, [item for item, _ in pairs])
                if len(results) != len(pairs):
                    raise RuntimeError(f"{kind.__name__} answered {len(results)} of {len(pairs)} items")
                answers.extend((fut, res) for (_, fut), res in zip(pairs, results))
        except Exception:
            conn.close()  # rolls back
            return None
        return conn, trans, answers

    def _finish(self, batch: list[tuple[Kind, Any, Future]], staged) -> list | None:
        """Commit a staged group and return its answers (to be sent now: the commit holds
        every write of the group); a group whose writes or commit failed is written item by
        item instead (each answered after its own commit) and None returned."""
        if staged is not None:
            conn, trans, answers = staged
            try:
                trans.commit()
            except Exception:
                answers = None
            finally:
                conn.close()
            if answers is not None:
                self.commits += 1
                self.items += len(batch)
                return answers
        log.info("group of %d rolled back; writing its items one by one", len(batch))
        for kind, item, fut in batch:
            self._write_alone(kind, item, fut)
        return None

    def _write_alone(self, kind: Kind, item: Any, fut: Future) -> None:
        """One item in its own transaction; a kind may name its own single-item path
        (`kind.alone(item)`, which commits before it returns and raises a refusal)."""
        alone = getattr(kind, "alone", None)
        try:
            if alone is not None:
                res = alone(item)
            else:
                with self.engine.begin() as conn:
                    (res,) = kind(conn, [item])
        except Exception as e:
            _resolve([(fut, e)])
            return
        self.commits += 1
        self.items += 1
        _resolve([(fut, res)])


def _settle(pairs: list[tuple[Any, Any]]) -> None:
    for fut, res in pairs:
        if fut.done():  # an asyncio caller that went away (cancelled)
            continue
        if isinstance(res, BaseException):
            fut.set_exception(res)
        else:
            fut.set_result(res)


def _resolve(answers: list[tuple[Any, Any]]) -> None:
    """Thread-safe futures directly; asyncio futures in one callback per event loop."""
    loops: dict[asyncio.AbstractEventLoop, list[tuple[Any, Any]]] = {}
    plain = []
    for fut, res in answers:
        if isinstance(fut, asyncio.Future):
            loops.setdefault(fut.get_loop(), []).append((fut, res))
        else:
            plain.append((fut, res))
    _settle(plain)
    for loop, pairs in loops.items():
        try:
            loop.call_soon_threadsafe(_settle, pairs)
        except RuntimeError:  # the loop is closed: nobody waits any more
            pass
