"""Per-account back-off after failed sign-ins: slows a guesser, never locks the owner out for long.

The first few failures cost nothing (everyone mistypes). After that each failure makes the account
wait before its next password try: 15 s, 30 s, 1 min, ... up to a cap of a few minutes. An attacker
gets a handful of guesses an hour; the owner waits at most the cap, and a passkey sign-in is never
held back (it proves the phone, not a guessable secret). Only failures count. The counts live in
the rate-limit store (memory, or Redis shared by every web process), through the ``limits`` API.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Protocol


class Store(Protocol):
    """The part of a ``limits`` storage this uses (MemoryStorage, RedisStorage...)."""

    def incr(self, key: str, expiry: float, amount: int = 1) -> int: ...
    def get(self, key: str) -> int: ...
    def get_expiry(self, key: str) -> float: ...
    def clear(self, key: str) -> None: ...


@dataclass(frozen=True)
class Backoff:
    store: Store
    namespace: str
    free: int = 5  # failures before any wait
    first: int = 15  # seconds, doubled with every further failure
    cap: int = 300  # the longest the owner can be kept waiting
    memory: int = 3600  # failures are forgotten this long after the first of them

    def _keys(self, account: str) -> tuple[str, str]:
        base = f"{self.namespace}:backoff:{account.strip().lower()[:254]}"
        return base + ":failures", base + ":wait"

    def wait(self, account: str) -> int:
        """Seconds before ``account`` may try a password again; 0 when it may now."""
        _, wait_key = self._keys(account)
        if self.store.get(wait_key) <= 0:
            return 0
        return max(1, math.ceil(self.store.get_expiry(wait_key) - time.time()))

    def failed(self, account: str) -> int:
        """Count a failure; returns the wait it sets (0 while failures are still free)."""
        failures_key, wait_key = self._keys(account)
        failures = self.store.incr(failures_key, self.memory)
        if failures <= self.free:
            return 0
        seconds = min(self.cap, self.first * 2 ** (failures - self.free - 1))
        self.store.clear(wait_key)
        self.store.incr(wait_key, seconds)
        return seconds

    def succeeded(self, account: str) -> None:
        """The owner is in: forget the failures."""
        for key in self._keys(account):
            self.store.clear(key)


def in_words(seconds: int) -> str:
    """"40 seconds", "2 minutes": for the message that says how long to wait."""
    if seconds < 60:
        return f"{seconds} seconds"
    minutes = math.ceil(seconds / 60)
    return "1 minute" if minutes == 1 else f"{minutes} minutes"
