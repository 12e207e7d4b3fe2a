"""A file cache of compiled playbook code, so a playbook is compiled once, not on every run.

An entry holds code that will run as the user, so it is trusted only when nobody else could
have written it or put it there:

- the cache lives in the user's own cache folder (``paths.user_cache_dir()``); every folder on
  the way is opened with ``O_NOFOLLOW | O_DIRECTORY`` and checked on the opened descriptor
  (owned by the user or root, not writable by group or others unless sticky; the cache folder
  itself owned by the user and writable by nobody else). A doubtful folder means no cache:
  runs are slower, never unsafe;
- entries are opened relative to that descriptor, never by path;
- each entry carries an HMAC-SHA256 of its name and content under a per-user key kept 0600 in
  the cache folder: an edited, swapped or renamed entry fails the check and is rebuilt.

Entries are keyed by a hash of the playbook's bytes and the versions that made the code
(see ``dealrescue.core.loader.cache_key``); a damaged or stale entry is simply a miss. Entries
unused for ``MAX_AGE_DAYS`` days, and all but the ``MAX_ENTRIES`` newest, are removed when an
entry is written.
"""

from __future__ import annotations

import contextlib
import hmac
import marshal
import os
import stat
import time
from collections.abc import Iterator
from hashlib import sha256
from pathlib import Path
from typing import Any

from dealrescue import paths

MAGIC = b"DRC2"
KEY_NAME = "key"
KEY_BYTES = 32
SUFFIX = ".entry"
MAX_ENTRY_BYTES = 32 * 1024 * 1024
MAX_ENTRIES = 64
MAX_AGE_DAYS = 30
_TOUCH_AFTER = 24 * 3600  # refresh an entry's age at most once a day: a hit stays a read

_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_FILE_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
# Without descriptor-relative opens and O_NOFOLLOW the checks above cannot be made: no cache.
SUPPORTED = hasattr(os, "O_NOFOLLOW") and hasattr(os, "O_DIRECTORY") and os.open in os.supports_dir_fd


class FileCodeCache:
    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder if folder is not None else paths.user_cache_dir() / "playbooks"

    def get(self, key: str) -> dict[str, Any] | None:
        with self._opened(create=False) as folder_fd:
            if folder_fd is None:
                return None
            secret = _read_key(folder_fd, create=False)
            name = key + SUFFIX
            data = _read_entry(folder_fd, name)
            if secret is None or data is None or not data.startswith(MAGIC):
                return None
            mac, payload = data[len(MAGIC) : len(MAGIC) + 32], data[len(MAGIC) + 32 :]
            if not hmac.compare_digest(mac, _mac(secret, name, payload)):
                return None
            try:
                value = marshal.loads(payload)
            except (ValueError, EOFError, TypeError):
                return None
            _touch(folder_fd, name)
            return value if isinstance(value, dict) else None
        return None  # pragma: no cover - for mypy: the context manager never swallows

    def put(self, key: str, value: dict[str, Any]) -> None:
        try:
            payload = marshal.dumps(value)
        except ValueError:
            return
        with self._opened(create=True) as folder_fd:
            if folder_fd is None:
                return
            secret = _read_key(folder_fd, create=True)
            if secret is None:
                return
            name = key + SUFFIX
            data = MAGIC + _mac(secret, name, payload) + payload
            try:
                _write_new(folder_fd, name, data)
                _evict(folder_fd)
            except OSError:
                # A cache that cannot be written only costs speed.
                return

    @contextlib.contextmanager
    def _opened(self, *, create: bool) -> Iterator[int | None]:
        folder_fd = open_private_dir(self.folder, create=create) if SUPPORTED else None
        try:
            yield folder_fd
        finally:
            if folder_fd is not None:
                os.close(folder_fd)


