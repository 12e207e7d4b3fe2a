"""Answers given on the command line: ``--answers FILE`` (YAML or JSON, ``-`` for stdin) and ``--set ID=VALUE``.

Read as plain data here; each answer is then typed by its question, exactly like a typed answer.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from dealrescue.errors import UsageError
from dealrescue.ui import terminal


def parse_sets(sets: list[str]) -> dict[str, str]:
    given: dict[str, str] = {}
    for item in sets:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--set {item!r} is not ID=VALUE", hint="for example: --set signed=not_signed")
        if key.strip() in given:
            raise UsageError(
                f"--set {key.strip()} is given twice",
                hint=f"give it once; several choices go in one value: --set {key.strip()}=first,second",
            )
        given[key.strip()] = value
    return given


def read_answers_file(name: str) -> dict[str, Any]:
    """Answers from a YAML or JSON mapping; ``-`` reads stdin."""
    from dealrescue import paths
    from dealrescue.core.yamlread import MAX_BYTES, YamlProblem, read_yaml

    label = "stdin" if name == "-" else name
    if name == "-" and terminal.stdin_closed():
        raise UsageError("cannot read answers from stdin: it is closed", hint="pipe the answers in, or give --answers FILE")
    try:
        if name == "-":
            raw = sys.stdin.buffer.read(MAX_BYTES + 1)  # one byte past the limit says "too large"
        else:
            fd = os.open(Path(name).expanduser(), os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
            try:
                raw = paths.read_limited(fd, MAX_BYTES)
            finally:
                os.close(fd)
    except OSError as exc:
        raise UsageError(f"cannot read answers file {name}: {exc.strerror}", hint="check the --answers path") from None
    if len(raw) > MAX_BYTES:
        # Found after reading one byte past the limit, not the whole (endless) input.
        raise UsageError(f"answers file {label}: larger than {MAX_BYTES // 1000} kB", hint="answers are a short YAML or JSON file")
    try:
        doc = read_yaml(raw)
    except YamlProblem as exc:
        where = f"{label}:{exc.line}" if exc.line else label
        raise UsageError(f"answers file {where}: {exc.message}", hint="write answers as `id: value` lines (YAML) or a JSON object") from None
    if not isinstance(doc.data, dict):
        raise UsageError(f"answers file {label}: expected a mapping of question ids to answers", hint="for example: signed: not_signed")
    return {str(k): v for k, v in doc.data.items()}


def given_answers(answers_file: str | None, sets: list[str]) -> dict[str, Any]:
    """Answers from --answers then --set (which wins)."""
    given: dict[str, Any] = read_answers_file(answers_file) if answers_file else {}
    given.update(parse_sets(sets))
    return given
