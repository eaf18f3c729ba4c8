"""The spool keeps to its folder: generated names only, no symlink followed, destruction confirmed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tripposter import spool as spool_module
from tripposter.spool import Spool, SpoolError

GOOD = "0123456789abcdef0123456789abcdef.enc"


@pytest.fixture
def spool(tmp_path: Path) -> Spool:
    return Spool(tmp_path / "spool", Fernet.generate_key())


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    target = tmp_path / "precious.txt"
    target.write_bytes(b"a file outside the spool that must never be touched")
    return target


BAD_NAMES = {
    "dot-dot": "..",
    "dot": ".",
    "empty": "",
    "parent-escape": "../0123456789abcdef0123456789abcdef.enc",
    "deep-escape": "../../etc/passwd",
    "absolute": "/etc/passwd",
    "absolute-valid-looking": "/tmp/0123456789abcdef0123456789abcdef.enc",
    "separator": "0123456789abcdef/0123456789abcdef.enc",
    "backslash": "0123456789abcdef\\123456789abcdef.enc",
    "trailing-slash": GOOD + "/",
    "nul-byte": "0123456789abcdef0123456789abcde\x00.enc",
    "uppercase-hex": GOOD.upper().replace(".ENC", ".enc"),
    "short": "0123.enc",
    "long": "0" * 64 + ".enc",
    "wrong-suffix": "0123456789abcdef0123456789abcdef.jpg",
    "double-suffix": "0123456789abcdef0123456789abcdef.enc.enc",
    "no-suffix": "0123456789abcdef0123456789abcdef",
    "hidden": ".0123456789abcdef0123456789abcdef.enc",
    "unicode-digits": "０123456789abcdef0123456789abcdef.enc",
}


@pytest.mark.parametrize("name", list(BAD_NAMES.values()), ids=list(BAD_NAMES))
def test_every_operation_refuses_a_name_the_spool_did_not_generate(spool: Spool, name: str) -> None:
    for operation in (spool.path, spool.exists, spool.destroy, lambda n: spool.read(n, b"key")):
        with pytest.raises(SpoolError):
            operation(name)


@pytest.mark.parametrize("name", ["..", ".", "a/b", "../x", "/etc/passwd"])
def test_reconciliation_cannot_be_pointed_outside(spool: Spool, name: str) -> None:
    with pytest.raises(SpoolError):
        spool.remove_stray(name)


def test_generated_names_round_trip(spool: Spool) -> None:
    stored = spool.write(b"clean jpeg bytes")
    assert spool.path(stored.name).parent == spool.root and stored.name.endswith(".enc")
    assert b"clean jpeg bytes" not in (spool.root / stored.name).read_bytes()
    assert spool.read(stored.name, stored.wrapped_key) == b"clean jpeg bytes"
    assert oct(os.stat(spool.root / stored.name).st_mode & 0o777) == "0o600"
    assert oct(os.stat(spool.root).st_mode & 0o777) == "0o700"
    assert spool.destroy(stored.name) and spool.names() == []


def test_read_does_not_follow_a_planted_symlink(spool: Spool, tmp_path: Path) -> None:
    # A genuine spool file moved out, and a link to it left under its valid name.
    stored = spool.write(b"a photo")
    moved = tmp_path / "moved.enc"
    os.replace(spool.root / stored.name, moved)
    os.symlink(moved, spool.root / stored.name)
    with pytest.raises(SpoolError):
        spool.read(stored.name, stored.wrapped_key)
    assert spool.destroy(stored.name) and moved.exists()


@pytest.mark.parametrize("how", ["write", "incoming"])
def test_write_does_not_follow_a_planted_symlink(spool: Spool, outside: Path, monkeypatch: pytest.MonkeyPatch,
                                                 how: str) -> None:
    # Someone who can predict the next name plants a link there first: the write must not go through it.
    monkeypatch.setattr(spool_module.secrets, "token_hex", lambda n: "ab" * n)
    suffix = ".enc" if how == "write" else ".part"
    os.symlink(outside, spool.root / ("ab" * 16 + suffix))
    before = outside.read_bytes()
    with pytest.raises(OSError):
        spool.write(b"photo") if how == "write" else spool.incoming()
    assert outside.read_bytes() == before
    assert spool.destroy("ab" * 16 + suffix)


def test_destroy_removes_a_symlink_never_its_target(spool: Spool, outside: Path) -> None:
    os.symlink(outside, spool.root / GOOD)
    assert spool.exists(GOOD)
    assert spool.destroy(GOOD) is True
    assert not os.path.lexists(spool.root / GOOD) and outside.exists()


def test_remove_stray_unlinks_links_and_files_only(spool: Spool, outside: Path) -> None:
    os.symlink(outside, spool.root / "link-to-outside")
    os.symlink(outside.parent, spool.root / "link-to-folder")
    (spool.root / "junk.txt").write_text("junk")
    for entry in ("link-to-outside", "link-to-folder", "junk.txt"):
        assert spool.remove_stray(entry) is True
    assert spool.names() == [] and outside.exists()


def test_destroy_unlinks_then_fsyncs_the_folder_then_confirms(spool: Spool, monkeypatch: pytest.MonkeyPatch) -> None:
    stored = spool.write(b"a photo")
    path = spool.root / stored.name
    synced: list[tuple[int, bool]] = []
    real_fsync = os.fsync

    def watching_fsync(fd: int) -> None:
        # Which inode was synced, and whether the file was already gone at that moment.
        synced.append((os.fstat(fd).st_ino, os.path.lexists(path)))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", watching_fsync)
    assert spool.destroy(stored.name) is True
    assert synced == [(os.stat(spool.root).st_ino, False)]
    assert not os.path.lexists(path)


def test_destroy_reports_a_file_that_survived(spool: Spool, monkeypatch: pytest.MonkeyPatch) -> None:
    stored = spool.write(b"a photo")
    monkeypatch.setattr(Path, "unlink", lambda self, missing_ok=False: None)  # e.g. a read-only mount
    assert spool.destroy(stored.name) is False  # the stat saw it: never recorded as verified
    monkeypatch.undo()
    assert spool.destroy(stored.name) is True


def test_destroying_twice_is_not_an_error(spool: Spool) -> None:
    stored = spool.write(b"a photo")
    assert spool.destroy(stored.name) and spool.destroy(stored.name)
