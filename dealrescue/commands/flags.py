"""What every playbook command takes, as values: run, the bundled playbook commands, resume, deals rerun.

Each field is one option of those commands; ``cli/options.py`` declares it for the command
line (``PLAYBOOK_FLAGS``) and ``playbook_flags`` adds it to each of them. A field added here and
declared there reaches all nine commands; the run (``commands/run.py``) reads it from its options.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any


@dataclass(slots=True, kw_only=True)
class PlaybookFlags:
    # Answers given up front: a YAML/JSON file (- for stdin), then --set ID=VALUE (which wins).
    answers_file: str | None = None
    sets: list[str] = field(default_factory=list)
    no_input: bool = False
    # On a terminal: the review screen after the last question, and plain (line by line) prompts.
    no_review: bool = False
    plain: bool = False
    output: Path | None = None
    force: bool = False
    playbooks_dir: Path | None = None
    explain: bool = False
    # Typed dates like 03/04/2027 are 3 April (also DEALRESCUE_DAYFIRST=1, as for rank).
    dayfirst: bool = False


def flag_values(flags: PlaybookFlags) -> dict[str, Any]:
    """``flags`` as keyword arguments, to make the options of a run from the options of another command."""
    return {f.name: getattr(flags, f.name) for f in fields(PlaybookFlags)}
