"""Handing a result over: to stdout, or atomically to a file that is never replaced unless asked."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path

from dealrescue.errors import DealRescueError, OutputClosed, OutputError, OutputExistsError, UsageError


def emit(
    text: str | Iterable[str], target: Path | None, *, force: bool = False, flag: str = "-o", written: str = "", clean: bool = False
) -> None:
    """The one way a command hands over its result: ``text`` (a string, or chunks written as they
    come) to stdout when ``target`` is None, else atomically to ``target`` (named by ``flag``),
    then the ``written`` notice on stderr. Text for a terminal always passes through the one terminal
    sanitiser; ``clean`` asks for it elsewhere too.
    """
    chunks = (text,) if isinstance(text, str) else text
    if target is None:
        from dealrescue.ui.terminal import stdout_is_terminal

        if clean or stdout_is_terminal():
            from dealrescue.core.mdescape import strip_controls

            chunks = map(strip_controls, chunks)
        for chunk in chunks:
            sys.stdout.write(chunk)
        sys.stdout.flush()
        return
    write_chunks_atomic(target, chunks, force=force, flag=flag)
    if written:
        from dealrescue.ui.terminal import notice

        notice(written)


def check_target(path: Path, *, force: bool = False, flag: str = "-o") -> Path:
    """Refuse, before any work is done, a target that could not be written; return its folder.

    ``flag`` is the option that named the file, for the hints.
    """
    folder = path.parent if str(path.parent) else Path(".")
    try:
        if path.is_dir():
            raise UsageError(f"{path} is a folder", hint=f"give a file name to {flag}")
        if (path.exists() or path.is_symlink()) and not force:
            raise OutputExistsError(f"{path} already exists", hint=f"add --force to replace it, or choose another {flag} file")
        if not folder.is_dir():
            raise UsageError(f"folder {folder} does not exist", hint=f"create it first or choose another {flag} file")
    except OSError as exc:  # a folder that is not ours to look into (-o /root/x.md)
        raise DealRescueError(f"cannot write {path}: {exc.strerror}", hint=f"choose a {flag} file in a folder of yours") from None
    return folder


# Files that hold customer notes (plans, calendars, exports, rankings) are the rep's alone, whatever
# the umask; others (a new playbook, the schema) are readable by others at most, never writable.
PRIVATE = 0o600
SHARED = 0o644


def write_atomic(path: Path, text: str, *, force: bool = False, flag: str = "-o", mode: int = SHARED) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename."""
    write_chunks_atomic(path, (text,), force=force, flag=flag, mode=mode)


def write_chunks_atomic(
    path: Path, chunks: Iterable[str], *, force: bool = False, flag: str = "-o", mode: int = PRIVATE
) -> None:
    """Write ``chunks`` (output made in pieces, each written as it comes) to ``path`` atomically.

    Through a temporary file in the same folder and a rename: a crash or a full disk leaves
    either the old file or none, never half a plan. The folder is opened once and everything
    is done relative to it; the temporary file is created new (never through a link), its mode
    set on the open file (``fchmod``: ``PRIVATE`` exactly, else at most ``mode`` under the umask),
    and after the rename the name must lead to the very file written, else nothing is reported
    written: in a folder others can write, another user could swap names in between.
    """
    from dealrescue import paths

    folder = check_target(path, force=force, flag=flag)
    try:
        folder_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise DealRescueError(f"cannot write to {folder}: {exc.strerror}") from exc
    try:
        paths.remove_stale_temps(folder_fd)  # what a crashed write (kill -9) left here
        _write_in(folder_fd, folder, path, chunks, mode)
    finally:
        os.close(folder_fd)


def _write_in(folder_fd: int, folder: Path, path: Path, chunks: Iterable[str], mode: int) -> None:
    from dealrescue import paths

    tmp_name = paths.temp_name(path.name)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(tmp_name, flags, 0o600, dir_fd=folder_fd)
    except OSError as exc:
        raise DealRescueError(f"cannot write to {folder}: {exc.strerror}") from exc
    try:
        os.fchmod(fd, mode if mode == PRIVATE else mode & ~_umask())
        with os.fdopen(os.dup(fd), "w", encoding="utf-8", newline="") as handle:
            for chunk in chunks:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        written = os.fstat(fd)
        # Replacing a symlink replaces the link itself, never the file it points to.
        os.replace(tmp_name, path.name, src_dir_fd=folder_fd, dst_dir_fd=folder_fd)
        landed = os.stat(path.name, dir_fd=folder_fd, follow_symlinks=False)
    except BaseException as exc:
        try:
            os.unlink(tmp_name, dir_fd=folder_fd)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise DealRescueError(f"cannot write {path}: {exc.strerror}", hint="nothing was written") from exc
        raise
    finally:
        os.close(fd)
    if (landed.st_dev, landed.st_ino) != (written.st_dev, written.st_ino):
        raise DealRescueError(
            f"{path} is not the file dealrescue wrote: another user changed it in {folder} while it was written",
            hint="write into a folder only you can change (your home folder, say)",
        )


def output_failure(exc: OSError, saved_run: str | None = None) -> DealRescueError:
    """The error for a failed write to stdout; ``saved_run``: the run the plan is saved as, if any.

    A closed pipe is not a failure (exit 0); a full disk or an I/O error is one line, exit 1.
    Either way stdout is pointed at /dev/null, so the final flush at exit cannot fail again.
    """
    import errno

    _quiet_stdout()
    if exc.errno == errno.EPIPE:
        return OutputClosed("the reader closed the output early", hint=f"Saved as run {saved_run}." if saved_run else None)
    hint = f"the plan is saved as run {saved_run}: dealrescue deals export {saved_run} -o FILE" if saved_run else None
    return OutputError(f"cannot write the output: {exc.strerror or exc}", hint=hint)


def is_output_failure(exc: OSError) -> bool:
    """An error writing stdout (no file name attached): full disk, I/O error, closed pipe."""
    import errno

    return exc.filename is None and exc.errno in (errno.EPIPE, errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EFBIG, errno.EBADF)


def _quiet_stdout() -> None:
    import sys

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
