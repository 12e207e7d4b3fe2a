"""Writing your own playbooks: scaffold, schema, folders and precedence, embedded tests."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from dealrescue import paths
from dealrescue.cli.app import app
from tests.conftest import BUNDLED, MINIMAL

runner = CliRunner()


def invoke(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args], **kwargs)  # type: ignore[arg-type]


def test_scaffold_validates_runs_and_passes_its_tests(user_home: Path) -> None:
    created = invoke("playbooks", "new", "my-check")
    assert created.exit_code == 0, created.stderr
    path = Path(created.stdout.strip())
    assert path == paths.user_playbooks_dir() / "my-check.yaml"
    text = path.read_text()
    assert text.startswith("# yaml-language-server: $schema=file://")
    for qtype in ("text", "multiline", "select", "multiselect", "confirm", "scale", "number", "date"):
        assert f"type: {qtype}\n" in text
    assert invoke("playbooks", "validate", path).exit_code == 0
    assert invoke("playbooks", "test", path).exit_code == 0
    ran = invoke("run", "my-check", "Acme", "--no-input", "--no-save", "--date", "2026-11-22")
    assert ran.exit_code == 0, ran.stderr
    assert "- [ ] **by 2026-11-22** (rep) Write down the three biggest risks on Acme" in ran.stdout
    again = invoke("playbooks", "new", "my-check")
    assert again.exit_code == 2 and "--force" in again.stderr


def test_scaffold_rejects_a_bad_id() -> None:
    result = invoke("playbooks", "new", "My Check!")
    assert result.exit_code == 2
    assert "not a playbook id" in result.stderr


def _pb(folder: Path, pid: str, title: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{pid}.yaml"
    path.write_text(MINIMAL.replace("id: mini", f"id: {pid}").replace("title: Mini", f"title: {title}"))
    return path


def test_folder_precedence_first_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    flag_dir, env_a, env_b = tmp_path / "flag", tmp_path / "env_a", tmp_path / "env_b"
    user_dir = paths.user_playbooks_dir()
    _pb(user_dir, "shared", "From user")
    _pb(env_b, "shared", "From env b")
    _pb(env_a, "shared", "From env a")
    _pb(flag_dir, "shared", "From flag")
    monkeypatch.setenv(paths.PLAYBOOKS_ENV, f"{env_a}:{env_b}")

    def title(*extra: object) -> str:
        listed = json.loads(invoke("playbooks", "list", "--format", "json", *extra).stdout)
        return next(e["title"] for e in listed if e["id"] == "shared")

    assert title("--playbooks-dir", flag_dir) == "From flag"
    assert title() == "From env a"
    monkeypatch.setenv(paths.PLAYBOOKS_ENV, str(env_b))
    assert title() == "From env b"
    monkeypatch.delenv(paths.PLAYBOOKS_ENV)
    assert title() == "From user"


def test_user_playbook_overrides_bundled_id_and_list_says_so() -> None:
    override = _pb(paths.user_playbooks_dir(), "triage", "My own triage")
    listed = json.loads(invoke("playbooks", "list", "--format", "json").stdout)
    entry = next(e for e in listed if e["id"] == "triage")
    assert entry["title"] == "My own triage"
    assert entry["origin"] == "user" and entry["path"] == str(override)
    assert entry["overrides"] and entry["overrides"][0].endswith("triage.yaml")
    ran = invoke("triage", "Acme", "--set", "competitor=x", "--set", "reason=better_fit", "--no-save", "--format", "json")
    assert json.loads(ran.stdout)["playbook"]["title"] == "My own triage"


def test_list_marks_a_broken_playbook_instead_of_failing() -> None:
    folder = paths.user_playbooks_dir()
    folder.mkdir(parents=True)
    (folder / "broken.yaml").write_text("id: broken\nversion: [\n")
    result = invoke("playbooks", "list")
    assert result.exit_code == 0
    line = next(line for line in result.stdout.splitlines() if line.startswith("broken"))
    assert "fails to load" in line
    assert "triage" in result.stdout


def test_schema_accepts_every_bundled_playbook_and_rejects_a_broken_one() -> None:
    schema = json.loads(invoke("playbooks", "schema").stdout)
    validator = jsonschema.Draft202012Validator(schema)
    for path in BUNDLED:
        errors = list(validator.iter_errors(yaml.safe_load(path.read_text())))
        assert errors == [], f"{path.name}: {errors[0].message if errors else ''}"
    broken = yaml.safe_load(MINIMAL.replace("prompt: Why?", "promt: Why?"))
    assert list(validator.iter_errors(broken))


def test_embedded_test_failure_shows_a_clear_diff(write_playbook) -> None:  # type: ignore[no-untyped-def]
    wrong = MINIMAL + "tests:\n  - name: gap means fight\n    answers: {competitor: x, reason: gap, gap: sso}\n    verdict: walk\n"
    path = write_playbook(wrong, "wrong.yaml")
    result = invoke("playbooks", "test", path)
    assert result.exit_code == 3
    assert "FAIL" in result.stderr and "gap means fight" in result.stderr
    assert "verdict: expected 'walk', got 'fight'" in result.stderr


def test_answers_and_verdict_flags_pin_one_case(mini: Path, tmp_path: Path) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text("competitor: x\nreason: better_fit\n")
    assert invoke("playbooks", "test", mini, "--answers", answers, "--verdict", "walk").exit_code == 0
    assert invoke("playbooks", "test", mini, "--answers", answers, "--verdict", "fight").exit_code == 3


def test_validate_reports_every_problem_not_only_the_first(write_playbook) -> None:  # type: ignore[no-untyped-def]
    bad = MINIMAL.replace("prompt: Why?", "promt: Why?").replace("rationale: They chose a better fit.", "rationale: '{{ nope }}'")
    path = write_playbook(bad.replace("due: +3m", "due: in 3 months"), "many.yaml")
    result = invoke("playbooks", "validate", path, "--format", "json")
    problems = json.loads(result.stdout)[0]["problems"]
    assert result.exit_code == 3
    assert any("promt" in p and "did you mean 'prompt'" in p for p in problems)
    assert any("followups[0].due" in p for p in problems)


@pytest.mark.parametrize(("doc", "marker"), [("README.md", "## Writing a playbook"), ("docs/playbooks.md", "## A worked example")])
def test_example_playbooks_in_the_docs_validate_and_pass(doc: str, marker: str, tmp_path: Path) -> None:
    from tests.conftest import REPO

    section = (REPO / doc).read_text(encoding="utf-8").split(marker)[1]
    example = tmp_path / "example.yaml"
    example.write_text(section.split("```yaml\n")[1].split("```")[0], encoding="utf-8")
    assert invoke("playbooks", "validate", example).exit_code == 0
    compiled_tests = yaml.safe_load(example.read_text()).get("tests")
    if compiled_tests:
        assert invoke("playbooks", "test", example).exit_code == 0


def _triage_answers() -> Path:
    """The answers of the bundled triage's first test case, as an answers file."""
    triage = yaml.safe_load(next(p for p in BUNDLED if p.stem == "triage").read_text())
    path = paths.user_dir() / "triage-answers.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(triage["tests"][0]["answers"]))
    return path


