"""What the ``playbooks`` commands do: list, show, validate, schema."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dealrescue.catalog import finder as catalog
from dealrescue.core.mdescape import json_safe
from dealrescue.errors import (
    EXIT_PLAYBOOK,
    EXIT_RUNTIME,
    EXIT_USAGE,
    ChecksFailed,
    DealRescueError,
    PlaybookError,
    PlaybookNotFoundError,
    UsageError,
)
from dealrescue.ui.output import emit

if TYPE_CHECKING:
    from dealrescue.core.loader import CompiledPlaybook


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
    lines = []
    for e in entries:
        if e.problem:
            lines.append(f"{e.id}\t[fails to load]\t{e.origin}\t{e.path}\t{e.problem}\n")
        else:
            note = f" (overrides {', '.join(str(p) for p in e.shadows)})" if e.shadows else ""
            lines.append(f"{e.id}\tv{e.version}\t{e.title}\t{e.origin}: {e.path}{note}\n")
    emit("".join(lines), None)


def show_playbook(ref: str, playbooks_dir: Path | None, *, path_only: bool, questions: bool = False, fmt: str = "text") -> None:
    if fmt not in ("text", "json"):
        raise UsageError(f"--format {fmt!r} is not known", hint="use --format text or --format json")
    if fmt == "json" and not questions:
        raise UsageError("--format json applies to --questions", hint=f"dealrescue playbooks show {ref} --questions --format json")
    path, _origin = catalog.locate(ref, playbooks_dir)
    if path_only:
        emit(f"{path}\n", None)
        return
    if questions:
        compiled = catalog.load_file(path)
        if fmt == "json":
            emit(json_safe(json.dumps(questions_document(compiled), indent=2, ensure_ascii=False, default=str)) + "\n", None)
        else:
            emit(questions_text(compiled), None)
        return
    emit(catalog.read_bytes(path).decode("utf-8", errors="replace"), None)


def questions_text(compiled: CompiledPlaybook) -> str:
    """One line per answer a playbook takes: the ids for --set, --answers and rank's CSV columns."""
    from dealrescue.core.answers import range_text
    from dealrescue.core.expressions import display_value
    from dealrescue.core.questions import kind_of

    rows = [("deal", "text", "required", "the deal or account name (rank also reads account, account_name, ...)")]
    for q in compiled.playbook.questions:
        numbers = range_text(q)
        kind = f"{q.type.value} {numbers}" if numbers else q.type.value
        if q.required and q.default is None:
            need = "required"
        elif q.default not in (None, [], ""):
            need = f"default {display_value(q.default)}"
        else:
            need = "optional"
        accepts = kind_of(q).accepts(q)
        if q.when:
            accepts = f"{accepts}  (asked when {q.when})".strip()
        rows.append((q.id, kind, need, accepts))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:<{widths[2]}}  {d}".rstrip() for a, b, c, d in rows]
    return "\n".join(lines) + "\n"


def questions_document(compiled: CompiledPlaybook) -> dict[str, Any]:
    """The answers a playbook takes, as data: for scripts that build answer files (--answers)."""
    from dealrescue.core.questions import kind_of

    pb = compiled.playbook
    rows: list[dict[str, Any]] = [
        {"id": "deal", "prompt": "The deal or account name", "type": "text", "required": True, "default": None,
         "choices": [], "min": None, "max": None, "when": None, "help": None}
    ]  # fmt: skip
    for q in pb.questions:
        low, high = kind_of(q).bounds(q)
        rows.append(
            {
                "id": q.id,
                "prompt": q.prompt,
                "type": q.type.value,
                "required": q.required and q.default is None,
                "default": q.default,
                "choices": [{"value": c.value, "label": c.label} for c in q.choices],
                "min": low,
                "max": high,
                "when": q.when,
                "help": q.help,
            }
        )
    return {"playbook": pb.id, "version": pb.version, "title": pb.title, "questions": rows}


def _file_or_id(path: Path) -> Path:
    """A file as given, or the file a playbook id (as `run` and `show` take) stands for.

    Neither is ``PlaybookNotFoundError``, with run's hint (a close id, or the known ones).
    """
    if path.is_file():
        return path
    if path.is_dir():
        raise PlaybookNotFoundError(f"cannot read {path}: a folder", hint=f"give the playbook files in it, e.g. {path}/*.yaml")
    return catalog.locate(str(path))[0]


