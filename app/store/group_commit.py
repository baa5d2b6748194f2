"""Group commit: small write transactions of many threads committed together.

With ``synchronous=FULL`` every SQLite commit waits for the disk, and SQLite has one writer at
a time, so a server writing one small transaction per request spends its writer's turn mostly
committing (and, with 40 threads, waiting for the GIL between statements); on PostgreSQL each
commit is a round trip and a WAL flush. Here the first thread to arrive leads: it takes every
piece of work queued so far, runs them one after the other in one transaction and commits
once; the threads that arrived meanwhile wait, and are answered only after that commit (so
nothing is acknowledged before it is durable); the first of those who arrived during the
commit leads the next group.

A piece of work that refuses (raises anything but a database error) must do so before it
writes: what it did is committed with its group. When the database fails (a statement of any
piece, BEGIN or COMMIT), the group is rolled back and each piece is run again alone, in a
transaction of its own, so one failing piece never costs the others their answer. Pieces
must therefore be idempotent (result posts are: a client id is stored at most once).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

T = TypeVar("T")


class _Work(Generic[T]):
    __slots__ = ("done", "error", "run", "value", "wake")

    def __init__(self, run: Callable[[Connection], T]) -> None:
        self.run = run
        self.wake = threading.Event()
        self.done = False
        self.value: T | None = None
        self.error: BaseException | None = None


class GroupCommit:
    """Runs work in shared write transactions opened by ``begin`` (see the module)."""

    MAX_GROUP = 256
    """Pieces of work in one transaction at most (a server has 40 threads)."""

    def __init__(self, begin: Callable[[], AbstractContextManager[Connection]]) -> None:
        self._begin = begin
        self._lock = threading.Lock()
        self._queue: list[_Work[Any]] = []
        self._leading = False

    def run(self, work: Callable[[Connection], T]) -> T:
        """``work(connection)`` in a write transaction; returns once that is committed."""
        mine = _Work(work)
        with self._lock:
            self._queue.append(mine)
            follow, self._leading = self._leading, True
        if follow:
            mine.wake.wait()
        if not mine.done:  # first in line: lead a group (it contains this work)
            self._lead()
        if mine.error is not None:
            raise mine.error
        return mine.value  # type: ignore[return-value]

    def _lead(self) -> None:
        with self._lock:
            group, self._queue = self._queue[: self.MAX_GROUP], self._queue[self.MAX_GROUP :]
        try:
            if not self._together(group) and len(group) > 1:
                for work in group:  # the group's transaction failed: each alone, as if unshared
                    self._alone(work)
        finally:
            with self._lock:
                after = self._queue[0] if self._queue else None
                self._leading = after is not None
            for work in group:
                work.done = True
                work.wake.set()
            if after is not None:
                after.wake.set()

    def _together(self, group: list[_Work[Any]]) -> bool:
        """Run ``group`` in one transaction; False (rolled back) when the database failed."""
        try:
            with self._begin() as connection:
                for work in group:
                    try:
                        work.value = work.run(connection)
                    except SQLAlchemyError as exc:
                        work.error = exc
                        raise _GroupFailedError from exc
                    except Exception as exc:
                        work.error = exc
        except (_GroupFailedError, SQLAlchemyError) as exc:  # a statement, BEGIN or COMMIT
            for work in group:
                work.value = None
                work.error = work.error or exc.__cause__ or exc
            return False
        except BaseException as exc:  # interrupted: nothing is known to be stored
            for work in group:
                work.value, work.error = None, work.error or exc
            raise
        return True

    def _alone(self, work: _Work[Any]) -> None:
        work.value, work.error = None, None
        try:
            with self._begin() as connection:
                work.value = work.run(connection)
        except Exception as exc:
            work.value, work.error = None, exc


class _GroupFailedError(Exception):
    """A piece of work met a database error: the group's transaction cannot be committed."""