def test_new_refuses_to_shadow_a_bundled_playbook_and_says_how_to_copy_it() -> None:
    refused = invoke("playbooks", "new", "triage")
    assert refused.exit_code == 2 and refused.stdout == ""
    assert "shadows it" in refused.stderr and "`dealrescue triage`" in refused.stderr
    assert "hint: to adapt the bundled one, copy it: dealrescue playbooks new my-triage --from triage" in refused.stderr
    assert not (paths.user_playbooks_dir() / "triage.yaml").exists()
    ran = invoke("triage", "Acme", "--answers", _triage_answers(), "--no-input", "--no-save", "--format", "json")
    assert json.loads(ran.stdout)["playbook"]["title"] == "Lost-deal triage", "the bundled triage still runs"
    # Once my-triage is taken, the hint names an id that is still free.
    assert invoke("playbooks", "new", "my-triage", "--from", "triage").exit_code == 0
    again = invoke("playbooks", "new", "triage")
    assert "copy it: dealrescue playbooks new my-triage-2 --from triage" in again.stderr
    forced = invoke("playbooks", "new", "triage", "--force")
    assert forced.exit_code == 0 and "takes the place of the bundled playbook" in forced.stderr


def test_new_from_a_bundled_playbook_copies_it_with_its_tests() -> None:
    created = invoke("playbooks", "new", "my-triage", "--from", "triage")
    assert created.exit_code == 0, created.stderr
    path = Path(created.stdout.strip())
    assert path == paths.user_playbooks_dir() / "my-triage.yaml"
    bundled = next(p for p in BUNDLED if p.stem == "triage").read_text()
    text = path.read_text()
    assert text == bundled.replace("\nid: triage\n", "\nid: my-triage\n", 1), "the same file, comments kept, under the new id"
    assert invoke("playbooks", "validate", "my-triage").stdout == f"ok: {path} (playbook my-triage)\n"
    tested = invoke("playbooks", "test", "my-triage")  # an id, as validate and show take
    assert tested.exit_code == 0 and tested.stdout.count(f"ok: {path}: ") == len(yaml.safe_load(bundled)["tests"])
    shown = invoke("run", "my-triage", "Acme", "--answers", _triage_answers(), "--no-input", "--no-save", "--format", "json")
    assert json.loads(shown.stdout)["playbook"]["id"] == "my-triage"


def test_new_from_a_path_and_from_a_broken_playbook(mini: Path, tmp_path: Path) -> None:
    target = tmp_path / "copy.yaml"
    assert invoke("playbooks", "new", "mini-copy", "--from", mini, "-o", target).exit_code == 0
    assert target.read_text() == MINIMAL.replace("id: mini\n", "id: mini-copy\n")
    broken = tmp_path / "broken.yaml"
    broken.write_text(MINIMAL.replace("prompt: Why?", "promt: Why?"))
    refused = invoke("playbooks", "new", "fixed", "--from", broken, "-o", tmp_path / "fixed.yaml")
    assert refused.exit_code == 3 and "did you mean 'prompt'?" in refused.stderr
    assert not (tmp_path / "fixed.yaml").exists()


def test_show_questions_as_json_matches_the_text_listing() -> None:
    shown = invoke("playbooks", "show", "pulse", "--questions", "--format", "json")
    assert shown.exit_code == 0, shown.stderr
    document = json.loads(shown.stdout)
    assert document["playbook"] == "pulse"
    listed = invoke("playbooks", "show", "pulse", "--questions").stdout.splitlines()
    assert [q["id"] for q in document["questions"]] == [line.split()[0] for line in listed]
    assert [q["type"] for q in document["questions"]] == [line.split()[1] for line in listed]
    pulse = yaml.safe_load(next(p for p in BUNDLED if p.stem == "pulse").read_text())
    for question, written in zip(document["questions"][1:], pulse["questions"], strict=True):
        assert [c["value"] for c in question["choices"]] == [c["value"] for c in written.get("choices", [])]
        assert question["default"] == written.get("default")
    assert invoke("playbooks", "show", "pulse", "--format", "json").exit_code == 2