def validate_playbooks(files: list[Path], fmt: str) -> None:
    results: list[dict[str, Any]] = []
    missing = 0
    for given in files:
        try:
            path = _file_or_id(given)
        except PlaybookNotFoundError as exc:
            missing += 1
            results.append({"path": str(given), "ok": False, "id": None, "problems": [f"{exc.message}; {exc.hint}" if exc.hint else exc.message]})
            continue
        try:
            compiled = catalog.load_file(path, use_cache=False)
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
    failed = [r for r in results if not r["ok"]]
    if failed:
        # In JSON the problems are in the document; the text report lists them on stderr.
        problems = [] if fmt == "json" else [p for r in failed for p in r["problems"]]
        raise ChecksFailed(problems, EXIT_PLAYBOOK if len(failed) > missing else EXIT_USAGE)


def print_schema() -> None:
    sys.stdout.write(schema_text())


def schema_text() -> str:
    from dealrescue.core.schema import json_schema

    schema = json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "dealrescue playbook"
    return json.dumps(schema, indent=2) + "\n"


def new_playbook(playbook_id: str, output: Path | None, force: bool, start_from: str | None = None) -> Path:
    """Write the commented starter playbook, or a copy of ``start_from`` (with its tests) under a new id."""
    import re

    from dealrescue import paths
    from dealrescue.ui import terminal
    from dealrescue.ui.output import write_atomic

    if not re.fullmatch(r"[a-z][a-z0-9_-]*", playbook_id):
        raise UsageError(f"{playbook_id!r} is not a playbook id", hint="use lowercase letters, digits, _ and -, e.g. my-triage")
    if output is None:
        target = paths.ensure_private_dir(paths.user_playbooks_dir()) / f"{playbook_id}.yaml"
    else:
        target = output
    in_catalog = output is None or target.resolve().parent == paths.user_playbooks_dir().resolve()
    entries = catalog.list_entries(load=False)
    others = [e for e in entries if e.id == playbook_id and e.path.resolve() != target.resolve()]
    bundled = [e for e in others if e.origin == "bundled"]
    if in_catalog and bundled and not force:
        import itertools

        taken = {e.id for e in entries}
        free = next(n for n in itertools.chain([f"my-{playbook_id}"], (f"my-{playbook_id}-{k}" for k in itertools.count(2)))
                    if n not in taken)
        raise UsageError(
            f"{playbook_id!r} is the id of a bundled playbook ({bundled[0].path}); a playbook of yours with the same id "
            f"shadows it: `dealrescue {playbook_id}` and `dealrescue run {playbook_id}` would run yours instead",
            hint=f"to adapt the bundled one, copy it: dealrescue playbooks new {free} --from {playbook_id} "
            f"(add --force to shadow it on purpose)",
        )
    if start_from is not None:
        text = _copy_of(start_from, playbook_id)
    else:
        text = _starter(playbook_id, target, in_catalog)
    write_atomic(target, text, force=force)
    print(target)
    if in_catalog and others:
        terminal.notice(
            f"note: this takes the place of the {others[0].origin} playbook {playbook_id!r} ({others[0].path}): "
            f"`dealrescue run {playbook_id}` now runs yours; choose another id to keep both"
        )
    return target


def _starter(playbook_id: str, target: Path, in_catalog: bool) -> str:
    """The commented starter, pointing at the schema file written beside the user's playbooks."""
    import shlex

    from dealrescue import paths

    run_ref = playbook_id if in_catalog else shlex.quote(str(target))
    from dealrescue.ui.output import write_atomic

    schema_path = paths.ensure_private_dir(paths.user_dir()) / "playbook.schema.json"
    # Through a new file and a rename: a link planted under that name is replaced, never followed.
    write_atomic(schema_path, schema_text(), force=True)
    starter = (Path(__file__).parents[1] / "catalog" / "templates" / "starter.yaml").read_text(encoding="utf-8")
    return (
        starter.replace("__SCHEMA__", schema_path.as_uri())
        .replace("__RUN__", run_ref)
        .replace("__ID__", playbook_id)
        .replace("__PATH__", shlex.quote(str(target)))
    )


