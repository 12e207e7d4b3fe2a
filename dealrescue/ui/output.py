"""Writing a plan to a file: atomically, never replacing a file unless asked."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from dealrescue.errors import DealRescueError, OutputExistsError, UsageError


def check_target(path: Path, *, force: bool = False, flag: str = "-o") -> Path:
    """Refuse, before any work is done, a target that could not be written; return its folder.

    ``flag`` is the option that named the file, for the hints.
    """
    if path.is_dir():
        raise UsageError(f"{path} is a folder", hint=f"give a file name to {flag}")
    if (path.exists() or path.is_symlink()) and not force:
        raise OutputExistsError(f"{path} already exists", hint=f"add --force to replace it, or choose another {flag} file")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"folder {folder} does not exist", hint=f"create it first or choose another {flag} file")
    return folder


def write_atomic(path: Path, text: str, *, force: bool = False, flag: str = "-o") -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename.

    A crash or a full disk leaves either the old file or none, never half a plan.
    """
    import tempfile  # here, not at the top: every run imports this module, few write a file

    folder = check_target(path, force=force, flag=flag)
    data = text.encode("utf-8")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise DealRescueError(f"cannot write to {folder}: {exc.strerror}") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, 0o666 & ~_umask())
        # Replacing a symlink replaces the link itself, never the file it points to.
        os.replace(tmp_name, path)
    except OSError as exc:
        try:
            os.unlink(tmp_name)
        except OSError:
            pass
        raise DealRescueError(f"cannot write {path}: {exc.strerror}", hint="nothing was written") from exc


def write_chunks_atomic(path: Path, chunks: Iterable[str], *, force: bool = False, flag: str = "-o") -> None:
    """``write_atomic`` for output made in pieces: each piece is written as it comes."""
    import tempfile

    folder = check_target(path, force=force, flag=flag)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise DealRescueError(f"cannot write to {folder}: {exc.strerror}") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            for chunk in chunks:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, 0o666 & ~_umask())
        os.replace(tmp_name, path)
    except BaseException as exc:
        try:
            os.unlink(tmp_name)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise DealRescueError(f"cannot write {path}: {exc.strerror}", hint="nothing was written") from exc
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
