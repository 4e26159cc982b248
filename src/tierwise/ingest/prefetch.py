"""Iterate in a background thread, a few items ahead (overlap parsing with validation)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

_DONE = object()


def prefetch(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """Iterate ``items`` in a background thread, ``depth`` items ahead.

    Parsing the next CSV block (pyarrow) and validating the current one (DuckDB) both release
    the GIL, so they overlap on two cores. Errors are re-raised in the consumer.
    """
    q: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def work() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                q.put(item)
        except BaseException as exc:  # handed to the consumer
            q.put(_Failure(exc))
        q.put(_DONE)

    thread = threading.Thread(target=work, name="tierwise-prefetch", daemon=True)
    thread.start()
    try:
        while (got := q.get()) is not _DONE:
            if isinstance(got, _Failure):
                raise got.exc
            yield got  # type: ignore[misc]
    finally:
        stop.set()
        while thread.is_alive():
            try:
                q.get_nowait()
            except queue.Empty:
                thread.join(timeout=0.05)


@dataclass(frozen=True)
class _Failure:
    exc: BaseException