def open_private_dir(folder: Path, *, create: bool) -> int | None:
    """A descriptor on ``folder`` if it, and every folder on the way to it, is safe to trust; else None.

    Walks from ``/`` one name at a time with ``O_NOFOLLOW``, so no symlink is followed and no
    folder can be swapped between the check and the use. With ``create``, missing folders are
    made 0700.
    """
    real = Path(os.path.realpath(folder))
    uid = os.getuid()
    try:
        fd = os.open("/", _DIR_FLAGS)
    except OSError:
        return None
    trusted = False
    try:
        parts = real.parts[1:]
        for part in parts:
            if not _trusted_dir(os.fstat(fd), uid, last=False):
                return None
            try:
                child = os.open(part, _DIR_FLAGS, dir_fd=fd)
            except FileNotFoundError:
                if not create:
                    return None
                with contextlib.suppress(FileExistsError):
                    os.mkdir(part, 0o700, dir_fd=fd)
                child = os.open(part, _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = child
        trusted = bool(parts) and _trusted_dir(os.fstat(fd), uid, last=True)
        return fd if trusted else None
    except OSError:
        return None
    finally:
        if not trusted:
            os.close(fd)


def _trusted_dir(info: os.stat_result, uid: int, *, last: bool) -> bool:
    if not stat.S_ISDIR(info.st_mode):
        return False
    if last:
        # The cache folder itself: the user's, and nobody else may add or swap entries.
        return info.st_uid == uid and not info.st_mode & 0o022
    # On the way: the user's or root's; writable by others only with the sticky bit (like /tmp),
    # where nobody can rename or remove another user's folder.
    return info.st_uid in (uid, 0) and (not info.st_mode & 0o022 or bool(info.st_mode & stat.S_ISVTX))


def _mac(secret: bytes, name: str, payload: bytes) -> bytes:
    # The name is signed too: an entry renamed to another key is another playbook's code.
    return hmac.new(secret, name.encode() + b"\0" + payload, sha256).digest()


def _read_entry(folder_fd: int, name: str, limit: int = MAX_ENTRY_BYTES) -> bytes | None:
    """The bytes of a regular file in the folder that the user owns and nobody else can write."""
    try:
        fd = os.open(name, _FILE_FLAGS, dir_fd=folder_fd)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o022 or info.st_size > limit:
            return None
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)


def _read_key(folder_fd: int, *, create: bool) -> bytes | None:
    """The per-user HMAC key: 0600, the user's. Made once, atomically, by whichever run comes first."""
    secret = _read_entry(folder_fd, KEY_NAME, limit=KEY_BYTES)
    if secret is not None:
        info = os.stat(KEY_NAME, dir_fd=folder_fd, follow_symlinks=False)
        # Readable by others, it is no secret: a run that wrote entries with it proves nothing.
        return secret if len(secret) == KEY_BYTES and not info.st_mode & 0o077 else None
    if not create:
        return None
    tmp = paths.temp_name(KEY_NAME)
    try:
        _write_file(folder_fd, tmp, os.urandom(KEY_BYTES))  # what secrets.token_bytes returns
        try:
            os.link(tmp, KEY_NAME, src_dir_fd=folder_fd, dst_dir_fd=folder_fd, follow_symlinks=False)
        except FileExistsError:
            pass  # another run made it first: use theirs
        finally:
            os.unlink(tmp, dir_fd=folder_fd)
    except OSError:
        return None
    return _read_key(folder_fd, create=False)


def _write_file(folder_fd: int, name: str, data: bytes) -> None:
    fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), 0o600, dir_fd=folder_fd)
    try:
        os.fchmod(fd, 0o600)  # whatever the umask
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(name, dir_fd=folder_fd)
        raise
    os.close(fd)


def _write_new(folder_fd: int, name: str, data: bytes) -> None:
    """Write through a temporary name and a rename, so a reader sees the old entry or the new one."""
    tmp = paths.temp_name(name)
    _write_file(folder_fd, tmp, data)
    try:
        os.replace(tmp, name, src_dir_fd=folder_fd, dst_dir_fd=folder_fd)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=folder_fd)
        raise


def _touch(folder_fd: int, name: str) -> None:
    with contextlib.suppress(OSError):
        if time.time() - os.stat(name, dir_fd=folder_fd, follow_symlinks=False).st_mtime > _TOUCH_AFTER:
            os.utime(name, dir_fd=folder_fd, follow_symlinks=False)


def _evict(folder_fd: int) -> None:
    """Drop entries unused for MAX_AGE_DAYS, all but the MAX_ENTRIES newest, and what crashed writes left."""
    paths.remove_stale_temps(folder_fd)
    now = time.time()
    entries: list[tuple[float, str]] = []
    for name in os.listdir(folder_fd):
        try:
            info = os.stat(name, dir_fd=folder_fd, follow_symlinks=False)
        except OSError:
            continue
        if name.endswith(SUFFIX):
            entries.append((info.st_mtime, name))
    entries.sort(reverse=True)
    for index, (mtime, name) in enumerate(entries):
        if index >= MAX_ENTRIES or now - mtime > MAX_AGE_DAYS * 86400:
            with contextlib.suppress(OSError):
                os.unlink(name, dir_fd=folder_fd)
