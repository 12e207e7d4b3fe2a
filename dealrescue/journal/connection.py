"""Opening the journal file safely, and turning SQLite's errors into messages a user can act on.

Rules (DESIGN.md section 4, issues 3 and 11):

- the data folder is 0700 when dealrescue makes it; the database, with its -wal and -shm
  files, is 0600 whatever the umask: it holds customer notes;
- a journal (or -wal, -shm file) owned by another user is refused, never adopted: whoever
  owns it could read every note written into it. A journal others can read is made 0600,
  and the user is told; one that cannot be made private is refused. A mode is never
  loosened (a 0400 journal stays 0400);
- a journal written by a newer dealrescue is refused and never modified; a damaged file is
  reported, never recreated over;
- WAL mode; every write is its own ``BEGIN IMMEDIATE`` transaction under a busy timeout.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sqlite3
import stat
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from dealrescue import paths
from dealrescue.errors import DealRescueError, JournalError
from dealrescue.journal import migrations

DEFAULT_TIMEOUT = 5.0
"""Seconds a write waits for another dealrescue to finish before giving up."""

_SIDE_FILES = ("-wal", "-shm")

Notify = Callable[[str], None]


def connect(path: Path, timeout: float, notify: Notify) -> sqlite3.Connection:
    """Open (creating if needed) the journal at ``path``: checked, migrated, in WAL mode.

    Raises ``JournalError`` for a journal that is not the user's, damaged, not a dealrescue
    journal, written by a newer dealrescue, busy for longer than ``timeout`` seconds, or
    that cannot be created. None of these cases changes the file.
    """
    try:
        paths.ensure_private_dir(path.parent)
    except OSError as exc:
        raise JournalError(
            f"cannot create the data folder {path.parent}: {exc.strerror or exc}",
            hint=f"check the folder, or set {paths.HOME_ENV} to another folder",
        ) from exc
    # The -wal and -shm files first: SQLite reads (and may remove) them as soon as it opens the journal.
    _check_side_files(path, notify)
    if not os.access(path.parent, os.W_OK) and path.is_file():
        return _read_only(path, timeout, notify)
    identity = _create_or_check(path, timeout, notify)
    try:
        conn = sqlite3.connect(str(path), timeout=timeout, isolation_level=None)
    except sqlite3.Error as exc:
        raise translate(exc, path, timeout) from exc
    # Text that is not UTF-8 (a damaged row, or bytes written by another tool) reads with U+FFFD
    # in place of the bad bytes: the row is shown as it can be, and the others with it. All in C.
    conn.text_factory = functools.partial(str, encoding="utf-8", errors="replace")
    try:
        # The file SQLite opened is the one checked, not one swapped in since.
        if _identity(os.stat(path)) != identity:
            raise JournalError(f"the journal {path} was replaced while it was being opened; it was not used", hint=_OWN_FOLDER)
        _setup(conn, path, timeout)
        _check_side_files(path, notify)
    except BaseException:
        conn.close()
        raise
    return conn


_OWN_FOLDER = f"move it out of the way, or set {paths.HOME_ENV} to a folder only you can write"


def _check_side_files(path: Path, notify: Notify) -> None:
    for suffix in _SIDE_FILES:
        with contextlib.suppress(FileNotFoundError):
            _check_owned_file(path.with_name(path.name + suffix), notify)


def _identity(info: os.stat_result) -> tuple[int, int]:
    return (info.st_dev, info.st_ino)


def _create_or_check(path: Path, timeout: float, notify: Notify) -> tuple[int, int]:
    """Make a new journal file 0600, or check an existing one; return what was checked."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        # A read-only look first: a newer, foreign or other user's journal is refused
        # without even a checkpoint being written to it.
        checked = _check_owned_file(path, notify)
        _probe(path, timeout)
        return checked
    except OSError as exc:
        raise JournalError(
            f"cannot create the journal {path}: {exc.strerror or exc}",
            hint=f"check the folder, or set {paths.HOME_ENV} to another folder",
        ) from exc
    try:
        os.fchmod(fd, 0o600)  # whatever the umask
        return _identity(os.fstat(fd))
    finally:
        os.close(fd)


