"""Every path from playbook text or stored data to a terminal goes through the one sanitiser, and
JSON writes C1 and bidi controls as \\u escapes (issue 26, item 10). On a pty, as a user sees it."""

from __future__ import annotations

import json
import os
import shlex
import sqlite3
import sys
from pathlib import Path

import pexpect
import pytest

from dealrescue import paths
from tests.conftest import MINIMAL

pytestmark = pytest.mark.pty

DR = f"{shlex.quote(sys.executable)} -m dealrescue"
CLIPBOARD = "\x1b]52;c;SGVsbG8=\x07"  # OSC 52: write the clipboard
YAML_CLIPBOARD = "\\e]52;c;SGVsbG8=\\a"  # the same, as a YAML double-quoted string writes it
C1_CSI, RLO = "\u009b", "\u202e"


def on_a_terminal(command: str, home: Path, cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEALRESCUE_", "PYTEST_"))}
    env.update(DEALRESCUE_HOME=str(home), TERM="xterm-256color", NO_COLOR="1", PAGER="cat")
    child = pexpect.spawn("bash", ["-c", command], cwd=str(cwd), env=env, encoding="utf-8", timeout=60,
                          dimensions=(40, 200))
    child.expect(pexpect.EOF)
    child.close()
    return str(child.before)


def assert_inert(screen: str) -> None:
    assert "\x1b]" not in screen and "\x07" not in screen, repr(screen[:500])
    assert C1_CSI not in screen and RLO not in screen, repr(screen[:500])


def hostile_playbook(folder: Path) -> Path:
    text = MINIMAL.replace("title: Mini", f'title: "Mini {YAML_CLIPBOARD}"')
    text += f'tests:\n  - name: "walks {YAML_CLIPBOARD}"\n    answers: {{competitor: X, reason: better_fit}}\n    verdict: walk\n'
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "mini.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_playbooks_list_and_test_show_hostile_titles_and_names_inert(user_home: Path, tmp_path: Path) -> None:
    path = hostile_playbook(paths.user_playbooks_dir())
    listed = on_a_terminal(f"{DR} playbooks list", user_home, tmp_path)
    assert "Mini" in listed
    assert_inert(listed)
    tested = on_a_terminal(f"{DR} playbooks test {path}", user_home, tmp_path)
    assert "ok:" in tested and "walks" in tested
    assert_inert(tested)


def test_deals_export_of_stored_markdown_and_json_on_a_terminal(user_home: Path, tmp_path: Path) -> None:
    made = on_a_terminal(f"{DR} triage Acme --no-input --set competitor=Globex --set signed=signed "
                         "--set reason=price --set pressure=3 --set decider=Dana < /dev/null > /dev/null", user_home, tmp_path)
    conn = sqlite3.connect(paths.journal_path())
    run_id = conn.execute("SELECT id FROM runs").fetchone()[0]
    # A stored plan written by another tool, or an older version: escapes in its text.
    conn.execute("UPDATE plans SET markdown = ?, json = ? WHERE run_id = ?",
                 (f"# Plan {CLIPBOARD}\n\nCall {C1_CSI}31m {RLO}Dana\n", json.dumps({"deal": f"A{C1_CSI}{RLO}"},
                                                                                    ensure_ascii=False), run_id))
    conn.execute("UPDATE runs SET deal = ? WHERE id = ?", (f"Acme {C1_CSI}2J{RLO}", run_id))
    conn.commit()
    conn.close()
    assert "Saved as run" in made or made == ""
    markdown = on_a_terminal(f"{DR} deals export {run_id}", user_home, tmp_path)
    assert "Plan" in markdown and "Dana" in markdown
    assert_inert(markdown)
    document = on_a_terminal(f"{DR} deals export {run_id} --format json", user_home, tmp_path)
    assert "\\u009b" in document and "\\u202e" in document
    assert_inert(document)
    listed = on_a_terminal(f"{DR} deals list --format json", user_home, tmp_path)
    assert "\\u009b2J\\u202e" in listed
    assert_inert(listed)


def test_rank_sql_labels_and_header_names_on_a_terminal(user_home: Path, tmp_path: Path) -> None:
    source = (paths.bundled_playbooks_dir() / "qualify.yaml").read_text(encoding="utf-8")
    hostile = source.replace('label: "Discovery:', f'label: "{YAML_CLIPBOARD} Discovery:', 1)
    hostile = hostile.replace("label: No pain found, past discovery", f'label: "{YAML_CLIPBOARD} No pain found"', 1)
    assert hostile.count("SGVsbG8") == 2
    (tmp_path / "qualify.yaml").write_text(hostile, encoding="utf-8")
    header = tmp_path / "crm.csv"
    header.write_text(f"deal,stage,notes{CLIPBOARD}{C1_CSI}\nAcme,discovery,x\n", encoding="utf-8")
    screen = on_a_terminal(f"{DR} rank --sql --table crm_export -p ./qualify.yaml crm.csv", user_home, tmp_path)
    assert "SELECT" in screen.upper() and "No pain found" in screen and "SGVsbG8" in screen
    assert_inert(screen)
