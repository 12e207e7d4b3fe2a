"""Where dealrescue keeps its data. One function per folder, each with an environment override."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import IO

HOME_ENV = "DEALRESCUE_HOME"
PLAYBOOKS_ENV = "DEALRESCUE_PLAYBOOKS"


# ".NAME.PID.RANDOM.tmp": the writer's pid in the name tells a crashed write from one under way.
_TEMP_NAME = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.[0-9a-f]+\.tmp$")


def user_dir() -> Path:
    """The data folder (journal, user playbooks). ``$DEALRESCUE_HOME`` moves it."""
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("dealrescue", appauthor=False))


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) as 0700 whatever the umask: it holds customer notes.

    Only folders created here are changed; an existing folder (say ``$DEALRESCUE_HOME=~``)
    keeps the permissions its owner gave it.
    """
    missing = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    path.mkdir(parents=True, exist_ok=True)
    for folder in missing:
        os.chmod(folder, 0o700)
    return path


def user_cache_dir() -> Path:
    """The cache folder (compiled playbooks): the platform's user cache folder, or
    ``$DEALRESCUE_HOME/cache`` when ``$DEALRESCUE_HOME`` moves everything."""
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override).expanduser() / "cache"
    import platformdirs

    return Path(platformdirs.user_cache_dir("dealrescue", appauthor=False))


def temp_name(name: str) -> str:
    """A name for a file being written before it is renamed to ``name``, unique to this process."""
    return f".{name}.{os.getpid()}.{os.urandom(4).hex()}.tmp"  # secrets.token_hex(4), without importing it


def is_stale_temp(filename: str, owner: int | None = None) -> bool:
    """A temporary file left by a writer that died (kill -9, power cut) before its rename.

    ``owner``: the file's uid, if known; only this user's files are ever counted as stale.
    """
    match = _TEMP_NAME.match(filename)
    if match is None or (owner is not None and owner != os.getuid()):
        return False
    pid = int(match.group("pid"))
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def remove_stale_temps(folder: int | Path) -> None:
    """Remove what crashed writes left in a folder, given by descriptor or path."""
    dir_fd = folder if isinstance(folder, int) else None
    try:
        names = os.listdir(folder if dir_fd is not None else str(folder))
    except OSError:
        return
    for filename in names:
        if not filename.endswith(".tmp"):
            continue
        where = filename if dir_fd is not None else os.path.join(str(folder), filename)
        try:
            if is_stale_temp(filename, os.stat(where, dir_fd=dir_fd, follow_symlinks=False).st_uid):
                os.unlink(where, dir_fd=dir_fd)
        except OSError:
            continue


def read_limited(fd: int, limit: int) -> bytes:
    """What ``fd`` holds, read in pieces and never more than ``limit`` + 1 bytes: a result longer
    than ``limit`` means "too large" (``/dev/zero``, an endless pipe), found without holding it all."""
    pieces: list[bytes] = []
    size = 0
    while size <= limit:
        piece = os.read(fd, min(1 << 16, limit + 1 - size))
        if not piece:
            break
        pieces.append(piece)
        size += len(piece)
    return b"".join(pieces)


def open_without_waiting(path: Path) -> IO[bytes]:
    """``path`` opened to read, as bytes. Opened without blocking, then read blocking: a FIFO that
    no program writes to reads as empty instead of hanging the open; a pipe with a writer reads
    as usual. Errors are the system's (OSError)."""
    nonblocking = getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, os.O_RDONLY | nonblocking | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
    try:
        if nonblocking:
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def journal_path() -> Path:
    return user_dir() / "journal.db"


def user_playbooks_dir() -> Path:
    return user_dir() / "playbooks"


def env_playbook_dirs() -> list[Path]:
    """The folders listed in ``$DEALRESCUE_PLAYBOOKS`` (os.pathsep-separated), in order."""
    raw = os.environ.get(PLAYBOOKS_ENV, "")
    return [Path(p).expanduser() for p in raw.split(os.pathsep) if p.strip()]


def bundled_playbooks_dir() -> Path:
    """The playbooks shipped with the package.

    A wheel carries them at ``dealrescue/playbooks``; a source checkout (editable
    install) has them at the repository's top-level ``playbooks/``.
    """
    here = Path(__file__).resolve().parent
    packaged = here / "playbooks"
    if packaged.is_dir():
        return packaged
    return here.parent / "playbooks"
