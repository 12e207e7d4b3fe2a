"""Finding playbooks. First wins: --playbooks-dir, $DEALRESCUE_PLAYBOOKS, the user folder, the bundled ones."""

from __future__ import annotations

import os
import shlex
import stat
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from dealrescue import paths
from dealrescue.errors import DealRescueError, PlaybookError, PlaybookNotFoundError

if TYPE_CHECKING:
    from dealrescue.core.loader import CompiledPlaybook

SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class Folder:
    path: Path
    origin: str  # "--playbooks-dir", "$DEALRESCUE_PLAYBOOKS", "user", "bundled"


@dataclass(frozen=True, slots=True)
class Entry:
    id: str
    path: Path
    origin: str
    title: str | None = None
    summary: str | None = None
    version: int | None = None
    problem: str | None = None
    shadows: tuple[Path, ...] = ()


def folders(playbooks_dir: Path | None = None) -> list[Folder]:
    found = []
    if playbooks_dir is not None:
        found.append(Folder(playbooks_dir, "--playbooks-dir"))
    found += [Folder(p, "$DEALRESCUE_PLAYBOOKS") for p in paths.env_playbook_dirs()]
    found.append(Folder(paths.user_playbooks_dir(), "user"))
    found.append(Folder(paths.bundled_playbooks_dir(), "bundled"))
    return found


def looks_like_path(ref: str) -> bool:
    return "/" in ref or "\\" in ref or ref.endswith(SUFFIXES) or ref.startswith(".")


def locate(ref: str, playbooks_dir: Path | None = None) -> tuple[Path, str]:
    """The file for ``ref`` (an id or a path) and where it was found."""
    if looks_like_path(ref):
        path = Path(ref).expanduser()
        if not path.is_file():
            raise PlaybookNotFoundError(f"no playbook file at {ref}", hint="check the path, or give a playbook id")
        return path, "path"
    for folder in folders(playbooks_dir):
        for suffix in SUFFIXES:
            candidate = folder.path / f"{ref}{suffix}"
            if candidate.is_file():
                return candidate, folder.origin
    known = sorted({e.id for e in list_entries(playbooks_dir, load=False)})
    import difflib

    close = difflib.get_close_matches(ref, known, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"known playbooks: {', '.join(known)}"
    raise PlaybookNotFoundError(f"no playbook with id {ref!r}", hint=f"{hint} (see: dealrescue playbooks list)")


def read_bytes(path: Path) -> bytes:
    """A playbook file's bytes, read only if the file and its folder are the user's to trust, and
    never more than the largest playbook a file may be (a device or a huge file is refused, not read)."""
    from dealrescue.core.yamlread import MAX_BYTES

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise DealRescueError(f"cannot read {path}: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise DealRescueError(f"cannot read {path}: not a regular file", hint="give a playbook .yaml file")
        if not _bundled(path):
            _refuse_untrusted(path, info, "file")
            _refuse_untrusted(path.parent, os.stat(path.parent), "folder")
        if info.st_size > MAX_BYTES:
            raise PlaybookError([f"{path}: file is larger than {MAX_BYTES // 1000} kB"], hint="a playbook is a short text file")
        raw = paths.read_limited(fd, MAX_BYTES)  # the file may have grown since fstat
    except OSError as exc:
        raise DealRescueError(f"cannot read {path}: {exc.strerror}") from None
    finally:
        os.close(fd)
    if len(raw) > MAX_BYTES:
        raise PlaybookError([f"{path}: file is larger than {MAX_BYTES // 1000} kB"], hint="a playbook is a short text file")
    return raw


def _bundled(path: Path) -> bool:
    return path.resolve().parent == paths.bundled_playbooks_dir().resolve()


def _refuse_untrusted(path: Path, info: os.stat_result, what: str) -> None:
    """Refuse a playbook file or folder another user owns or can change: what it says is what runs.

    Root's are trusted (root can change anything anyway), like a shared read-only folder of its own.
    """
    owner, mode = info.st_uid, stat.S_IMODE(info.st_mode)
    if owner not in (os.getuid(), 0):
        reason = f"belongs to another user (uid {owner})"
        fix = "copy the playbooks you trust into a folder of your own (see: dealrescue playbooks list)"
    elif mode & 0o022:
        reason = f"can be changed by other users (mode {mode:04o})"
        fix = f"make it yours alone: chmod go-w {shlex.quote(str(path))}"
    else:
        return
    raise DealRescueError(
        f"refusing the playbook {what} {path}: it {reason}, who could change what dealrescue runs and writes",
        hint=fix,
    )


def load_file(path: Path, *, use_cache: bool = True) -> CompiledPlaybook:
    """Load a playbook file. ``playbooks validate`` and ``test`` pass ``use_cache=False``: always check in full."""
    from dealrescue.core.loader import load_playbook

    cache = None
    if use_cache:
        from dealrescue.catalog.cache import FileCodeCache

        cache = FileCodeCache()
    try:
        return load_playbook(read_bytes(path), str(path), cache)
    except PlaybookError as exc:
        # The core names no command: what to run next is said here, at the edge.
        exc.hint = exc.hint or validate_hint(path)
        raise


def validate_hint(path: Path | str) -> str:
    """What to do about a playbook that fails its checks."""
    import shlex

    return f"fix the playbook, then check it with: dealrescue playbooks validate {shlex.quote(str(path))}"


def load(ref: str, playbooks_dir: Path | None = None) -> tuple[CompiledPlaybook, str]:
    path, origin = locate(ref, playbooks_dir)
    return load_file(path), origin


def list_entries(playbooks_dir: Path | None = None, *, load: bool = True) -> list[Entry]:
    """Every playbook id in effect, first folder winning; a file that fails to load is marked, not fatal."""
    chosen: dict[str, Entry] = {}
    shadowed: dict[str, list[Path]] = {}
    for folder in folders(playbooks_dir):
        if not folder.path.is_dir():
            continue
        for path in sorted(p for p in folder.path.iterdir() if p.suffix in SUFFIXES and p.is_file()):
            if path.stem in chosen:
                shadowed.setdefault(path.stem, []).append(path)
                continue
            chosen[path.stem] = _entry(path, folder.origin, load)
    return [
        replace(e, shadows=tuple(shadowed.get(e.id, ()))) for e in sorted(chosen.values(), key=lambda e: e.id)
    ]


def _entry(path: Path, origin: str, load: bool) -> Entry:
    if not load:
        return Entry(path.stem, path, origin)
    try:
        pb = load_file(path).playbook
    except PlaybookError as exc:
        return Entry(path.stem, path, origin, problem=exc.problems[0])
    except DealRescueError as exc:
        return Entry(path.stem, path, origin, problem=exc.message)
    return Entry(path.stem, path, origin, title=pb.title, summary=pb.summary, version=pb.version)
