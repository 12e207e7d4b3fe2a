"""A file cache of compiled playbook code, so a playbook is compiled once, not on every run.

Entries are keyed by a hash of the playbook's bytes and the versions that made the code
(see ``dealrescue.core.loader.cache_key``); a damaged or stale entry is simply a miss.
"""

from __future__ import annotations

import marshal
import os
import tempfile
from pathlib import Path
from typing import Any

from dealrescue import paths


class FileCodeCache:
    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder if folder is not None else paths.user_dir() / "cache" / "playbooks"

    def get(self, key: str) -> dict[str, Any] | None:
        entry = self.folder / f"{key}.marshal"
        # The entry holds code that will run: trust it only where no one else can write.
        if not (_private(self.folder) and _private(entry)):
            return None
        try:
            value = marshal.loads(entry.read_bytes())
        except (OSError, ValueError, EOFError, TypeError):
            return None
        return value if isinstance(value, dict) else None

    def put(self, key: str, value: dict[str, Any]) -> None:
        try:
            paths.ensure_private_dir(self.folder)
            fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            os.chmod(tmp, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(marshal.dumps(value))
            os.replace(tmp, self.folder / f"{key}.marshal")
        except (OSError, ValueError):
            # A cache that cannot be written only costs speed.
            return


def _private(path: Path) -> bool:
    """Owned by this user and writable by no one else."""
    try:
        info = path.stat()
    except OSError:
        return False
    return info.st_uid == os.getuid() and not info.st_mode & 0o022