def _check_owned_file(path: Path, notify: Notify) -> tuple[int, int]:
    """Refuse a file that is not the user's; make one others can read private, and say so.

    Looked at with ``lstat``, never opened: closing a descriptor of a file drops every POSIX lock
    this process holds on it, SQLite's included. Opening and closing the -shm file under an open
    connection let a second process take the journal for unused and reset that file beneath
    the first one's memory map, which then died of SIGBUS.
    """
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise JournalError(f"cannot read the journal {path}: {exc.strerror or exc}", hint="check its permissions") from exc
    if stat.S_ISLNK(info.st_mode):
        raise JournalError(f"the journal file {path} is a symbolic link; it was not used", hint=_OWN_FOLDER)
    if not stat.S_ISREG(info.st_mode):
        raise JournalError(f"the journal {path} is not a regular file; it was not used", hint=_OWN_FOLDER)
    if info.st_uid != os.getuid():
        raise JournalError(
            f"the journal file {path} belongs to another user (uid {info.st_uid}), who could read every note "
            "written to it; it was not used",
            hint=_OWN_FOLDER,
        )
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        private = mode & 0o700
        try:
            # Rare (SQLite gives -wal and -shm the journal's own mode, made private first), so
            # here a descriptor is worth it: O_NOFOLLOW, so a link swapped in is never followed.
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            try:
                os.fchmod(fd, private)
            finally:
                os.close(fd)
        except OSError as exc:
            raise JournalError(
                f"the journal file {path} can be read by other users (mode {mode:04o}) and could not be made "
                f"private: {exc.strerror or exc}",
                hint=f"chmod 600 {path}, or {_OWN_FOLDER}",
            ) from exc
        notify(f"The journal file {path} could be read by other users (mode {mode:04o}); it is now {private:04o}.")
    return _identity(info)


def _read_only(path: Path, timeout: float, notify: Notify) -> sqlite3.Connection:
    """The journal of a data folder that cannot be written (a read-only disk or mount): read as
    it is, so listings and exports work; anything that would save says so when it tries."""
    _check_owned_file(path, notify)  # the same ownership check; check_identity below reads it
    # Without a -wal file nothing is pending, and nothing can be added while the folder is read-only.
    pending = os.path.exists(f"{path}-wal")
    uri = path.absolute().as_uri() + ("?mode=ro" if pending else "?mode=ro&immutable=1")
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None)
        conn.text_factory = functools.partial(str, encoding="utf-8", errors="replace")
        check_identity(conn, path)
    except sqlite3.Error as exc:
        raise translate(exc, path, timeout) from exc
    notify(f"The data folder {path.parent} cannot be written: the journal is read as it is, and nothing new is saved.")
    return conn


def _probe(path: Path, timeout: float) -> None:
    """Read the version of an existing journal through a read-only connection.

    Only SQLite touches the file, and ``os.stat``: a descriptor opened and closed here would
    drop the POSIX locks of a journal connection this process already holds.
    """
    try:
        if os.stat(path).st_size == 0:
            return  # an empty file is a new database to SQLite
    except OSError as exc:
        raise JournalError(f"cannot read the journal {path}: {exc.strerror or exc}", hint="check its permissions") from exc
    uri = path.absolute().as_uri() + "?mode=ro"
    try:
        probe = sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None)
    except sqlite3.Error as exc:
        raise translate(exc, path, timeout) from exc
    try:
        check_identity(probe, path)
    except sqlite3.Error as exc:
        raise translate(exc, path, timeout) from exc
    finally:
        probe.close()


def _setup(conn: sqlite3.Connection, path: Path, timeout: float) -> None:
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = FULL")  # an answer given is an answer kept
        check_identity(conn, path)
        version = _switch_to_wal_and_migrate(conn, timeout)
    except sqlite3.Error as exc:
        raise translate(exc, path, timeout) from exc
    if version > len(migrations.MIGRATIONS):
        raise newer(path, version)


