"""A small in-process memo for what the survey page reads on every request.

Published survey and description versions never change, so each worker keeps
what it built from them for a few minutes instead of asking the database again.
Entries expire, so a process never holds on to a value for long.
"""

import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

Value = TypeVar("Value")

_every_memo: list["TimedMemo"] = []


def clear_all() -> None:
    """Forget everything kept, e.g. between tests whose database rolled back."""
    for memo in _every_memo:
        memo.clear()


class TimedMemo(Generic[Value]):
    def __init__(self, *, seconds: float, max_entries: int = 1000) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self._entries: dict[Hashable, tuple[float, Value]] = {}
        _every_memo.append(self)

    def get_or_build(
        self, key: Hashable, build: Callable[[], tuple[Value, bool]]
    ) -> Value:
        """The kept value, or `build()`'s, kept when build says it may be."""
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry is not None and entry[0] > now:
            return entry[1]
        value, keep = build()
        if keep:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[key] = (now + self.seconds, value)
        return value

    def clear(self) -> None:
        self._entries.clear()
