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
    then the ``written`` notice on stderr. ``clean`` passes stdout text through the terminal sanitiser.
    """
    chunks = (text,) if isinstance(text, str) else text
    if target is None:
        if clean:
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
    if path.is_dir():
        raise UsageError(f"{path} is a folder", hint=f"give a file name to {flag}")
    if (path.exists() or path.is_symlink()) and not force:
        raise OutputExistsError(f"{path} already exists", hint=f"add --force to replace it, or choose another {flag} file")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"folder {folder} does not exist", hint=f"create it first or choose another {flag} file")
    return folder


def write_atomic(path: Path, text: str, *, force: bool = False, flag: str = "-o") -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename."""
    write_chunks_atomic(path, (text,), force=force, flag=flag)


def write_chunks_atomic(path: Path, chunks: Iterable[str], *, force: bool = False, flag: str = "-o") -> None:
    """Write ``chunks`` (output made in pieces, each written as it comes) to ``path`` atomically.

    Through a temporary file in the same folder and a rename: a crash or a full disk leaves
    either the old file or none, never half a plan.
    """
    from dealrescue import paths

    folder = check_target(path, force=force, flag=flag)
    paths.remove_stale_temps(folder)  # what a crashed write (kill -9) left here
    tmp_name = str(folder / paths.temp_name(path.name))
    try:
        fd = os.open(tmp_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except OSError as exc:
        raise DealRescueError(f"cannot write to {folder}: {exc.strerror}") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            for chunk in chunks:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, 0o666 & ~_umask())
        # Replacing a symlink replaces the link itself, never the file it points to.
        os.replace(tmp_name, path)
    except BaseException as exc:
        try:
            os.unlink(tmp_name)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise DealRescueError(f"cannot write {path}: {exc.strerror}", hint="nothing was written") from exc
        raise


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

    return exc.filename is None and exc.errno in (errno.EPIPE, errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EFBIG)


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