def _switch_to_wal_and_migrate(conn: sqlite3.Connection, timeout: float) -> int:
    """Two processes creating the journal at once can get SQLITE_BUSY straight away
    (SQLite skips the busy handler where waiting could deadlock): retry until the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return migrations.apply_migrations(conn)
        except sqlite3.OperationalError as exc:
            busy = "locked" in str(exc) or "busy" in str(exc)
            if not busy or time.monotonic() >= deadline:
                raise
            time.sleep(0.05)


@contextlib.contextmanager
def write(conn: sqlite3.Connection, path: Path, timeout: float) -> Iterator[sqlite3.Connection]:
    """One ``BEGIN IMMEDIATE`` transaction: committed on success, rolled back otherwise."""
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as exc:
        raise translate(exc, path, timeout) from exc
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException as exc:
        _rollback(conn)
        if isinstance(exc, sqlite3.Error):
            raise translate(exc, path, timeout) from exc
        raise


@contextlib.contextmanager
def read(conn: sqlite3.Connection, path: Path, timeout: float) -> Iterator[sqlite3.Connection]:
    try:
        yield conn
    except sqlite3.Error as exc:
        raise translate(exc, path, timeout) from exc


def _rollback(conn: sqlite3.Connection) -> None:
    # After an I/O error SQLite may have rolled back already; the first error is the one to report.
    if conn.in_transaction:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")


def check_identity(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse a journal from a newer dealrescue, or a database that is not a journal at all."""
    # One read transaction: read apart, another process's first migration could commit
    # between the version (still 0) and the table count (no longer 0), which looks foreign.
    conn.execute("BEGIN")
    try:
        version = migrations.read_version(conn)
        app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
        tables = int(conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0])
    except BaseException:
        # A full disk or an I/O error is the error to report, not a failed COMMIT after it.
        _rollback(conn)
        raise
    conn.execute("COMMIT")
    if version > len(migrations.MIGRATIONS):
        raise newer(path, version)
    if app_id not in (0, migrations.APPLICATION_ID):
        raise foreign(path)
    if version == 0 and tables:
        raise foreign(path)


def newer(path: Path, version: int) -> JournalError:
    return JournalError(
        f"the journal {path} was written by a newer dealrescue (journal version {version}; "
        f"this dealrescue reads up to {len(migrations.MIGRATIONS)}); it was left unchanged",
        hint=f"upgrade dealrescue, or set {paths.HOME_ENV} to another folder to use a separate journal",
    )


def foreign(path: Path) -> JournalError:
    return JournalError(
        f"{path} is an SQLite database but not a dealrescue journal; it was left unchanged",
        hint=f"set {paths.HOME_ENV} to another folder",
    )


def damaged(path: Path, detail: str) -> JournalError:
    return JournalError(
        f"the journal {path} is damaged ({detail}); it was left unchanged",
        hint=f"move {path.name} and any {path.name}-wal, {path.name}-shm files out of {path.parent} "
        "to start a new journal (until then, runs work with --no-save)",
    )


class JournalBusyError(JournalError):
    """The journal stayed locked for longer than the timeout."""


def translate(exc: sqlite3.Error, path: Path, timeout: float) -> DealRescueError:
    """Turn an sqlite3 error into the message a user sees."""
    text = str(exc)
    lowered = text.lower()
    if "locked" in lowered or "busy" in lowered:
        # Waiting runs queue one after another: a long queue looks the same as a stuck one.
        return JournalBusyError(
            f"the journal {path} stayed busy for {timeout:g} s (other dealrescue runs were writing to it)",
            hint="try again in a moment; if it stays busy, finish or close the other dealrescue",
        )
    if isinstance(exc, sqlite3.DatabaseError) and ("not a database" in lowered or "malformed" in lowered or "corrupt" in lowered):
        return damaged(path, text)
    if "readonly" in lowered or "read-only" in lowered:
        if not os.access(path.parent, os.W_OK):
            return JournalError(
                f"the data folder {path.parent} cannot be written, so the journal cannot save this; nothing was changed",
                hint=f"run with --no-save, or make {path.parent} writable again",
            )
        return JournalError(
            f"the journal {path} cannot be written ({text}); nothing was changed",
            hint=f"if you made it read-only on purpose, use --no-save; else: chmod 600 {path}",
        )
    if "unable to open" in lowered:
        return JournalError(f"cannot open the journal {path}: {text}", hint=f"check the permissions of {path.parent} and {path.name}")
    if "disk is full" in lowered or "disk i/o" in lowered:
        return JournalError(f"the journal {path} could not be written: {text}", hint=f"free some space on the disk holding {path.parent}")
    return JournalError(f"the journal {path} could not be used: {text}")