def _copy_of(ref: str, playbook_id: str) -> str:
    """The text of playbook ``ref`` (an id or a path) as written, comments and tests kept, with the new id."""
    import re

    path, _origin = catalog.locate(ref)
    compiled = catalog.load_file(path, use_cache=False)  # a broken playbook is reported, not copied
    text, count = re.subn(r"(?m)^id:[ \t]*\S.*$", f"id: {playbook_id}", compiled.text, count=1)
    if count != 1:
        raise PlaybookError([f"{path}: no top-level `id:` line to change"], hint="write `id: ...` on a line of its own")
    return text


def test_playbooks(
    files: list[Path], answers_file: str | None, verdict: str | None, *, fuzz: int | None = None, seed: int | None = None
) -> None:
    """Run each file's embedded tests (or one case from --answers/--verdict), then the fuzzer if asked.

    Exit 3 when a test fails, else 1 when the fuzzer finds a failure.
    """
    from dealrescue.commands.explain import print_explanation
    from dealrescue.commands.given import read_answers_file
    from dealrescue.core.mdescape import strip_controls
    from dealrescue.core.model import PlaybookTest
    from dealrescue.core.selftest import TEST_DATE, run_cases

    if seed is not None and fuzz is None:
        raise UsageError("--seed applies to --fuzz", hint="dealrescue playbooks test ID --fuzz 1500 --seed 7")
    if fuzz is not None and fuzz < 1:
        raise UsageError(f"--fuzz {fuzz}: the number of answer sets must be at least 1", hint="for example --fuzz 1500")
    extra: list[PlaybookTest] | None = None
    if answers_file is not None:
        if verdict is None:
            raise UsageError("--answers needs --verdict: the verdict those answers must give")
        answers = read_answers_file(answers_file)
        extra = [PlaybookTest(name=f"answers from {answers_file}", answers=answers, verdict=verdict)]
    failed = fuzz_failed = 0
    for given in files:
        path = _file_or_id(given)
        compiled = catalog.load_file(path, use_cache=False)
        cases = extra if extra is not None else compiled.playbook.tests
        if not cases and fuzz is None:
            print(f"{path}: no tests (add a tests: section, or pass --answers FILE --verdict ID)", file=sys.stderr)
            failed += 1
            continue
        for result in run_cases(compiled, cases):
            if result.passed:
                emit(f"ok: {path}: {result.name}\n", None)
            else:
                failed += 1
                print(strip_controls(f"FAIL: {path}: {result.name}"), file=sys.stderr)
                for line in result.diff():
                    print(f"  {strip_controls(line)}", file=sys.stderr)
                if result.outcome is not None:
                    print_explanation(compiled, result.outcome.answers, result.deal, TEST_DATE.isoformat(), indent="  ")
        if fuzz is not None:
            ref = str(given) if path != given else str(path)
            fuzz_failed += _fuzz_one(compiled, path, ref, fuzz, seed or 0)
    if failed:
        raise ChecksFailed([], EXIT_PLAYBOOK)
    if fuzz_failed:
        raise ChecksFailed([], EXIT_RUNTIME)


def _fuzz_one(compiled: CompiledPlaybook, path: Path, ref: str, count: int, seed: int) -> int:
    """Fuzz one playbook and report; the number of checks that failed."""
    from dealrescue.core.fuzz import fuzz, replay_line
    from dealrescue.core.mdescape import strip_controls

    report = fuzz(compiled, count, seed)
    if not report.failures:
        emit(f"ok: {path}: fuzz, {count} answer sets (seed {seed}): every check holds\n", None)
        return 0
    for failure in report.failures:
        lines = [
            f"FAIL: {path}: {failure.key}, in {failure.count} of {count} answer sets (seed {seed})",
            *(f"  never: {i.never}" for n, i in enumerate(compiled.playbook.invariants) if failure.key == f"invariants[{n}].never"),
            f"  why: {failure.why}",
            f"  found: {failure.detail}",
            "  smallest answers that still break it:",
            f"  {replay_line(ref, failure.date, failure.answers)}",
        ]
        print("\n".join(strip_controls(line) for line in lines), file=sys.stderr)
    return len(report.failures)
