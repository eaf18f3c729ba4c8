"""A signed-off log is frozen: the header and rows as signed, stored as canonical JSON with its SHA-256.

Canonical JSON (keys sorted, no spaces, UTF-8) gives the same bytes for the same content on every
machine, so anyone can recompute the checksum from the stored text. Later edits to the trip (its
destination, its lead) and later records never rewrite the snapshot: they are listed beside it as
"edits after sign-off".
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

Facts = list[tuple[str, str]]
Rows = list[tuple[str, ...]]
VERSION = 1
# Facts that are meant to differ from the snapshot: when it was signed and when it is printed.
_NOT_COMPARED = {"Sign-off", "Generated"}


@dataclass(frozen=True)
class Frozen:
    """The log as signed, whether it still matches its checksum, and what has changed since."""

    facts: Facts
    rows: Rows
    sha256: str
    intact: bool
    edits: list[str]


def canonical(facts: Facts, rows: Rows) -> str:
    body = {"version": VERSION, "facts": [list(f) for f in facts], "rows": [list(r) for r in rows]}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def checksum(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def freeze(facts: Facts, rows: Rows) -> tuple[str, str]:
    """The snapshot's text and its SHA-256."""
    text = canonical(facts, rows)
    return text, checksum(text)


def thaw(snapshot: str, sha256: str, live_facts: Facts, live_rows: Rows) -> Frozen:
    """Read a snapshot back, check it, and list every difference from the log as it stands now."""
    body = json.loads(snapshot)
    facts = [(str(label), str(value)) for label, value in body["facts"]]
    rows = [tuple(str(cell) for cell in row) for row in body["rows"]]
    return Frozen(facts, rows, sha256, checksum(snapshot) == sha256, _edits(facts, rows, live_facts, live_rows))


def _edits(facts: Facts, rows: Rows, live_facts: Facts, live_rows: Rows) -> list[str]:
    edits = []
    signed = dict(facts)
    for label, value in live_facts:
        if label in _NOT_COMPARED or signed.get(label) == value:
            continue
        was = signed.get(label)
        edits.append(f"{label}: now \u201c{value}\u201d" + (f" (signed as \u201c{was}\u201d)" if was is not None else ""))
    by_id = {row[0]: row for row in rows}
    for row in live_rows:
        before = by_id.get(row[0])
        if before is None:
            edits.append(f"Photo {row[0]}: recorded after sign-off: {row[3]}, {row[5]}")
        elif before != row:
            edits.append(f"Photo {row[0]}: now {row[3]}, {row[5]}")
    return edits
