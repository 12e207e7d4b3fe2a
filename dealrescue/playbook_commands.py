"""What the ``playbooks`` commands do: list, show, validate, schema."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from dealrescue import catalog
from dealrescue.errors import EXIT_PLAYBOOK, DealRescueError, PlaybookError, UsageError


def list_playbooks(playbooks_dir: Path | None, fmt: str) -> None:
    entries = catalog.list_entries(playbooks_dir)
    if fmt == "json":
        rows = [
            {
                "id": e.id,
                "title": e.title,
                "version": e.version,
                "summary": e.summary,
                "origin": e.origin,
                "path": str(e.path),
                "problem": e.problem,
                "overrides": [str(p) for p in e.shadows],
            }
            for e in entries
        ]
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    if fmt != "table":
        raise UsageError(f"--format {fmt!r} is not known", hint="use --format table or --format json")
    for e in entries:
        if e.problem:
            line = f"{e.id}\t[fails to load]\t{e.origin}\t{e.path}\t{e.problem}"
        else:
            note = f" (overrides {', '.join(str(p) for p in e.shadows)})" if e.shadows else ""
            line = f"{e.id}\tv{e.version}\t{e.title}\t{e.origin}: {e.path}{note}"
        print(line)


def show_playbook(ref: str, playbooks_dir: Path | None, *, path_only: bool) -> None:
    path, _origin = catalog.locate(ref, playbooks_dir)
    if path_only:
        print(path)
        return
    sys.stdout.write(catalog.read_bytes(path).decode("utf-8", errors="replace"))


def validate_playbooks(files: list[Path], fmt: str) -> None:
    results = []
    for path in files:
        try:
            compiled = catalog.load_file(path)
            results.append({"path": str(path), "ok": True, "id": compiled.id, "problems": []})
        except PlaybookError as exc:
            results.append({"path": str(path), "ok": False, "id": None, "problems": exc.problems})
        except DealRescueError as exc:
            results.append({"path": str(path), "ok": False, "id": None, "problems": [exc.message]})
    if fmt == "json":
        sys.stdout.write(json.dumps(results, indent=2) + "\n")
    else:
        for result in results:
            if result["ok"]:
                print(f"ok: {result['path']} (playbook {result['id']})")
            else:
                for problem in result["problems"]:
                    print(f"error: {problem}", file=sys.stderr)
    failed = [r for r in results if not r["ok"]]
    if failed:
        raise SystemExit(EXIT_PLAYBOOK)


def print_schema() -> None:
    from dealrescue.core.model import Playbook

    schema = Playbook.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "dealrescue playbook"
    sys.stdout.write(json.dumps(schema, indent=2) + "\n")
