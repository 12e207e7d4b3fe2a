"""Where dealrescue keeps its data. One function per folder, each with an environment override."""

from __future__ import annotations

import os
from pathlib import Path

HOME_ENV = "DEALRESCUE_HOME"
PLAYBOOKS_ENV = "DEALRESCUE_PLAYBOOKS"


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
