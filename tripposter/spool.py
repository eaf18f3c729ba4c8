"""The encrypted spool: the only place photo bytes rest, and only for minutes.

Each file gets its own random AES-256-GCM key. The key is wrapped with the spool's master key and
kept in the database row, never beside the file, so destroying a photo both unlinks the file and
forgets its key. Names are generated here; a path is always checked to lie inside the spool.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .spool_stream import IncomingFile

NAME_BYTES = 16
SUFFIX = ".enc"
# An upload still arriving (see spool_stream): its key lives only in the receiving process.
INCOMING_SUFFIX = ".part"
_NONCE = 12
# A generated name: 32 hex digits, then ``.enc``, or ``.part`` for an upload still arriving, which may
# carry its trip (``.t<id>.part``) so a partial upload a crash cut off is recorded against that trip.
_NAME = re.compile(r"[0-9a-f]{32}(?:\.enc|(?:\.t([0-9]{1,12}))?\.part)")


class SpoolError(Exception):
    """The spool refused an operation (bad name, escaped path, unreadable file)."""


@dataclass(frozen=True)
class Stored:
    name: str
    wrapped_key: bytes


class Spool:
    """A private folder of encrypted files, addressed by generated names."""

    def __init__(self, root: Path, master_key: bytes) -> None:
        self.root = root
        self._master = Fernet(master_key)
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(root, 0o700)

    def write(self, data: bytes) -> Stored:
        """Encrypt ``data`` under a fresh key into a new file; return its name and wrapped key."""
        key = AESGCM.generate_key(bit_length=256)
        nonce = secrets.token_bytes(_NONCE)
        name = secrets.token_hex(NAME_BYTES) + SUFFIX
        path = self.path(name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(nonce + AESGCM(key).encrypt(nonce, data, name.encode()))
                fh.flush()
                os.fsync(fh.fileno())
        except BaseException:
            self.destroy(name)
            raise
        return Stored(name, self._master.encrypt(key))

    def incoming(self, trip_id: int | None = None) -> IncomingFile:
        """A new file that encrypts an upload as it arrives; closing it destroys it."""
        trip = f".t{trip_id}" if isinstance(trip_id, int) and not isinstance(trip_id, bool) and trip_id >= 0 else ""
        name = secrets.token_hex(NAME_BYTES) + trip + INCOMING_SUFFIX
        path = self.path(name)
        return IncomingFile(path, lambda: self.destroy(name))

    def read(self, name: str, wrapped_key: bytes) -> bytes:
        """Decrypt one file.

        Raises:
            SpoolError: the file is missing, or the key or the file is not the one written.
        """
        try:
            key = self._master.decrypt(wrapped_key)
            blob = self._read_no_follow(self.path(name))
            return AESGCM(key).decrypt(blob[:_NONCE], blob[_NONCE:], name.encode())
        except (OSError, InvalidToken, ValueError) as exc:
            raise SpoolError(f"spool file {name} cannot be read: {type(exc).__name__}") from None
        except Exception as exc:  # cryptography's own InvalidTag
            raise SpoolError(f"spool file {name} cannot be read: {type(exc).__name__}") from None

    @staticmethod
    def _read_no_follow(path: Path) -> bytes:
        # A symlink planted under a valid name must not lead us to read another file.
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as fh:
            return fh.read()

    def destroy(self, name: str) -> bool:
        """Unlink the file, fsync the folder, and confirm with a stat that it is gone."""
        path = self.path(name)
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        dir_fd = os.open(self.root, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # the unlink itself reaches the disk, not just the page cache
        finally:
            os.close(dir_fd)
        return not os.path.lexists(path)

    def exists(self, name: str) -> bool:
        return os.path.lexists(self.path(name))

    def age_seconds(self, entry: str) -> float:
        """Seconds since ``entry`` was last written, by the wall clock (never follows a symlink)."""
        if "/" in entry or entry in (".", ".."):
            raise SpoolError("not a spool entry")
        return time.time() - os.lstat(self.root / entry).st_mtime

    def names(self) -> list[str]:
        """Every entry in the spool, whatever it is: reconciliation decides what to keep."""
        return sorted(entry.name for entry in os.scandir(self.root))

    def path(self, name: str) -> Path:
        """The path of ``name``, refusing anything that is not a name this spool generated.

        Raises:
            SpoolError: the name has separators, dots, or would resolve outside the spool.
        """
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise SpoolError("not a spool file name")
        path = self.root / name
        if path.parent.resolve() != self.root.resolve():
            raise SpoolError("spool path escapes the spool")
        return path

    @staticmethod
    def incoming_trip(name: str) -> int | None:
        """The trip a partial upload was sent to, when its name carries one."""
        match = _NAME.fullmatch(name)
        return int(match.group(1)) if match and match.group(1) else None

    def remove_stray(self, entry: str) -> bool:
        """Remove a non-conforming entry found by reconciliation (never follows a symlink)."""
        target = self.root / entry
        if "/" in entry or entry in (".", ".."):
            raise SpoolError("not a spool entry")
        if target.is_symlink() or target.is_file():
            target.unlink()
        return not os.path.lexists(target)
